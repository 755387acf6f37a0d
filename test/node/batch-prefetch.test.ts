// The start of a batch job. Its first images are decoded while it is planned
// (electron/engine/batch/prefetch.ts): listed and decoded by the decoder's thread, before the session is asked for;
// every file still once, with the same answers; nothing read for a job whose folders are refused;
// nothing decoded ahead for a job that starts paused, or that resumes with every file done. Runs
// take the decoded images in listing order (a queue that keeps them so), and the first run's rows
// are in the results files before the second run starts.
import { readFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { batchJobSchema } from '../../shared/batch';
import type { PreprocessRecipe } from '../../shared/recipe';
import { BoundedQueue, PauseGate } from '../../electron/engine/batch/flow';
import { type BatchRunOptions, runBatchJob } from '../../electron/engine/batch/job';
import { SAMPLING_NICE_STEP } from '../../electron/engine/run/thread-priority';
import { listImages } from '../../electron/engine/batch/listing';
import { jobRecipe } from '../../electron/engine/batch/plan';
import { PREFETCH_BYTES, PREFETCH_IMAGES, prefetchCount } from '../../electron/engine/batch/prefetch';
import { type DecodeOptions, decodeImage } from '../../electron/engine/image/decode';
import type { PrefetchHandler, PrefetchRequest, TimedImage } from '../../electron/engine/image/decode-pool';
import { allocateData, packPixels } from '../../electron/engine/image/pack';
import { channelCount } from '../../shared/recipe';
import { classifierJob, classifierScratch, colorOf, imageFolder, parseCsv } from './batch-fixtures';

const fx = classifierScratch('owb-prefetch-');

let folders = 0;
async function fresh(images: number): Promise<{ input: string; output: string; names: string[] }> {
  const base = join(fx.dir, `job-${++folders}`);
  await mkdir(join(base, 'in'), { recursive: true });
  return { input: join(base, 'in'), output: join(base, 'out'), names: await imageFolder(join(base, 'in'), images) };
}

/**
 * A decoder "thread" that decodes here, packs as the worker does, lists a prefetch's files as the
 * worker does (DecodeWorker.prefetch, tested on the real thread in batch-throughput.test.ts), and
 * counts what it is asked to decode.
 */
function countingDecoder() {
  const asked: string[] = [];
  const decoder = {
    concurrency: 2,
    prefetch(request: Omit<PrefetchRequest, 'prefetch'>, handler: PrefetchHandler) {
      let stop = false;
      void (async () => {
        let n = 0;
        for await (const file of listImages(request.listing)) {
          if (stop || n++ >= request.count) break;
          handler.listed(file);
          decoder.decode(file.path, request.recipe, request.options, true).then(
            (image) => !stop && handler.decoded(file.path, { ok: true, image }),
            (error: Error) => !stop && handler.decoded(file.path, { ok: false, error }),
          );
        }
        handler.end();
      })();
      return () => {
        stop = true;
      };
    },
    async decode(path: string, recipe: PreprocessRecipe, options: DecodeOptions, pack = false): Promise<TimedImage> {
      asked.push(path);
      const image = await decodeImage(path, recipe, options);
      if (!pack) return image;
      const { tensorWidth: w, tensorHeight: h } = image.transform;
      const packed = allocateData(recipe.dtype, w * h * channelCount(recipe));
      packPixels(image.pixels, image.channels, w, h, recipe, packed, 0);
      return { ...image, pixels: new Uint8Array(0), packed };
    },
  };
  return { decoder, asked };
}

/** The session cache, noting how many images had been asked of the decoder when the job asked for its session. */
function watchedSessions(asked: string[]) {
  const seen: number[] = [];
  const sessions: BatchRunOptions['sessions'] = {
    get: (path, options) => {
      seen.push(asked.length);
      return fx.sessions.get(path, options);
    },
  };
  return { sessions, seen };
}

describe('the first images, decoded while the job is planned', () => {
  it('decodes as many as fit in its bytes, at most PREFETCH_IMAGES, one at least', () => {
    const recipe = jobRecipe(batchJobSchema.parse(classifierJob(fx.model, join(fx.dir, 'in'), join(fx.dir, 'out'))))!;
    const at = (width: number, height: number, dtype: PreprocessRecipe['dtype'] = 'float32') =>
      prefetchCount({ ...recipe, dtype, resize: { ...recipe.resize, width, height } });
    expect(at(224, 224)).toBe(Math.min(PREFETCH_IMAGES, Math.floor(PREFETCH_BYTES / (224 * 224 * 3 * 4))));
    expect(at(640, 640)).toBe(Math.floor(PREFETCH_BYTES / (640 * 640 * 3 * 4)));
    expect(at(640, 640)).toBeLessThan(PREFETCH_IMAGES);
    expect(at(1024, 1024, 'uint8')).toBe(Math.floor(PREFETCH_BYTES / (1024 * 1024 * 3)));
    expect(at(1024, 1024, 'float16')).toBe(Math.floor(PREFETCH_BYTES / (1024 * 1024 * 3 * 2)));
    expect(at(32, 32)).toBe(PREFETCH_IMAGES);
    expect(at(8192, 8192)).toBe(1);
  });

  it('asks the decoder for them before the session, and takes each file once with the same answers', async () => {
    const { input, output, names } = await fresh(PREFETCH_IMAGES + 14);
    const job = classifierJob(fx.model, input, output, { batchSize: 4 });
    const count = prefetchCount(jobRecipe(batchJobSchema.parse(job))!);
    expect(count).toBeLessThan(names.length);
    const { decoder, asked } = countingDecoder();
    const { sessions, seen } = watchedSessions(asked);
    const lowered: { step: number; sessions: number }[] = [];
    const lowerDecoders = (step: number) => void lowered.push({ step, sessions: seen.length });
    const summary = await runBatchJob(job, { sessions, decoder, lowerDecoders });
    expect(summary).toMatchObject({ state: 'finished', ok: names.length, failed: 0 });
    // The decoders went a step below this thread as the job started, before its session: they take
    // the core the plan and the session leave.
    expect(lowered[0]).toEqual({ step: SAMPLING_NICE_STEP, sessions: 0 });
    // Before the session was asked for, the prefetch (and only it: the job's decoders start after) had asked for its images.
    expect(seen[0]).toBe(count);
    expect([...asked].sort()).toEqual(names.map((n) => join(input, n)).sort());
    const rows = parseCsv(await readFile(join(output, 'results.csv'), 'utf8'));
    expect(rows.map((r) => r.file)).toEqual([...names].sort());
    for (const r of rows) expect(r.top_label).toBe(colorOf(r.file));
  });

  it('a job cancelled while the thread still lists does not wait for it', async () => {
    const { input, output } = await fresh(4);
    const { decoder } = countingDecoder();
    // A thread whose listing never ends (a hung network folder, say).
    const stuck = { ...decoder, prefetch: () => () => {} };
    const controller = new AbortController();
    const sessions: BatchRunOptions['sessions'] = {
      get: async (path, options) => {
        const session = await fx.sessions.get(path, options);
        // The job is waiting for the thread's listing by now: cancel it.
        setTimeout(() => controller.abort(), 50);
        return session;
      },
    };
    const summary = await runBatchJob(classifierJob(fx.model, input, output), {
      sessions,
      decoder: stuck,
      signal: controller.signal,
    });
    expect(summary).toMatchObject({ state: 'cancelled', ok: 0 });
  });

  it('reads nothing for a job whose folders are refused: the plan says why', async () => {
    const { input } = await fresh(5);
    const { decoder, asked } = countingDecoder();
    const job = classifierJob(fx.model, input, join(input, 'results'));
    await expect(runBatchJob(job, { sessions: fx.sessions, decoder })).rejects.toThrow(/inside the input folder/);
    expect(asked).toEqual([]);
  });

  it('decodes nothing ahead for a job started paused, until it is resumed', async () => {
    const { input, output, names } = await fresh(6);
    const { decoder, asked } = countingDecoder();
    const { sessions, seen } = watchedSessions(asked);
    const gate = new PauseGate();
    gate.pause();
    const job = runBatchJob(classifierJob(fx.model, input, output), { sessions, decoder, gate });
    await expect.poll(() => seen.length).toBe(1);
    expect(seen[0]).toBe(0);
    expect(asked).toEqual([]);
    gate.resume();
    expect(await job).toMatchObject({ state: 'finished', ok: names.length });
    expect(asked.length).toBe(names.length);
  });

  it('lets go of what it decoded for files a resumed job had done: nothing is run or written again', async () => {
    const { input, output, names } = await fresh(8);
    const job = classifierJob(fx.model, input, output);
    await runBatchJob(job, { sessions: fx.sessions, decoder: countingDecoder().decoder });
    const journal = await readFile(join(output, '.onnx-workbench', 'journal.jsonl'), 'utf8');
    const { decoder } = countingDecoder();
    const again = await runBatchJob(job, { sessions: fx.sessions, decoder });
    expect(again).toMatchObject({ state: 'finished', ok: names.length, failed: 0 });
    // The journal has the second run's start and end, and no item again.
    const added = (await readFile(join(output, '.onnx-workbench', 'journal.jsonl'), 'utf8')).slice(journal.length);
    expect(added.split('\n').filter((l) => l.includes('"type":"item"'))).toEqual([]);
  });
});

describe('the first results', () => {
  it('a queue given an order hands out the earliest of what it holds, whatever order it was put in', async () => {
    const q = new BoundedQueue<number>(8, (a, b) => a < b);
    for (const n of [3, 1, 4, 0, 2]) await q.put(n);
    expect([q.takeNow(), q.takeNow()]).toEqual([0, 1]);
    await q.put(-1);
    expect([q.takeNow(), q.takeNow(), q.takeNow(), q.takeNow(), q.takeNow()]).toEqual([-1, 2, 3, 4, undefined]);
    // Without one: first in, first out.
    const fifo = new BoundedQueue<number>(8);
    for (const n of [3, 1, 2]) await fifo.put(n);
    expect([fifo.takeNow(), fifo.takeNow(), fifo.takeNow()]).toEqual([3, 1, 2]);
  });

  it('writes the first run’s rows before the second run starts', async () => {
    const { input, output, names } = await fresh(12);
    const { decoder } = countingDecoder();
    const rowsAtRun: number[] = [];
    const batches: number[][] = [];
    const csv = join(output, 'results.csv');
    const sessions: BatchRunOptions['sessions'] = {
      async get(path, options) {
        const cached = await fx.sessions.get(path, options);
        // The session, but each run notes how many rows results.csv had when it started.
        const session = new Proxy(cached.session, {
          get(target, key) {
            if (key !== 'run') return Reflect.get(target, key, target);
            return (feeds: Parameters<typeof target.run>[0]) => {
              const x = Object.values(feeds)[0] as { dims: readonly number[] };
              batches.push([x.dims[0]]);
              let rows = 0;
              try {
                rows = readFileSync(csv, 'utf8').split('\n').filter(Boolean).length - 1;
              } catch {
                rows = -1;
              }
              rowsAtRun.push(rows);
              return target.run(feeds);
            };
          },
        });
        return { ...cached, session };
      },
    };
    const summary = await runBatchJob(classifierJob(fx.model, input, output, { batchSize: 4 }), { sessions, decoder });
    expect(summary).toMatchObject({ state: 'finished', ok: names.length });
    expect(batches.length).toBeGreaterThanOrEqual(2);
    // When the second run started, every row of the first was in the file.
    expect(rowsAtRun[1]).toBe(batches[0][0]);
    const rows = parseCsv(await readFile(csv, 'utf8'));
    expect(rows.map((r) => r.file)).toEqual([...names].sort());
  });
});
