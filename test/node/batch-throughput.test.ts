// What makes a batch job fast without changing what it writes: results.csv/jsonl written as the
// job goes (in listing order, every file once, the same bytes as a rebuild from the journal),
// the session made while the first images decode (a model that does not load records nothing),
// decoding on a thread of its own, the progress fields (CPU per image, the cores' bound, the
// limiting stage), the CLI's words for them, and an idle engine let go at once.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { BatchItemRecord, BatchProgress } from '../../shared/batch';
import { describeSpeed } from '../../shared/batch';
import type { PreprocessRecipe } from '../../shared/recipe';
import { memoryPortPair } from '../../shared/rpc/port';
import { serveRpc } from '../../shared/rpc/server';
import { progressLine } from '../../electron/cli/progress-lines';
import { runBatchJob, type BatchRunOptions } from '../../electron/engine/batch/job';
import { latestItems, readJournal } from '../../electron/engine/batch/journal';
import { LiveResults } from '../../electron/engine/batch/live-results';
import { writeJobFiles } from '../../electron/engine/batch/outputs';
import { ProgressTracker } from '../../electron/engine/batch/progress';
import { decodeImage } from '../../electron/engine/image/decode';
import { DecodeWorker, type TimedImage } from '../../electron/engine/image/decode-pool';
import { allocateData, packPixels } from '../../electron/engine/image/pack';
import { parseRecipe } from '../../electron/engine/image/preprocess';
import { type SessionCache } from '../../electron/engine/run/session-cache';
import { workerUrl } from '../../electron/engine/worker-url';
import { EngineClient, type EngineProcess } from '../../electron/node/engine-client';
import { ROOT } from '../helpers';
import { RECIPE, classifierJob, classifierScratch, imageFolder, parseCsv } from './batch-fixtures';

const fx = classifierScratch('owb-throughput-');

let folders = 0;
async function fresh(name: string, images = 0): Promise<{ input: string; output: string; names: string[] }> {
  const base = join(fx.dir, `${name}-${++folders}`);
  await mkdir(join(base, 'in'), { recursive: true });
  const names = images ? await imageFolder(join(base, 'in'), images) : [];
  return { input: join(base, 'in'), output: join(base, 'out'), names };
}

const run = (input: string, output: string, extra: Partial<BatchRunOptions> = {}) =>
  runBatchJob(classifierJob(fx.model, input, output, { batchSize: 4 }), {
    sessions: fx.sessions,
    progressIntervalMs: 0,
    ...extra,
  });

const record = (file: string): BatchItemRecord => ({
  type: 'item',
  file,
  status: 'ok',
  ms: { decode: 1, run: 2, post: 3 },
  key: 'k',
  at: '2026-01-01T00:00:00.000Z',
});

async function journalItems(output: string): Promise<BatchItemRecord[]> {
  const items: BatchItemRecord[] = [];
  for await (const r of readJournal(join(output, '.onnx-workbench', 'journal.jsonl'))) if (r.type === 'item') items.push(r);
  return items;
}

describe('results files written as the job goes', () => {
  it('puts each row out once every file listed before it has one: sorted, every file once', async () => {
    const folder = join(fx.dir, 'live-unit');
    await mkdir(folder, { recursive: true });
    const live = new LiveResults();
    for (const f of ['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg']) live.take(f);
    await live.open(folder, ['csv', 'jsonl']);
    live.add(record('c.jpg'));
    live.add(record('a.jpg'));
    await live.settle();
    // c waits for b; a has no file before it.
    expect(
      (await readFile(join(folder, 'results.jsonl'), 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).file),
    ).toEqual(['a.jpg']);
    live.add(record('d.jpg'));
    live.add(record('b.jpg'));
    live.add(record('b.jpg')); // settled already: not written twice
    expect(await live.close()).toBe(true);
    const rows = parseCsv(await readFile(join(folder, 'results.csv'), 'utf8'));
    expect(rows.map((r) => r.file)).toEqual(['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg']);
  });

  it('writes the rows after a file that never settled when it closes, and says when the listing order was not the sort order', async () => {
    const folder = join(fx.dir, 'live-gap');
    await mkdir(folder, { recursive: true });
    const live = new LiveResults();
    for (const f of ['a.jpg', 'b.jpg', 'c.jpg']) live.take(f);
    await live.open(folder, ['csv']);
    live.add(record('c.jpg'));
    live.add(record('a.jpg'));
    expect(await live.close()).toBe(true); // b never came (the job stopped): a and c, in order
    expect(parseCsv(await readFile(join(folder, 'results.csv'), 'utf8')).map((r) => r.file)).toEqual(['a.jpg', 'c.jpg']);

    const other = new LiveResults();
    other.take('z.jpg');
    other.take('a.jpg');
    await other.open(folder, ['jsonl']);
    other.add(record('z.jpg'));
    other.add(record('a.jpg'));
    expect(await other.close()).toBe(false);
  });

  it('fills results.csv while the job runs, and ends with the bytes a rebuild from the journal gives', async () => {
    const { input, output } = await fresh('live-job', 24);
    let rowsSeenMidJob = -1;
    let calls = 0;
    const decode: typeof decodeImage = async (path, recipe, options) => {
      calls += 1;
      // The 20th image waits (at most 20 s) until rows are in results.csv: they come before the job ends.
      if (calls === 20) {
        for (let i = 0; i < 1000 && rowsSeenMidJob <= 0; i++) {
          const text = await readFile(join(output, 'results.csv'), 'utf8').catch(() => '');
          rowsSeenMidJob = Math.max(0, text.split('\r\n').filter(Boolean).length - 1);
          if (rowsSeenMidJob <= 0) await new Promise((r) => setTimeout(r, 20));
        }
      }
      return decodeImage(path, recipe, options);
    };
    const summary = await run(input, output, { decode });
    expect(summary).toMatchObject({ state: 'finished', ok: 24, written: ['results.csv', 'results.jsonl'] });
    expect(rowsSeenMidJob).toBeGreaterThan(0);
    expect(rowsSeenMidJob).toBeLessThan(24);
    const key = (await journalItems(output))[0].key;
    const rebuilt = join(fx.dir, 'rebuilt');
    await mkdir(rebuilt, { recursive: true });
    await writeJobFiles(rebuilt, latestItems(join(output, '.onnx-workbench', 'journal.jsonl'), key), ['csv', 'jsonl'], rebuilt);
    for (const name of ['results.csv', 'results.jsonl'])
      expect(await readFile(join(output, name), 'utf8')).toBe(await readFile(join(rebuilt, name), 'utf8'));
  });

  it('a cancelled job leaves the rows it finished, sorted; run again, every file is there exactly once', async () => {
    const { input, output, names } = await fresh('live-cancel', 30);
    const controller = new AbortController();
    let decoded = 0;
    const decode: typeof decodeImage = async (path, recipe, options) => {
      if (++decoded === 12) controller.abort();
      return decodeImage(path, recipe, options);
    };
    const first = await run(input, output, { decode, signal: controller.signal });
    expect(first.state).toBe('cancelled');
    const partial = parseCsv(await readFile(join(output, 'results.csv'), 'utf8')).map((r) => r.file);
    expect(partial.length).toBe(first.done);
    expect(partial).toEqual([...partial].sort());
    const second = await run(input, output);
    expect(second).toMatchObject({ state: 'finished', ok: 30 });
    expect(parseCsv(await readFile(join(output, 'results.csv'), 'utf8')).map((r) => r.file)).toEqual([...names].sort());
    const jsonl = (await readFile(join(output, 'results.jsonl'), 'utf8')).split('\n').filter(Boolean);
    expect(jsonl.map((l) => JSON.parse(l).file)).toEqual([...names].sort());
  });
});

describe('the session is made while the first images decode', () => {
  it('decodes before the session is ready, and runs every image once it is', async () => {
    const { input, output } = await fresh('overlap', 12);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let decodedBeforeReady = 0;
    let ready = false;
    const slowSessions: Pick<SessionCache, 'get'> = {
      get: async (path, options) => {
        await gate;
        ready = true;
        return fx.sessions.get(path, options);
      },
    };
    const decode: typeof decodeImage = async (path, recipe, options) => {
      const image = await decodeImage(path, recipe, options);
      if (!ready) decodedBeforeReady += 1;
      // The session comes once a few images are decoded.
      if (decodedBeforeReady === 3) release();
      return image;
    };
    const summary = await runBatchJob(classifierJob(fx.model, input, output), {
      sessions: slowSessions,
      decode,
      progressIntervalMs: 0,
    });
    expect(decodedBeforeReady).toBeGreaterThanOrEqual(3);
    expect(summary).toMatchObject({ state: 'finished', ok: 12, failed: 0 });
  });

  it('a model that does not load fails the job and records nothing, not even the images that could not be decoded', async () => {
    const { input, output } = await fresh('no-session', 3);
    await writeFile(join(input, 'broken.jpg'), 'not a picture');
    let decodes = 0;
    const failing: Pick<SessionCache, 'get'> = {
      get: async () => {
        // Every image has been tried by then.
        while (decodes < 4) await new Promise((r) => setTimeout(r, 5));
        throw new Error('the model could not be loaded');
      },
    };
    const decode: typeof decodeImage = async (path, recipe, options) => {
      decodes += 1;
      return decodeImage(path, recipe, options);
    };
    await expect(runBatchJob(classifierJob(fx.model, input, output), { sessions: failing, decode })).rejects.toThrow(
      'the model could not be loaded',
    );
    expect(await journalItems(output)).toEqual([]);
  });
});

describe('decoding on a thread of its own', () => {
  const entry = workerUrl(
    pathToFileURL(join(ROOT, 'electron/engine/main.ts')).href,
    'decode-worker.js',
    './image/decode-worker.ts',
  );

  it('gives the pixels, size and transform decodeImage gives, and the same errors naming the file', async () => {
    const { input, names } = await fresh('worker', 4);
    const recipe = parseRecipe(RECIPE);
    const worker = new DecodeWorker(entry, 2);
    try {
      expect(await worker.started()).toBe(true);
      const got = await Promise.all(names.map((n) => worker.decode(join(input, n), recipe)));
      for (const [k, n] of names.entries()) {
        const want = await decodeImage(join(input, n), recipe);
        expect(Buffer.from(got[k].pixels).equals(Buffer.from(want.pixels))).toBe(true);
        expect(got[k]).toMatchObject({ channels: want.channels, transform: want.transform, original: want.original, label: n });
        expect(got[k].ms).toBeGreaterThanOrEqual(0);
      }
      await writeFile(join(input, 'broken.jpg'), 'not a picture');
      await expect(worker.decode(join(input, 'broken.jpg'), recipe)).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringContaining('broken.jpg'),
      });
    } finally {
      await worker.close();
    }
  });

  it('packs on the thread the tensor values packPixels makes, for the recipe of each request', async () => {
    const { input, names } = await fresh('worker-pack', 3);
    const a = parseRecipe(RECIPE);
    // Another recipe between requests of the first: the thread keeps the last one it was sent.
    const b = parseRecipe({ ...RECIPE, channels: 'BGR', mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], dtype: 'float16' });
    const worker = new DecodeWorker(entry, 2);
    try {
      expect(await worker.started()).toBe(true);
      // What decodeImage and packPixels make on this thread.
      const packedHere = async (path: string, r: PreprocessRecipe) => {
        const want = await decodeImage(path, r);
        const { tensorWidth: w, tensorHeight: h } = want.transform;
        const values = allocateData(r.dtype, w * h * 3);
        packPixels(want.pixels, want.channels, w, h, r, values, 0);
        return { values, transform: want.transform };
      };
      const order = [a, a, b, b, a];
      const got = await Promise.all(order.map((r, k) => worker.decode(join(input, names[k % names.length]), r, {}, true)));
      for (const [k, r] of order.entries()) {
        const want = await packedHere(join(input, names[k % names.length]), r);
        const { values } = want;
        expect(got[k].packed?.constructor).toBe(values.constructor);
        expect([...got[k].packed!]).toEqual([...values]);
        expect(got[k].pixels.length).toBe(0);
        expect(got[k].transform).toEqual(want.transform);
      }
      // Buffers given back are packed into again (moved: the engine's views of them are emptied).
      for (const g of got) worker.recycle(g.packed!);
      expect(got[0].packed!.length).toBe(0);
      const again = await Promise.all(names.map((n) => worker.decode(join(input, n), a, {}, true)));
      for (const [k, n] of names.entries())
        expect([...again[k].packed!]).toEqual([...(await packedHere(join(input, n), a)).values]);
    } finally {
      await worker.close();
    }
  });

  it('lists and decodes a job’s first files on the thread: in the listing’s order, packed as asked, then says it is done', async () => {
    const { input, names } = await fresh('worker-prefetch', 6);
    // Not listed: another type, a hidden file, a folder the job skips.
    await writeFile(join(input, 'notes.txt'), 'not an image');
    await writeFile(join(input, '.hidden.jpg'), 'hidden');
    await mkdir(join(input, 'skipped'));
    await writeFile(join(input, 'skipped', 'a.jpg'), 'skipped');
    const recipe = parseRecipe(RECIPE);
    const worker = new DecodeWorker(entry, 2);
    const heard: string[] = [];
    const images = new Map<string, TimedImage>();
    let end!: () => void;
    const ended = new Promise<void>((resolve) => (end = resolve));
    try {
      const listing = {
        folder: input,
        recursive: true,
        include: [],
        exclude: [],
        types: ['jpg', 'png'],
        skipDirs: [join(input, 'skipped')],
      };
      const cancel = worker.prefetch(
        { listing, count: 4, recipe, options: {} },
        {
          listed: (file) => heard.push(`listed ${file.path}`),
          decoded: (path, result) => {
            heard.push(`decoded ${path}`);
            if (result.ok) images.set(path, result.image);
          },
          end: () => {
            heard.push('end');
            end();
          },
          stopped: () => heard.push('stopped'),
        },
      );
      expect(cancel).toBeTypeOf('function');
      await ended;
      await expect.poll(() => images.size).toBe(4);
      const first = [...names]
        .sort()
        .slice(0, 4)
        .map((n) => join(input, n));
      expect(heard.filter((h) => h.startsWith('listed '))).toEqual(first.map((p) => `listed ${p}`));
      // Each file is told of as listed before its image comes; the listing ends after the count.
      for (const p of first) expect(heard.indexOf(`listed ${p}`)).toBeLessThan(heard.indexOf(`decoded ${p}`));
      expect(heard.indexOf('end')).toBeGreaterThan(heard.indexOf(`listed ${first[3]}`));
      for (const p of first) {
        const want = await worker.decode(p, recipe, {}, true);
        expect([...images.get(p)!.packed!]).toEqual([...want.packed!]);
        expect(images.get(p)!.transform).toEqual(want.transform);
      }
      // Cancelled at once: nothing of it is heard here, and the thread drops what it had queued
      // (at most the 2 it was decoding still finish), for the 6 files it was asked for.
      const finished = worker.finished();
      const late: string[] = [];
      const note = (what: string) => () => late.push(what);
      const again = worker.prefetch(
        { listing, count: 6, recipe, options: {} },
        { listed: note('listed'), decoded: note('decoded'), end: note('end'), stopped: note('stopped') },
      );
      again!();
      await worker.decode(first[0], recipe);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(late).toEqual([]);
      expect(worker.finished() - finished).toBeLessThanOrEqual(3);
    } finally {
      await worker.close();
    }
  });

  it('a prefetch hears that the thread stopped, and none is made where no thread can start', async () => {
    const { input } = await fresh('worker-prefetch-stop', 2);
    const recipe = parseRecipe(RECIPE);
    const listing = { folder: input, recursive: false, include: [], exclude: [], types: ['jpg', 'png'] };
    const worker = new DecodeWorker(entry, 2);
    expect(await worker.started()).toBe(true);
    const stopped: string[] = [];
    const handler = { listed: () => {}, decoded: () => {}, end: () => {}, stopped: (e: Error) => stopped.push(e.message) };
    worker.prefetch({ listing, count: 2, recipe, options: {} }, handler);
    await worker.close();
    expect(stopped).toEqual([expect.stringContaining('The image decoder stopped')]);
    const none = new DecodeWorker(pathToFileURL(join(fx.dir, 'missing-worker.js')), 2);
    expect(await none.started()).toBe(false);
    expect(none.prefetch({ listing, count: 2, recipe, options: {} }, handler)).toBeNull();
  });

  it('decodes in place when no thread can start', async () => {
    const { input, names } = await fresh('no-worker', 2);
    const recipe = parseRecipe(RECIPE);
    const worker = new DecodeWorker(pathToFileURL(join(fx.dir, 'missing-worker.js')), 2);
    expect(await worker.started()).toBe(false);
    for (const n of names) {
      const got = await worker.decode(join(input, n), recipe);
      expect(Buffer.from(got.pixels).equals(Buffer.from((await decodeImage(join(input, n), recipe)).pixels))).toBe(true);
    }
    // Counted here as they finish.
    expect(worker.finished()).toBe(names.length);
  });

  it('counts the images the thread finishes while this thread is held, as a run holds it', async () => {
    const { input, names } = await fresh('worker-count', 4);
    const recipe = parseRecipe(RECIPE);
    const worker = new DecodeWorker(entry, 2);
    try {
      expect(await worker.started()).toBe(true);
      const decodes = names.map((n) => worker.decode(join(input, n), recipe, {}, true));
      // No reply can reach this thread while it spins (as during a run), yet the count moves;
      // the spin ends as soon as every image is counted (the deadline only keeps a broken count from hanging).
      const deadline = Date.now() + 20_000;
      while (worker.finished() < names.length && Date.now() < deadline);
      expect(worker.finished()).toBe(names.length);
      expect((await Promise.all(decodes)).every((d) => d.packed !== undefined)).toBe(true);
      expect(worker.finished()).toBe(names.length);
    } finally {
      await worker.close();
    }
  });

  it('runs a whole job through the thread: every image once, the same answers', async () => {
    const { input, output, names } = await fresh('worker-job', 10);
    const worker = new DecodeWorker(entry, 2);
    try {
      expect(await worker.started()).toBe(true);
      const summary = await run(input, output, { decoder: worker });
      expect(summary).toMatchObject({ state: 'finished', ok: 10 });
      // Each image finished once on the thread, those decoded ahead of the job's start among them.
      expect(worker.finished()).toBe(10);
      const rows = parseCsv(await readFile(join(output, 'results.csv'), 'utf8'));
      expect(rows.map((r) => r.file)).toEqual([...names].sort());
      expect(rows.every((r) => r.top_label === r.file.split('-')[0])).toBe(true);
    } finally {
      await worker.close();
    }
  });
});

describe('progress: the rate, the bound and the limiting stage', () => {
  function meteredTracker() {
    let t = 0;
    let cpu = 0;
    const waits = { model: 0, decoders: 0 };
    const tracker = new ProgressTracker('j', () => {}, {
      intervalMs: 0,
      clock: () => t,
      meter: { cores: 2, cpuMs: () => cpu, waits: () => waits },
    });
    return {
      tracker,
      step(ms: number, cpuMs: number, wait: Partial<typeof waits> = {}) {
        t += ms;
        cpu += cpuMs;
        waits.model += wait.model ?? 0;
        waits.decoders += wait.decoders ?? 0;
      },
    };
  }
  const brief = (k: number) => ({ file: `f${k}.jpg`, status: 'ok' as const, text: 'ok' });

  it('gives the CPU one image costs over the window and the bound that sets on the cores', () => {
    const { tracker, step } = meteredTracker();
    tracker.setState('running');
    expect(tracker.snapshot()).toMatchObject({ cpuMsPerImage: null, boundImagesPerSecond: null, limitedBy: null });
    tracker.begin();
    // 20 ms apart, 25 CPU ms each (two cores busy 62.5%): 50 img/s of a bound of 80.
    for (let k = 0; k < 10; k++) {
      step(20, 25, { model: 12 });
      tracker.finish(brief(k));
    }
    expect(tracker.snapshot()).toMatchObject({
      imagesPerSecond: 50,
      cpuMsPerImage: 25,
      boundImagesPerSecond: 80,
      limitedBy: 'decode',
    });
  });

  it('says inference when decoded images waited for the model longer than the model for images', () => {
    const { tracker, step } = meteredTracker();
    tracker.setState('running');
    tracker.begin();
    for (let k = 0; k < 5; k++) {
      step(100, 180, { model: 2, decoders: 60 });
      tracker.finish(brief(k));
    }
    expect(tracker.snapshot()).toMatchObject({ limitedBy: 'inference', cpuMsPerImage: 180 });
  });

  it('reaches the CLI as words', () => {
    const p: BatchProgress = {
      jobId: 'j',
      state: 'running',
      done: 120,
      left: 180,
      ok: 120,
      failed: 0,
      skipped: 0,
      processed: 120,
      total: 300,
      imagesPerSecond: 61,
      cpuMsPerImage: 28.5,
      boundImagesPerSecond: 70.2,
      limitedBy: 'decode',
      etaSeconds: 3,
      current: null,
      latest: [],
      failures: [],
    };
    expect(progressLine(p)).toBe('batch: 120/300 done, 0 failed, 61.0 img/s of ~70 possible, decode-bound, about 3 s left');
    expect(describeSpeed({ imagesPerSecond: 4.1, boundImagesPerSecond: null, limitedBy: null })).toBe('4.1 img/s');
  });
});

describe('an idle engine at shutdown', () => {
  /** An engine stand-in: answers ping at once, and batch runs never (a call that stays in flight). */
  function fakeEngine() {
    const counts = { leave: 0, kill: 0 };
    const launch = (): EngineProcess => {
      const [near, far] = memoryPortPair();
      serveRpc(far, async (channel) => (channel === 'engine.ping' ? { ok: true, value: { pid: 1 } } : new Promise(() => {})), {
        maxInFlight: Number.POSITIVE_INFINITY,
        ack: true,
      });
      far.send({ type: 'notice', topic: 'ready', data: { pid: 1 } } as never);
      return {
        pid: 1,
        port: near,
        onExit: () => {},
        kill: () => void (counts.kill += 1),
        leave: () => void (counts.leave += 1),
      };
    };
    return { client: new EngineClient({ launch }), counts };
  }

  it('is let go at once; one with a call in hand gets SIGTERM and its grace', async () => {
    const idle = fakeEngine();
    expect((await idle.client.call('engine.ping', {})).ok).toBe(true);
    idle.client.kill();
    expect(idle.counts).toEqual({ leave: 1, kill: 1 });

    const busy = fakeEngine();
    await busy.client.call('engine.ping', {});
    void busy.client.call('engine.batchRun', { job: {} as never, jobId: 'x' });
    await new Promise((r) => setTimeout(r, 10));
    busy.client.kill();
    expect(busy.counts).toEqual({ leave: 0, kill: 1 });
  });
});
