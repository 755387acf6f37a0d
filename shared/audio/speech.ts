// Speech segments from per-chunk speech probabilities, the way Silero VAD's own
// get_speech_timestamps does it: speech starts when a chunk reaches `threshold`, ends after
// `minSilenceMs` below `threshold − 0.15`, segments shorter than `minSpeechMs` are dropped, and
// each kept segment is padded by `padMs` (never past its neighbours or the audio's ends). Pure.
import { z } from 'zod';
import { absolutePath } from '../paths';
import type { ProviderChoice } from '../providers';
import { sessionOptionsSchema } from '../run';

export const speechSettingsSchema = z.strictObject({
  threshold: z.number().min(0).max(1).default(0.5),
  /** Below this a chunk counts as silence (default threshold − 0.15, as Silero's code). */
  negThreshold: z.number().min(0).max(1).optional(),
  minSpeechMs: z.number().min(0).max(600_000).default(250),
  minSilenceMs: z.number().min(0).max(600_000).default(100),
  padMs: z.number().min(0).max(10_000).default(30),
});
export type SpeechSettings = z.output<typeof speechSettingsSchema>;
/** The settings as a request may give them (every field optional). */
export type SpeechSettingsInput = z.input<typeof speechSettingsSchema>;

export interface SpeechSegment {
  /** Seconds from the start of the audio. */
  start: number;
  end: number;
}

export interface SpeechTimeline {
  sampleRate: number;
  /** Samples per chunk the model took. */
  chunk: number;
  /** Seconds of audio. */
  duration: number;
  /** One speech probability per chunk. */
  probabilities: number[];
  segments: SpeechSegment[];
  /** Share of the audio inside a segment. */
  speechShare: number;
}

export function speechSegments(
  probs: readonly number[],
  chunk: number,
  sampleRate: number,
  totalSamples: number,
  settings: SpeechSettings,
): SpeechSegment[] {
  const neg = settings.negThreshold ?? Math.max(settings.threshold - 0.15, 0.01);
  const perMs = sampleRate / 1000;
  const minSpeech = settings.minSpeechMs * perMs;
  const minSilence = settings.minSilenceMs * perMs;
  const pad = settings.padMs * perMs;
  const found: { start: number; end: number }[] = [];
  let triggered = false;
  let start = 0;
  let silenceFrom: number | null = null;
  probs.forEach((p, i) => {
    const at = i * chunk;
    if (p >= settings.threshold) silenceFrom = null;
    if (p >= settings.threshold && !triggered) {
      triggered = true;
      start = at;
      return;
    }
    if (p < neg && triggered) {
      silenceFrom ??= at;
      if (at - silenceFrom < minSilence) return;
      if (silenceFrom - start > minSpeech) found.push({ start, end: silenceFrom });
      triggered = false;
      silenceFrom = null;
    }
  });
  if (triggered && totalSamples - start > minSpeech) found.push({ start, end: totalSamples });
  // Padding: half the gap when two segments are closer than two pads.
  for (let i = 0; i < found.length; i++) {
    const s = found[i];
    if (i === 0) s.start = Math.max(0, s.start - pad);
    const next = found[i + 1];
    if (next) {
      const gap = next.start - s.end;
      if (gap < 2 * pad) {
        s.end += Math.floor(gap / 2);
        next.start = Math.max(0, next.start - Math.floor(gap / 2));
      } else {
        s.end = Math.min(totalSamples, s.end + pad);
        next.start = Math.max(0, next.start - pad);
      }
    } else s.end = Math.min(totalSamples, s.end + pad);
  }
  return found.map((s) => ({ start: s.start / sampleRate, end: s.end / sampleRate }));
}

/** Min/max pairs of the audio over equal stretches, for drawing the waveform (never the raw samples). */
export interface WaveEnvelope {
  min: number[];
  max: number[];
}

/** The answer of `audio.speech`: the timeline, the audio it came from, and its envelope. */
export interface SpeechResult extends SpeechTimeline {
  model: string;
  audio: string;
  /** The file's own rate, channels and sample format, before resampling to `sampleRate`. */
  source: { sampleRate: number; channels: number; format: string };
  provider: ProviderChoice;
  settings: SpeechSettings;
  envelope: WaveEnvelope;
  runMs: number;
}

/** Seconds rounded to the millisecond, for files and lists. */
const ms = (s: number) => Math.round(s * 1000) / 1000;

/** What `speech.json` holds (the CLI's --json and --out, and the app's Export JSON). */
export function speechRecord(t: Pick<SpeechTimeline, 'segments' | 'duration'> & Partial<SpeechResult>) {
  const speech = t.segments.reduce((a, s) => a + (s.end - s.start), 0);
  return {
    ...(t.audio ? { audio: t.audio } : {}),
    ...(t.model ? { model: t.model } : {}),
    duration: ms(t.duration),
    speech_seconds: ms(speech),
    speech_share: t.duration ? Math.round((speech / t.duration) * 1e4) / 1e4 : 0,
    ...(t.settings ? { settings: t.settings } : {}),
    segments: t.segments.map((s) => ({ start: ms(s.start), end: ms(s.end) })),
  };
}

/** What `speech.csv` holds: one segment a line, start,end in seconds. */
export function speechCsv(segments: readonly SpeechSegment[]): string {
  return ['start,end', ...segments.map((s) => `${ms(s.start)},${ms(s.end)}`)].join('\n') + '\n';
}

/** The timeline re-cut under other settings, from its probabilities alone (no re-run). */
export function resegment(t: SpeechTimeline, settings: SpeechSettings): SpeechTimeline {
  const total = Math.round(t.duration * t.sampleRate);
  const segments = speechSegments(t.probabilities, t.chunk, t.sampleRate, total, settings);
  const speech = segments.reduce((a, s) => a + (s.end - s.start), 0);
  return { ...t, segments, speechShare: t.duration ? speech / t.duration : 0 };
}

const wavPath = absolutePath.refine((p) => /\.wav$/i.test(p), { message: 'must be a .wav file' });

/** `audio.speech`: a .wav through a VAD model chunk by chunk. */
export const speechRequestSchema = z.strictObject({
  model: absolutePath,
  audio: wavPath,
  settings: speechSettingsSchema.prefault({}),
  /** The rate the model is fed at (the file is resampled to it). */
  sampleRate: z.union([z.literal(16000), z.literal(8000)]).default(16000),
  options: sessionOptionsSchema.default({ provider: 'auto' }),
});
export type SpeechRequest = z.input<typeof speechRequestSchema>;

const seconds = z.number().min(0).max(1e7);

/** `audio.exportSpeech`: segments (as shown, after re-segmenting) written as .json or .csv. */
export const speechExportSchema = z.strictObject({
  to: absolutePath.refine((p) => /\.(json|csv)$/i.test(p), { message: 'must end with .json or .csv' }),
  duration: seconds,
  segments: z.array(z.strictObject({ start: seconds, end: seconds })).max(1_000_000),
  audio: absolutePath.optional(),
  model: absolutePath.optional(),
  settings: speechSettingsSchema.optional(),
});
