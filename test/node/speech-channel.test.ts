// audio.speech through the engine from source, and `run --task speech-activity` from the CLI:
// speech (espeak-ng) padded with silence; segments cover the speech and none lie in the silence.
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpeechResult } from '../../shared/audio/speech';
import type { BatchItemRecord, BatchJobInput, BatchSummary } from '../../shared/batch';
import { parseCsv, cpuSessions } from './batch-fixtures';
import { decodeWav } from '../../electron/engine/tensors/wav';
import { MODELS, cliFromSource, testServices } from '../helpers';
import { runBatchJob } from '../../electron/engine/batch/job';
import { appendFile } from 'node:fs/promises';

let dir: string;
let wav: string;
/** Where the voice is, in seconds, from the samples' energy (independent of the model). */
let speech: { from: number; to: number };
let duration: number;
const { services, call, failure } = testServices();

/** A 16-bit mono PCM .wav of `samples` at `rate`. */
function wavBytes(samples: Float32Array, rate: number): Buffer {
  const b = Buffer.alloc(44 + samples.length * 2);
  b.write('RIFF', 0);
  b.writeUInt32LE(36 + samples.length * 2, 4);
  b.write('WAVEfmt ', 8);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(rate, 24);
  b.writeUInt32LE(rate * 2, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36);
  b.writeUInt32LE(samples.length * 2, 40);
  samples.forEach((x, i) => b.writeInt16LE(Math.round(Math.max(-1, Math.min(1, x)) * 32767), 44 + i * 2));
  return b;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'owb-speech-channel-'));
  const spoken = join(dir, 'spoken.wav');
  const r = spawnSync('espeak-ng', ['-w', spoken, 'Hello, this is a test of the speech detector. It should find these words.']);
  if (r.status !== 0) throw new Error(`espeak-ng is needed for this test (apt-get install espeak-ng): ${r.error ?? r.stderr}`);
  const audio = decodeWav(await readFile(spoken), spoken);
  const rate = audio.sampleRate; // espeak-ng's own (22050 Hz): the channel resamples it
  const padded = new Float32Array(3 * rate + audio.samples.length + 4 * rate);
  padded.set(audio.samples, 3 * rate);
  const first = padded.findIndex((x) => Math.abs(x) > 0.02);
  let last = padded.length - 1;
  while (last > 0 && Math.abs(padded[last]) <= 0.02) last--;
  speech = { from: first / rate, to: last / rate };
  duration = padded.length / rate;
  wav = join(dir, 'speech.wav');
  await writeFile(wav, wavBytes(padded, rate));
  await writeFile(join(dir, 'bad.wav'), 'not audio at all');
});

afterAll(async () => {
  await services.dispose();
  await rm(dir, { recursive: true, force: true });
});

function expectSpeechCovered(segments: { start: number; end: number }[]) {
  expect(segments.length).toBeGreaterThan(0);
  for (const s of segments) {
    expect(s.start).toBeGreaterThanOrEqual(speech.from - 0.15);
    expect(s.end).toBeLessThanOrEqual(speech.to + 0.3);
  }
  const covered = segments.reduce((a, s) => a + Math.min(s.end, speech.to) - Math.max(s.start, speech.from), 0);
  expect(covered / (speech.to - speech.from)).toBeGreaterThan(0.8);
}

describe('audio.speech through the engine', () => {
  it('streams the whole file and answers segments, probabilities and an envelope, not samples', async () => {
    const events: unknown[] = [];
    const result = await services.client.call(
      'audio.speech',
      { model: MODELS.vadV5, audio: wav, options: { provider: 'cpu' } },
      { onEvent: (e) => events.push(e) },
    );
    if (!result.ok) throw new Error(result.error.message);
    const t: SpeechResult = result.value;
    expect(t.sampleRate).toBe(16000);
    expect(t.duration).toBeCloseTo(duration, 2);
    expect(t.probabilities).toHaveLength(Math.ceil((duration * 16000) / 512));
    expect(t.source.sampleRate).toBe(22050);
    expectSpeechCovered(t.segments);
    expect(t.envelope.min.length).toBeLessThanOrEqual(2000);
    expect(t.envelope.min.length).toBe(t.envelope.max.length);
    // The silent start is flat in the envelope; the speech is not.
    expect(Math.max(...t.envelope.max.slice(0, 100))).toBeLessThan(0.01);
    expect(Math.max(...t.envelope.max)).toBeGreaterThan(0.1);
    expect(events).toContainEqual(expect.objectContaining({ stage: 'running', done: t.probabilities.length }));
  });

  it('a higher min-speech drops short segments (settings reach the segmenter)', async () => {
    const t = await call('audio.speech', { model: MODELS.vadV5, audio: wav, settings: { minSpeechMs: 60_000 } });
    expect(t.segments).toEqual([]);
    expect(t.settings.minSpeechMs).toBe(60_000);
  });

  it('names the file when it is not a WAV, and the reason when the model takes no audio chunks', async () => {
    const bad = await failure('audio.speech', { model: MODELS.vadV5, audio: join(dir, 'bad.wav') });
    expect(bad.code).toBe('INVALID_INPUT');
    expect(bad.message).toContain(join(dir, 'bad.wav'));
    expect(bad.message).toMatch(/not a WAV file/);
    const notVad = await failure('audio.speech', { model: MODELS.ocrCls, audio: wav });
    expect(notVad.code).toBe('UNSUPPORTED');
    expect(notVad.message).toMatch(/does not take audio chunks: /);
    const missing = await failure('audio.speech', { model: MODELS.vadV5, audio: join(dir, 'none.wav') });
    expect(missing.message).toContain(join(dir, 'none.wav'));
  });

  it('exports JSON and CSV, never over an existing file', async () => {
    const segments = [{ start: 1.5, end: 2.25 }];
    const to = join(dir, 'export.csv');
    await call('audio.exportSpeech', { to, duration: 4, segments });
    expect(await readFile(to, 'utf8')).toBe('start,end\n1.5,2.25\n');
    const again = await failure('audio.exportSpeech', { to, duration: 4, segments: [] });
    expect(again.message).toMatch(/exists/);
    expect(await readFile(to, 'utf8')).toBe('start,end\n1.5,2.25\n');
    const json = join(dir, 'export.json');
    await call('audio.exportSpeech', { to: json, duration: 4, segments });
    expect(JSON.parse(await readFile(json, 'utf8'))).toMatchObject({ duration: 4, speech_share: 0.1875, segments });
  });
});

const cli = (...args: string[]) => cliFromSource(join(dir, 'data'), args);

describe('run --task speech-activity', () => {
  it('--json: segments cover the speech, none in the silence', () => {
    const r = cli('run', MODELS.vadV5, '--input', wav, '--task', 'speech-activity', '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.duration).toBeCloseTo(duration, 2);
    expectSpeechCovered(out.segments);
    expect(out.speech_share).toBeGreaterThan(0);
    expect(out.speech_share).toBeLessThan(1);
  });

  it('prints lines in seconds and --out writes speech.json and speech.csv, never over them', async () => {
    const out = join(dir, 'out');
    const r = cli('run', MODELS.vadLegacy, '--input', wav, '--task', 'speech-activity', '--min-silence', '300', '--out', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^speech \d+\.\d\d s – \d+\.\d\d s$/m);
    expect(r.stdout).toMatch(/speech segments?, [\d.]+ s of [\d.]+ s/);
    const csv = (await readFile(join(out, 'speech.csv'), 'utf8')).trim().split('\n');
    expect(csv[0]).toBe('start,end');
    const json = JSON.parse(await readFile(join(out, 'speech.json'), 'utf8'));
    expect(csv).toHaveLength(json.segments.length + 1);
    expect(json.settings.minSilenceMs).toBe(300);
    const again = cli('run', MODELS.vadLegacy, '--input', wav, '--task', 'speech-activity', '--out', out);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/already exists/);
  });

  it('a bad wav is a clear error naming the file, exit 1; flags without the task are usage errors', () => {
    const bad = join(dir, 'bad.wav');
    const r = cli('run', MODELS.vadV5, '--input', bad, '--task', 'speech-activity');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}: is not a WAV file`);
    const u = cli('run', MODELS.vadV5, '--input', bad, '--threshold', '0.4');
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/--threshold goes with --task speech-activity/);
  });
});

describe('batch --task speech-activity over a folder of .wav files', () => {
  it('writes each file’s speech segments to results.jsonl and results.csv; a bad file fails alone; resuming skips what is done', async () => {
    const folder = join(dir, 'recordings');
    await mkdir(join(folder, 'day2'), { recursive: true });
    await copyFile(wav, join(folder, 'speech.wav'));
    await writeFile(join(folder, 'day2', 'silence.wav'), wavBytes(new Float32Array(16000 * 3), 16000));
    await copyFile(join(dir, 'bad.wav'), join(folder, 'broken.wav'));
    await writeFile(join(folder, 'notes.txt'), 'not audio: left out');
    const out = join(dir, 'recordings-out');
    const r = cli('batch', MODELS.vadV5, folder, '--task', 'speech-activity', '--out', out, '--min-silence', '300');
    expect(r.stderr).toContain('3 files to process');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Finished: 3 files: 2 ok, 1 failed/);

    const rows = (await readFile(join(out, 'results.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as BatchItemRecord);
    expect(rows.map((row) => [row.file, row.status])).toEqual([
      ['broken.wav', 'failed'],
      ['day2/silence.wav', 'ok'],
      ['speech.wav', 'ok'],
    ]);
    expect(rows[0].error?.message).toContain('broken.wav');
    expect(rows[1].result?.speech).toEqual({ segments: [], duration: 3, speechShare: 0 });
    const spoken = rows[2].result!;
    expect(spoken.task).toBe('speech-activity');
    expect(spoken.speech!.duration).toBeCloseTo(duration, 1);
    expectSpeechCovered(spoken.speech!.segments);

    const csv = parseCsv(await readFile(join(out, 'results.csv'), 'utf8'));
    const line = csv.find((c) => c.file === 'speech.wav')!;
    expect(Number(line.count)).toBe(spoken.speech!.segments.length);
    expect(line.text).toBe(spoken.speech!.segments.map((s) => `${s.start}-${s.end}`).join(' '));
    expect(Number(line.area)).toBeCloseTo(spoken.speech!.speechShare, 4);

    // The same command again: everything done before is skipped; the failure stays listed.
    const again = cli(
      'batch',
      MODELS.vadV5,
      folder,
      '--task',
      'speech-activity',
      '--out',
      out,
      '--min-silence',
      '300',
      '--progress',
      'json',
    );
    const summary = JSON.parse(again.stdout.trim().split('\n').at(-1)!).summary as BatchSummary;
    expect(summary).toMatchObject({ ok: 2, failed: 1, skipped: 3, processed: 0 });
    expect(summary.failures.map((f) => f.file)).toEqual(['broken.wav']);

    // Only data files: drawn images need an image task.
    const refused = cli('batch', MODELS.vadV5, folder, '--task', 'speech-activity', '--out', join(dir, 'x'), '--write', 'images');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('audio jobs write CSV and JSON lines');
    // Three runs of the CLI, each starting an engine and a VAD session: slow on a loaded machine.
  }, 120_000);
});

describe('an audio batch job after its engine died', () => {
  it('fails the file the engine died on (not run again, even with retry-failed) and honours maxFailures', async () => {
    const folder = join(dir, 'crash-recordings');
    await mkdir(folder, { recursive: true });
    await copyFile(wav, join(folder, 'a.wav'));
    await copyFile(wav, join(folder, 'b.wav'));
    const out = join(dir, 'crash-out');
    const sessions = cpuSessions();
    const job: BatchJobInput = {
      model: MODELS.vadV5,
      speech: { settings: {}, sampleRate: 16000 },
      input: { folder },
      output: { folder: out, write: ['csv', 'jsonl'] },
    };
    try {
      const first = await runBatchJob(job, { sessions });
      expect(first).toMatchObject({ ok: 2, failed: 0 });
      // A third recording the engine died on: its 'started' line is the journal's last word.
      await copyFile(wav, join(folder, 'c.wav'));
      const journal = join(out, '.onnx-workbench', 'journal.jsonl');
      const key = (JSON.parse((await readFile(journal, 'utf8')).trim().split('\n').at(-1)!) as { key: string }).key;
      await appendFile(journal, `${JSON.stringify({ type: 'started', files: ['c.wav'], key, at: new Date().toISOString() })}\n`);
      const after = await runBatchJob({ ...job, retryFailed: true }, { sessions, failInFlight: true });
      expect(after).toMatchObject({ ok: 2, failed: 1, processed: 0 });
      expect(after.failures).toEqual([expect.objectContaining({ file: 'c.wav' })]);
      const rows = (await readFile(join(out, 'results.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as BatchItemRecord);
      expect(rows.find((r) => r.file === 'c.wav')?.error?.code).toBe('ENGINE_CRASHED');

      // A broken recording with no failure allowed stops the job with TOO_MANY_FAILURES.
      const strict = join(dir, 'strict-recordings');
      await mkdir(strict, { recursive: true });
      await writeFile(join(strict, 'broken.wav'), 'not a wav');
      await copyFile(wav, join(strict, 'z.wav'));
      const stopped = await runBatchJob(
        {
          ...job,
          input: { folder: strict },
          output: { folder: join(dir, 'strict-out'), write: ['csv'] },
          maxFailures: { count: 0 },
        },
        { sessions },
      );
      expect(stopped.error?.code).toBe('TOO_MANY_FAILURES');
      expect(stopped.processed).toBe(1);
    } finally {
      await sessions.release();
    }
  }, 120_000);
});
