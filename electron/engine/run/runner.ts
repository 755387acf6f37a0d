// One run of a model, and the benchmark (like onnxruntime_perf_test): sessions from the cache,
// inputs prepared and checked, outputs summarised; the output tensors stay in the engine
// (only summaries cross processes) until later runs push them out.
import { performance } from 'node:perf_hooks';
import type * as Ort from 'onnxruntime-node';
import { type CompareResult, type RunComparison, DEFAULT_ATOL, DEFAULT_RTOL, compareTensors } from '../../../shared/compare';
import type { ModelInfo } from '../../../shared/model-info';
import type { ImageTransform } from '../../../shared/recipe';
import { WorkbenchError } from '../../../shared/result';
import {
  type BenchmarkResult,
  type RunInputSource,
  type RunResult,
  type SessionOptions,
  latencyStats,
} from '../../../shared/run';
import type { OutputPlane } from '../../../shared/tensor';
import { writeNew } from '../../common/fs';
import { readModelInfo } from '../../common/onnx/reader';
import { loadOrt } from '../ort';
import { encodeTensor, formatOf } from '../tensors/io';
import { tensorPlane } from '../tensors/plane';
import { previewValue, summarizeTensor } from '../tensors/summary';
import { type Tensor, fromOrtTensor } from '../tensors/tensor';
import { type ImageLoader, prepareInputs } from './inputs';
import { runImageTiled, tiledInput } from './tiled';
import type { SessionCache } from './session-cache';

const KEPT_RUNS = 8;

export interface RunRequest {
  path: string;
  inputs: Record<string, RunInputSource>;
  options: SessionOptions;
}

export interface RunContext {
  signal: AbortSignal;
  emit(event: { stage: string }): void;
}

/** A run's outputs, kept in the engine for paging, saving and interpreting (results, exports). */
export interface StoredRun {
  model: string;
  outputs: Map<string, Tensor>;
  transforms: Record<string, ImageTransform[]>;
  /** The run's inputs as requested (image paths and recipes, to draw results on the originals). */
  inputs: Record<string, RunInputSource>;
}

export class ModelRunner {
  /** Output tensors of the latest runs, oldest first. */
  private readonly runs = new Map<string, StoredRun>();
  private counter = 0;

  constructor(
    private readonly sessions: SessionCache,
    private readonly loadImage?: ImageLoader,
  ) {}

  private async prepare(ort: typeof Ort, info: ModelInfo, request: RunRequest, signal: AbortSignal) {
    return prepareInputs(ort, info, request.inputs, {
      dimOverrides: request.options.freeDimensionOverrides,
      loadImage: this.loadImage,
      signal,
    });
  }

  async run(request: RunRequest, ctx: RunContext): Promise<RunResult> {
    const started = performance.now();
    const ort = await loadOrt();
    ctx.emit({ stage: 'reading the model' });
    const info = await readModelInfo(request.path);
    ctx.emit({ stage: 'creating the session' });
    const session = await this.sessions.get(request.path, request.options);
    let prepared: Awaited<ReturnType<ModelRunner['prepare']>>;
    let prepareMs: number;
    let runMs: number;
    let postStart: number;
    let profilePath: string | undefined;
    const outputs = new Map<string, Tensor>();
    try {
      throwIfCancelled(ctx.signal);
      const tiled = tiledInput(request.inputs);
      if (tiled) {
        // Tile by tile: preparing and running interleave, so all of it counts as the run.
        const [name, source] = tiled;
        ctx.emit({ stage: 'running tiles' });
        const runStart = performance.now();
        const done = await runImageTiled(info, session.session, name, source, {
          signal: ctx.signal,
          onTile: throttledTiles((n, total) => ctx.emit({ stage: `running tile ${n} of ${total}` })),
        });
        prepared = { feeds: {}, summaries: [done.summary], transforms: { [name]: [done.transform] } };
        prepareMs = 0;
        runMs = performance.now() - runStart;
        postStart = performance.now();
        for (const [k, v] of done.outputs) outputs.set(k, v);
      } else {
        ctx.emit({ stage: 'preparing inputs' });
        const prepStart = performance.now();
        prepared = await this.prepare(ort, info, request, ctx.signal);
        prepareMs = performance.now() - prepStart;
        throwIfCancelled(ctx.signal);
        ctx.emit({ stage: 'running' });
        const runStart = performance.now();
        let results: Ort.InferenceSession.ReturnType;
        try {
          results = await session.session.run(prepared.feeds);
        } catch (error) {
          throw new WorkbenchError('RUNTIME_ERROR', `The run failed: ${(error as Error).message.split('\n')[0]}`);
        }
        runMs = performance.now() - runStart;
        postStart = performance.now();
        for (const name of session.session.outputNames) outputs.set(name, fromOrtTensor(results[name], `output '${name}'`));
      }
    } finally {
      // One-off sessions (profiling, saving the optimised model) end here; profiles are written now.
      if (session.finish) profilePath = (await session.finish()).profilePath;
    }
    const summaries = [...outputs].map(([name, t]) => summarizeTensor(name, t));
    const postprocessMs = performance.now() - postStart;
    const runId = `run-${++this.counter}`;
    this.keep(runId, { model: request.path, outputs, transforms: prepared.transforms, inputs: request.inputs });
    return {
      runId,
      model: request.path,
      provider: session.provider,
      timings: {
        createMs: session.createMs,
        cached: session.cached,
        prepareMs,
        runMs,
        postprocessMs,
        totalMs: performance.now() - started,
      },
      inputs: prepared.summaries,
      outputs: summaries,
      transforms: prepared.transforms,
      ...(profilePath ? { profilePath } : {}),
      ...(session.optimizedModelPath ? { optimizedModelPath: session.optimizedModelPath } : {}),
    };
  }

  async benchmark(
    request: RunRequest & { runs: number; warmup: number },
    ctx: { signal: AbortSignal; emit(event: { done: number; total: number; lastMs: number }): void },
  ): Promise<BenchmarkResult> {
    const ort = await loadOrt();
    const info = await readModelInfo(request.path);
    // A benchmark measures the cached session a run would use: no profiling, nothing saved.
    const options = { ...request.options, profiling: undefined, saveOptimizedModel: undefined };
    const session = await this.sessions.get(request.path, options);
    const { feeds } = await this.prepare(ort, info, request, ctx.signal);
    const total = request.warmup + request.runs;
    const samples: number[] = [];
    let lastEmit = 0;
    let measuredStart = 0;
    for (let i = 0; i < total; i++) {
      throwIfCancelled(ctx.signal);
      if (i === request.warmup) measuredStart = performance.now();
      const t0 = performance.now();
      await session.session.run(feeds);
      const ms = performance.now() - t0;
      if (i >= request.warmup) samples.push(ms);
      // About ten progress events a second, and always the last one.
      if (performance.now() - lastEmit > 100 || i === total - 1) {
        lastEmit = performance.now();
        ctx.emit({ done: i + 1, total, lastMs: ms });
      }
    }
    const measuredMs = performance.now() - measuredStart;
    return {
      provider: session.provider,
      createMs: session.createMs,
      cached: session.cached,
      warmup: request.warmup,
      runs: request.runs,
      latencyMs: latencyStats(samples),
      throughput: samples.length / (measuredMs / 1000),
      samples,
    };
  }

  /** Every output of run `b` against the same output of run `a` (the reference), with tolerances. */
  compare(a: string, b: string, tolerance: { atol?: number; rtol?: number }): RunComparison {
    const ra = this.stored(a);
    const rb = this.stored(b);
    const atol = tolerance.atol ?? DEFAULT_ATOL;
    const rtol = tolerance.rtol ?? DEFAULT_RTOL;
    const outputs = [...ra.outputs].map(([name, expected]) => {
      const actual = rb.outputs.get(name);
      if (!actual) return { name, ...missingOutput(b, name) };
      return { name, ...compareTensors(expected, actual, { atol, rtol }) };
    });
    return { a, b, atol, rtol, pass: outputs.every((o) => o.pass), outputs };
  }

  /** Values of one output, a page at a time (the UI's value table). */
  outputValues(runId: string, name: string, offset: number, count: number): { total: number; values: (number | string)[] } {
    const t = this.output(runId, name);
    const total = t.data.length;
    const values: (number | string)[] = [];
    for (let k = offset; k < Math.min(total, offset + count); k++) values.push(previewValue(t, k));
    return { total, values };
  }

  /** One plane of an output, downsampled (the UI's heatmap of the whole tensor). */
  outputPlane(runId: string, name: string, index: number[], maxSize: number): OutputPlane {
    return tensorPlane(this.output(runId, name), index, maxSize, name);
  }

  /** Saves one output as .npy, .pb or .json; never overwrites an existing file. */
  async saveOutput(runId: string, name: string, to: string): Promise<{ path: string; bytes: number }> {
    const t = this.output(runId, name);
    const bytes = encodeTensor(t, formatOf(to), name);
    await writeNew(to, bytes);
    return { path: to, bytes: bytes.byteLength };
  }

  /** A kept run, or NOT_FOUND when later runs pushed it out. */
  stored(runId: string): StoredRun {
    const run = this.runs.get(runId);
    if (!run) throw new WorkbenchError('NOT_FOUND', `The results of ${runId} are no longer kept: run the model again.`);
    return run;
  }

  private output(runId: string, name: string): Tensor {
    const run = this.stored(runId);
    const t = run.outputs.get(name);
    if (!t) throw new WorkbenchError('NOT_FOUND', `${runId} has no output '${name}'.`);
    return t;
  }

  private keep(runId: string, run: StoredRun) {
    this.runs.set(runId, run);
    while (this.runs.size > KEPT_RUNS) this.runs.delete(this.runs.keys().next().value!);
  }
}

function missingOutput(runId: string, name: string): CompareResult {
  return {
    pass: false,
    maxAbsError: 0,
    maxRelError: 0,
    mismatches: 0,
    firstMismatch: null,
    reason: `${runId} has no output '${name}'`,
  };
}

/** Tile progress about ten times a second, and always the last tile. */
function throttledTiles(emit: (done: number, total: number) => void) {
  let last = 0;
  return (done: number, total: number) => {
    const now = performance.now();
    if (done < total && now - last < 100) return;
    last = now;
    emit(done, total);
  };
}

function throwIfCancelled(signal: AbortSignal) {
  if (signal.aborted) throw new WorkbenchError('CANCELLED', 'Cancelled.');
}
