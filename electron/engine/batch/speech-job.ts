// An audio batch job: a folder of .wav files through a voice-activity model (Silero VAD), each
// file chunk by chunk with the model's state carried over (audio/stream.ts), its speech segments
// one journal record, so results.csv/jsonl, resume, retry and the failure list work as for images.
// One file at a time: a file is thousands of small sequential runs already.
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  type BatchFailure,
  type BatchItemRecord,
  type BatchJob,
  type BatchResultSummary,
  type BatchSummary,
  SPEECH_ACTIVITY,
  outputUnavailable,
} from '../../../shared/batch';
import { WorkbenchError, toErrorInfo } from '../../../shared/result';
import { sessionOptionsSchema } from '../../../shared/run';
import { readModelInfo } from '../../common/onnx/reader';
import { readWav } from '../audio/speech-channel';
import { type StreamPlan, planStream, speechTimeline, streamProbabilities } from '../audio/stream';
import { resample } from '../tensors/wav';
import { CRASHED, tooManyFailures } from './failures';
import { PauseGate } from './flow';
import type { BatchRunOptions } from './job';
import { latestItems } from './journal';
import { countImages, listImages, listingOptions } from './listing';
import { openOutputFolder } from './output-folder';
import { JOURNAL_FILE, writeJobFiles } from './outputs';
import { placeFolders, stableJson, stateDirOf } from './plan';
import { ProgressTracker } from './progress';
import { writeShardState } from './shard-state';

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
  const info = await readModelInfo(job.model);
  const stream: StreamPlan | string = planStream(info, speech.sampleRate);
  if (typeof stream === 'string')
    throw new WorkbenchError('INVALID_INPUT', `${basename(job.model)} does not take audio chunks: ${stream}`);
  for (const kind of job.output.write) {
    const why = outputUnavailable(kind, SPEECH_ACTIVITY);
    if (why) throw new WorkbenchError('INVALID_INPUT', `--write ${kind}: ${why}`);
  }
  const folders = await placeFolders(job);
  const stateDir = stateDirOf(job, folders.outputFolder);
  const model = await stat(job.model);
  const key = createHash('sha256')
    .update(stableJson({ model: [resolve(job.model), model.size, model.mtimeMs], speech }))
    .digest('hex')
    .slice(0, 16);
  const resultsDir = job.shard ? stateDir : folders.outputFolder;
  const folder = await openOutputFolder({ job, outputFolder: folders.outputFolder, stateDir, key }, jobId);
  const journal = folder.journal;
  const gate = options.gate ?? new PauseGate();
  const stop = new AbortController();
  options.signal?.addEventListener('abort', () => stop.abort(), { once: true });
  if (options.signal?.aborted) stop.abort();
  const progress = new ProgressTracker(jobId, (p) => options.onProgress?.(p), { intervalMs: options.progressIntervalMs });
  gate.listen((paused) => progress.setState(paused ? 'paused' : 'running'));
  let fatal: WorkbenchError | null = null;
  let provider: BatchSummary['provider'];
  try {
    if (options.failInFlight) {
      // The file the engine died on (its 'started' line has no result): failed, not run again, as
      // for images (a file that crashes the engine would otherwise crash every resume).
      const at = new Date().toISOString();
      for (const file of journal.lastStarted) {
        const entry = journal.entries.get(file);
        if (entry?.status !== 'started' || entry.key !== key) continue;
        await journal.append({
          type: 'item',
          file,
          status: 'failed',
          error: CRASHED,
          ms: { decode: 0, run: 0, post: 0 },
          key,
          at,
        });
      }
    }
    // Files earlier runs of this job settled: counted at once, not run again (failed ones with
    // retryFailed, but not one the engine died on just now).
    const settled = new Set<string>();
    const failures: BatchFailure[] = [];
    let ok = 0;
    for (const [file, entry] of journal.entries) {
      if (entry.key !== key || entry.status === 'started') continue;
      if (entry.status === 'failed' && job.retryFailed && !(options.failInFlight && entry.crashed)) continue;
      settled.add(file);
      if (entry.status === 'ok') ok++;
      else failures.push({ file, error: entry.error ?? 'failed' });
    }
    progress.settledBefore(ok, failures.length, failures);
    progress.setState(gate.paused ? 'paused' : 'running');
    const listing = listingOptions(job, folders.skipDirs);
    void countImages(listing, 0).then(
      (c) => progress.setTotal(c.files),
      () => {},
    );
    const { session, provider: used } = await options.sessions.get(
      job.model,
      sessionOptionsSchema.parse({ ...job.recipe.options, ...job.options }),
    );
    provider = used;
    progress.begin();
    for await (const file of listImages({ ...listing, signal: stop.signal, onWarning: options.onWarning })) {
      if (settled.has(file.rel)) continue;
      await gate.wait(stop.signal);
      progress.current = file.rel;
      const at = () => new Date().toISOString();
      journal.writeNow({ type: 'started', files: [file.rel], key, at: at() });
      const started = performance.now();
      let record: BatchItemRecord;
      try {
        const audio = await readWav(file.path);
        const samples = resample(audio.samples, audio.sampleRate, stream.sampleRate);
        if (!samples.length) throw new WorkbenchError('INVALID_INPUT', `${file.path}: has no samples`);
        const decoded = performance.now();
        const probs = await streamProbabilities(session, stream, samples, { signal: stop.signal });
        const ran = performance.now();
        const result = speechSummary(speechTimeline(probs, stream, samples.length, speech.settings));
        const ms = { decode: decoded - started, run: ran - decoded, post: performance.now() - ran };
        record = { type: 'item', file: file.rel, status: 'ok', ms, result, key, at: at() };
      } catch (error) {
        if (stop.signal.aborted) break;
        const ms = { decode: performance.now() - started, run: 0, post: 0 };
        record = { type: 'item', file: file.rel, status: 'failed', error: toErrorInfo(error), ms, key, at: at() };
      }
      await journal.append(record);
      progress.finish({ file: record.file, status: record.status, text: record.result?.text ?? record.error?.message ?? '' });
      const tooMany = record.status === 'failed' ? tooManyFailures(job.maxFailures, progress.failed, progress.total) : null;
      if (tooMany) throw tooMany;
    }
  } catch (error) {
    const info = toErrorInfo(error);
    if (info.code !== 'CANCELLED') fatal = error instanceof WorkbenchError ? error : new WorkbenchError(info.code, info.message);
  }
  const cancelled = !fatal && stop.signal.aborted;
  let written: string[] = [];
  try {
    written = await writeJobFiles(resultsDir, latestItems(join(stateDir, JOURNAL_FILE), key), job.output.write, stateDir, null);
  } catch (error) {
    fatal ??= error instanceof WorkbenchError ? error : new WorkbenchError('WRITE_FAILED', toErrorInfo(error).message);
  }
  const counts = progress.conclude(fatal ? 'failed' : cancelled ? 'cancelled' : 'finished', !cancelled && !fatal);
  const summary: BatchSummary = {
    jobId,
    ...(job.name ? { name: job.name } : {}),
    ...counts,
    outputFolder: folders.outputFolder,
    written,
    ...(provider ? { provider } : {}),
    ...(fatal ? { error: toErrorInfo(fatal) } : {}),
  };
  try {
    await writeShardState(stateDir, job, key, folder.startedAt, summary);
  } finally {
    await folder.release();
  }
  return summary;
}
