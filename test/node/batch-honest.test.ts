// Numbers a batch job reports that people act on: the speed and time left (a moving window over
// finished files, pauses left out), the per-file timings (each around its own work: a model run
// holding the thread is waiting, not decoding), and the failures of earlier runs after a resume.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchItemRecord, BatchProgress } from '../../shared/batch';
import { runBatchJob, type BatchRunOptions } from '../../electron/engine/batch/job';
import { readJournal } from '../../electron/engine/batch/journal';
import { cocoCategories } from '../../electron/engine/batch/outputs';
import { ProgressTracker, RATE_WINDOW_FILES } from '../../electron/engine/batch/progress';
import { HeldTime } from '../../electron/engine/batch/timing';
import { decodeImage } from '../../electron/engine/image/decode';
import { classifierJob, classifierModel, imageFolder, parseCsv } from './batch-fixtures';

/** A clock the test moves by hand. */
function fakeClock(start = 1000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

const brief = (k: number, status: 'ok' | 'failed' = 'ok') => ({ file: `f${k}.jpg`, status, text: status });

function tracker(clock: { now(): number }) {
  const events: BatchProgress[] = [];
  const t = new ProgressTracker('j', (p) => events.push(p), { intervalMs: 0, clock: clock.now });
  return { t, events };
}

describe('batch speed and time left', () => {
  it('is files per second of running time over the finished files, with the counts done and left', () => {
    const clock = fakeClock();
    const { t } = tracker(clock);
    t.setTotal(100);
    t.setState('running');
    clock.advance(5000); // loading the model: not part of the speed
    t.begin();
    for (let k = 0; k < 10; k++) {
      clock.advance(2000);
      t.finish(brief(k));
    }
    const p = t.snapshot();
    expect(p).toMatchObject({ done: 10, left: 90, processed: 10, imagesPerSecond: 0.5, etaSeconds: 180 });
  });

  it('leaves paused time out: the speed holds across a pause and there is no time left while paused', () => {
    const clock = fakeClock();
    const { t, events } = tracker(clock);
    t.setTotal(20);
    t.setState('running');
    t.begin();
    for (let k = 0; k < 4; k++) {
      clock.advance(1000);
      t.finish(brief(k));
    }
    t.setState('paused');
    clock.advance(600_000);
    expect(events.at(-1)).toMatchObject({ state: 'paused', imagesPerSecond: 1, etaSeconds: null, left: 16 });
    expect(t.snapshot()).toMatchObject({ imagesPerSecond: 1, etaSeconds: null });
    t.setState('running');
    clock.advance(1000);
    t.finish(brief(4));
    expect(t.snapshot()).toMatchObject({ state: 'running', done: 5, imagesPerSecond: 1, etaSeconds: 15 });
    expect(t.pausedTotalMs).toBe(600_000);
    expect(t.runningMs()).toBe(5000);
  });

  it('does not jump when files finish in batches, and falls while nothing finishes', () => {
    const clock = fakeClock();
    const { t } = tracker(clock);
    t.setTotal(1000);
    t.setState('running');
    t.begin();
    // A batch of 8 every 8 s: 1 img/s, however close together the 8 land.
    for (let b = 0; b < 20; b++) {
      clock.advance(8000);
      for (let k = 0; k < 8; k++) t.finish(brief(b * 8 + k));
      expect(t.snapshot().imagesPerSecond).toBeGreaterThan(0.85);
      expect(t.snapshot().imagesPerSecond).toBeLessThan(1.15);
    }
    // A stall (not a pause): the window ends now, so the speed falls and the time left grows.
    const before = t.snapshot();
    clock.advance(60_000);
    const stalled = t.snapshot();
    expect(stalled.imagesPerSecond).toBeLessThan(before.imagesPerSecond / 1.5);
    expect(stalled.etaSeconds!).toBeGreaterThan(before.etaSeconds!);
  });

  it('follows a change of speed within the window of files', () => {
    const clock = fakeClock();
    const { t } = tracker(clock);
    t.setTotal(10_000);
    t.setState('running');
    t.begin();
    for (let k = 0; k < 200; k++) {
      clock.advance(100); // 10 img/s
      t.finish(brief(k));
    }
    expect(t.snapshot().imagesPerSecond).toBeCloseTo(10, 5);
    for (let k = 0; k < RATE_WINDOW_FILES; k++) {
      clock.advance(1000); // 1 img/s
      t.finish(brief(1000 + k));
    }
    expect(t.snapshot().imagesPerSecond).toBeCloseTo(1, 5);
  });

  it('counts files settled before this run as done but not towards the speed; their failures are listed', () => {
    const clock = fakeClock();
    const { t } = tracker(clock);
    t.settledBefore(90, 2, [
      { file: 'a.jpg', error: 'a.jpg is not an image' },
      { file: 'b.jpg', error: 'b.jpg is empty' },
    ]);
    t.setTotal(100);
    t.setState('running');
    t.begin();
    clock.advance(4000);
    t.finish(brief(1, 'failed'));
    clock.advance(4000);
    t.finish(brief(2));
    const p = t.snapshot();
    expect(p).toMatchObject({ done: 94, left: 6, failed: 3, skipped: 92, processed: 2, imagesPerSecond: 0.25, etaSeconds: 24 });
    expect(p.failures.map((f) => f.file)).toEqual(['a.jpg', 'b.jpg', 'f1.jpg']);
  });
});

describe('HeldTime', () => {
  it('counts a run deferred with setImmediate as held, and a stopwatch leaves it out', async () => {
    const clock = fakeClock();
    const held = new HeldTime(clock.now);
    const watch = held.start();
    clock.advance(5);
    const end = held.holdForNextImmediate();
    // What onnxruntime-node's run() does: the synchronous work in the next check phase.
    await new Promise<void>((resolve) =>
      setImmediate(() => {
        clock.advance(700);
        resolve();
      }),
    );
    expect(end()).toBe(700);
    clock.advance(3);
    expect(watch.stop()).toEqual({ work: 8, held: 700 });
  });

  it('a run that fails before it is deferred holds nothing', async () => {
    const held = new HeldTime(fakeClock().now);
    const end = held.holdForNextImmediate();
    expect(end()).toBe(0);
    await new Promise((r) => setImmediate(r));
    expect(held.now()).toBe(0);
  });
});

describe('COCO categories', () => {
  it('are the labels with ids from 1 and their class index, plus classes found beyond the labels', () => {
    expect(cocoCategories(['person', 'bicycle', ''], new Map([[7, 'class 7']]))).toEqual([
      { id: 1, name: 'person', class_index: 0 },
      { id: 2, name: 'bicycle', class_index: 1 },
      { id: 3, name: 'class 2', class_index: 2 },
      { id: 8, name: 'class 7', class_index: 7 },
    ]);
    expect(cocoCategories(null, new Map([[0, 'cat']]))).toEqual([{ id: 1, name: 'cat', class_index: 0 }]);
  });
});

describe('per-file timings of a batch job', () => {
  let dir: string;
  let model: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'owb-batch-honest-'));
    model = join(dir, 'classifier.onnx');
    await writeFile(model, classifierModel());
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /**
   * A session whose every run holds the thread for HOLD ms of (fake) time, the way
   * onnxruntime-node's synchronous run() does, and answers "red" for each image.
   */
  const HOLD = 60_000;
  function heldSessions(clock: { advance(ms: number): void }, runs: { count: number }) {
    const session = {
      inputNames: ['x'],
      outputNames: ['logits'],
      run: (feeds: Record<string, ort.Tensor>) =>
        new Promise((resolve) =>
          setImmediate(() => {
            clock.advance(HOLD);
            runs.count += 1;
            const n = feeds.x.dims[0];
            const data = new Float32Array(n * 10);
            for (let k = 0; k < n; k++) data[k * 10] = 1;
            resolve({ logits: new ort.Tensor('float32', data, [n, 10]) });
          }),
        ),
    };
    const sessions: BatchRunOptions['sessions'] = {
      get: async () =>
        ({ session, provider: { requested: 'cpu', used: 'cpu' }, createMs: 0, cached: false, profiling: false }) as never,
    };
    return sessions;
  }

  it('decode, preprocess, run, post, write and wait each measure their own part; a held thread is waiting, not decoding', async () => {
    const input = join(dir, 'held-in');
    const output = join(dir, 'held-out');
    await imageFolder(input, 6);
    // Real time plus the fake time the "model" held the thread.
    let offset = 0;
    const clock = { now: () => performance.now() + offset, advance: (ms: number) => (offset += ms) };
    const runs = { count: 0 };
    // Each decode finishes only after a run has started (the thread was held while it decoded),
    // or after 50 ms when no run comes (the last ones).
    let overlapped = 0;
    const decode: typeof decodeImage = async (...args) => {
      const t0 = clock.now();
      const image = await decodeImage(...args);
      const seen = runs.count;
      for (let k = 0; k < 50 && runs.count === seen; k++) await new Promise((r) => setTimeout(r, 1));
      if (clock.now() - t0 >= HOLD) overlapped += 1;
      return image;
    };
    const summary = await runBatchJob(classifierJob(model, input, output, { batchSize: 2 }), {
      sessions: heldSessions(clock, runs),
      clock: clock.now,
      decode,
    });
    expect(summary).toMatchObject({ state: 'finished', ok: 6 });
    expect(overlapped).toBeGreaterThan(0);
    const items: BatchItemRecord[] = [];
    for await (const r of readJournal(join(output, '.onnx-workbench', 'journal.jsonl'))) if (r.type === 'item') items.push(r);
    expect(items).toHaveLength(6);
    for (const r of items) {
      // Never the held minute: each is real work on a 40×30 image.
      for (const part of ['decode', 'preprocess', 'post', 'write'] as const) expect(r.ms[part]).toBeLessThan(HOLD / 2);
      // A run's share: the held time over the images in it (2, or 1 for a last odd one).
      expect(r.ms.run).toBeGreaterThanOrEqual(HOLD / 2);
      expect(r.ms.run).toBeLessThan(HOLD + HOLD / 2);
    }
    // The held minutes went somewhere: into waiting, for the files decoded (or queued) during a run.
    expect(items.filter((r) => r.ms.wait! >= HOLD).length).toBeGreaterThan(0);
    // The CSV carries every timing column.
    const rows = parseCsv(await readFile(join(output, 'results.csv'), 'utf8'));
    expect(Object.keys(rows[0])).toEqual(
      expect.arrayContaining(['decode_ms', 'preprocess_ms', 'run_ms', 'post_ms', 'write_ms', 'wait_ms']),
    );
    expect(Number(rows[0].decode_ms)).toBeLessThan(HOLD / 2);
    // The job's speed is over its running time, in the same clock.
    expect(summary.imagesPerSecond).toBeCloseTo(6 / (summary.elapsedMs / 1000), 1);
  });

  it('lists the failures of earlier runs after a resume', async () => {
    const input = join(dir, 'resume-in');
    const output = join(dir, 'resume-out');
    await imageFolder(input, 3);
    await writeFile(join(input, 'broken-1.jpg'), 'not a picture');
    await writeFile(join(input, 'broken-2.jpg'), '');
    const runs = { count: 0 };
    const sessions = heldSessions({ advance: () => {} }, runs);
    const first = await runBatchJob(classifierJob(model, input, output), { sessions });
    expect(first).toMatchObject({ ok: 3, failed: 2 });
    await writeFile(join(input, 'broken-3.jpg'), 'still not a picture');
    await imageFolder(join(input, 'more'), 1);
    const events: BatchProgress[] = [];
    const second = await runBatchJob(classifierJob(model, input, output), {
      sessions,
      onProgress: (p) => events.push(p),
      progressIntervalMs: 0,
    });
    expect(second).toMatchObject({ state: 'finished', ok: 4, failed: 3, skipped: 5, processed: 2 });
    expect(second.failures.map((f) => f.file).sort()).toEqual(['broken-1.jpg', 'broken-2.jpg', 'broken-3.jpg']);
    expect(second.failures.find((f) => f.file === 'broken-2.jpg')?.error).toMatch(/empty/);
    // From the first event on, not only once the listing reaches them.
    expect(events[0].failures.map((f) => f.file).sort()).toEqual(['broken-1.jpg', 'broken-2.jpg']);
    expect(events.at(-1)).toMatchObject({ done: 7, left: 0, failed: 3 });
  });
});
