// Speech segments from per-chunk speech probabilities, the way Silero VAD's own
// get_speech_timestamps does it: speech starts when a chunk reaches `threshold`, ends after
// `minSilenceMs` below `threshold − 0.15`, segments shorter than `minSpeechMs` are dropped, and
// each kept segment is padded by `padMs` (never past its neighbours or the audio's ends). Pure.
import { z } from 'zod';

export const speechSettingsSchema = z.strictObject({
  threshold: z.number().min(0).max(1).default(0.5),
  /** Below this a chunk counts as silence (default threshold − 0.15, as Silero's code). */
  negThreshold: z.number().min(0).max(1).optional(),
  minSpeechMs: z.number().min(0).max(600_000).default(250),
  minSilenceMs: z.number().min(0).max(600_000).default(100),
  padMs: z.number().min(0).max(10_000).default(30),
});
export type SpeechSettings = z.output<typeof speechSettingsSchema>;

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
