// A batch job's pipeline. Files are listed as a stream; decoders (sharp, on its own threads)
// fill a bounded queue of resized pixels; the inference loop takes up to a batch of them, packs
// them into one reused tensor and runs the model; postprocessing and writing happen after, in a
// second bounded queue, never awaited by the next run. The queues bound memory: a slow stage
// makes the ones before it wait. Every finished file goes to the journal, so that a crash loses
// at most the files in flight and a rerun resumes. The decoders start while the session is
// still being made (the model's load overlaps the first images' decoding), and the first run
// takes what is decoded rather than a full batch, so the first result comes early.
import { setMaxListeners } from 'node:events';
import { join, relative, sep } from 'node:path';
import type * as Ort from 'onnxruntime-node';
import {
  type BatchFailure,
  type BatchItemRecord,
  type BatchItemTimings,
  type BatchJob,
  type BatchJobInput,
  type BatchProgress,
  type BatchResultSummary,
  type BatchSummary,
  batchJobSchema,
  summarizeResults,
} from '../../../shared/batch';
import { channelCount, tensorDims, type ImageTransform, type PreprocessRecipe } from '../../../shared/recipe';
import { WorkbenchError, toErrorInfo, type WorkbenchErrorInfo } from '../../../shared/result';
import type { Raster, TaskResult } from '../../../shared/tasks';
import { type DecodeOptions, decodeImage, type OriginalImage } from '../image/decode';
import type { TimedImage } from '../image/decode-pool';
import { allocateData, fillPadding, packPixels, type ImageTensorData } from '../image/pack';
import { runTiled } from '../image/tiles';
import { loadOrt } from '../ort';
import { rasterToPng } from '../results/encode';
import { type TaskFiles, interpretOutputs, readLabelsFile, readTaskFiles } from '../results/interpret';
import { metadataLabels } from '../../../shared/postprocess/labels';
import { renderResultImage } from '../results/render';
import type { CachedSession, SessionCache } from '../run/session-cache';
import { describeMismatch } from '../tensors/match';
import { type Tensor, fromOrtTensor, numbersOf, toOrtTensor } from '../tensors/tensor';
import { CRASHED, tooManyFailures } from './failures';
import { BoundedQueue, PauseGate } from './flow';
import { type BatchJournal, type JournalEntry, latestItems } from './journal';
import { countImages, listImages, listingOptions, type ListedFile } from './listing';
import { openOutputFolder } from './output-folder';
import { LIVE_KINDS, LiveResults } from './live-results';
import { FolderMaker, type ItemRenderers, JOB_FILES, JOURNAL_FILE, writeItemOutputs, writeJobFiles } from './outputs';
import { type JobPlan, type PlanContext, imageTensorBytes, placeFolders, planJob } from './plan';
import { ProgressTracker } from './progress';
import { Prefetch, type PrefetchDecoder } from './prefetch';
import { runSpeechJob } from './speech-job';
import { runPipelineJob } from '../pipeline/job';
import { writeShardState } from './shard-state';
import { type Clock, HeldTime, realClock } from './timing';
import {
  FIRST_RUN_DECODES,
  SAMPLE_DECODES,
  SAMPLE_IMAGES,
  SAMPLE_RUNS,
  type ThreadSample,
  chooseModelThreads,
  sampleCosts,
} from './threads';
import { DECODE_NICE_STEP, SAMPLING_NICE_STEP } from '../run/thread-priority';

export interface BatchRunOptions {
  sessions: Pick<SessionCache, 'get'>;
  signal?: AbortSignal;
  /** Names the job in progress events and in the journal. */
  jobId?: string;
  onProgress?: (progress: BatchProgress) => void;
  /** Pause and resume from outside (the engine's batchControl method). */
  gate?: PauseGate;
  /**
   * The engine process died during the last run of this job (the Node side restarts it): files
   * the journal shows in flight are recorded as failed and not run again in this run.
   */
  failInFlight?: boolean;
  /** A subfolder that cannot be read, and the like. */
  onWarning?: (message: string) => void;
  /** How many images are decoded at once (default: the cores, 2 to 4). */
  decoders?: number;
  /** CPU time of this process so far, in ms (tests inject one; default process.cpuUsage). */
  cpuMs?: () => number;
  /** Least time between progress events (default 100 ms; tests use 0 to see every change). */
  progressIntervalMs?: number;
  /** Milliseconds for timings and speed (tests inject one). */
  clock?: Clock;
  /** Reads one image (tests wrap it to delay or observe decoding). */
  decode?: typeof decodeImage;
  /**
   * Decodes on a thread of its own, at most `concurrency` at once (the engine's DecodeWorker):
   * the job keeps a batch more in flight, so the thread goes on while a run holds this one.
   */
  decoder?: {
    decode(path: string, recipe: PreprocessRecipe, options: DecodeOptions, pack?: boolean): Promise<TimedImage>;
    /** Takes back a packed image's buffer once its values are copied. */
    recycle?(values: ArrayBufferView): void;
    concurrency: number;
    warm?(): void;
    /** Lists and decodes a job's first files on its thread while the job is planned (prefetch.ts). */
    prefetch?: PrefetchDecoder['prefetch'];
    /** Images it has finished so far, counted as they finish (also while a run holds this thread). */
    finished?(): number;
  };
  /** The job's first images, listed and decoded while it was planned (prefetch.ts). */
  prefetch?: Prefetch;
  /**
   * Puts the threads that decode `step` below the model's (the engine's run/thread-priority.ts),
   * so that decoding takes the cores the model leaves: once the job's session is ready, and again
   * once its threads are settled.
   */
  lowerDecoders?: (step: number) => void;
  /** CPU ms so far of the threads that run the model (this one and onnxruntime's), where the system tells. */
  modelCpuMs?: () => number | null;
  /** The machine the job is planned for (tests give one; default: this one's cores and container limits). */
  plan?: PlanContext;
}

/** Decoders per core, within these bounds: sharp decodes each image on one thread (libuv's pool has 4). */
const MIN_DECODERS = 2;
const MAX_DECODERS = 4;
const POST_WORKERS = 3;
/** Decoded pixels waiting for the model, at most (beyond two batches). */
const QUEUE_BYTES = 64 * 1024 * 1024;
/** Finished-file records waiting for their journal sync, at most. */
const MAX_FINISHING = 256;
/**
 * Images per run once the model gets fewer threads than the cores (it is lighter than its
 * decoding): measured by bench:batch on 2 cores, a MobileNetV2-class job over 200 photos took
 * 2.10 s in runs of 8, 2.02 in runs of 4, 2.04 in runs of 2.
 */
const LIGHT_MODEL_BATCH = 4;
/** Runs whose results reach their files before the next run starts (settleResults): the first. */
const SETTLE_RUNS = 1;

interface Decoded {
  file: ListedFile;
  /** Its place in the listing: runs take the earliest decoded first, so results rows go out soonest. */
  seq: number;
  pixels: Uint8Array;
  /** The image's tensor values, packed by the decoder thread (pixels are then empty). */
  packed?: ImageTensorData;
  channels: 3 | 4;
  transform: ImageTransform;
  original: OriginalImage;
  decodeMs: number;
  /** Model runs that held the thread while it was decoded. */
  heldMs: number;
  /** When decoding ended (clock). */
  decodedAt: number;
  /** The journal knew this file before this run: its earlier outputs are ours to replace. */
  known: boolean;
}

interface RunItem {
  file: ListedFile;
  transform: ImageTransform;
  original: OriginalImage;
  outputs: Map<string, Tensor>;
  known: boolean;
  ms: Required<Pick<BatchItemTimings, 'decode' | 'preprocess' | 'run' | 'wait'>>;
  /** When its run ended (clock). */
  ranAt: number;
}

const NO_TIME: BatchItemTimings = { decode: 0, run: 0, post: 0 };

function processCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
const errorText = (e: WorkbenchErrorInfo) => e.message;

const renderers: ItemRenderers = { renderResultImage, rasterToPng };

/** No task: each output's dims and value range. */
function outputsSummary(outputs: Map<string, Tensor>): BatchResultSummary {
  const list = [...outputs].map(([name, t]) => {
    const v = numbersOf(t);
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (const x of v ?? []) {
      if (x < min) min = x;
      if (x > max) max = x;
      sum += x;
    }
    const r = (x: number) => (Number.isFinite(x) ? Math.round(x * 1e6) / 1e6 : NaN);
    return { name, dims: [...t.dims], min: r(min), max: r(max), mean: r(v && v.length ? sum / v.length : NaN) };
  });
  const text = list.map((o) => `${o.name} [${o.dims.join(',')}] ${o.min}..${o.max}`).join('; ');
  return { task: 'outputs', text, outputs: list };
}

/** A detection job's class names by index (for coco.json's categories), when the job knows them. */
async function detectionLabels(plan: JobPlan): Promise<string[] | null> {
  const task = plan.task;
  if (task?.kind !== 'detection') return null;
  switch (task.labels.kind) {
    case 'list':
      return task.labels.labels;
    case 'file':
      return readLabelsFile(task.labels.path).catch(() => null);
    case 'auto':
      return metadataLabels(plan.info);
    default:
      return null;
  }
}

/** One image's share of a batch output: [N,…] sliced at k (a view, no copy). */
function sliceOutputs(outputs: Map<string, Tensor>, k: number, n: number): Map<string, Tensor> {
  if (n === 1) return outputs;
  const out = new Map<string, Tensor>();
  for (const [name, t] of outputs) {
    if (t.dims[0] !== n || Array.isArray(t.data)) {
      out.set(name, t);
      continue;
    }
    const per = t.data.length / n;
    out.set(name, { dtype: t.dtype, dims: [1, ...t.dims.slice(1)], data: t.data.subarray(k * per, (k + 1) * per) as never });
  }
  return out;
}

class BatchRun {
  private readonly stop = new AbortController();
  private fatal: WorkbenchError | null = null;
  private readonly progress: ProgressTracker;
  private readonly decoded: BoundedQueue<Decoded>;
  private readonly toPost: BoundedQueue<RunItem>;
  private readonly finishing = new Set<Promise<void>>();
  /** Items the post workers hold (interpreting, writing). */
  private posting = 0;
  /** Files this run recorded as failed because the engine died on them last time. */
  private readonly crashedNow = new Set<string>();
  /** Settled files counted from the journal at the start, and those of them the listing found. */
  private readonly settledCount = { ok: 0, failed: 0, seenOk: 0, seenFailed: 0 };
  private listingComplete = false;
  private readonly folders = new FolderMaker();
  private runsOk = 0;
  private interpretedOk = 0;
  private buffer: ImageTensorData | null = null;
  private provider: BatchSummary['provider'];
  private readonly clock: Clock;
  /** Model runs holding the engine's thread: left out of the timings of asynchronous work. */
  private readonly held: HeldTime;
  /** Failed files counted from the journal at the start, and those of them the listing found. */
  private readonly failedBefore = new Set<string>();
  private readonly failedBeforeSeen = new Set<string>();
  /** results.csv/jsonl written as files finish (a job that starts from nothing); null: rebuilt at the end. */
  private live: LiveResults | null = null;
  /** Resolves true once the session is ready, false when it could not be made. */
  private readonly ready: Promise<boolean>;
  private setReady: (ok: boolean) => void = () => {};
  /** Time the model waited for decoded images, and the decoders for room in the queue (ms, summed over decoders). */
  private readonly waits = { model: 0, decoders: 0 };
  private decoderCount = 1;
  /** Images decoded, and run, so far in this run. */
  private decodedCount = 0;
  /** Images per run: the plan's, fewer once the model proves lighter than its decoding (switchThreads). */
  private batchSize: number;
  /** Files the listing gave so far (each one's place in it). */
  private listed = 0;
  private ranCount = 0;
  /** The runs the model's thread count is chosen from (threads.ts); `done` once chosen. */
  private sample:
    | {
        cpuMs: number;
        modelCpuMs: number | null;
        decoded: number;
        runMs: number;
        images: number;
        runs: number;
      }
    | 'done'
    | null = null;
  private modelThreads: BatchSummary['modelThreads'];
  /** The first session's pool: the threads onnxruntime started for it and this one (0: not known). */
  private poolThreads = 0;

  constructor(
    private readonly plan: JobPlan,
    private readonly journal: BatchJournal,
    private readonly options: BatchRunOptions,
    private readonly jobId: string,
    private readonly gate: PauseGate,
    /** At the job's start, before its plan (null: no decoder thread's count to read). */
    private readonly started: CpuSnapshot | null = null,
  ) {
    this.clock = options.clock ?? realClock;
    this.batchSize = plan.batchSize;
    // Every decoder loop and the model's wait on it while the job is paused (a dozen, not a leak).
    setMaxListeners(64, this.stop.signal);
    this.held = new HeldTime(this.clock);
    this.ready = new Promise((resolve) => (this.setReady = resolve));
    this.progress = new ProgressTracker(jobId, (p) => options.onProgress?.(p), {
      intervalMs: options.progressIntervalMs,
      clock: this.clock,
      meter: {
        cores: plan.cores,
        cpuMs: options.cpuMs ?? processCpuMs,
        waits: () => ({ model: this.waits.model, decoders: this.waits.decoders / this.decoderCount }),
      },
    });
    const b = plan.batchSize;
    // Deep enough to hold what the decoders do while the session is made, and a few batches
    // after; two batches at least, and past that no more than about 64 MB of pixels. Full-size
    // images for tiles are big: two of them at most.
    // An image waits as its tensor values (packed by the decoder thread) or as RGBA at most.
    const pixelBytes = Math.max(plan.recipe.resize.width * plan.recipe.resize.height * 4, imageTensorBytes(plan.recipe));
    // Decoders finish out of order (a small image overtakes a big one); runs take the images in the
    // listing's order as far as they are decoded: the results files' rows (in listing order) come sooner.
    this.decoded = new BoundedQueue(
      plan.tiles ? 2 : Math.max(2 * b, Math.min(Math.max(4, 4 * b), Math.floor(QUEUE_BYTES / pixelBytes))),
      (x, y) => x.seq < y.seq,
    );
    // Tiled outputs are full-size images: one waits while another is written, no more.
    this.toPost = new BoundedQueue(plan.tiles ? 1 : Math.max(2, b));
    options.signal?.addEventListener('abort', () => this.stop.abort(), { once: true });
    if (options.signal?.aborted) this.stop.abort();
    gate.listen((paused) => {
      if (this.progress.state === 'running' || this.progress.state === 'paused')
        this.progress.setState(paused ? 'paused' : 'running');
    });
  }

  private fail(error: unknown) {
    if (this.fatal) return;
    const info = toErrorInfo(error);
    this.fatal = error instanceof WorkbenchError ? error : new WorkbenchError(info.code, info.message);
    this.stop.abort();
  }

  private get stopped(): boolean {
    return this.stop.signal.aborted;
  }

  /** Records a finished file; the count moves once the record is on disk. */
  private finish(record: BatchItemRecord, text: string) {
    const p = this.journal.append(record).then(
      () => {
        this.live?.add(record);
        this.progress.finish({
          file: record.file,
          status: record.status,
          text,
          ...(record.outputs ? { outputs: record.outputs } : {}),
        });
        if (record.status === 'failed') this.checkFailures();
      },
      (e: unknown) => this.fail(e),
    );
    this.finishing.add(p);
    void p.finally(() => this.finishing.delete(p));
  }

  /** Stops the job once more files failed than its maxFailures allows (failures.ts). */
  private checkFailures() {
    if (this.fatal) return;
    const error = tooManyFailures(this.plan.job.maxFailures, this.progress.failed, this.progress.total);
    if (error) this.fail(error);
  }

  private async roomToFinish() {
    while (this.finishing.size >= MAX_FINISHING) await Promise.race(this.finishing);
  }

  private failed(file: string, error: WorkbenchErrorInfo, extra: Partial<BatchItemRecord> = {}) {
    const record: BatchItemRecord = {
      type: 'item',
      file,
      status: 'failed',
      error,
      ms: NO_TIME,
      key: this.plan.key,
      at: new Date().toISOString(),
      ...extra,
    };
    this.finish(record, errorText(error));
  }

  async run(): Promise<BatchSummary> {
    const { plan } = this;
    if (this.options.failInFlight) {
      // The last run started is the one the engine died in; earlier runs had ended (their files
      // were being written) and simply run again. Counted when the listing reaches them.
      const at = new Date().toISOString();
      const ms = NO_TIME;
      const records: Promise<void>[] = [];
      for (const file of this.journal.lastStarted) {
        const entry = this.journal.entries.get(file);
        if (entry?.status !== 'started' || entry.key !== plan.key) continue;
        this.crashedNow.add(file);
        records.push(this.journal.append({ type: 'item', file, status: 'failed', error: CRASHED, ms, key: plan.key, at }));
      }
      await Promise.all(records);
    }
    const failures: BatchFailure[] = [];
    for (const [file, entry] of this.journal.entries) {
      const settled = this.crashedNow.has(file) ? null : this.settledStatus(entry);
      if (settled === 'ok') this.settledCount.ok += 1;
      else if (settled === 'failed') {
        this.settledCount.failed += 1;
        this.failedBefore.add(file);
        failures.push({ file, error: entry.error ?? 'failed' });
      }
    }
    this.progress.settledBefore(this.settledCount.ok, this.settledCount.failed, failures);
    // A job resumed with more failures than it allows stops at once, as it did before.
    this.checkFailures();
    this.progress.setState(this.gate.paused ? 'paused' : 'running');
    const listOptions = {
      ...listingOptions(plan.job, plan.skipDirs),
      signal: this.stop.signal,
      onWarning: this.options.onWarning,
    };
    const counting = countImages(listOptions, 0).then(
      ({ files }) => {
        if (!this.stopped) this.progress.setTotal(files);
      },
      () => {},
    );
    // A job that starts from nothing writes its results files as it goes (an input list has its own order).
    if (this.journal.entries.size === 0 && !plan.job.input.list && LIVE_KINDS.some((k) => plan.job.output.write.includes(k)))
      this.live = new LiveResults();
    // The session is made while the first images are decoded.
    const making = Promise.all([this.options.sessions.get(plan.job.model, plan.options), loadOrt()]);
    making.catch(() => {});
    this.progress.begin();
    const files = this.options.prefetch?.files(listOptions, plan.recipe) ?? listImages(listOptions);
    const { decoder } = this.options;
    // A tiled job's images are full-size (and its outputs too): one decoder and one writer, so
    // that at most a few of them are held at once.
    this.decoderCount =
      this.options.decoders ??
      (plan.tiles
        ? 1
        : decoder
          ? decoder.concurrency + plan.batchSize
          : Math.min(MAX_DECODERS, Math.max(MIN_DECODERS, plan.cores)));
    const decoders = Array.from({ length: this.decoderCount }, () => this.decodeLoop(files));
    const decoding = Promise.all(decoders).then(() => this.decoded.close());
    let session;
    let ort: typeof Ort;
    try {
      [session, ort] = await making;
      await this.live?.open(plan.resultsDir, plan.job.output.write);
    } catch (error) {
      this.setReady(false);
      this.stop.abort();
      this.decoded.clear();
      await decoding.catch(() => {});
      await this.live?.close().catch(() => {});
      this.progress.stop();
      throw error;
    }
    this.provider = session.provider;
    // Never more than the cores: threads another part of the process started meanwhile may be counted in.
    this.poolThreads = session.threads?.length ? Math.min(plan.cores, session.threads.length + 1) : 0;
    this.setReady(true);
    // While the job samples its threads the decoders go one step down only: at the lowest they
    // finish next to nothing during a run at every core, and the sample, which counts what they
    // finish, would wait out more such runs (a light model's slowest); lowest once it is settled.
    this.options.lowerDecoders?.(this.samplesThreads() ? SAMPLING_NICE_STEP : DECODE_NICE_STEP);
    const posting = Promise.all(Array.from({ length: plan.tiles ? 1 : POST_WORKERS }, () => this.postLoop()));
    try {
      await this.inferLoop(ort, session.session);
    } catch (error) {
      this.fail(error);
    }
    if (this.stopped) this.decoded.clear();
    await decoding.catch((e: unknown) => this.fail(e));
    this.toPost.close();
    await posting;
    await Promise.all(this.finishing);
    await counting;
    return this.conclude();
  }

  private async conclude(): Promise<BatchSummary> {
    const { plan, progress } = this;
    await this.journal.drain().catch((e: unknown) => this.fail(e));
    if (!this.options.signal?.aborted) this.checkFailures();
    const cancelled = !this.fatal && (this.options.signal?.aborted ?? false);
    let written: string[] = [];
    // The live files hold every settled file in listing order: only the rest (coco.json, or a
    // live file whose rows came out of order) is rebuilt from the journal.
    const live = new Set<string>();
    if (this.live) {
      try {
        if (await this.live.close()) for (const k of LIVE_KINDS) if (plan.job.output.write.includes(k)) live.add(k);
      } catch (error) {
        this.fail(error);
      }
    }
    if (this.fatal?.code !== 'WRITE_FAILED') {
      try {
        const rebuild = plan.job.output.write.filter((k) => !live.has(k));
        const rebuilt = await writeJobFiles(
          plan.resultsDir,
          latestItems(join(plan.stateDir, JOURNAL_FILE), plan.key),
          rebuild,
          plan.stateDir,
          rebuild.includes('coco') ? await detectionLabels(plan) : null,
        );
        written = (Object.keys(JOB_FILES) as (keyof typeof JOB_FILES)[])
          .filter((k) => live.has(k) || rebuilt.includes(JOB_FILES[k]))
          .map((k) => JOB_FILES[k]);
        // A shard's results are in its own folder (merged by `batch merge`): named from the output folder.
        const dir = relative(plan.outputFolder, plan.resultsDir).split(sep).join('/');
        if (dir) written = written.map((name) => `${dir}/${name}`);
      } catch (error) {
        this.fail(error);
      }
    }
    if (this.listingComplete) {
      // Files the journal had settled but the listing no longer found (deleted, or filtered out).
      const c = this.settledCount;
      progress.settledBefore(c.seenOk - c.ok, c.seenFailed - c.failed);
      const gone = (f: BatchFailure) => this.failedBefore.has(f.file) && !this.failedBeforeSeen.has(f.file);
      progress.dropFailures(gone);
    }
    const counts = progress.conclude(this.fatal ? 'failed' : cancelled ? 'cancelled' : 'finished', !cancelled && !this.fatal);
    return {
      jobId: this.jobId,
      ...(plan.job.name ? { name: plan.job.name } : {}),
      ...counts,
      outputFolder: plan.outputFolder,
      written,
      ...(this.provider ? { provider: this.provider } : {}),
      ...(this.modelThreads ? { modelThreads: this.modelThreads } : {}),
      ...(this.fatal ? { error: toErrorInfo(this.fatal) } : {}),
    };
  }

  /** Whether an earlier run already settled this file (then it is skipped). */
  private settledStatus(entry: JournalEntry | undefined): 'ok' | 'failed' | null {
    if (!entry || entry.key !== this.plan.key || entry.status === 'started') return null;
    if (entry.status === 'ok') return 'ok';
    const retry = this.plan.job.retryFailed && !(this.options.failInFlight && entry.crashed);
    return retry ? null : 'failed';
  }

  private async decodeLoop(files: AsyncGenerator<ListedFile>) {
    const { plan } = this;
    while (!this.stopped) {
      try {
        await this.gate.wait(this.stop.signal);
      } catch {
        return;
      }
      let next: IteratorResult<ListedFile>;
      try {
        next = await files.next();
      } catch (error) {
        this.fail(error);
        return;
      }
      if (next.done) this.listingComplete = true;
      if (next.done || this.stopped) return;
      const file = next.value;
      const seq = this.listed++;
      const entry = this.journal.entries.get(file.rel);
      const settled = this.settledStatus(entry);
      if (settled) {
        this.options.prefetch?.take(file.path);
        if (this.crashedNow.has(file.rel))
          this.progress.finish({ file: file.rel, status: 'failed', text: CRASHED.message }, false);
        else if (settled === 'ok') this.settledCount.seenOk += 1;
        else {
          this.settledCount.seenFailed += 1;
          this.failedBeforeSeen.add(file.rel);
        }
        continue;
      }
      this.live?.take(file.rel);
      const watch = this.held.start();
      let image: TimedImage;
      try {
        const options = { maxPixels: plan.job.maxPixels };
        // A tiled job cuts its tiles from the pixels; any other packs them on the decoder thread.
        image = await (this.options.prefetch?.take(file.path) ??
          this.options.decoder?.decode(file.path, plan.recipe, options, !plan.tiles) ??
          (this.options.decode ?? decodeImage)(file.path, plan.recipe, options));
      } catch (error) {
        if (this.stopped) return;
        const t = watch.stop();
        // A job whose model does not load records nothing.
        if (!(await this.ready)) return;
        await this.roomToFinish();
        this.failed(file.rel, toErrorInfo(error), { ms: { ...NO_TIME, decode: t.work, wait: t.held } });
        continue;
      }
      const decodedTime = watch.stop();
      this.decodedCount += 1;
      // Off the thread, the worker's own time is the decode's; runs did not hold it.
      if (image.ms !== undefined) Object.assign(decodedTime, { work: image.ms, held: 0 });
      const item: Decoded = {
        file,
        seq,
        pixels: image.pixels,
        ...(image.packed ? { packed: image.packed } : {}),
        channels: image.channels,
        transform: image.transform,
        original: image.original,
        decodeMs: decodedTime.work,
        heldMs: decodedTime.held,
        decodedAt: this.clock(),
        known: entry !== undefined,
      };
      const t0 = this.clock();
      const put = await this.decoded.put(item);
      this.waits.decoders += this.clock() - t0;
      if (!put) return;
    }
  }

  /**
   * The next images that share one run (same tensor size), a full batch unless the decoders are
   * done: when decoding is the slower stage, fewer and fuller runs leave it more of the CPU.
   */
  private carry: Decoded | null = null;
  private async nextBatch(): Promise<Decoded[]> {
    const t0 = this.clock();
    try {
      return await this.gatherBatch();
    } finally {
      this.waits.model += this.clock() - t0;
    }
  }

  /**
   * The first run takes what is decoded already (the first result comes sooner), unless the
   * model's batch is fixed: a short batch would cost a full run.
   */
  private async gatherBatch(): Promise<Decoded[]> {
    const quick = this.runsOk === 0 && this.plan.fixedBatch === null;
    const first = this.carry ?? (await this.decoded.take());
    this.carry = null;
    if (!first) return [];
    const batch = [first];
    const size = (d: Decoded) => `${d.transform.tensorWidth}x${d.transform.tensorHeight}`;
    while (batch.length < this.batchSize && !this.stopped) {
      const next = this.decoded.takeNow() ?? (quick ? undefined : await this.decoded.take());
      if (!next) break;
      if (size(next) !== size(first)) {
        this.carry = next;
        break;
      }
      batch.push(next);
    }
    return batch;
  }

  /** The batch's input tensor, and the time each image took to pack (synchronous: exact). */
  private pack(batch: Decoded[]): { data: ImageTensorData; dims: number[]; packMs: number[] } {
    const { recipe, fixedBatch, stackable } = this.plan;
    const { tensorWidth: w, tensorHeight: h } = batch[0].transform;
    const c = channelCount(recipe);
    const per = w * h * c;
    const n = fixedBatch ?? batch.length;
    // One buffer for the whole job, grown when needed: run() is synchronous, so it is free again after.
    if (!this.buffer || this.buffer.length < per * n) this.buffer = allocateData(recipe.dtype, per * n);
    const data = this.buffer.subarray(0, per * n) as ImageTensorData;
    if (fixedBatch) data.fill(0);
    const packMs = batch.map((d, k) => {
      const t0 = this.clock();
      // Packed on the decoder thread: the same dtype and size, copied into its place in the batch.
      if (d.packed) {
        // The decoder packed it for this recipe and size: anything else is a bug, not a picture to guess.
        if (d.packed.length !== per)
          throw new WorkbenchError('INTERNAL', `${d.file.rel} was packed as ${d.packed.length} values, not ${per}`);
        (data as Float32Array).set(d.packed as Float32Array, k * per);
        this.options.decoder?.recycle?.(d.packed);
      } else packPixels(d.pixels, d.channels, w, h, recipe, data, k * per);
      fillPadding(data, k * per, d.transform, recipe);
      return this.clock() - t0;
    });
    const dims = stackable ? tensorDims(recipe.layout, c, h, w, n) : tensorDims(recipe.layout, c, h, w);
    return { data, dims, packMs };
  }

  /** Before the first run: CPU so far, and the images the decoder thread had finished. */
  private beforeFirst: { cpuMs: number; modelCpuMs: number | null; decoded: number } | null = null;

  /** Called before each run: the first one's costs are measured from here. */
  private beforeRun() {
    if (this.runsOk > 0 || this.beforeFirst || !this.plan.adaptThreads) return;
    this.beforeFirst = cpuSnapshot(this.options);
  }

  /**
   * The first run's sample with what the decoders cost before it: from the job's start to the
   * first run they decode its first images (the prefetch) while the model does not run, so their
   * CPU then (all but the model's threads', which make the plan and the session) over the images
   * they finished is what an image costs them. Null where that is not known, or where fewer than
   * SAMPLE_DECODES finished (the CPU of those in flight would weigh too much).
   */
  private firstRunSample(run: {
    runMs: number;
    images: number;
    modelCpuMs: number | null;
  }): Omit<ThreadSample, 'threads' | 'cores'> | null {
    const [a, b] = [this.started, this.beforeFirst];
    if (!a || !b || a.modelCpuMs === null || b.modelCpuMs === null || run.modelCpuMs === null) return null;
    const decoded = b.decoded - a.decoded;
    if (decoded < SAMPLE_DECODES) return null;
    const decodingMs = Math.max(0, b.cpuMs - a.cpuMs - (b.modelCpuMs - a.modelCpuMs));
    const modelMs = run.modelCpuMs - b.modelCpuMs;
    return { runMs: run.runMs, images: run.images, modelCpuMs: modelMs, cpuMs: modelMs + decodingMs, decoded };
  }

  private samplesThreads(): boolean {
    return this.plan.adaptThreads && this.provider?.used === 'cpu' && this.sample !== 'done';
  }

  /** The model's threads are what they stay: the decoders go to the lowest priority. */
  private settleThreads(): void {
    this.sample = 'done';
    this.options.lowerDecoders?.(DECODE_NICE_STEP);
  }

  /**
   * After a run: the model's session with fewer threads, once the runs show that decoding needs
   * the cores more (threads.ts); else null. The first run decides at once with the decoders' cost
   * from before it (firstRunSample), unless they finished a run's worth during it; else when the
   * decoder thread finished enough images during it (they decode on while a run holds this
   * thread). Its model CPU is a warming-up run's, more than the model's own, so it only ever errs
   * towards keeping the threads, and the runs after it (the first left out) decide then. Nothing is
   * decided after a later run that leaves a run's worth of images decoded and waiting (a model
   * slower than its decoding): the sample starts again after it.
   */
  private async fewerThreads(runMs: number, images: number): Promise<CachedSession | null> {
    const { plan } = this;
    // (`sample === 'done'` again for the type-checker, which does not see into samplesThreads.)
    if (!this.samplesThreads() || this.sample === 'done') return null;
    const { cpuMs, modelCpuMs } = cpuNow(this.options);
    // The threads it really has: the ones asked for, else onnxruntime's own pool as the session
    // started it (its default is the physical cores, not plan.cores); unknown: left as it is.
    const threads = plan.options.intraOpThreads || (this.poolThreads > 0 ? this.poolThreads : 0);
    if (threads <= 1) {
      this.settleThreads();
      return null;
    }
    // Images decoded so far: the decoder thread's count where there is one (it counts them as they
    // finish, also while a run holds this thread, whose replies wait), else the job's.
    const decoded = this.options.decoder?.finished?.() ?? this.decodedCount;
    const start = () => {
      this.sample = { cpuMs, modelCpuMs, decoded, runMs: 0, images: 0, runs: 0 };
    };
    // The first run, with the decoders' cost from before it: decided at once unless the decoders
    // finished a run's worth of images during it (they are ahead of the model: the rule below). The
    // images decoded while the session was made and still waiting are no sign of a slower model.
    if (!this.sample) {
      const first = this.firstRunSample({ runMs, images, modelCpuMs });
      if (first && decoded - this.beforeFirst!.decoded < this.batchSize) {
        start();
        const fewer = await this.switchThreads({ ...first, threads, cores: plan.cores });
        if (fewer) this.settleThreads();
        return fewer;
      }
    }
    // A run's worth of decoded images or more waiting: the decoders are ahead of the model (the
    // slower stage, for now: fewer threads would only slow it), and the runs so far say nothing of
    // their share of the CPU (they waited for room, not for cores). The sample starts afresh.
    if (this.decoded.size >= this.batchSize) {
      start();
      return null;
    }
    if (!this.sample) {
      start();
      const b = this.beforeFirst;
      if (!b || decoded - b.decoded < FIRST_RUN_DECODES) return null;
      const measured = {
        runMs,
        images,
        cpuMs: cpuMs - b.cpuMs,
        modelCpuMs: modelCpuMs !== null && b.modelCpuMs !== null ? modelCpuMs - b.modelCpuMs : null,
        decoded: decoded - b.decoded,
      };
      const fewer = await this.switchThreads({ ...measured, threads, cores: plan.cores });
      if (fewer) this.settleThreads();
      return fewer;
    }
    const s = this.sample;
    s.runMs += runMs;
    s.images += images;
    s.runs += 1;
    if (s.images < SAMPLE_IMAGES || s.runs < SAMPLE_RUNS || decoded - s.decoded < SAMPLE_DECODES) return null;
    this.settleThreads();
    const measured = {
      runMs: s.runMs,
      images: s.images,
      cpuMs: cpuMs - s.cpuMs,
      modelCpuMs: modelCpuMs !== null && s.modelCpuMs !== null ? modelCpuMs - s.modelCpuMs : null,
      decoded: decoded - s.decoded,
    };
    return this.switchThreads({ ...measured, threads, cores: plan.cores });
  }

  /** The session with the threads the sample calls for, when fewer than now; else null. */
  private async switchThreads(sample: ThreadSample): Promise<CachedSession | null> {
    const { plan } = this;
    const to = chooseModelThreads(sample);
    if (to >= sample.threads) return null;
    try {
      const fewer = await this.options.sessions.get(plan.job.model, { ...plan.options, intraOpThreads: to });
      const costs = sampleCosts(sample);
      const round = (x: number) => Math.round(x * 10) / 10;
      // A model lighter than its decoding waits for its images: smaller runs start sooner (the
      // size the user chose, or the model's own, stays).
      const smaller = plan.job.batchSize === 'auto' && plan.stackable && !plan.fixedBatch && this.batchSize > LIGHT_MODEL_BATCH;
      if (smaller) this.batchSize = LIGHT_MODEL_BATCH;
      this.modelThreads = {
        from: sample.threads,
        to,
        after: this.ranCount,
        inferenceMs: round(costs.inferenceMs),
        otherMs: round(costs.otherMs),
        ...(smaller ? { batchSize: this.batchSize } : {}),
      };
      return fewer;
    } catch {
      // No second session (memory): the model keeps the one it has.
      return null;
    }
  }

  /**
   * Until the results of the runs so far are in their files: each step of a result (post, journal,
   * results row) waits for a turn of this thread, which a run holds for its whole length, so
   * without this the first row would wait out three more runs (a second for a ResNet-50-class model).
   */
  private async settleResults() {
    while ((this.toPost.size > 0 || this.posting > 0) && !this.stopped) await new Promise<void>((r) => setImmediate(r));
    await Promise.all(this.finishing);
    await this.live?.settle();
  }

  private async inferLoop(ort: typeof Ort, first: Ort.InferenceSession) {
    const { plan } = this;
    let session = first;
    for (;;) {
      try {
        await this.gate.wait(this.stop.signal);
      } catch {
        return;
      }
      if (this.stopped) return;
      const batch = await this.nextBatch();
      if (!batch.length || this.stopped) return;
      // The first run's results go out before the next run starts (the first rows come at once),
      // and before the journal says this batch started.
      if (this.runsOk > 0 && this.runsOk <= SETTLE_RUNS) await this.settleResults();
      if (this.stopped) return;
      const startedAt = this.clock();
      if (plan.tiles) {
        if (!(await this.runTiles(session, batch[0], startedAt))) return;
        continue;
      }
      const { data, dims, packMs } = this.pack(batch);
      const tensor = { dtype: plan.recipe.dtype, dims };
      if (this.runsOk === 0) {
        const mismatch = describeMismatch(plan.input, tensor, `the prepared image (${batch[0].file.rel})`);
        if (mismatch) throw new WorkbenchError('INVALID_INPUT', `The recipe does not fit the model: ${mismatch}`);
      }
      // On disk (page cache) before the run: if the engine dies in it, the journal says which files.
      this.journal.writeNow({
        type: 'started',
        files: batch.map((d) => d.file.rel),
        key: plan.key,
        at: new Date().toISOString(),
      });
      this.progress.current = batch[batch.length - 1].file.rel;
      this.beforeRun();
      const t0 = this.clock();
      const endHold = this.held.holdForNextImmediate();
      let results: Ort.InferenceSession.ReturnType;
      let heldMs = 0;
      try {
        results = await session.run({ [plan.input.name]: toOrtTensor(ort, { ...tensor, data }) });
        heldMs = endHold();
      } catch (error) {
        endHold();
        const message = `The model failed on ${batch.length > 1 ? `a batch of ${batch.length} images` : 'this image'}: ${(error as Error).message.split('\n')[0]}`;
        if (this.runsOk === 0) throw new WorkbenchError('RUNTIME_ERROR', `${message} (${batch[0].file.rel})`);
        for (const d of batch) this.failed(d.file.rel, { code: 'RUNTIME_ERROR', message }, this.size(d));
        continue;
      }
      // The synchronous run itself (a session that does not defer it: the time its promise took).
      const ranAt = this.clock();
      const runMs = heldMs > 0 ? heldMs : ranAt - t0;
      this.runsOk += 1;
      this.ranCount += batch.length;
      const outputs = new Map<string, Tensor>();
      for (const name of session.outputNames) outputs.set(name, fromOrtTensor(results[name], `output '${name}'`));
      const fewer = await this.fewerThreads(runMs, batch.length);
      if (fewer) session = fewer.session;
      const n = plan.fixedBatch ?? batch.length;
      for (let k = 0; k < batch.length; k++) {
        const d = batch[k];
        const item: RunItem = {
          file: d.file,
          transform: d.transform,
          original: d.original,
          outputs: sliceOutputs(outputs, k, n),
          known: d.known,
          ms: {
            decode: d.decodeMs,
            preprocess: packMs[k],
            run: runMs / batch.length,
            // In the queue until its batch started, and the runs that held the thread while it was decoded.
            wait: Math.max(0, startedAt - d.decodedAt) + d.heldMs,
          },
          ranAt,
        };
        if (!(await this.toPost.put(item))) return;
      }
    }
  }

  /** One image tile by tile (batch size 1); false when the job stops. */
  private async runTiles(session: Ort.InferenceSession, d: Decoded, startedAt: number): Promise<boolean> {
    const { plan } = this;
    const tiles = plan.tiles!;
    this.journal.writeNow({ type: 'started', files: [d.file.rel], key: plan.key, at: new Date().toISOString() });
    this.progress.current = d.file.rel;
    const t0 = this.clock();
    let done;
    try {
      done = await runTiled(d.pixels, d.channels, d.original.width, d.original.height, {
        session,
        input: plan.input.name,
        outputs: tiles.outputs,
        recipe: plan.recipe,
        tile: tiles.plan,
        overlap: tiles.plan.overlap,
        signal: this.stop.signal,
      });
    } catch (error) {
      if (this.stopped) return false;
      const info = toErrorInfo(error);
      if (this.runsOk === 0) throw new WorkbenchError(info.code, `${info.message} (${d.file.rel})`);
      this.failed(d.file.rel, info, this.size(d));
      return true;
    }
    const ranAt = this.clock();
    this.runsOk += 1;
    const outputs = new Map<string, Tensor>();
    for (const o of done.outputs)
      outputs.set(o.name, { dtype: 'float32', dims: [1, o.channels, o.height, o.width], data: o.data });
    const item: RunItem = {
      file: d.file,
      transform: d.transform,
      original: d.original,
      outputs,
      known: d.known,
      // Packing and running interleave tile by tile: all of it is the run.
      ms: { decode: d.decodeMs, preprocess: 0, run: ranAt - t0, wait: Math.max(0, startedAt - d.decodedAt) + d.heldMs },
      ranAt,
    };
    return this.toPost.put(item);
  }

  private size(d: { original: OriginalImage }): Partial<BatchItemRecord> {
    return { width: d.original.width, height: d.original.height };
  }

  private async postLoop() {
    for (;;) {
      const item = await this.toPost.take();
      if (!item) return;
      // A disk that failed will fail again: the rest is left for the resume.
      if (this.fatal) continue;
      this.posting += 1;
      try {
        await this.roomToFinish();
        await this.post(item);
      } finally {
        this.posting -= 1;
      }
    }
  }

  /** The labels and charset the task names, read for the first image and kept for the job. */
  private taskFiles: Promise<TaskFiles> | null = null;

  private async interpret(item: RunItem): Promise<{ result: TaskResult<Raster> | null; summary: BatchResultSummary }> {
    const { plan } = this;
    if (!plan.task) return { result: null, summary: outputsSummary(item.outputs) };
    const outputs = [...item.outputs.values()];
    this.taskFiles ??= readTaskFiles(plan.task, outputs);
    const results = await interpretOutputs(
      { info: plan.info, outputs: item.outputs, transforms: [item.transform], recipe: plan.recipe, task: plan.task },
      this.taskFiles,
    );
    const result = results.find((r) => !('image' in r) || r.image === 0) ?? results[0] ?? null;
    // coco.json is rebuilt from the journal: RLE masks are worked out here, while the pixels are at hand.
    const rle = plan.job.output.cocoMasks === 'rle' && plan.job.output.write.includes('coco');
    return { result, summary: summarizeResults(result ? [result] : [], { rle }) };
  }

  private async post(item: RunItem) {
    const { plan } = this;
    const queued = Math.max(0, this.clock() - item.ranAt);
    const base = { file: item.file.rel, key: plan.key, ...this.size(item) };
    const postWatch = this.held.start();
    const ms = (post: { work: number; held: number }, write?: { work: number; held: number }): BatchItemTimings => ({
      ...item.ms,
      post: post.work,
      ...(write ? { write: write.work } : {}),
      wait: item.ms.wait + queued + post.held + (write?.held ?? 0),
    });
    let interpreted;
    try {
      interpreted = await this.interpret(item);
      this.interpretedOk += 1;
    } catch (error) {
      // The outputs do not fit the task: every image would fail the same way, so the job stops.
      if (this.interpretedOk === 0) return this.fail(error);
      this.failed(item.file.rel, toErrorInfo(error), { ...base, ms: ms(postWatch.stop()) });
      return;
    }
    const postTime = postWatch.stop();
    const writeWatch = this.held.start();
    let written: string[] = [];
    try {
      written = await writeItemOutputs(
        {
          outputFolder: plan.outputFolder,
          write: plan.job.output.write,
          replace: plan.job.output.overwrite || item.known,
          folders: this.folders,
        },
        { rel: item.file.rel, path: item.file.path, result: interpreted.result, outputs: item.outputs },
        renderers,
      );
    } catch (error) {
      const info = toErrorInfo(error);
      if (info.code === 'WRITE_FAILED') return this.fail(error);
      this.failed(item.file.rel, info, { ...base, ms: ms(postTime, writeWatch.stop()), result: interpreted.summary });
      return;
    }
    const record: BatchItemRecord = {
      type: 'item',
      ...base,
      status: 'ok',
      ms: ms(postTime, writeWatch.stop()),
      result: interpreted.summary,
      ...(written.length ? { outputs: written } : {}),
      at: new Date().toISOString(),
    };
    this.finish(record, interpreted.summary.text);
  }
}

/** The process's CPU, its model threads' and the decoder thread's finished images at one moment. */
interface CpuSnapshot {
  cpuMs: number;
  modelCpuMs: number | null;
  decoded: number;
}

function cpuNow(options: BatchRunOptions): Omit<CpuSnapshot, 'decoded'> {
  return { cpuMs: (options.cpuMs ?? processCpuMs)(), modelCpuMs: options.modelCpuMs?.() ?? null };
}

function cpuSnapshot(options: BatchRunOptions): CpuSnapshot | null {
  const decoded = options.decoder?.finished?.();
  return decoded === undefined ? null : { ...cpuNow(options), decoded };
}

/** Runs a batch job to its end (or cancel, or a write failure); resumes from the output folder's journal. */
export async function runBatchJob(input: BatchJob | BatchJobInput, options: BatchRunOptions): Promise<BatchSummary> {
  const job = batchJobSchema.parse(input);
  options.decoder?.warm?.();
  const jobId = options.jobId ?? `job-${Date.now().toString(36)}`;
  if (job.speech) return runSpeechJob(job, options, jobId);
  if (job.pipeline) return runPipelineJob(job, options, jobId);
  // A job started paused decodes nothing ahead; nor does one on a decoder without a thread of its own.
  // The folders are placed once, for the plan and the prefetch (which lists what the plan will).
  const folders = placeFolders(job);
  folders.catch(() => {});
  const prefetch = options.gate?.paused || options.prefetch ? null : Prefetch.start(job, options.decoder, folders);
  const run = prefetch ? { ...options, prefetch } : options;
  // The decoders take the core the plan and the session leave (those hold this thread, onnxruntime
  // makes a session synchronously), not half of this one's: a step down from here (prefetch.ts).
  if (prefetch) options.lowerDecoders?.(SAMPLING_NICE_STEP);
  // From here to the first run the decoders decode the first images while the model does not run:
  // what they cost is measured then (BatchRun.fewerThreads).
  const started = cpuSnapshot(options);
  try {
    const plan = await planJob(job, { ...options.plan, folders });
    const folder = await openOutputFolder(plan, jobId);
    const gate = options.gate ?? new PauseGate();
    try {
      const summary = await new BatchRun(plan, folder.journal, run, jobId, gate, started).run();
      await writeShardState(plan.stateDir, job, plan.key, folder.startedAt, summary);
      return summary;
    } finally {
      await folder.release();
    }
  } finally {
    // Whatever the job did not take is let go (a refused plan or folder: all of it).
    prefetch?.cancel();
  }
}

/** How many files a job would take (before starting it). */
export async function countBatchFiles(input: BatchJob | BatchJobInput): Promise<{ files: number; sample: string[] }> {
  const job = batchJobSchema.parse(input);
  const { skipDirs } = await placeFolders(job);
  return countImages(listingOptions(job, skipDirs), 5);
}
