// An audio batch job: a folder of .wav files through a voice-activity model (Silero VAD), each
// file chunk by chunk with the model's state carried over (audio/stream.ts), its speech segments
// one journal record, so results.csv/jsonl, resume, retry and the failure list work as for images.
// One file at a time (file-by-file.ts): a file is thousands of small sequential runs already.
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  type BatchJob,
  type BatchResultSummary,
  type BatchSummary,
  SPEECH_ACTIVITY,
  outputUnavailable,
} from '../../../shared/batch';
import { WorkbenchError } from '../../../shared/result';
import { sessionOptionsSchema } from '../../../shared/run';
import { readModelInfo } from '../../common/onnx/reader';
import { readWav } from '../audio/speech-channel';
import { type StreamPlan, planStream, speechTimeline, streamProbabilities } from '../audio/stream';
import { resample } from '../tensors/wav';
import { runFileByFile } from './file-by-file';
import type { BatchRunOptions } from './job';
import { stableJson } from './plan';

const seconds = (x: number) => Math.round(x * 1000) / 1000;

/** One file's timeline as the journal's summary (no probabilities: results.jsonl stays small). */
function speechSummary(t: {
  segments: { start: number; end: number }[];
  duration: number;
  speechShare: number;
}): BatchResultSummary {
  const segments = t.segments.map((s) => ({ start: seconds(s.start), end: seconds(s.end) }));
  const speech = segments.reduce((a, s) => a + s.end - s.start, 0);
  const n = segments.length;
  return {
    task: SPEECH_ACTIVITY,
    text: `${n} speech segment${n === 1 ? '' : 's'}, ${speech.toFixed(2)} s of ${t.duration.toFixed(2)} s`,
    speech: { segments, duration: seconds(t.duration), speechShare: Math.round(t.speechShare * 1e4) / 1e4 },
  };
}

export async function runSpeechJob(job: BatchJob, options: BatchRunOptions, jobId: string): Promise<BatchSummary> {
  const speech = job.speech!;
  return runFileByFile(job, options, jobId, async () => {
    const info = await readModelInfo(job.model);
    const stream: StreamPlan | string = planStream(info, speech.sampleRate);
    if (typeof stream === 'string')
      throw new WorkbenchError('INVALID_INPUT', `${basename(job.model)} does not take audio chunks: ${stream}`);
    for (const kind of job.output.write) {
      const why = outputUnavailable(kind, SPEECH_ACTIVITY);
      if (why) throw new WorkbenchError('INVALID_INPUT', `--write ${kind}: ${why}`);
    }
    const model = await stat(job.model);
    const key = createHash('sha256')
      .update(stableJson({ model: [resolve(job.model), model.size, model.mtimeMs], speech }))
      .digest('hex')
      .slice(0, 16);
    let session: Awaited<ReturnType<BatchRunOptions['sessions']['get']>>['session'];
    return {
      key,
      open: async () => {
        const got = await options.sessions.get(job.model, sessionOptionsSchema.parse({ ...job.recipe.options, ...job.options }));
        session = got.session;
        return got.provider;
      },
      run: async (file, ctx) => {
        const started = performance.now();
        const audio = await readWav(file.path);
        const samples = resample(audio.samples, audio.sampleRate, stream.sampleRate);
        if (!samples.length) throw new WorkbenchError('INVALID_INPUT', `${file.path}: has no samples`);
        const decoded = performance.now();
        const probs = await streamProbabilities(session, stream, samples, { signal: ctx.signal });
        const ran = performance.now();
        const result = speechSummary(speechTimeline(probs, stream, samples.length, speech.settings));
        return { result, ms: { decode: decoded - started, run: ran - decoded, post: performance.now() - ran } };
      },
    };
  });
}
