// Benchmark of batch jobs: speed against onnxruntime alone and against a naive loop, memory over a
// long job, and the event loop of the process that supervises the engine.
// Run: npm run bench:batch [-- --images N] [--memory-images M] [--rounds R] [--quick] [--keep]
// (builds the app first when out/main/engine.js is missing; rebuild it after changing engine code).
//
// In a temp folder (deleted at the end) it generates:
//   - photos: N images (default 300), JPEG and PNG mixed, 300–4000 px on the long side, seeded;
//     50 distinct pictures (gradients, waves, shapes, noise) hard-linked under N names, since
//     generating 4000-px pictures costs more than the benchmark itself;
//   - small: M images (default 10,000; --quick 2,000) for the memory run, 300–640 px, linked from 20 pictures
//     (small, to keep the run short), and N of them for the small-image speed run;
//   - two classifiers with random weights (scripts/bench-models.ts), batch dim symbolic:
//     MobileNetV2-class (~3.5 M parameters, ~0.3 G multiply-adds) and ResNet-50-class (~25.6 M, ~4.1 G).
// Then, with the same session options (CPU, intraOpNumThreads 2: this machine has 2 cores), per model
// and per round (rounds interleaved, medians reported; other processes may load the machine):
//   (a) bare onnxruntime-node over pre-made tensors, batch 1 and 8, in a fresh process: the inference-only limit;
//   (b) a naive loop in a fresh process: sharp decode + resize 224 → float CHW → run, one image at a time;
//   (c) our batch job in the engine process (EngineClient + out/main/engine.js, as the app runs it):
//       classification, csv + jsonl written; images/s at steady state (first result → last result) and
//       over the whole job (session creation and the final csv/jsonl included);
//   (d) decoding alone (two at a time, as the job's decoders), for its CPU cost: with (a)'s CPU cost it
//       gives the 2-core bound, what the machine could do at best with decode and inference sharing it;
//   and the ResNet-50-class job again over N small images, where decoding is nearly free: the
//   pipeline's own cost against (a).
// Each measure also records the cores other programs took meanwhile (/proc/stat); a round in which
// they took more than 0.3 cores in some measure is left out of the medians when a quieter one exists.
// Targets: ResNet-50-class (c) ≥ 0.9 × (a); MobileNet-class (c) ≥ 1.25 × (b).
// Memory: the MobileNet-class job over the small images; the engine's VmRSS sampled every 0.5 s against
// the done count; RSS at image 1,000 vs at the end, target within 100 MB.
// Event loop: perf_hooks.monitorEventLoopDelay in this process (standing in for the app's main
// process, which hosts the supervisor and relays progress) during every (c) job; target max ≤ 50 ms.
// Ends with a table and one JSON line (prefixed "bench:batch ") to paste into notes.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { link, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import sharp from 'sharp';
import { type BatchProgress, type BatchSummary, batchJobSchema } from '../shared/batch';
import { normalizePreset } from '../shared/recipe';
import { type Result } from '../shared/result';
import { JOURNAL_FILE, STATE_DIR } from '../electron/engine/batch/outputs';
import { EngineClient, forkLauncher } from '../electron/node/engine-client';
import { writeModelFile } from '../test/fixtures/onnx-builder';
import { type BenchModel, mobileNetClass, resNet50Class, seededRandom } from './bench-models';

const ROOT = join(import.meta.dirname, '..');
const ENGINE = join(ROOT, 'out', 'main', 'engine.js');
const THREADS = 2;
const DISTINCT_PHOTOS = 50;
const DISTINCT_SMALL = 20;
const TARGET_RESNET_VS_BARE = 0.9;
const TARGET_MOBILENET_VS_NAIVE = 1.25;
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
    images: value('--images', quick ? 100 : 300),
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

// ---- Images ---------------------------------------------------------------------------------

/**
 * A picture with what makes photos cost something to decode: smooth gradients, low-frequency
 * waves, flat shapes with edges, and sensor-like noise (so JPEG and PNG do not compress it away).
 */
function paint(width: number, height: number, random: () => number): Buffer {
  const px = Buffer.allocUnsafe(width * height * 3);
  const c0 = [0, 1, 2].map(() => 40 + random() * 170);
  const c1 = [0, 1, 2].map(() => 40 + random() * 170);
  const waveX = new Float32Array(width);
  const waveY = new Float32Array(height);
  const fx = (2 + random() * 10) / width;
  const fy = (2 + random() * 10) / height;
  const phase = random() * 6.28;
  for (let x = 0; x < width; x++) waveX[x] = Math.sin(x * fx * 6.28 + phase);
  for (let y = 0; y < height; y++) waveY[y] = Math.cos(y * fy * 6.28);
  let noise = (random() * 2 ** 31) | 1;
  for (let y = 0; y < height; y++) {
    const ty = y / height;
    let o = y * width * 3;
    for (let x = 0; x < width; x++) {
      const t = (x / width + ty) / 2;
      const wave = 30 * waveX[x] * waveY[y];
      for (let c = 0; c < 3; c++) {
        noise ^= noise << 13;
        noise ^= noise >>> 17;
        noise ^= noise << 5;
        const v = c0[c] + (c1[c] - c0[c]) * t + wave + ((noise & 15) - 8);
        px[o++] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
  }
  const shapes = 8 + Math.floor(random() * 20);
  for (let s = 0; s < shapes; s++) {
    const colour = [0, 1, 2].map(() => Math.floor(random() * 256));
    const cx = random() * width;
    const cy = random() * height;
    const rx = (0.03 + random() * 0.2) * width;
    const ry = (0.03 + random() * 0.2) * height;
    const round = random() < 0.5;
    for (let y = Math.max(0, Math.floor(cy - ry)); y < Math.min(height, Math.ceil(cy + ry)); y++) {
      const dy = (y - cy) / ry;
      const half = round ? rx * Math.sqrt(Math.max(0, 1 - dy * dy)) : rx;
      const x0 = Math.max(0, Math.floor(cx - half));
      const x1 = Math.min(width, Math.ceil(cx + half));
      for (let x = x0; x < x1; x++) {
        const o = (y * width + x) * 3;
        for (let c = 0; c < 3; c++) px[o + c] = (px[o + c] + colour[c] * 3) >> 2;
      }
    }
  }
  return px;
}

interface Picture {
  path: string;
  ext: 'jpg' | 'png';
  width: number;
  height: number;
  bytes: number;
}

/** Pictures with the long side in [minSide, maxSide], a third of them PNG. */
async function makePictures(dir: string, count: number, minSide: number, maxSide: number, seed: number): Promise<Picture[]> {
  await mkdir(dir, { recursive: true });
  const random = seededRandom(seed);
  const pictures: Picture[] = [];
  for (let i = 0; i < count; i++) {
    const long = Math.round(minSide + random() * (maxSide - minSide));
    const short = Math.max(minSide, Math.round(long / (1 + random() * 0.8)));
    const [width, height] = random() < 0.7 ? [long, short] : [short, long];
    const ext = random() < 1 / 3 ? 'png' : 'jpg';
    const raw = sharp(paint(width, height, random), { raw: { width, height, channels: 3 } });
    const path = join(dir, `source-${String(i).padStart(3, '0')}.${ext}`);
    await (ext === 'png' ? raw.png() : raw.jpeg({ quality: 85 + Math.floor(random() * 10) })).toFile(path);
    pictures.push({ path, ext, width, height, bytes: (await stat(path)).size });
  }
  return pictures;
}

/** `count` files in `dir`, each a hard link to one of the pictures in turn. */
async function linkFolder(dir: string, pictures: Picture[], count: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    const p = pictures[i % pictures.length];
    await link(p.path, join(dir, `img-${String(i).padStart(5, '0')}.${p.ext}`));
  }
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
  jobs: JobRun[];
  /** The same job over small images (decoding nearly free): what the pipeline itself costs. */
  smallJobs: JobRun[];
}

/** A round of a model is quiet when other programs took at most this many cores during each of its measures. */
const QUIET_OTHERS = 0.3;

function quietRound(m: ModelRounds, r: number): boolean {
  return [m.bare1[r], m.bare8[r], m.naive[r], m.jobs[r].rate].every((x) => others(x) <= QUIET_OTHERS);
}

function describeModel(name: string, m: BenchModel, bytes: number): string {
  return `${name}: ${(m.params / 1e6).toFixed(2)} M parameters, ${(m.macs / 1e9).toFixed(2)} G multiply-adds (${((2 * m.macs) / 1e9).toFixed(2)} GFLOPs) per 224×224 image, ${(bytes / 1024 / 1024).toFixed(0)} MB, input [N,3,224,224]`;
}

function pictureStats(pictures: Picture[]): string {
  const png = pictures.filter((p) => p.ext === 'png').length;
  const mp = pictures.map((p) => (p.width * p.height) / 1e6);
  const mb = sum(pictures.map((p) => p.bytes)) / 1024 / 1024;
  return `${pictures.length} distinct (${pictures.length - png} JPEG, ${png} PNG), ${f1(Math.min(...mp))}–${f1(Math.max(...mp))} MP (mean ${f1(mean(mp))}), ${f1(mb)} MB`;
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
  // All the CPU work of one image, decode and inference, spread over both cores without a gap.
  const bound = (THREADS * 1000) / (decodeCpuMs + inferCpuMs);
  const jobs = pick(m.jobs);
  const job = median(jobs.map((j) => j.rate.imagesPerSecond));
  const bareOf = (r: number) => Math.max(m.bare1[r].imagesPerSecond, m.bare8[r].imagesPerSecond);
  const timing = (k: keyof JobRun['ms']) => median(jobs.map((j) => j.ms[k]));
  return {
    model: m.name,
    rounds: rounds.length,
    quietRounds: quiet.length,
    bareBatch1: b1,
    bareBatch8: b8,
    bare,
    naive: med(m.naive),
    jobSteady: job,
    jobWhole: median(jobs.map((j) => j.summary.imagesPerSecond)),
    jobWallS: median(jobs.map((j) => j.wallMs / 1000)),
    vsBare: median(rounds.map((r) => m.jobs[r].rate.imagesPerSecond / bareOf(r))),
    vsNaive: median(rounds.map((r) => m.jobs[r].rate.imagesPerSecond / m.naive[r].imagesPerSecond)),
    bound,
    vsBound: job / bound,
    decodeCpuMs,
    inferCpuMs,
    naiveCpuMs: median(pick(m.naive).map((r) => r.cpuMs)),
    jobCpuMs: median(jobs.map((j) => j.rate.cpuMs)),
    jobCores: median(jobs.map((j) => j.rate.ownCores)),
    othersCores: median(jobs.map((j) => others(j.rate))),
    meanBatch: median(jobs.map((j) => j.meanBatch)),
    ms: { decode: timing('decode'), run: timing('run'), post: timing('post') },
    smallJob: m.smallJobs.length ? median(pick(m.smallJobs).map((j) => j.rate.imagesPerSecond)) : NaN,
    vsBareSmall: m.smallJobs.length ? median(rounds.map((r) => m.smallJobs[r].rate.imagesPerSecond / bareOf(r))) : NaN,
    smallJobCpuMs: m.smallJobs.length ? median(pick(m.smallJobs).map((j) => j.rate.cpuMs)) : NaN,
    /** Share of the job's time the inference loop spent inside session.run (the rest it waited for images). */
    inferBusy: median(jobs.map((j) => (j.ms.run * j.rate.imagesPerSecond) / 1000)),
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (!existsSync(ENGINE)) {
    console.log('out/main/engine.js is missing: running npm run build');
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  }
  const dir = await mkdtemp(join(tmpdir(), 'bench-batch-'));
  try {
    console.log(`CPU, intraOpNumThreads ${THREADS} everywhere (this machine: 2 cores); temp folder ${dir}`);
    const models: ModelRounds[] = [];
    for (const [name, build] of [
      ['MobileNet-class', mobileNetClass],
      ['ResNet-50-class', resNet50Class],
    ] as const) {
      const model = build();
      const path = join(dir, `${name}.onnx`);
      const bytes = await writeModelFile(path, model.spec);
      console.log(describeModel(name, model, bytes));
      models.push({ name, path, bare1: [], bare8: [], naive: [], jobs: [], smallJobs: [] });
    }

    let t = performance.now();
    const photos = await makePictures(join(dir, 'sources'), DISTINCT_PHOTOS, 300, 4000, 42);
    await linkFolder(join(dir, 'photos'), photos, args.images);
    console.log(
      `photos: ${args.images} files hard-linked from ${pictureStats(photos)} (generated in ${f1((performance.now() - t) / 1000)} s)`,
    );
    t = performance.now();
    const small = await makePictures(join(dir, 'small-sources'), DISTINCT_SMALL, 300, 640, 7);
    await linkFolder(join(dir, 'small'), small, args.memoryImages);
    await linkFolder(join(dir, 'small-speed'), small, args.images);
    console.log(
      `small (memory run): ${args.memoryImages} files hard-linked from ${pictureStats(small)} (${f1((performance.now() - t) / 1000)} s)`,
    );

    // Speed: rounds interleaved, models alternating, so that outside load hits every measure alike.
    const photoFolder = join(dir, 'photos');
    const decode: Rate[] = [];
    const busy = (r: Rate) => `${f1(others(r))}`;
    for (let round = 0; round < args.rounds; round++) {
      const d = await runScript<Rate>(DECODE, [photoFolder, String(args.images)]);
      decode.push(d);
      console.log(
        `round ${round + 1}/${args.rounds} (d) decode only: ${f1(d.imagesPerSecond)} img/s, ${f1(d.cpuMs)} CPU ms per image (others ${busy(d)} cores)`,
      );
      for (const m of models) {
        const bare = await runScript<{ b1: Rate; b8: Rate }>(BARE, [m.path, String(args.bareSeconds)]);
        m.bare1.push(bare.b1);
        m.bare8.push(bare.b8);
        const naive = await runScript<Rate>(NAIVE, [m.path, photoFolder, String(args.images)]);
        m.naive.push(naive);
        const job = await runJob({ model: m.path, folder: photoFolder, out: join(dir, `out-${m.name}-${round}`) }, false);
        m.jobs.push(job);
        const smallJob =
          m === models[1]
            ? await runJob(
                { model: m.path, folder: join(dir, 'small-speed'), out: join(dir, `out-${m.name}-small-${round}`) },
                false,
              )
            : null;
        if (smallJob) m.smallJobs.push(smallJob);
        console.log(
          `round ${round + 1}/${args.rounds} ${m.name}: (a) ${f1(bare.b1.imagesPerSecond)} img/s batch 1, ${f1(bare.b8.imagesPerSecond)} batch 8;` +
            ` (b) ${f1(naive.imagesPerSecond)}; (c) ${f1(job.rate.imagesPerSecond)} steady, ${f1(job.summary.imagesPerSecond)} whole job` +
            ` (${f1(job.wallMs / 1000)} s); other programs' cores ${busy(bare.b1)}/${busy(bare.b8)}, ${busy(naive)}, ${busy(job.rate)}` +
            `${quietRound(m, round) ? ' (quiet)' : ''}; event loop max ${f1(job.loop.maxMs)} ms` +
            (smallJob ? `; (c) on small images ${f1(smallJob.rate.imagesPerSecond)} (others ${busy(smallJob.rate)} cores)` : ''),
        );
      }
    }

    // Memory: one long job with the small model over small images.
    const idle = await idleLoopDelay(5000);
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
    const allJobs = [...models.flatMap((m) => [...m.jobs, ...m.smallJobs]), memory];
    // Stalls while other programs loaded the machine say little about us: the same over the quiet jobs.
    const quietJobs = allJobs.filter((j) => others(j.rate) <= QUIET_OTHERS);
    const quietLoopMax = quietJobs.length ? Math.max(...quietJobs.map((j) => j.loop.maxMs)) : NaN;
    const loopMax = Math.max(...allJobs.map((j) => j.loop.maxMs));
    const loopP99 = Math.max(...allJobs.map((j) => j.loop.p99Ms));
    const loopOwn = Math.max(...allJobs.map((j) => j.loop.ownMaxMs));
    const ok = (b: boolean) => (b ? 'yes' : 'NO');

    console.log(
      `\nimages/s, medians over the quiet rounds (other programs ≤ ${QUIET_OTHERS} cores in every measure; all rounds when none was);` +
        `\n(a) = the faster of batch 1 and batch 8; ratios: median of the rounds' own ratios`,
    );
    console.log(
      table([
        [
          'model',
          'rounds',
          '(a) bare b1',
          '(a) bare b8',
          '(b) naive',
          '(c) steady',
          '(c) whole',
          '(c) wall s',
          '(c)/(a)',
          '(c)/(b)',
        ],
        ...speed.map((s) => [
          s.model,
          `${s.rounds}${s.quietRounds ? ' quiet' : ' (none quiet)'}`,
          f1(s.bareBatch1),
          f1(s.bareBatch8),
          f1(s.naive),
          f1(s.jobSteady),
          f1(s.jobWhole),
          f1(s.jobWallS),
          f2(s.vsBare),
          f2(s.vsNaive),
        ]),
      ]),
    );
    console.log(
      `\nwhere the time goes. CPU ms per image: decode from (d), inference from (a), naive (b), job (c) (engine process);` +
        `\n2-core bound = 2000 / (decode + inference CPU ms): the best both cores can do when they decode and infer.` +
        `\njob: per-image means from results.jsonl (run = a batch's run time / its images); in run = share of the job's time the` +
        `\ninference loop spent in session.run (the rest it waited for decoded images); cores: the engine's and other programs'`,
    );
    console.log(
      table([
        [
          'model',
          'CPU ms: decode',
          'infer',
          'naive',
          'job',
          '2-core bound',
          '(c)/bound',
          'batch',
          'job decode ms',
          'run ms',
          'post ms',
          'in run',
          'cores: job',
          'others',
        ],
        ...speed.map((s) => [
          s.model,
          f1(s.decodeCpuMs),
          f1(s.inferCpuMs),
          f1(s.naiveCpuMs),
          f1(s.jobCpuMs),
          f1(s.bound),
          f2(s.vsBound),
          f1(s.meanBatch),
          f1(s.ms.decode),
          f1(s.ms.run),
          f1(s.ms.post),
          `${Math.round(s.inferBusy * 100)}%`,
          f2(s.jobCores),
          f2(s.othersCores),
        ]),
      ]),
    );
    console.log(
      `\n${rn.model} over ${args.images} small images (300–640 px, decoding nearly free): (c) ${f1(rn.smallJob)} img/s,` +
        ` ${f1(rn.smallJobCpuMs)} CPU ms per image, (c)/(a) ${f2(rn.vsBareSmall)}: what the pipeline itself costs`,
    );
    console.log(
      `\nmemory run: MobileNet-class over ${args.memoryImages} small images (300–640 px, to keep it quick), ${f1(memory.summary.imagesPerSecond)} img/s, ${memory.rss.length} RSS samples`,
    );
    console.log(
      table([
        ['measure', 'value', 'target', 'ok'],
        ['ResNet-50-class (c)/(a)', f2(rn.vsBare), `≥ ${TARGET_RESNET_VS_BARE}`, ok(rn.vsBare >= TARGET_RESNET_VS_BARE)],
        [
          'MobileNet-class (c)/(b)',
          f2(mb.vsNaive),
          `≥ ${TARGET_MOBILENET_VS_NAIVE}`,
          ok(mb.vsNaive >= TARGET_MOBILENET_VS_NAIVE),
        ],
        [`engine RSS at image ${rssFrom.done} (MB)`, f1(rssFrom.mb), '', ''],
        [`engine RSS at the end, image ${rssEnd.done} (MB)`, f1(rssEnd.mb), '', ''],
        ['engine RSS growth (MB)', f1(growth), `≤ ${TARGET_RSS_GROWTH_MB}`, ok(growth <= TARGET_RSS_GROWTH_MB)],
        ['engine RSS max sampled / VmHWM (MB)', `${f1(rssMax)} / ${f1(memory.peakMb)}`, '', ''],
        ['event-loop delay max, all jobs (ms)', f1(loopMax), `≤ ${TARGET_LOOP_BLOCK_MS}`, ok(loopMax <= TARGET_LOOP_BLOCK_MS)],
        [`event-loop delay max, the ${quietJobs.length} quiet jobs (ms)`, f1(quietLoopMax), '', ''],
        ['event-loop delay p99, worst job (ms)', f1(loopP99), '', ''],
        ['  of which this process on the CPU, max (ms)', f1(loopOwn), '', ''],
        ['event-loop delay max / p99, 5 s idle (ms)', `${f1(idle.maxMs)} / ${f1(idle.p99Ms)}`, '', ''],
      ]),
    );
    const json = {
      threads: THREADS,
      rounds: args.rounds,
      images: args.images,
      distinctPhotos: DISTINCT_PHOTOS,
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
      targets: {
        resnetVsBare: rn.vsBare >= TARGET_RESNET_VS_BARE,
        mobilenetVsNaive: mb.vsNaive >= TARGET_MOBILENET_VS_NAIVE,
        rssFlat: growth <= TARGET_RSS_GROWTH_MB,
        eventLoop: loopMax <= TARGET_LOOP_BLOCK_MS,
      },
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
