// The `audio.speech` channel: a .wav of any length through a stateful chunked model (Silero VAD),
// answered as a speech timeline and a small waveform envelope; and `audio.exportSpeech`, the
// timeline written as JSON or CSV, never over an existing file.
import { basename, extname } from 'node:path';
import type { z } from 'zod';
import {
  type SpeechResult,
  type WaveEnvelope,
  type speechExportSchema,
  type speechRequestSchema,
  speechCsv,
  speechRecord,
} from '../../../shared/audio/speech';
import { WorkbenchError } from '../../../shared/result';
import { readModelInfo } from '../../common/onnx/reader';
import { fsError, writeNew } from '../../common/fs';
import { openRegularFile } from '../../common/regular-file';
import type { SessionCache } from '../run/session-cache';
import { decodeWav, resample } from '../tensors/wav';
import { planStream, speechTimeline, streamProbabilities } from './stream';

/** Largest .wav read whole (about 3 hours of 16-bit stereo at 48 kHz). */
const MAX_WAV_BYTES = 2 * 1024 ** 3;

/** Min/max of `samples` over at most `bins` equal stretches. */
export function waveEnvelope(samples: Float32Array, bins = 2000): WaveEnvelope {
  const n = Math.max(1, Math.min(bins, samples.length));
  const min: number[] = [];
  const max: number[] = [];
  for (let b = 0; b < n && samples.length; b++) {
    const from = Math.floor((b * samples.length) / n);
    const to = Math.max(from + 1, Math.floor(((b + 1) * samples.length) / n));
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = from; i < to; i++) {
      const x = samples[i];
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
    min.push(Math.round(lo * 1e4) / 1e4);
    max.push(Math.round(hi * 1e4) / 1e4);
  }
  return { min, max };
}

export async function readWav(path: string) {
  let bytes: Uint8Array;
  try {
    const { fh, size } = await openRegularFile(path, 'a .wav file');
    try {
      if (size > MAX_WAV_BYTES) throw new WorkbenchError('INVALID_INPUT', `${path} is larger than 2 GiB`);
      bytes = await fh.readFile();
    } finally {
      await fh.close();
    }
  } catch (e) {
    if (e instanceof WorkbenchError) throw e;
    throw fsError(e, path, { what: '.wav file' });
  }
  return decodeWav(bytes, path);
}

export async function speechChannel(
  request: z.output<typeof speechRequestSchema>,
  sessions: SessionCache,
  ctx: { signal: AbortSignal; emit(event: { stage: string; done?: number; total?: number }): void },
): Promise<SpeechResult> {
  const { model, audio: path, settings, sampleRate } = request;
  const info = await readModelInfo(model);
  const plan = planStream(info, sampleRate);
  if (typeof plan === 'string') throw new WorkbenchError('UNSUPPORTED', `${basename(model)} does not take audio chunks: ${plan}`);
  ctx.emit({ stage: 'decoding' });
  const audio = await readWav(path);
  const samples = resample(audio.samples, audio.sampleRate, plan.sampleRate);
  if (!samples.length) throw new WorkbenchError('INVALID_INPUT', `${path}: has no samples`);
  ctx.emit({ stage: 'loading' });
  const { session, provider } = await sessions.get(model, request.options);
  const start = performance.now();
  const probs = await streamProbabilities(session, plan, samples, {
    signal: ctx.signal,
    onProgress: (done, total) => ctx.emit({ stage: 'running', done, total }),
  });
  const runMs = performance.now() - start;
  return {
    ...speechTimeline(probs, plan, samples.length, settings),
    model,
    audio: path,
    source: { sampleRate: audio.sampleRate, channels: audio.channels, format: audio.format },
    provider,
    settings,
    envelope: waveEnvelope(samples),
    runMs,
  };
}

export async function exportSpeech(request: z.output<typeof speechExportSchema>) {
  const { to, ...timeline } = request;
  const ext = extname(to).toLowerCase();
  const text = ext === '.csv' ? speechCsv(timeline.segments) : `${JSON.stringify(speechRecord(timeline), null, 2)}\n`;
  await writeNew(to, text);
  return { path: to, bytes: Buffer.byteLength(text) };
}
