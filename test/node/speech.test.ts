// Speech activity: Silero VAD's segmenting rules on made-up probabilities, and the real Silero
// VAD v5 and legacy models over speech (espeak-ng) padded with silence, chunk by chunk with the
// recurrent state carried over.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { speechSegments, speechSettingsSchema } from '../../shared/audio/speech';
import { readModelInfo } from '../../electron/common/onnx/reader';
import { planStream, speechTimeline, streamProbabilities } from '../../electron/engine/audio/stream';
import { decodeWav, resample } from '../../electron/engine/tensors/wav';
import { MODELS } from '../helpers';

const defaults = speechSettingsSchema.parse({});

describe('speech segments from probabilities', () => {
  // 16 kHz, 512-sample chunks: 32 ms each.
  const seg = (probs: number[], over = {}) =>
    speechSegments(probs, 512, 16000, probs.length * 512, { ...defaults, padMs: 0, ...over });

  it('starts at the first chunk over the threshold and ends where the silence began', () => {
    const probs = [...new Array(10).fill(0.1), ...new Array(20).fill(0.9), ...new Array(10).fill(0.05)];
    expect(seg(probs)).toEqual([{ start: (10 * 512) / 16000, end: (30 * 512) / 16000 }]);
  });

  it('bridges silences shorter than minSilenceMs and drops speech shorter than minSpeechMs', () => {
    // 0.9 ×10, then 2 chunks (64 ms) of silence, then 0.9 ×10: one segment; a lone 3-chunk blip (96 ms) is dropped.
    const probs = [
      ...new Array(10).fill(0.9),
      0.1,
      0.1,
      ...new Array(10).fill(0.9),
      ...new Array(10).fill(0),
      0.9,
      0.9,
      0.9,
      ...new Array(10).fill(0),
    ];
    expect(seg(probs)).toEqual([{ start: 0, end: (22 * 512) / 16000 }]);
  });

  it('keeps speech between threshold − 0.15 and the threshold going (hysteresis)', () => {
    const probs = [...new Array(10).fill(0.9), ...new Array(10).fill(0.4), ...new Array(10).fill(0)];
    expect(seg(probs)).toEqual([{ start: 0, end: (20 * 512) / 16000 }]);
  });

  it('pads each segment, never past the audio or into the neighbour', () => {
    const probs = [...new Array(10).fill(0.9), ...new Array(5).fill(0), ...new Array(10).fill(0.9)];
    const s = speechSegments(probs, 512, 16000, probs.length * 512, { ...defaults, padMs: 100, minSilenceMs: 50 });
    expect(s[0].start).toBe(0);
    expect(s[0].end).toBeCloseTo(s[1].start, 3); // the 160 ms gap is shared
    expect(s[1].end).toBe((25 * 512) / 16000);
  });
});

describe('Silero VAD over spoken audio padded with silence', () => {
  let dir: string;
  let samples: Float32Array;
  let speech: { from: number; to: number };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'owb-speech-'));
    const wav = join(dir, 'speech.wav');
    const r = spawnSync('espeak-ng', ['-w', wav, 'Hello, this is a test of the speech detector. It should find these words.']);
    if (r.status !== 0) throw new Error(`espeak-ng is needed for this test (apt-get install espeak-ng): ${r.error ?? r.stderr}`);
    const audio = decodeWav(await readFile(wav), wav);
    const spoken = resample(audio.samples, audio.sampleRate, 16000);
    // Where the voice really is, from the samples' energy (independent of the model).
    let first = spoken.findIndex((x) => Math.abs(x) > 0.02);
    let last = spoken.length - 1;
    while (last > 0 && Math.abs(spoken[last]) <= 0.02) last--;
    // 2 s of silence, the speech, 3 s of silence.
    samples = new Float32Array(2 * 16000 + spoken.length + 3 * 16000);
    samples.set(spoken, 2 * 16000);
    first += 2 * 16000;
    last += 2 * 16000;
    speech = { from: first / 16000, to: last / 16000 };
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const [name, model] of [
    ['v5', MODELS.vadV5],
    ['legacy', MODELS.vadLegacy],
  ] as const) {
    it(`${name}: segments cover the speech and none lies in the silence`, async () => {
      const plan = planStream(await readModelInfo(model), 16000);
      if (typeof plan === 'string') throw new Error(plan);
      const session = await ort.InferenceSession.create(model);
      const probs = await streamProbabilities(session, plan, samples);
      expect(probs).toHaveLength(Math.ceil(samples.length / 512));
      const t = speechTimeline(probs, plan, samples.length, defaults);
      expect(t.segments.length).toBeGreaterThan(0);
      for (const s of t.segments) {
        expect(s.start).toBeGreaterThanOrEqual(speech.from - 0.15);
        expect(s.end).toBeLessThanOrEqual(speech.to + 0.3);
      }
      const covered = t.segments.reduce((a, s) => a + Math.min(s.end, speech.to) - Math.max(s.start, speech.from), 0);
      expect(covered / (speech.to - speech.from)).toBeGreaterThan(0.8);
      expect(t.duration).toBeCloseTo(samples.length / 16000, 6);
      await session.release();
    });
  }

  it('says why a model does not fit', async () => {
    expect(planStream(await readModelInfo(MODELS.vadV5), 44100)).toMatch(/16 kHz or 8 kHz audio, not 44100 Hz/);
  });
});
