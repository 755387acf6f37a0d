// The model's threads in a batch job (electron/engine/batch/threads.ts): measured over its first
// runs, a model that takes less of the CPU than its images' decoding gets fewer threads (said in
// the summary), one that takes most keeps them, and a job whose user chose the threads keeps
// theirs; the decoding threads run below the model's (electron/engine/run/thread-priority.ts).
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { SessionOptions } from '../../shared/run';
import { runBatchJob } from '../../electron/engine/batch/job';
import {
  FIRST_RUN_DECODES,
  SAMPLE_DECODES,
  SAMPLE_IMAGES,
  chooseModelThreads,
  sampleCosts,
} from '../../electron/engine/batch/threads';
import { decodeImage } from '../../electron/engine/image/decode';
import { readJournal } from '../../electron/engine/batch/journal';
import {
  DECODE_NICE_STEP,
  SAMPLING_NICE_STEP,
  lowerOtherThreads,
  threadIds,
  threadsCpuMs,
  threadsStartedBy,
} from '../../electron/engine/run/thread-priority';
import { classifierJob, classifierScratch, imageFolder } from './batch-fixtures';

describe('how many threads the model keeps', () => {
  const sample = { runMs: 240, images: 32, decoded: 32, threads: 2, cores: 2 };

  it('gives a model that takes less CPU than the decoding one thread of two', () => {
    // 32 images: the model's threads took 300 CPU ms (9.4 per image), the process 800.
    expect(chooseModelThreads({ ...sample, cpuMs: 800, modelCpuMs: 300 })).toBe(1);
    expect(sampleCosts({ ...sample, cpuMs: 800, modelCpuMs: 300 })).toEqual({ inferenceMs: 9.375, otherMs: 15.625 });
  });

  it('keeps every thread for a model that takes most of the CPU', () => {
    expect(chooseModelThreads({ ...sample, cpuMs: 4000, modelCpuMs: 3600 })).toBe(2);
  });

  it('counts a run as its wall time × its threads where the threads’ own CPU time is not known', () => {
    // 240 ms × 2 threads = 480 of 1200: 15 ms per image against 22.5 for the rest.
    expect(sampleCosts({ ...sample, cpuMs: 1200 })).toEqual({ inferenceMs: 15, otherMs: 22.5 });
    expect(chooseModelThreads({ ...sample, cpuMs: 1200 })).toBe(1);
  });

  it('shares many cores by the work, never more threads than the model had, never none', () => {
    expect(chooseModelThreads({ ...sample, threads: 8, cores: 8, cpuMs: 1000, modelCpuMs: 500 })).toBe(4);
    expect(chooseModelThreads({ ...sample, threads: 4, cores: 8, cpuMs: 1000, modelCpuMs: 990 })).toBe(4);
    expect(chooseModelThreads({ ...sample, cpuMs: 10_000, modelCpuMs: 1 })).toBe(1);
    // Nothing measured, one thread already, one core: as it was.
    expect(chooseModelThreads({ ...sample, images: 0, cpuMs: 800, modelCpuMs: 300 })).toBe(2);
    expect(chooseModelThreads({ ...sample, decoded: 0, cpuMs: 800, modelCpuMs: 300 })).toBe(2);
    expect(chooseModelThreads({ ...sample, threads: 1, cpuMs: 800, modelCpuMs: 300 })).toBe(1);
    expect(chooseModelThreads({ ...sample, cores: 1, cpuMs: 800, modelCpuMs: 300 })).toBe(2);
  });
});

describe('a batch job measures its first runs', () => {
  const fx = classifierScratch('owb-threads-');

  /** A job on a 2-core machine whose CPU clock says the model took `modelShare` of what the process used. */
  async function job(
    name: string,
    modelShare: number,
    options: Partial<SessionOptions> = {},
    /** The decoder thread's count of finished images, read before and after the first run (none: no count). */
    finished?: () => number,
    batchSize: number | 'auto' = 4,
    /** Each run waits this long first (a model slower than its decoding: the decoded images pile up). */
    slowRunMs = 0,
  ) {
    const input = join(fx.dir, name, 'in');
    await mkdir(input, { recursive: true });
    await imageFolder(input, SAMPLE_IMAGES + 16);
    const asked: SessionOptions[] = [];
    const lowered: number[] = [];
    // 1.8 cores busy while the job runs; the model's threads take their share of it.
    const t0 = performance.now();
    const cpu = () => (performance.now() - t0) * 1.8;
    const summary = await runBatchJob(classifierJob(fx.model, input, join(fx.dir, name, 'out'), { batchSize, options }), {
      sessions: {
        get: async (path, o) => {
          asked.push(o);
          const cached = await fx.sessions.get(path, o);
          if (!slowRunMs) return cached;
          const session = new Proxy(cached.session, {
            get(target, key) {
              if (key !== 'run') return Reflect.get(target, key, target);
              return async (feeds: Parameters<typeof target.run>[0]) => {
                await new Promise((resolve) => setTimeout(resolve, slowRunMs));
                return target.run(feeds);
              };
            },
          });
          return { ...cached, session };
        },
      },
      progressIntervalMs: 0,
      cpuMs: cpu,
      modelCpuMs: () => cpu() * modelShare,
      lowerDecoders: (step) => void lowered.push(step),
      plan: { limits: { cpus: null, memoryBytes: null }, cpus: { usable: 2, host: 2 } },
      ...(finished ? { decoder: { concurrency: 2, decode: decodeImage, finished } } : {}),
    });
    // The images of each run, from the journal's records of runs started.
    const runs: number[] = [];
    for await (const r of readJournal(join(fx.dir, name, 'out', '.onnx-workbench', 'journal.jsonl')))
      if (r.type === 'started') runs.push(r.files.length);
    return { summary, asked, lowered, runs };
  }

  it('gives a model lighter than its decoding one thread from then on, and says so in the summary', async () => {
    const { summary, asked, lowered } = await job('light', 0.2);
    expect(summary).toMatchObject({ state: 'finished', ok: SAMPLE_IMAGES + 16, failed: 0 });
    expect(asked.map((o) => o.intraOpThreads)).toEqual([undefined, 1]);
    // "From" is the pool onnxruntime really started (its default: the physical cores), not the job's cores.
    const pool = Math.min(2, (await fx.sessions.get(fx.model, asked[0])).threads.length + 1);
    expect(summary.modelThreads).toMatchObject({ from: pool, to: 1 });
    expect(summary.modelThreads!.after).toBeGreaterThanOrEqual(SAMPLE_IMAGES);
    expect(summary.modelThreads!.inferenceMs).toBeLessThan(summary.modelThreads!.otherMs);
    // The decoding threads went a step below the model's when the session was ready (they still
    // finish images during a run for the sample to count), and to the lowest once it decided.
    expect(lowered).toEqual([SAMPLING_NICE_STEP, DECODE_NICE_STEP]);
  });

  it('decides nothing while decoded images wait for the model: it is the slower stage, whatever the CPU split says', async () => {
    // The CPU clock says "light" (the model takes a fifth), but each run waits long enough for the
    // decoders to fill the queue: no run ends without a run's worth of images waiting.
    let reads = 0;
    const finished = () => 8 * reads++;
    const { summary, asked } = await job('backlog', 0.2, {}, finished, 4, 60);
    expect(summary).toMatchObject({ state: 'finished', ok: SAMPLE_IMAGES + 16, failed: 0 });
    expect(asked.map((o) => o.intraOpThreads)).toEqual([undefined]);
    expect(summary.modelThreads).toBeUndefined();
  });

  it('decides after the first run from what the decoders cost before it, while the session was made', async () => {
    // The first images finish before the first run (the prefetch), none during the runs (at every
    // core the model leaves the decoders nothing): their cost is known from before, and the first
    // run decides, although the images decoded ahead still wait.
    let reads = 0;
    const finished = () => (reads++ === 0 ? 0 : SAMPLE_DECODES + 8);
    const light = await job('before-first', 0.2, {}, finished, 'auto');
    expect(light.asked.map((o) => o.intraOpThreads)).toEqual([undefined, 1]);
    expect(light.summary.modelThreads!.after).toBeLessThanOrEqual(8);
    expect(light.summary.modelThreads!.after).toBe(light.runs[0]);
    reads = 0;
    const heavy = await job('before-first-heavy', 0.95, {}, finished, 'auto');
    expect(heavy.asked.map((o) => o.intraOpThreads)).toEqual([undefined]);
    expect(heavy.summary.modelThreads).toBeUndefined();
  });

  it('keeps sampling while the decoders finished too few images for their share of the CPU to be told', async () => {
    // Half the CPU is the model's, but one image finishes per reading: what the other half did is
    // mostly images still in flight, and charged to the few finished it would call the model light.
    let reads = 0;
    const { summary, asked } = await job('few-decoded', 0.5, {}, () => reads++);
    expect(summary).toMatchObject({ state: 'finished', ok: SAMPLE_IMAGES + 16, failed: 0 });
    expect(asked.map((o) => o.intraOpThreads)).toEqual([undefined]);
    expect(summary.modelThreads).toBeUndefined();
  });

  it('keeps every thread for a model that takes most of the CPU', async () => {
    const { summary, asked, lowered } = await job('heavy', 0.95);
    expect(summary.state).toBe('finished');
    expect(asked.map((o) => o.intraOpThreads)).toEqual([undefined]);
    expect(summary.modelThreads).toBeUndefined();
    // Kept after the sample: settled all the same.
    expect(lowered).toEqual([SAMPLING_NICE_STEP, DECODE_NICE_STEP]);
  });

  it('decides after the first run when the decoder thread finished enough images during it', async () => {
    // Each reading of the count is FIRST_RUN_DECODES more than the last: the first run saw that many finish.
    let reads = 0;
    const { summary, asked } = await job('first-run', 0.01, {}, () => FIRST_RUN_DECODES * reads++);
    expect(asked.map((o) => o.intraOpThreads)).toEqual([undefined, 1]);
    // After the first run (at most one batch of 4), not after the sample of the runs that follow.
    expect(summary.modelThreads!.after).toBeGreaterThan(0);
    expect(summary.modelThreads!.after).toBeLessThanOrEqual(4);
    expect(summary.modelThreads!.after).toBeLessThan(SAMPLE_IMAGES);
  });

  it('leaves it to the runs after the first when the decoder finished too few during it', async () => {
    // At the job's start and before the first run 0, after it too few; then a run's worth between each of the runs after.
    let reads = 0;
    const finished = () => (reads++ <= 1 ? 0 : FIRST_RUN_DECODES - 1 + 8 * (reads - 3));
    const { summary, asked } = await job('first-run-short', 0.2, {}, finished);
    expect(asked.map((o) => o.intraOpThreads)).toEqual([undefined, 1]);
    expect(summary.modelThreads!.after).toBeGreaterThanOrEqual(SAMPLE_IMAGES);
  });

  it('keeps the threads after the first run for a model heavier than its decoding, and after the next', async () => {
    let reads = 0;
    const { summary, asked } = await job('first-run-heavy', 0.95, {}, () => FIRST_RUN_DECODES * reads++);
    expect(asked.map((o) => o.intraOpThreads)).toEqual([undefined]);
    expect(summary.modelThreads).toBeUndefined();
  });

  it('runs a light model in smaller runs from then on, where the batch size was the job’s to choose', async () => {
    const { summary, runs } = await job('light-auto', 0.2, {}, undefined, 'auto');
    expect(summary).toMatchObject({ state: 'finished', ok: SAMPLE_IMAGES + 16 });
    expect(summary.modelThreads).toMatchObject({ to: 1, batchSize: 4 });
    // The runs before the switch took up to the plan's 8 images, the ones after at most 4.
    const after = summary.modelThreads!.after;
    let seen = 0;
    const later: number[] = [];
    for (const n of runs) {
      if (seen >= after) later.push(n);
      seen += n;
    }
    expect(Math.max(...runs.slice(0, runs.length - later.length))).toBe(8);
    expect(later.length).toBeGreaterThan(0);
    expect(Math.max(...later)).toBeLessThanOrEqual(4);
    // A batch size the user chose stays.
    expect((await job('light-chosen', 0.2)).summary.modelThreads).not.toHaveProperty('batchSize');
  });

  it('keeps the threads the user chose', async () => {
    const { summary, asked, lowered } = await job('chosen', 0.2, { intraOpThreads: 2 });
    expect(asked.map((o) => o.intraOpThreads)).toEqual([2]);
    expect(summary.modelThreads).toBeUndefined();
    // Nothing to sample: the decoders go to the lowest at once.
    expect(lowered).toEqual([DECODE_NICE_STEP]);
  });
});

/** A thread's nice value, from /proc (the fields after the name in parentheses). */
function niceOf(tid: number): number {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

describe.runIf(process.platform === 'linux')('thread priorities on Linux', () => {
  it('tells the threads a call started, puts the others but this one and those below it, and counts threads’ CPU time', async () => {
    const started = (code: string) =>
      new Promise<Worker>((resolve) => {
        const w = new Worker(code, { eval: true });
        w.once('online', () => resolve(w));
      });
    const keep = await threadsStartedBy(() => started('setInterval(() => {}, 1000)'));
    const other = await threadsStartedBy(() => started('setInterval(() => {}, 1000)'));
    try {
      expect(keep.threads.length).toBeGreaterThanOrEqual(1);
      expect(other.threads.length).toBeGreaterThanOrEqual(1);
      expect(keep.threads.some((t) => other.threads.includes(t))).toBe(false);
      const own = niceOf(process.pid);
      const lowered = lowerOtherThreads(keep.threads);
      expect(lowered).toBeGreaterThanOrEqual(other.threads.length);
      expect(niceOf(process.pid)).toBe(own);
      for (const t of keep.threads) expect(niceOf(t)).toBe(own);
      for (const t of other.threads) expect(niceOf(t)).toBe(Math.min(19, own + DECODE_NICE_STEP));
      // Already lower: nothing more to do.
      expect(lowerOtherThreads(keep.threads)).toBe(0);
      expect(threadIds()).toContain(process.pid);
      const before = threadsCpuMs([process.pid])!;
      const end = performance.now() + 50;
      while (performance.now() < end);
      expect(threadsCpuMs([process.pid])! - before).toBeGreaterThanOrEqual(25);
    } finally {
      await keep.value.terminate();
      await other.value.terminate();
    }
  });
});
