// Every channel between a renderer and the main side, declared once: name, input schema,
// output type and progress-event type. Handlers, the preload, the browser-mode server and
// the renderer's client are all typed from this table; no channel string appears elsewhere.
import { z } from 'zod';
import { absolutePath } from './paths';
import {
  BATCH_ACTIONS,
  type BatchCount,
  type BatchMergeReport,
  type BatchJob,
  type BatchJobRecord,
  type BatchProgress,
  type BatchSummary,
  batchJobIdSchema,
  batchJobSchema,
} from './batch';
import type { EngineActivity } from './activity';
import type { LibraryScanProgress, LibrarySnapshot } from './library';
import { type SavedRecipe, modelRecipeSchema } from './model-recipe';
import type { CheckProgress, CheckReport, RunComparison, RunExpectation } from './compare';
import type { HardwareReport } from './providers';
import { type PipelineProgress, type PipelineResult, pipelineRequestSchema } from './pipeline';
import {
  type ImageThumbnail,
  type Interpretation,
  type TaskSuggestion,
  THUMBNAIL_MAX_SIDE,
  exportResultRequestSchema,
  interpretRequestSchema,
} from './interpretation';
import { type RecipeGuess, preprocessRecipeSchema } from './recipe';
import { type BenchmarkResult, type ImagePreview, type RunResult, benchRequestSchema, runRequestSchema } from './run';
import { type OutputPlane, TensorSource, type TensorSummary } from './tensor';
import { type ProfileProgress, type ProfileSummary, profileRequestSchema } from './profile';
import type { InitializerInfo, ModelInfo, NodeInfo, TensorStats, ValueInfo } from './model-info';
import type { GraphData } from './graph/data';
import { graphExpandSchema } from './graph/export';
import { type SpeechResult, speechExportSchema, speechRequestSchema } from './audio/speech';
import { type EvalProgress, type EvalReport, evalRequestSchema } from './eval/report';
import { type JobInfo, type JobOutcome, type JobProgress, jobIdSchema, jobRequestSchema } from './jobs';

/** A channel: its input schema, plus phantom types for its output and its progress events. */
export interface Channel<I extends z.ZodType, O, E> {
  input: I;
  /** Type-only: never read at run time. */
  readonly output?: O;
  /** Type-only: never read at run time. */
  readonly event?: E;
}

/** Declares a channel: `channel<Output, Event>()(inputSchema)`. */
export function channel<O, E = never>() {
  return <I extends z.ZodType>(input: I): Channel<I, O, E> => ({ input });
}

const noInput = z.strictObject({});
const modelPath = z.strictObject({ path: absolutePath });

export interface AppInfo {
  name: string;
  version: string;
  /** Desktop app (Electron) or browser mode (`onnx-workbench serve`). */
  mode: 'electron' | 'browser';
  platform: string;
  arch: string;
  /** Where file choice happens: native dialogs, or the server-side file browser. */
  fileChooser: 'native' | 'server';
  homeDir: string;
}

export interface SampleModel {
  id: string;
  name: string;
  description: string;
  path: string;
  size: number;
  source: string;
}

export interface DirEntry {
  name: string;
  path: string;
  kind: 'dir' | 'file';
  size: number | null;
  mtimeMs: number | null;
}

export interface DirListing {
  path: string;
  parent: string | null;
  entries: DirEntry[];
  /** Good starting points: home, the file system root(s), sample models. */
  places: { name: string; path: string }[];
  /** Entries left out because they are hidden or did not match the filter. */
  hidden: number;
}

export interface RuntimeCheck {
  ok: boolean;
  provider: string;
  loadMs: number;
  /** The session's own view of the inputs and outputs (when it loaded). */
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  /** On failure: the cause in plain words, and onnxruntime's own message. */
  problem?: { summary: string; detail: string };
}

export interface ExportResult {
  path: string;
  bytes: number;
}

export const contract = {
  'app.info': channel<AppInfo>()(noInput),
  'samples.list': channel<SampleModel[]>()(noInput),
  'files.list': channel<DirListing>()(
    z.strictObject({
      /** Folder to list; the user's home when absent. */
      path: absolutePath.optional(),
      /** Only files with these extensions (lower case, with dot); folders always show. */
      extensions: z
        .array(z.string().regex(/^\.[a-z0-9]{1,10}$/))
        .max(20)
        .optional(),
      showHidden: z.boolean().optional(),
    }),
  ),
  'dialog.openModel': channel<{ path: string | null }>()(noInput),
  /** Opens a folder in the system's file manager (desktop app only). */
  'app.showFolder': channel<{ opened: true }>()(z.strictObject({ path: absolutePath })),
  'model.inspect': channel<ModelInfo>()(modelPath),
  'model.nodes': channel<NodeInfo[]>()(modelPath),
  'model.initializers': channel<InitializerInfo[]>()(modelPath),
  /** Every node and tensor as compact columns, for the Graph tab (nodes in model.nodes order). */
  'model.graph': channel<GraphData>()(modelPath),
  /**
   * The graph laid out and written as .svg or .png (by the extension), never over an existing file;
   * events name the stage (reading, laying out, drawing, writing).
   */
  'graph.export': channel<ExportResult, { stage: string }>()(
    z.strictObject({ path: absolutePath, to: absolutePath, expand: graphExpandSchema }),
  ),
  'model.initializerStats': channel<TensorStats>()(z.strictObject({ path: absolutePath, name: z.string().min(1).max(10_000) })),
  'model.exportInitializer': channel<ExportResult>()(
    z.strictObject({ path: absolutePath, name: z.string().min(1).max(10_000), to: absolutePath }),
  ),
  'model.checkRuntime': channel<RuntimeCheck, { stage: string }>()(modelPath),
  /** The library as last scanned, with changed files re-read (added/removed files noticed). */
  'library.get': channel<LibrarySnapshot, LibraryScanProgress>()(z.strictObject({ refresh: z.boolean().optional() })),
  'library.addFolder': channel<LibrarySnapshot, LibraryScanProgress>()(z.strictObject({ path: absolutePath })),
  'library.removeFolder': channel<LibrarySnapshot>()(z.strictObject({ path: absolutePath })),
  /** Records that the user opened a model (recent models). */
  'library.opened': channel<LibrarySnapshot['recent']>()(modelPath),
  /** GPUs, CPU, memory, and every execution provider's readiness with the reason when unavailable. */
  'hardware.detect': channel<HardwareReport>()(z.strictObject({ refresh: z.boolean().optional() })),
  /** Downloads the CUDA provider's libraries with onnxruntime-node's installer (needs internet). */
  'providers.installCuda': channel<{ installedTo: string }, { stage: string; message: string }>()(noInput),
  /** One run: inputs prepared and checked, outputs summarised (their values stay in the engine). */
  'model.run': channel<RunResult, { stage: string }>()(runRequestSchema),
  /** N runs after a warm-up: latency min/p50/p90/p99/max and throughput. */
  'model.bench': channel<BenchmarkResult, { done: number; total: number; lastMs: number }>()(benchRequestSchema),
  /** Runs with onnxruntime's profiler on (a warm-up run, then N): per node, op type and provider. */
  'run.profile': channel<ProfileSummary, ProfileProgress>()(profileRequestSchema),
  /** Releases a model's cached sessions (the user closed it). */
  'model.close': channel<{ released: number }>()(z.strictObject({ path: absolutePath.optional() })),
  /** Loads a tensor file or generator, summarised, and checked against a model input. */
  'tensor.read': channel<{ summary: TensorSummary; mismatch: string | null }>()(
    z.strictObject({
      source: TensorSource,
      model: z.strictObject({ path: absolutePath, input: z.string().min(1).max(1000) }).optional(),
      dimOverrides: z.record(z.string().min(1).max(200), z.number().int().min(1)).optional(),
    }),
  ),
  /** The exact tensor an image becomes under a recipe, shown back as an image, with channel stats. */
  'image.preview': channel<ImagePreview>()(z.strictObject({ path: absolutePath, recipe: preprocessRecipeSchema })),
  /**
   * A small preview of an image file (a batch job's drawn result, mask or cut-out; an original),
   * longest side at most `size`, as a WebP data URL (alpha kept): what crosses instead of the image.
   */
  'image.thumbnail': channel<ImageThumbnail>()(
    z.strictObject({ path: absolutePath, size: z.number().int().min(16).max(THUMBNAIL_MAX_SIDE).optional() }),
  ),
  /** The preprocessing recipe a model input most likely wants, with the reasons. */
  'image.guessRecipe': channel<RecipeGuess>()(
    z.strictObject({ modelPath: absolutePath, input: z.string().min(1).max(1000).optional() }),
  ),
  /** A page of one output's values. */
  'run.outputValues': channel<{ total: number; values: (number | string)[] }>()(
    z.strictObject({
      runId: z.string().min(1).max(100),
      name: z.string().min(1).max(1000),
      offset: z.number().int().min(0),
      count: z.number().int().min(1).max(10_000),
    }),
  ),
  /** One plane of an output, downsampled to fit `maxSize` (the heatmap of a whole tensor). */
  'run.outputPlane': channel<OutputPlane>()(
    z.strictObject({
      runId: z.string().min(1).max(100),
      name: z.string().min(1).max(1000),
      /** The leading dims' indices (all but the last two). */
      index: z.array(z.number().int().min(0)).max(8),
      maxSize: z.number().int().min(1).max(2048),
    }),
  ),
  /** Saves one output as .npy, .pb or .json (never over an existing file). */
  'run.saveOutput': channel<ExportResult>()(
    z.strictObject({ runId: z.string().min(1).max(100), name: z.string().min(1).max(1000), to: absolutePath }),
  ),
  /** A kept run's outputs read through a task (labels, boxes, masks, text), with the originals' previews. */
  'run.interpret': channel<Interpretation>()(interpretRequestSchema),
  /** A kept run's result as a drawn image, JSON, mask or cutout (never over an existing file). */
  'run.exportResult': channel<ExportResult>()(exportResultRequestSchema),
  /** The task (and settings) a model's outputs most likely mean, and whether they can be read so. */
  'task.suggest': channel<TaskSuggestion>()(modelPath),
  /** A pipeline of models on one image (OCR: text detection → recognition of each region). */
  'pipeline.run': channel<PipelineResult, PipelineProgress>()(pipelineRequestSchema),
  /** ONNX backend-test layout folders checked against their expected outputs. */
  'check.run': channel<CheckReport, CheckProgress>()(
    z.strictObject({
      dirs: z.array(absolutePath).min(1).max(1000),
      provider: z.enum(['cpu', 'cuda', 'tensorrt', 'dml', 'coreml', 'webgpu']).optional(),
      atol: z.number().min(0).optional(),
      rtol: z.number().min(0).optional(),
    }),
  ),
  /**
   * A model (and optionally a second one, A/B) over a labelled dataset through the batch engine,
   * scored as accuracy, mAP, mIoU or CER; writes eval.json, per-file.jsonl and the plots to `out`.
   * Run again with the same folders, it resumes from the jobs' journals.
   */
  'eval.run': channel<EvalReport, EvalProgress>()(evalRequestSchema),
  'library.forgetRecent': channel<LibrarySnapshot['recent']>()(z.strictObject({ path: absolutePath.optional() })),
  /** The results of the shards of a job in one output folder put together at its top (results.csv …). */
  'batch.merge': channel<BatchMergeReport>()(z.strictObject({ folder: absolutePath })),
  /** How many files a batch job would take, and the first few (shown before starting). */
  'batch.count': channel<BatchCount>()(z.strictObject({ job: batchJobSchema })),
  /**
   * Starts a batch job (resuming from its output folder's journal) and answers its id at once. The
   * job runs until it ends or is cancelled, whatever happens to the window or tab that started it.
   */
  'batch.start': channel<{ jobId: string }>()(
    z.strictObject({ job: batchJobSchema, /** Chosen by the caller (optional). */ jobId: batchJobIdSchema.optional() }),
  ),
  /** Pause or resume a running job (between images). */
  'batch.control': channel<{ paused: boolean }>()(z.strictObject({ jobId: batchJobIdSchema, action: z.enum(BATCH_ACTIONS) })),
  /**
   * A job's progress (the latest state at once, then as it goes) and its summary when it ends; a job
   * that already ended answers its summary at once. Cancelling the call stops watching, not the job.
   */
  'batch.watch': channel<BatchSummary, BatchProgress>()(z.strictObject({ jobId: batchJobIdSchema })),
  /** Cancels a running job by id (from any window or tab); it stops within one image. */
  'batch.cancel': channel<{ cancelled: boolean }>()(z.strictObject({ jobId: batchJobIdSchema })),
  /** Past and running jobs, newest first (a reloaded page re-attaches to the running ones with batch.watch). */
  'batch.jobs': channel<BatchJobRecord[]>()(noInput),
  /** Starts a past job again from where it stopped (retryFailed: its failures again too); answers its id. */
  'batch.resume': channel<{ jobId: string }>()(z.strictObject({ jobId: batchJobIdSchema, retryFailed: z.boolean().optional() })),
  /** Saves a job as a JSON file (run it again from the app or with `onnx-workbench batch --job`). */
  'batch.saveJob': channel<{ path: string }>()(
    z.strictObject({ job: batchJobSchema, to: absolutePath, overwrite: z.boolean().optional() }),
  ),
  'batch.loadJob': channel<BatchJob>()(z.strictObject({ path: absolutePath })),
  /**
   * Starts a job of any kind (shared/jobs.ts: a batch, an evaluation, a benchmark over providers, a
   * profile) and answers its id at once. It runs until it ends or is cancelled, whatever happens to
   * the window or tab that started it.
   */
  'jobs.start': channel<{ jobId: string }>()(
    z.strictObject({ job: jobRequestSchema, /** Chosen by the caller (optional). */ jobId: jobIdSchema.optional() }),
  ),
  /**
   * A job's progress (the latest at once, then as it goes) and its outcome when it ends; a job that
   * ended lately answers at once. Cancelling the call stops watching, not the job.
   */
  'jobs.watch': channel<JobOutcome, JobProgress>()(z.strictObject({ jobId: jobIdSchema })),
  /** Cancels a running job of any kind by id, from any window or tab. */
  'jobs.cancel': channel<{ cancelled: boolean }>()(z.strictObject({ jobId: jobIdSchema })),
  /** Pause or resume a running job (batch jobs, between images; other kinds answer UNSUPPORTED). */
  'jobs.control': channel<{ paused: boolean }>()(z.strictObject({ jobId: jobIdSchema, action: z.enum(BATCH_ACTIONS) })),
  /**
   * The jobs running in the app and those ended lately, newest first, each with the request it was
   * started with: a reloaded page or a new tab re-attaches to them and shows their settings.
   */
  'jobs.list': channel<JobInfo[]>()(noInput),
  /** Two kept runs of the same inputs compared output by output (e.g. one provider against another). */
  'run.compare': channel<RunComparison>()(
    z.strictObject({
      a: z.string().min(1).max(100),
      b: z.string().min(1).max(100),
      atol: z.number().min(0).optional(),
      rtol: z.number().min(0).optional(),
    }),
  ),
  /**
   * A kept run's outputs against reference tensors saved earlier in a folder: NAME.npy / .pb /
   * .json by output name, else output_N.pb (ONNX test-data layout) by the name inside or position.
   */
  'run.expect': channel<RunExpectation>()(
    z.strictObject({
      runId: z.string().min(1).max(100),
      dir: absolutePath,
      atol: z.number().min(0).optional(),
      rtol: z.number().min(0).optional(),
    }),
  ),
  /** The model's saved recipe (image inputs, task, options), or null. */
  'recipe.get': channel<SavedRecipe>()(modelPath),
  'recipe.save': channel<SavedRecipe>()(z.strictObject({ path: absolutePath, recipe: modelRecipeSchema })),
  /** Writes the model's recipe (the saved one, or the one given) to a JSON file; never over an existing file. */
  'recipe.export': channel<ExportResult>()(
    z.strictObject({ path: absolutePath, to: absolutePath, recipe: modelRecipeSchema.optional() }),
  ),
  /**
   * What the engine is doing (loading, running, batch N/M, why it last stopped): the current state
   * as the first event, then every change (at most ~10 a second), until the call is cancelled.
   */
  'engine.activity': channel<null, EngineActivity>()(noInput),
  /**
   * A .wav of any length through a voice-activity model (Silero VAD) chunk by chunk, its state
   * carried over: the speech timeline and a waveform envelope (never the samples).
   */
  'audio.speech': channel<SpeechResult, { stage: string; done?: number; total?: number }>()(speechRequestSchema),
  /** Speech segments written as .json or .csv (by the extension), never over an existing file. */
  'audio.exportSpeech': channel<ExportResult>()(speechExportSchema),
  /** Reads a recipe file and saves it as the model's recipe. */
  'recipe.import': channel<SavedRecipe>()(z.strictObject({ path: absolutePath, from: absolutePath })),
} as const;

export type Contract = typeof contract;
export type ChannelName = keyof Contract;
export type ChannelInput<C extends ChannelName> = z.input<Contract[C]['input']>;
export type ParsedInput<C extends ChannelName> = z.output<Contract[C]['input']>;
export type ChannelOutput<C extends ChannelName> = Exclude<Contract[C]['output'], undefined>;
export type ChannelEvent<C extends ChannelName> = NonNullable<Contract[C]['event']>;

export const CHANNEL_NAMES = Object.keys(contract) as ChannelName[];

export function isChannelName(value: unknown): value is ChannelName {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(contract, value);
}
