// Audio of any length through a model that takes fixed chunks and carries a recurrent state
// (Silero VAD v5: `input` [1, context+512] at 16 kHz, `state` [2, 1, 128] fed back from
// `stateN`, `sr` a constant): chunk by chunk in the engine, the state carried over, one speech
// probability per chunk, then the speech timeline. Silero's own wrapper prepends the last 64
// samples of the previous chunk (32 at 8 kHz) to each chunk; so does this.
import type * as Ort from 'onnxruntime-node';
import type { ModelInfo, ValueInfo } from '../../../shared/model-info';
import { WorkbenchError } from '../../../shared/result';
import { type SpeechSettings, type SpeechTimeline, resegment } from '../../../shared/audio/speech';
import { loadOrt } from '../ort';

/** How a stateful chunked model is fed, found from its inputs and outputs. */
export interface StreamPlan {
  audio: string;
  /** Recurrent states: each input with the output that holds its next value (state → stateN, h → hn, c → cn). */
  states: { input: string; output: string; dims: number[] }[];
  rate: string | null;
  probability: string;
  sampleRate: 8000 | 16000;
  chunk: number;
  context: number;
}

const dimsOf = (v: ValueInfo) => (v.shape ?? []).map((d) => (typeof d === 'number' ? d : 1));

/** Silero VAD's signature (v5: input/state/sr → output/stateN), else null with the reason. */
export function planStream(info: Pick<ModelInfo, 'inputs' | 'outputs'>, sampleRate: number): StreamPlan | string {
  if (sampleRate !== 16000 && sampleRate !== 8000) return `Silero VAD takes 16 kHz or 8 kHz audio, not ${sampleRate} Hz`;
  const floats = info.inputs.filter((v) => v.kind === 'tensor' && v.dtype === 'float32');
  // A [batch, samples] input; one of unknown shape only by its name (an image's 4-D input never).
  const audio = floats.find((v) => v.shape?.length === 2) ?? floats.find((v) => !v.shape && /input|audio|x/i.test(v.name));
  if (!audio) return 'the model has no [batch, samples] float input for the audio';
  const rate = info.inputs.find((v) => v.dtype === 'int64' && /sr|rate/i.test(v.name)) ?? null;
  const outs = info.outputs.filter((v) => v.kind === 'tensor');
  const states: StreamPlan['states'] = [];
  for (const v of floats) {
    if (v === audio) continue;
    const next = outs.find((o) => o.name.toLowerCase().startsWith(v.name.toLowerCase()) && o.name !== v.name);
    if (!next) return `the model takes a state "${v.name}" but gives no "${v.name}N" back`;
    states.push({ input: v.name, output: next.name, dims: dimsOf(v) });
  }
  const probability = outs.find((o) => !states.some((s) => s.output === o.name));
  if (!probability) return 'the model has no output besides its states';
  const chunk = sampleRate === 16000 ? 512 : 256;
  return {
    audio: audio.name,
    states,
    rate: rate?.name ?? null,
    probability: probability.name,
    sampleRate,
    chunk,
    // v5 models take the context; the legacy one (h/c states of 64) does not.
    context: states.length === 1 && states[0].dims.at(-1) === 128 ? (sampleRate === 16000 ? 64 : 32) : 0,
  };
}

export interface StreamOptions {
  signal?: AbortSignal;
  /** Called every so many chunks with the share done. */
  onProgress?: (done: number, total: number) => void;
}

/** Speech probability per chunk of `samples` (mono, at plan.sampleRate). */
export async function streamProbabilities(
  session: Ort.InferenceSession,
  plan: StreamPlan,
  samples: Float32Array,
  options: StreamOptions = {},
): Promise<number[]> {
  const ort = await loadOrt();
  const { chunk, context } = plan;
  const chunks = Math.ceil(samples.length / chunk);
  const probs: number[] = [];
  const state = new Map<string, Ort.Tensor>(
    plan.states.map((s) => [s.input, new ort.Tensor('float32', new Float32Array(s.dims.reduce((a, b) => a * b, 1)), s.dims)]),
  );
  const sr = plan.rate ? new ort.Tensor('int64', BigInt64Array.from([BigInt(plan.sampleRate)]), []) : null;
  const frame = new Float32Array(context + chunk);
  for (let i = 0; i < chunks; i++) {
    if (options.signal?.aborted) throw new WorkbenchError('CANCELLED', 'Cancelled.');
    // The frame: the previous chunk's last `context` samples, then this chunk (zero-padded at the end).
    frame.copyWithin(0, chunk, chunk + context);
    frame.fill(0, context);
    frame.set(samples.subarray(i * chunk, Math.min(samples.length, (i + 1) * chunk)), context);
    if (i === 0) frame.fill(0, 0, context);
    const feeds: Record<string, Ort.Tensor> = { [plan.audio]: new ort.Tensor('float32', frame.slice(), [1, frame.length]) };
    for (const [name, value] of state) feeds[name] = value;
    if (sr && plan.rate) feeds[plan.rate] = sr;
    const out = await session.run(feeds);
    probs.push(Number((out[plan.probability].data as Float32Array)[0]));
    for (const s of plan.states) state.set(s.input, out[s.output] as Ort.Tensor);
    if (options.onProgress && (i % 200 === 199 || i === chunks - 1)) options.onProgress(i + 1, chunks);
  }
  return probs;
}

export function speechTimeline(
  probs: number[],
  plan: StreamPlan,
  totalSamples: number,
  settings: SpeechSettings,
): SpeechTimeline {
  const base = {
    sampleRate: plan.sampleRate,
    chunk: plan.chunk,
    duration: totalSamples / plan.sampleRate,
    probabilities: probs.map((p) => Math.round(p * 1e4) / 1e4),
    segments: [],
    speechShare: 0,
  };
  // Segmented from the exact probabilities; the rounded ones are what the answer carries.
  return { ...resegment({ ...base, probabilities: probs }, settings), probabilities: base.probabilities };
}
