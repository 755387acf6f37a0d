// Benchmark of batch jobs: the command a user runs against a naive loop, onnxruntime alone and the
// machine's bound; memory over a long job; the event loop of the process that supervises the engine.
// Run: npm run bench:batch [-- --images N] [--memory-images M] [--rounds R] [--quick] [--keep]
// (builds the app first when out/main/cli.js or engine.js is missing; rebuild it after changing app code).
//
// In a temp folder (deleted at the end) it generates:
//   - photos: N JPEGs (default 200), 300–2000 px on the long side, each a picture of its own
//     (gradients, waves, shapes, texture and sensor noise: JPEG decoding costs what content costs);
//   - small: M images (default 10,000; --quick 2,000) for the memory run, 300–640 px, linked from 20 pictures
//     (small, to keep the run short), and N of them for the small-image speed run;
//   - two classifiers with random weights (scripts/bench-models.ts), batch dim symbolic:
//     MobileNetV2-class (~3.5 M parameters, ~0.3 G multiply-adds) and ResNet-50-class (~25.6 M, ~4.1 G).
// Then, per model and per round (rounds interleaved, the order of the measures turned each round,
// medians reported; other processes may load the machine):
//   (a) bare onnxruntime-node over pre-made tensors, batch 1 and 8, in a fresh process: the inference-only limit;
//   (b) a naive loop in a fresh process: sharp decode + resize 224 → float CHW → run, one image at a time;
//   (c) the CLI as a user runs it: `onnx-workbench batch MODEL FOLDER --out DIR --recipe R` (bin/, out/),
//       wall time from spawn to exit less the CLI's own start-up (`onnx-workbench --version`), CPU of the
//       CLI and its engine (GNU time), and the time from spawn to the first data row in results.csv;
//   (d) decoding alone (two at a time), for its CPU cost: with (a)'s CPU cost it gives the 2-core
//       bound = cores × 1000 / (decode CPU ms + inference CPU ms), the best both cores can do;
//   (e) the same job in an engine driven from this process (EngineClient + out/main/engine.js): steady
//       images/s (first result → last), per-stage timings, and this process's event loop meanwhile;
//   and the ResNet-50-class CLI again over N small images, where decoding is nearly free: against (a).
// Intra-op threads: 2 for (a), (b) and (e); (c) lets the app choose, as a user's run does.
// Each measure also records the cores other programs took meanwhile (/proc/stat); a round in which
// they took more than 0.3 cores in some measure is left out of the medians when a quieter one exists.
// Targets (issue 16): MobileNet-class (c) ≥ 1.4 × (b) and ≥ 0.85 × bound; ResNet-50-class (c) ≥ 0.85 ×
// bound, and on small images ≥ 0.85 × (a); first result row < 1.5 s (MobileNet-class).
// Memory: the MobileNet-class job over the small images; the engine's VmRSS sampled every 0.5 s against
// the done count; RSS at image 1,000 vs at the end, target within 100 MB.
// Event loop: perf_hooks.monitorEventLoopDelay in this process during every (e) job; target max ≤ 50 ms.
// Ends with tables and one JSON line (prefixed "bench:batch ") to paste into notes.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { type BatchProgress, type BatchSummary, batchJobSchema } from '../shared/batch';
import { normalizePreset } from '../shared/recipe';
import { type Result } from '../shared/result';
import { CSV_COLUMNS, JOURNAL_FILE, STATE_DIR } from '../electron/engine/batch/outputs';
import { EngineClient, forkLauncher } from '../electron/node/engine-client';
import { writeModelFile } from '../test/fixtures/onnx-builder';
import { type BenchModel, mobileNetClass, resNet50Class } from './bench-models';
import { linkFolder, makePictures, type Picture } from './bench-photo';

const ROOT = join(import.meta.dirname, '..');
const ENGINE = join(ROOT, 'out', 'main', 'engine.js');
const CLI_BUILT = join(ROOT, 'out', 'main', 'cli.js');
const CLI = join(ROOT, 'bin', 'onnx-workbench.js');
const GNU_TIME = '/usr/bin/time';
const THREADS = 2;
/** The bound's cores: what this machine has. */
const CORES = availableParallelism();
const DISTINCT_SMALL = 20;
const TARGET_MOBILENET_VS_NAIVE = 1.4;
const TARGET_VS_BOUND = 0.85;
const TARGET_RESNET_SMALL_VS_BARE = 0.85;
const TARGET_FIRST_ROW_S = 1.5;
const TARGET_RSS_GROWTH_MB = 100;
const TARGET_LOOP_BLOCK_MS = 50;
const RSS_SAMPLE_MS = 500;
/** The memory run compares RSS at this many images with RSS at the end. */
const RSS_FROM = 1000;

interface Args {
  images: number;
  memoryImages: number;
  rounds: number;
  /** Seconds each batch size of (a) runs. */
  bareSeconds: number;
  quick: boolean;
  /** Keep the temp folder (images, models, job outputs) for a closer look. */
  keep: boolean;
}

function parseArgs(argv: string[]): Args {
  const quick = argv.includes('--quick');
  const value = (name: string, fallback: number): number => {
    const i = argv.indexOf(name);
    if (i < 0) return fallback;
    const n = Number(argv[i + 1]);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} needs a positive whole number, got "${argv[i + 1] ?? ''}"`);
    return n;
  };
  return {
    images: value('--images', quick ? 60 : 200),
    memoryImages: value('--memory-images', quick ? 2000 : 10_000),
    rounds: value('--rounds', quick ? 1 : 3),
    bareSeconds: quick ? 3 : 5,
    quick,
    keep: argv.includes('--keep'),
  };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const mean = (xs: number[]): number => (xs.length ? sum(xs) / xs.length : NaN);
const f1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '-');
const f2 = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : '-');

function unwrap<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

// ---- (a) and (b): fresh Node processes ------------------------------------------------------

/** Runs a CommonJS script with `node -e` from the repository root; its stdout is one JSON value. */
function runScript<T>(script: string, args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`benchmark child exited with ${code}: ${err.slice(-2000)}`));
      else resolve(JSON.parse(out) as T);
    });
  });
}

const SESSION_OPTIONS = `{ executionProviders: ['cpu'], intraOpNumThreads: ${THREADS} }`;

/**
 * Shared by the child scripts: runs fn (which returns how many images it did) and measures images/s,
 * CPU ms per image (all the process's threads), and the cores busy in this process and in the whole
 * machine meanwhile (from /proc/stat), so that load from other programs shows.
 */
const MEASURE = `
const { readFileSync } = require('node:fs');
const machineBusy = () => {
  const v = readFileSync('/proc/stat', 'utf8').split('\\n')[0].trim().split(/\\s+/).slice(1).map(Number);
  return (v.reduce((a, b) => a + b, 0) - v[3] - v[4]) / 100;
};
async function measure(fn) {
  const cpu = process.cpuUsage();
  const busy0 = machineBusy();
  const t0 = performance.now();
  const images = await fn();
  const seconds = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(cpu);
  const own = (used.user + used.system) / 1e6;
  return { imagesPerSecond: images / seconds, cpuMs: (own * 1000) / images, ownCores: own / seconds, machineCores: (machineBusy() - busy0) / seconds };
}
`;

/** (a) Bare onnxruntime-node over pre-made random tensors, batch 1 and batch 8. */
const BARE = `${MEASURE}
const ort = require('onnxruntime-node');
(async () => {
  const [model, seconds] = [process.argv[1], Number(process.argv[2])];
  const session = await ort.InferenceSession.create(model, ${SESSION_OPTIONS});
  const out = {};
  for (const batch of [1, 8]) {
    const data = new Float32Array(batch * 3 * 224 * 224).map(() => Math.random() * 4 - 2);
    const feeds = { input: new ort.Tensor('float32', data, [batch, 3, 224, 224]) };
    for (let i = 0; i < 2; i++) await session.run(feeds);
    out['b' + batch] = await measure(async () => {
      let images = 0;
      const t0 = performance.now();
      while (images < 3 * batch || performance.now() - t0 < seconds * 1000) {
        await session.run(feeds);
        images += batch;
      }
      return images;
    });
  }
  process.stdout.write(JSON.stringify(out));
})();
`;

/**
 * (d) Decoding alone, two images at a time as the job's two decoders do: what decoding costs in CPU
 * on this machine (the same sharp pipeline as (b), no inference).
 */
const DECODE = `${MEASURE}
const sharp = require('sharp');
const { readdirSync } = require('node:fs');
const { join } = require('node:path');
(async () => {
  const [folder, limit] = [process.argv[1], Number(process.argv[2])];
  const files = readdirSync(folder).sort().slice(0, limit).map((f) => join(folder, f));
  const decode = (file) => sharp(file).resize(224, 224, { fit: 'cover', kernel: 'linear' }).removeAlpha().raw().toBuffer();
  for (const f of files.slice(0, 3)) await decode(f);
  let next = 0;
  const worker = async () => {
    while (next < files.length) await decode(files[next++]);
  };
  const rate = await measure(async () => {
    await Promise.all([worker(), worker()]);
    return files.length;
  });
  process.stdout.write(JSON.stringify(rate));
})();
`;

/**
 * (b) The loop a user would write: sharp decode + resize (cover 224×224, shrink-on-load, bilinear:
 * the same pixels' worth of work as the job's shorter-side crop) → float CHW with ImageNet mean/std →
 * run batch 1 → top class. Three warm-up images first (not counted).
 */
const NAIVE = `${MEASURE}
const ort = require('onnxruntime-node');
const sharp = require('sharp');
const { readdirSync } = require('node:fs');
const { join } = require('node:path');
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];
(async () => {
  const [model, folder, limit] = [process.argv[1], process.argv[2], Number(process.argv[3])];
  const files = readdirSync(folder).sort().slice(0, limit).map((f) => join(folder, f));
  const session = await ort.InferenceSession.create(model, ${SESSION_OPTIONS});
  const data = new Float32Array(3 * 224 * 224);
  const plane = 224 * 224;
  let checksum = 0;
  const one = async (file) => {
    const px = await sharp(file).resize(224, 224, { fit: 'cover', kernel: 'linear' }).removeAlpha().raw().toBuffer();
    for (let i = 0; i < plane; i++)
      for (let c = 0; c < 3; c++) data[c * plane + i] = (px[i * 3 + c] / 255 - MEAN[c]) / STD[c];
    const r = await session.run({ input: new ort.Tensor('float32', data, [1, 3, 224, 224]) });
    const logits = r.logits.data;
    let best = 0;
    for (let k = 1; k < logits.length; k++) if (logits[k] > logits[best]) best = k;
    checksum += best;
  };
  for (const f of files.slice(0, 3)) await one(f);
  const rate = await measure(async () => {
    for (const f of files) await one(f);
    return files.length;
  });
  process.stdout.write(JSON.stringify({ ...rate, checksum }));
})();
`;

// ---- (c): the batch job through the engine --------------------------------------------------

/** User + system CPU seconds of a process so far (Linux /proc; clock ticks assumed 100/s). */
async function cpuSeconds(pid: number | string): Promise<number> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Busy and total CPU seconds of the whole machine so far (all cores). */
async function machineCpu(): Promise<{ busy: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = sum(v) / 100;
  const idle = (v[3] + (v[4] ?? 0)) / 100;
  return { busy: total - idle, total };
}

async function rssMb(pid: number): Promise<{ rss: number; hwm: number }> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

interface LoopStats {
  /** perf_hooks.monitorEventLoopDelay over the job. */
  maxMs: number;
  p99Ms: number;
  /** The longest stall in which this process itself was on the CPU (its own work blocking the loop). */
  ownMaxMs: number;
}

const TICK_MS = 10;

/**
 * Event-loop delay, and for each stall how much of it this process spent on the CPU: a stall
 * without CPU of ours is the OS giving both cores to other threads (the engine's, other
 * programs'), not our code blocking the loop. CPU time counts all our threads, so it is an upper bound.
 */
class LoopWatch {
  private readonly histogram = monitorEventLoopDelay({ resolution: TICK_MS });
  private timer: NodeJS.Timeout | null = null;
  private ownMaxMs = 0;

  start(): void {
    this.histogram.enable();
    let last = performance.now();
    let cpu = process.cpuUsage();
    this.timer = setInterval(() => {
      const t = performance.now();
      const used = process.cpuUsage(cpu);
      const ownMs = (used.user + used.system) / 1000;
      this.ownMaxMs = Math.max(this.ownMaxMs, Math.min(t - last, ownMs));
      last = t;
      cpu = process.cpuUsage();
    }, TICK_MS);
  }

  stop(): LoopStats {
    this.histogram.disable();
    if (this.timer) clearInterval(this.timer);
    return { maxMs: this.histogram.max / 1e6, p99Ms: this.histogram.percentile(99) / 1e6, ownMaxMs: this.ownMaxMs };
  }
}

/** A measured stretch of work: speed, CPU cost, and how busy this process and the machine were. */
interface Rate {
  imagesPerSecond: number;
  /** CPU time (all the process's threads) per image. */
  cpuMs: number;
  /** Cores the measured process kept busy. */
  ownCores: number;
  /** Cores busy in the whole machine meanwhile (ours and other programs'). */
  machineCores: number;
}

/** Cores other programs took while a measure ran. */
const others = (r: Rate): number => Math.max(0, r.machineCores - r.ownCores);

interface JobRun {
  summary: BatchSummary;
  /** Steady state: images/s from the first finished image to the last (session creation and final files left out); CPU of the engine. */
  rate: Rate;
  wallMs: number;
  /** Images per model run, from the journal's 'started' records. */
  meanBatch: number;
  loop: LoopStats;
  rss: { t: number; done: number; mb: number }[];
  peakMb: number;
  /** Mean per-image timings from results.jsonl. */
  ms: { decode: number; run: number; post: number };
}

interface JobSpec {
  model: string;
  folder: string;
  out: string;
}

function jobFor(spec: JobSpec) {
  return batchJobSchema.parse({
    model: spec.model,
    recipe: {
      inputs: {
        input: {
          resize: { mode: 'shorter-side-crop', width: 224, height: 224, interpolation: 'bilinear' },
          ...normalizePreset('imagenet'),
        },
      },
      task: { kind: 'classification', topK: 5 },
    },
    input: { folder: spec.folder, recursive: false },
    output: { folder: spec.out, write: ['csv', 'jsonl'] },
    options: { provider: 'cpu', intraOpThreads: THREADS },
  });
}

/** Mean decode/run/post ms per image (results.jsonl) and images per run (the journal). */
async function jobDetails(out: string): Promise<{ ms: JobRun['ms']; meanBatch: number }> {
  const lines = (file: string) => readFile(file, 'utf8').then((t) => t.split('\n').filter(Boolean));
  const ms = (await lines(join(out, 'results.jsonl'))).map((l) => (JSON.parse(l) as { ms: JobRun['ms'] }).ms);
  const runs = (await lines(join(out, STATE_DIR, JOURNAL_FILE)))
    .map((l) => JSON.parse(l) as { type: string; files?: string[] })
    .filter((r) => r.type === 'started');
  return {
    ms: { decode: mean(ms.map((m) => m.decode)), run: mean(ms.map((m) => m.run)), post: mean(ms.map((m) => m.post)) },
    meanBatch: mean(runs.map((r) => r.files?.length ?? 0)),
  };
}

/** A fresh engine, one job to its end, measured; the engine is stopped afterwards. */
async function runJob(spec: JobSpec, sampleRss: boolean): Promise<JobRun> {
  const engine = new EngineClient({ launch: forkLauncher({ entry: ENGINE }) });
  try {
    const { pid } = unwrap(await engine.call('engine.ping', {}));
    const job = jobFor(spec);
    const loop = new LoopWatch();
    const rss: JobRun['rss'] = [];
    let done = 0;
    let first: { t: number; done: number } | null = null;
    let last: { t: number; done: number } | null = null;
    const onEvent = (p: BatchProgress) => {
      const t = performance.now();
      if (p.done > done) {
        if (!first) first = { t, done: p.done };
        last = { t, done: p.done };
      }
      done = p.done;
    };
    const cpu0 = await cpuSeconds(pid);
    const machine0 = await machineCpu();
    const self0 = process.cpuUsage();
    const t0 = performance.now();
    const sampler = sampleRss
      ? setInterval(() => {
          const t = performance.now() - t0;
          const at = done;
          rssMb(pid).then(
            (m) => rss.push({ t, done: at, mb: m.rss }),
            () => {},
          );
        }, RSS_SAMPLE_MS)
      : null;
    loop.start();
    const result = await engine.call('engine.batchRun', { job, jobId: `bench-${Date.now().toString(36)}` }, { onEvent });
    const loopStats = loop.stop();
    if (sampler) clearInterval(sampler);
    const wallMs = performance.now() - t0;
    const self = process.cpuUsage(self0);
    const summary = unwrap(result);
    if (sampler) rss.push({ t: wallMs, done: summary.done, mb: (await rssMb(pid)).rss });
    const cpu1 = await cpuSeconds(pid);
    const machine1 = await machineCpu();
    const peakMb = (await rssMb(pid)).hwm;
    if (summary.state !== 'finished' || summary.failed > 0)
      throw new Error(
        `batch job ended ${summary.state} with ${summary.failed} failures: ${JSON.stringify(summary.failures[0] ?? summary.error)}`,
      );
    const a = first as { t: number; done: number } | null;
    const b = last as { t: number; done: number } | null;
    const wallS = wallMs / 1000;
    const engineCpu = cpu1 - cpu0;
    return {
      summary,
      rate: {
        imagesPerSecond: a && b && b.t > a.t ? (b.done - a.done) / ((b.t - a.t) / 1000) : summary.imagesPerSecond,
        cpuMs: (engineCpu * 1000) / summary.processed,
        ownCores: (engineCpu + (self.user + self.system) / 1e6) / wallS,
        machineCores: (machine1.busy - machine0.busy) / wallS,
      },
      wallMs,
      loop: loopStats,
      rss,
      peakMb,
      ...(await jobDetails(spec.out)),
    };
  } finally {
    engine.kill();
  }
}

// ---- (c): the CLI as a user runs it ---------------------------------------------------------

/** The recipe (c) passes with --recipe: the same preprocessing and task as (e). */
function recipeFileFor(): string {
  const { recipe } = jobFor({ model: ROOT, folder: ROOT, out: ROOT });
  return `${JSON.stringify({ inputs: recipe.inputs, task: recipe.task }, null, 2)}\n`;
}

interface CliRun {
  wallMs: number;
  /** From the spawn to the first data row in results.csv. */
  firstRowMs: number;
  images: number;
  /** CPU of the CLI and of the engine it started and waited for (GNU time), per image. */
  cpuMs: number;
  /** Cores busy in the whole machine meanwhile, and those the CLI and its engine took. */
  machineCores: number;
  ownCores: number;
}

const spawnWall = (args: string[]): Promise<{ ms: number; code: number | null; out: string; err: string }> =>
  new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(args[0], args.slice(1), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ ms: performance.now() - t0, code, out, err }));
  });

/** Wall time of `onnx-workbench --version`: Node and the CLI's own code loading, what (c) leaves out. */
async function cliStartupMs(): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) times.push((await spawnWall([process.execPath, CLI, '--version'])).ms);
  return median(times);
}

/** `onnx-workbench batch MODEL FOLDER --out DIR --recipe R`, timed from outside; checks every image has its row. */
async function runCli(spec: JobSpec, recipeFile: string, images: number): Promise<CliRun> {
  const timeFile = `${spec.out}.time`;
  const csv = join(spec.out, 'results.csv');
  const header = Buffer.byteLength(`${CSV_COLUMNS.join(',')}\r\n`);
  let firstRowMs = NaN;
  const t0 = performance.now();
  const poll = setInterval(() => {
    stat(csv).then(
      (s) => {
        if (s.size > header && Number.isNaN(firstRowMs)) firstRowMs = performance.now() - t0;
      },
      () => {},
    );
  }, 5);
  const machine0 = await machineCpu();
  const run = await spawnWall([
    GNU_TIME,
    '-f',
    '%e %U %S',
    '-o',
    timeFile,
    process.execPath,
    CLI,
    'batch',
    spec.model,
    spec.folder,
    '--out',
    spec.out,
    '--recipe',
    recipeFile,
  ]);
  const machine1 = await machineCpu();
  clearInterval(poll);
  if (run.code !== 0) throw new Error(`the CLI exited with ${run.code}: ${run.err.slice(-2000)}`);
  const [, user, system] = (await readFile(timeFile, 'utf8')).trim().split('\n').pop()!.split(' ').map(Number);
  const rows = (await readFile(csv, 'utf8')).split('\r\n').filter(Boolean).length - 1;
  if (rows !== images) throw new Error(`results.csv has ${rows} rows for ${images} images (${spec.out})`);
  if (Number.isNaN(firstRowMs)) firstRowMs = run.ms;
  const wallS = run.ms / 1000;
  return {
    wallMs: run.ms,
    firstRowMs,
    images,
    cpuMs: ((user + system) * 1000) / images,
    machineCores: (machine1.busy - machine0.busy) / wallS,
    ownCores: (user + system) / wallS,
  };
}

// ---- Report ---------------------------------------------------------------------------------

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ')).join('\n');
}

interface ModelRounds {
  name: string;
  path: string;
  bare1: Rate[];
  bare8: Rate[];
  naive: Rate[];
  cli: CliRun[];
  /** Start-up of the CLI itself in the same round (left out of (c)'s time). */
  startupMs: number[];
  jobs: JobRun[];
  /** The CLI over small images (decoding nearly free): what the pipeline itself costs. */
  smallCli: CliRun[];
}

/** A round of a model is quiet when other programs took at most this many cores during each of its measures. */
const QUIET_OTHERS = 0.3;

const cliOthers = (c: CliRun): number => Math.max(0, c.machineCores - c.ownCores);

function quietRound(m: ModelRounds, r: number): boolean {
  return (
    [m.bare1[r], m.bare8[r], m.naive[r], m.jobs[r].rate].every((x) => others(x) <= QUIET_OTHERS) &&
    cliOthers(m.cli[r]) <= QUIET_OTHERS
  );
}

/** (c)'s images/s: the job's images over its wall time less the CLI's own start-up. */
const cliRate = (c: CliRun, startupMs: number): number => c.images / ((c.wallMs - startupMs) / 1000);

function describeModel(name: string, m: BenchModel, bytes: number): string {
  return `${name}: ${(m.params / 1e6).toFixed(2)} M parameters, ${(m.macs / 1e9).toFixed(2)} G multiply-adds (${((2 * m.macs) / 1e9).toFixed(2)} GFLOPs) per 224×224 image, ${(bytes / 1024 / 1024).toFixed(0)} MB, input [N,3,224,224]`;
}

function pictureStats(pictures: Picture[]): string {
  const png = pictures.filter((p) => p.ext === 'png').length;
  const mp = pictures.map((p) => (p.width * p.height) / 1e6);
  const mb = sum(pictures.map((p) => p.bytes)) / 1024 / 1024;
  return `${pictures.length} distinct (${pictures.length - png} JPEG, ${png} PNG), ${f2(Math.min(...mp))}–${f2(Math.max(...mp))} MP (mean ${f2(mean(mp))}), ${f1(mb)} MB`;
}

/** Event-loop delay of this process over `ms` with nothing of ours running: the noise floor. */
async function idleLoopDelay(ms: number): Promise<LoopStats> {
  const loop = new LoopWatch();
  loop.start();
  await new Promise((r) => setTimeout(r, ms));
  return loop.stop();
}

/** Medians over the quiet rounds (all rounds when none was quiet); ratios per round, then their median. */
function summarize(m: ModelRounds, decode: Rate[]) {
  const all = m.jobs.map((_, r) => r);
  const quiet = all.filter((r) => quietRound(m, r));
  const rounds = quiet.length ? quiet : all;
  const pick = <T>(xs: T[]): T[] => rounds.map((r) => xs[r]);
  const med = (xs: Rate[]) => median(pick(xs).map((x) => x.imagesPerSecond));
  const b1 = med(m.bare1);
  const b8 = med(m.bare8);
  const bare = Math.max(b1, b8);
  const inferCpuMs = median(pick(b8 >= b1 ? m.bare8 : m.bare1).map((r) => r.cpuMs));
  const decodeCpuMs = median(decode.map((r) => r.cpuMs));
  // All the CPU work of one image, decode and inference, spread over every core without a gap.
  const bound = (CORES * 1000) / (decodeCpuMs + inferCpuMs);
  const jobs = pick(m.jobs);
  const bareOf = (r: number) => Math.max(m.bare1[r].imagesPerSecond, m.bare8[r].imagesPerSecond);
  const cliOf = (r: number) => cliRate(m.cli[r], m.startupMs[r]);
  const smallOf = (r: number) => cliRate(m.smallCli[r], m.startupMs[r]);
  const timing = (k: keyof JobRun['ms']) => median(jobs.map((j) => j.ms[k]));
  const small = m.smallCli.length > 0;
  return {
    model: m.name,
    rounds: rounds.length,
    quietRounds: quiet.length,
    bareBatch1: b1,
    bareBatch8: b8,
    bare,
    naive: med(m.naive),
    cli: median(rounds.map(cliOf)),
    cliWallS: median(pick(m.cli).map((c) => c.wallMs / 1000)),
    cliStartupS: median(pick(m.startupMs)) / 1000,
    firstRowS: median(pick(m.cli).map((c) => c.firstRowMs / 1000)),
    cliCpuMs: median(pick(m.cli).map((c) => c.cpuMs)),
    cliCores: median(pick(m.cli).map((c) => c.ownCores)),
    cliOthersCores: median(pick(m.cli).map(cliOthers)),
    cliVsNaive: median(rounds.map((r) => cliOf(r) / m.naive[r].imagesPerSecond)),
    cliVsBare: median(rounds.map((r) => cliOf(r) / bareOf(r))),
    cliVsBound: median(rounds.map(cliOf)) / bound,
    bound,
    decodeCpuMs,
    inferCpuMs,
    naiveCpuMs: median(pick(m.naive).map((r) => r.cpuMs)),
    jobSteady: median(jobs.map((j) => j.rate.imagesPerSecond)),
    jobCpuMs: median(jobs.map((j) => j.rate.cpuMs)),
    meanBatch: median(jobs.map((j) => j.meanBatch)),
    ms: { decode: timing('decode'), run: timing('run'), post: timing('post') },
    /** Share of the job's time the inference loop spent inside session.run (the rest it waited for images). */
    inferBusy: median(jobs.map((j) => (j.ms.run * j.rate.imagesPerSecond) / 1000)),
    smallCli: small ? median(rounds.map(smallOf)) : NaN,
    smallCliVsBare: small ? median(rounds.map((r) => smallOf(r) / bareOf(r))) : NaN,
    smallCliCpuMs: small ? median(pick(m.smallCli).map((c) => c.cpuMs)) : NaN,
  };
}

/** The measures of one round in a turned order, so that a trend in outside load is spread over all. */
function turned<T>(xs: T[], by: number): T[] {
  const k = by % xs.length;
  return [...xs.slice(k), ...xs.slice(0, k)];
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (!existsSync(ENGINE) || !existsSync(CLI_BUILT)) {
    console.log('out/main is missing: running npm run build');
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  }
  if (!existsSync(GNU_TIME)) throw new Error(`${GNU_TIME} (GNU time) is needed to measure the CLI's CPU: apt-get install time`);
  const dir = await mkdtemp(join(tmpdir(), 'bench-batch-'));
  try {
    console.log(
      `CPU, ${CORES} cores; intraOpNumThreads ${THREADS} for (a), (b), (e); the CLI chooses its own; load average ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}; temp folder ${dir}`,
    );
    const models: ModelRounds[] = [];
    for (const [name, build] of [
      ['MobileNet-class', mobileNetClass],
      ['ResNet-50-class', resNet50Class],
    ] as const) {
      const model = build();
      const path = join(dir, `${name}.onnx`);
      const bytes = await writeModelFile(path, model.spec);
      console.log(describeModel(name, model, bytes));
      models.push({ name, path, bare1: [], bare8: [], naive: [], cli: [], startupMs: [], jobs: [], smallCli: [] });
    }
    const recipeFile = join(dir, 'recipe.json');
    await writeFile(recipeFile, recipeFileFor());

    let t = performance.now();
    const photoFolder = join(dir, 'photos');
    const photos = await makePictures(photoFolder, args.images, 300, 2000, 42, true);
    console.log(`photos: ${args.images} files, ${pictureStats(photos)} (generated in ${f1((performance.now() - t) / 1000)} s)`);
    t = performance.now();
    const small = await makePictures(join(dir, 'small-sources'), DISTINCT_SMALL, 300, 640, 7);
    await linkFolder(join(dir, 'small'), small, args.memoryImages);
    const smallFolder = join(dir, 'small-speed');
    await linkFolder(smallFolder, small, args.images);
    console.log(
      `small (memory run): ${args.memoryImages} files hard-linked from ${pictureStats(small)} (${f1((performance.now() - t) / 1000)} s)`,
    );

    // Speed: rounds interleaved, models alternating, the order turned each round.
    const decode: Rate[] = [];
    const busy = (r: Rate) => `${f1(others(r))}`;
    let outputs = 0;
    const out = (name: string) => join(dir, `out-${name}-${++outputs}`);
    for (let round = 0; round < args.rounds; round++) {
      const d = await runScript<Rate>(DECODE, [photoFolder, String(args.images)]);
      decode.push(d);
      const startup = await cliStartupMs();
      console.log(
        `round ${round + 1}/${args.rounds} (d) decode only: ${f1(d.imagesPerSecond)} img/s, ${f1(d.cpuMs)} CPU ms per image (others ${busy(d)} cores); CLI start-up ${Math.round(startup)} ms; load ${loadavg()[0].toFixed(2)}`,
      );
      for (const m of turned(models, round)) {
        m.startupMs.push(startup);
        const resnet = m === models[1];
        const measures: (() => Promise<void>)[] = [
          async () => {
            const bare = await runScript<{ b1: Rate; b8: Rate }>(BARE, [m.path, String(args.bareSeconds)]);
            m.bare1.push(bare.b1);
            m.bare8.push(bare.b8);
          },
          async () => void m.naive.push(await runScript<Rate>(NAIVE, [m.path, photoFolder, String(args.images)])),
          async () => {
            m.cli.push(await runCli({ model: m.path, folder: photoFolder, out: out(m.name) }, recipeFile, args.images));
            if (resnet)
              m.smallCli.push(
                await runCli({ model: m.path, folder: smallFolder, out: out(`${m.name}-small`) }, recipeFile, args.images),
              );
          },
          async () => void m.jobs.push(await runJob({ model: m.path, folder: photoFolder, out: out(`${m.name}-engine`) }, false)),
        ];
        for (const measure of turned(measures, round)) await measure();
        const [b1, b8, naive, cli, job] = [m.bare1, m.bare8, m.naive, m.cli, m.jobs].map((xs) => xs[round]) as [
          Rate,
          Rate,
          Rate,
          CliRun,
          JobRun,
        ];
        const sc = m.smallCli[round];
        console.log(
          `round ${round + 1}/${args.rounds} ${m.name}: (a) ${f1(b1.imagesPerSecond)} img/s batch 1, ${f1(b8.imagesPerSecond)} batch 8;` +
            ` (b) ${f1(naive.imagesPerSecond)}; (c) CLI ${f1(cliRate(cli, startup))} (${f1(cli.wallMs / 1000)} s wall, first row ${f2(cli.firstRowMs / 1000)} s)` +
            `; (e) ${f1(job.rate.imagesPerSecond)} steady; other programs' cores ${busy(b1)}/${busy(b8)}, ${busy(naive)}, ${f1(cliOthers(cli))}, ${busy(job.rate)}` +
            `${quietRound(m, round) ? ' (quiet)' : ''}; event loop max ${f1(job.loop.maxMs)} ms` +
            (sc ? `; (c) on small images ${f1(cliRate(sc, startup))} (others ${f1(cliOthers(sc))} cores)` : ''),
        );
      }
    }

    // Memory: one long job with the small model over small images.
    const idle = await idleLoopDelay(args.quick ? 2000 : 5000);
    const memory = await runJob({ model: models[0].path, folder: join(dir, 'small'), out: join(dir, 'out-memory') }, true);
    if (!memory.rss.length) throw new Error('the memory run ended before its first RSS sample');
    const at = (n: number) => memory.rss.find((s) => s.done >= n) ?? memory.rss[memory.rss.length - 1];
    const rssFrom = at(Math.min(RSS_FROM, args.memoryImages));
    const rssEnd = memory.rss[memory.rss.length - 1];
    const rssMax = Math.max(...memory.rss.map((s) => s.mb));
    const growth = rssEnd.mb - rssFrom.mb;

    // ---- Results
    const speed = models.map((m) => summarize(m, decode));
    const [mb, rn] = speed;
    const allJobs = [...models.flatMap((m) => m.jobs), memory];
    // Stalls while other programs loaded the machine say little about us: the same over the quiet jobs.
    const quietJobs = allJobs.filter((j) => others(j.rate) <= QUIET_OTHERS);
    const quietLoopMax = quietJobs.length ? Math.max(...quietJobs.map((j) => j.loop.maxMs)) : NaN;
    const loopMax = Math.max(...allJobs.map((j) => j.loop.maxMs));
    const loopP99 = Math.max(...allJobs.map((j) => j.loop.p99Ms));
    const loopOwn = Math.max(...allJobs.map((j) => j.loop.ownMaxMs));
    const ok = (b: boolean) => (b ? 'yes' : 'NO');

    console.log(
      `\nimages/s over the ${args.images} photos, medians over the quiet rounds (other programs ≤ ${QUIET_OTHERS} cores in every measure; all rounds when none was);` +
        `\n(a) bare onnxruntime on ready tensors, the faster of batch 1 and 8; (b) naive loop; (c) the CLI, images ÷ (wall − CLI start-up);` +
        `\nbound = ${CORES} × 1000 / (decode + inference CPU ms per image); ratios: median of the rounds' own ratios (to the bound: of the medians)`,
    );
    console.log(
      table([
        [
          'model',
          'rounds',
          '(a) bare',
          '(b) naive',
          '(c) CLI',
          'bound',
          '(c)/(b)',
          '(c)/bound',
          '(c)/(a)',
          'wall s',
          'start-up s',
          'first row s',
        ],
        ...speed.map((s) => [
          s.model,
          `${s.rounds}${s.quietRounds ? ' quiet' : ' (none quiet)'}`,
          f1(s.bare),
          f1(s.naive),
          f1(s.cli),
          f1(s.bound),
          f2(s.cliVsNaive),
          f2(s.cliVsBound),
          f2(s.cliVsBare),
          f2(s.cliWallS),
          f2(s.cliStartupS),
          f2(s.firstRowS),
        ]),
        [`${rn.model}, small images`, '', f1(rn.bare), '', f1(rn.smallCli), '', '', '', f2(rn.smallCliVsBare), '', '', ''],
      ]),
    );
    console.log(
      `\nwhere the time goes. CPU ms per image: decode from (d), inference from (a), naive (b), CLI (c: the CLI and its engine, start-up included);` +
        `\n(e) the same job in an engine driven from this process: steady images/s (first result → last), images per run, per-image` +
        `\nmeans from results.jsonl (run = a batch's run time / its images), in run = share of the job's time spent in session.run`,
    );
    console.log(
      table([
        [
          'model',
          'CPU ms: decode',
          'infer',
          'naive',
          'CLI',
          'CLI cores',
          'others',
          '(e) steady',
          'batch',
          'decode ms',
          'run ms',
          'post ms',
          'in run',
        ],
        ...speed.map((s) => [
          s.model,
          f1(s.decodeCpuMs),
          f1(s.inferCpuMs),
          f1(s.naiveCpuMs),
          f1(s.cliCpuMs),
          f2(s.cliCores),
          f2(s.cliOthersCores),
          f1(s.jobSteady),
          f1(s.meanBatch),
          f1(s.ms.decode),
          f1(s.ms.run),
          f1(s.ms.post),
          `${Math.round(s.inferBusy * 100)}%`,
        ]),
      ]),
    );
    console.log(
      `\n${rn.model} CLI over ${args.images} small images (300–640 px, decoding nearly free): ${f1(rn.smallCli)} img/s,` +
        ` ${f1(rn.smallCliCpuMs)} CPU ms per image, ÷ (a) ${f2(rn.smallCliVsBare)}: what the pipeline itself costs`,
    );
    console.log(
      `\nmemory run: MobileNet-class over ${args.memoryImages} small images (300–640 px, to keep it quick), ${f1(memory.summary.imagesPerSecond)} img/s, ${memory.rss.length} RSS samples`,
    );
    const targets = {
      mobilenetVsNaive: mb.cliVsNaive >= TARGET_MOBILENET_VS_NAIVE,
      mobilenetVsBound: mb.cliVsBound >= TARGET_VS_BOUND,
      resnetVsBound: rn.cliVsBound >= TARGET_VS_BOUND,
      resnetSmallVsBare: rn.smallCliVsBare >= TARGET_RESNET_SMALL_VS_BARE,
      firstRow: mb.firstRowS < TARGET_FIRST_ROW_S,
      rssFlat: growth <= TARGET_RSS_GROWTH_MB,
      eventLoop: loopMax <= TARGET_LOOP_BLOCK_MS,
    };
    console.log(
      table([
        ['measure', 'value', 'target', 'ok'],
        [
          'MobileNet-class (c) CLI / (b) naive',
          f2(mb.cliVsNaive),
          `≥ ${TARGET_MOBILENET_VS_NAIVE}`,
          ok(targets.mobilenetVsNaive),
        ],
        ['MobileNet-class (c) CLI / bound', f2(mb.cliVsBound), `≥ ${TARGET_VS_BOUND}`, ok(targets.mobilenetVsBound)],
        ['ResNet-50-class (c) CLI / bound', f2(rn.cliVsBound), `≥ ${TARGET_VS_BOUND}`, ok(targets.resnetVsBound)],
        [
          'ResNet-50-class (c) CLI / (a), small images',
          f2(rn.smallCliVsBare),
          `≥ ${TARGET_RESNET_SMALL_VS_BARE}`,
          ok(targets.resnetSmallVsBare),
        ],
        ['MobileNet-class: command to first result row (s)', f2(mb.firstRowS), `< ${TARGET_FIRST_ROW_S}`, ok(targets.firstRow)],
        [`engine RSS at image ${rssFrom.done} (MB)`, f1(rssFrom.mb), '', ''],
        [`engine RSS at the end, image ${rssEnd.done} (MB)`, f1(rssEnd.mb), '', ''],
        ['engine RSS growth (MB)', f1(growth), `≤ ${TARGET_RSS_GROWTH_MB}`, ok(targets.rssFlat)],
        ['engine RSS max sampled / VmHWM (MB)', `${f1(rssMax)} / ${f1(memory.peakMb)}`, '', ''],
        ['event-loop delay max, all (e) jobs (ms)', f1(loopMax), `≤ ${TARGET_LOOP_BLOCK_MS}`, ok(targets.eventLoop)],
        [`event-loop delay max, the ${quietJobs.length} quiet jobs (ms)`, f1(quietLoopMax), '', ''],
        ['event-loop delay p99, worst job (ms)', f1(loopP99), '', ''],
        ['  of which this process on the CPU, max (ms)', f1(loopOwn), '', ''],
        ['event-loop delay max / p99, idle (ms)', `${f1(idle.maxMs)} / ${f1(idle.p99Ms)}`, '', ''],
      ]),
    );
    console.log(
      `load average at the end: ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    );
    const json = {
      cores: CORES,
      threads: THREADS,
      rounds: args.rounds,
      images: args.images,
      loadAverage: loadavg(),
      decode: { imagesPerSecond: median(decode.map((d) => d.imagesPerSecond)), cpuMs: median(decode.map((d) => d.cpuMs)) },
      speed,
      memory: {
        images: args.memoryImages,
        imagesPerSecond: memory.summary.imagesPerSecond,
        rssAt: { done: rssFrom.done, mb: rssFrom.mb },
        rssEnd: { done: rssEnd.done, mb: rssEnd.mb },
        growthMb: growth,
        maxMb: rssMax,
        peakMb: memory.peakMb,
      },
      eventLoop: { maxMs: loopMax, quietMaxMs: quietLoopMax, p99Ms: loopP99, ownMaxMs: loopOwn, idle },
      targets,
    };
    console.log(
      `\nbench:batch ${JSON.stringify(json, (_, v: unknown) => (typeof v === 'number' ? Math.round(v * 1000) / 1000 : v))}`,
    );
  } finally {
    if (args.keep) console.log(`kept ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}

await main();
