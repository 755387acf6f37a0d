// The wire between the supervisor (electron/node/engine-client.ts) and the engine process.
// Plain structured-cloneable objects: it travels over Electron's parentPort and over
// child_process IPC with `serialization: 'advanced'`.
import type { RuntimeCheck } from '../../shared/contract';
import type { BatchAction, BatchCount, BatchJob, BatchMergeReport, BatchProgress, BatchSummary } from '../../shared/batch';
import type { BatchRunRequest } from './batch/jobs';
import type { PipelineProgress, PipelineResult } from '../../shared/pipeline';
import type { PipelineParams } from './pipeline/run';
import type { CheckProgress, CheckReport, RunComparison } from '../../shared/compare';
import type { ExportResultRequest, Interpretation, TaskSuggestion } from '../../shared/interpretation';
import type { TaskSettings } from '../../shared/tasks';
import type { ProviderStatus } from '../../shared/providers';
import type { PreprocessRecipe, RecipeGuess } from '../../shared/recipe';
import type { BenchmarkResult, ImagePreview, RunInputSource, RunResult, SessionOptions } from '../../shared/run';
import type { TensorSource, TensorSummary } from '../../shared/tensor';
import type { InstallProgress } from './providers/install-cuda';
import type { InitializerInfo, ModelInfo, NodeInfo, TensorStats } from '../../shared/model-info';
import type { Result } from '../../shared/result';
import type { GraphData } from '../../shared/graph/data';
import type { GraphExpand } from '../../shared/graph/export';

export interface EngineVersions {
  node: string;
  onnxruntime: string | null;
  sharp: string | null;
}

/** Each engine method: its params, its result, and its progress events. */
export interface EngineMethods {
  ping: { params: Record<string, never>; result: { pid: number; versions: EngineVersions }; event: never };
  inspect: { params: { path: string }; result: ModelInfo; event: never };
  nodes: { params: { path: string }; result: NodeInfo[]; event: never };
  initializers: { params: { path: string }; result: InitializerInfo[]; event: never };
  graph: { params: { path: string }; result: GraphData; event: never };
  exportGraph: {
    params: { path: string; to: string; expand: GraphExpand };
    result: { path: string; bytes: number };
    event: never;
  };
  initializerStats: { params: { path: string; name: string }; result: TensorStats; event: never };
  exportInitializer: {
    params: { path: string; name: string; to: string };
    result: { path: string; bytes: number };
    event: never;
  };
  checkRuntime: { params: { path: string }; result: RuntimeCheck; event: { stage: string } };
  probeProviders: { params: { refresh?: boolean }; result: ProviderStatus[]; event: never };
  installCudaProviders: { params: Record<string, never>; result: { installedTo: string }; event: InstallProgress };
  run: {
    params: { path: string; inputs: Record<string, RunInputSource>; options: SessionOptions };
    result: RunResult;
    event: { stage: string };
  };
  bench: {
    params: { path: string; inputs: Record<string, RunInputSource>; options: SessionOptions; runs: number; warmup: number };
    result: BenchmarkResult;
    event: { done: number; total: number; lastMs: number };
  };
  readTensor: {
    params: { source: TensorSource; model?: { path: string; input: string }; dimOverrides?: Record<string, number> };
    result: { summary: TensorSummary; mismatch: string | null };
    event: never;
  };
  outputValues: {
    params: { runId: string; name: string; offset: number; count: number };
    result: { total: number; values: (number | string)[] };
    event: never;
  };
  saveOutput: { params: { runId: string; name: string; to: string }; result: { path: string; bytes: number }; event: never };
  compareRuns: { params: { a: string; b: string; atol?: number; rtol?: number }; result: RunComparison; event: never };
  /** A kept run's outputs read through a task, with the originals to draw on. */
  interpret: { params: { runId: string; task: TaskSettings }; result: Interpretation; event: never };
  /** A kept run's result as a drawn image, JSON, mask or cutout (never over an existing file). */
  exportResult: { params: ExportResultRequest; result: { path: string; bytes: number }; event: never };
  suggestTask: { params: { path: string }; result: TaskSuggestion; event: never };
  check: {
    params: { dirs: string[]; provider?: string; atol?: number; rtol?: number };
    result: CheckReport;
    event: CheckProgress;
  };
  /** A pipeline (file or inline) on one image: steps, regions with their text, timings. */
  pipeline: { params: PipelineParams; result: PipelineResult; event: PipelineProgress };
  /** The shards' results in an output folder merged at its top. */
  batchMerge: { params: { folder: string }; result: BatchMergeReport; event: never };
  /** How many files a batch job would take, and the first few. */
  batchCount: { params: { job: BatchJob }; result: BatchCount; event: never };
  /** A batch job to its end, resuming from its journal; cancel stops it within one item. */
  batchRun: { params: BatchRunRequest; result: BatchSummary; event: BatchProgress };
  /** Pause or resume a running batch job. */
  batchControl: { params: { jobId: string; action: BatchAction }; result: { paused: boolean }; event: never };
  imagePreview: { params: { path: string; recipe: PreprocessRecipe }; result: ImagePreview; event: never };
  guessRecipe: { params: { modelPath: string; input?: string }; result: RecipeGuess; event: never };
  /** Releases the cached sessions of a model (or all): the user closed it, or memory is needed. */
  releaseSessions: { params: { path?: string }; result: { released: number }; event: never };
  /** Test aid, only when OWB_ENGINE_DEBUG=1: wait (or block the thread) for ms. */
  'debug.sleep': { params: { ms: number; blocking: boolean }; result: { slept: number }; event: { tick: number } };
  /** Test aid, only when OWB_ENGINE_DEBUG=1: exit the process at once, as a native crash would. */
  'debug.crash': { params: Record<string, never>; result: never; event: never };
}
export type EngineMethod = keyof EngineMethods;
export type EngineParams<M extends EngineMethod> = EngineMethods[M]['params'];
export type EngineResult<M extends EngineMethod> = EngineMethods[M]['result'];
export type EngineEvent<M extends EngineMethod> = EngineMethods[M]['event'];

export type ToEngine = { type: 'request'; id: number; method: EngineMethod; params: unknown } | { type: 'cancel'; id: number };

export type FromEngine =
  | { type: 'ready'; pid: number }
  | { type: 'response'; id: number; result: Result<unknown> }
  | { type: 'event'; id: number; event: unknown }
  | { type: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; message: string };

export function isFromEngine(value: unknown): value is FromEngine {
  if (!value || typeof value !== 'object') return false;
  const t = (value as { type?: unknown }).type;
  return t === 'ready' || t === 'response' || t === 'event' || t === 'log';
}
