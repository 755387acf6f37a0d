// The Batch view's state: the job form (model, its recipe, folders, options), the file count
// before starting, the run being followed (a `BatchRun`: a job started here, or one re-attached
// after a reload or from another tab), and the list of past jobs. A job lives on the main side by
// its id; this page only watches it, so closing or reloading the page never stops it.
import type { Api } from '../../../shared/api';
import {
  type BatchCount,
  type BatchFailure,
  type BatchJob,
  type BatchJobInput,
  type BatchJobRecord,
  type BatchOutputKind,
  type BatchProgress,
  type BatchSummary,
  type ImageType,
  BATCH_OUTPUTS,
  SPEECH_ACTIVITY,
  effectiveLayout,
  outputUnavailable,
} from '../../../shared/batch';
import type { ModelInfo } from '../../../shared/model-info';
import { type ModelRecipe, ANY_INPUT, modelRecipeSchema } from '../../../shared/model-recipe';
import { type SpeechSettings, speechSettingsSchema } from '../../../shared/audio/speech';
import { isAbsolutePath } from '../../../shared/paths';
import type { ProviderId } from '../../../shared/providers';
import { type PreprocessRecipe, channelNames, matchingPreset, normalizes } from '../../../shared/recipe';
import type { Result, WorkbenchErrorInfo } from '../../../shared/result';
import { type JobInfo, isRunningJob, newJobId } from '../../../shared/jobs';
import { BatchRun, RECONNECT_DELAY_MS, type RunLabel, isLive } from './batch-run.svelte';
import { BatchThumbnails } from './batch-thumbnails.svelte';

export { BatchRun, type RunLabel, isLive };
import type { TaskSettings } from '../../../shared/tasks';
import type { TileSettings } from '../../../shared/tiles';
import { ResultsState, settingsGap } from './results.svelte';

/** Image types as the form offers them: one box per format, covering its spellings. */
export const IMAGE_TYPE_GROUPS: { label: string; types: ImageType[] }[] = [
  { label: 'JPEG', types: ['jpg', 'jpeg'] },
  { label: 'PNG', types: ['png'] },
  { label: 'WebP', types: ['webp'] },
  { label: 'TIFF', types: ['tiff', 'tif'] },
  { label: 'GIF', types: ['gif'] },
  { label: 'AVIF', types: ['avif'] },
  { label: 'BMP', types: ['bmp'] },
];

export const OUTPUT_LABELS: Record<BatchOutputKind, { label: string; detail: string }> = {
  csv: { label: 'CSV', detail: 'results.csv, one row per image' },
  jsonl: { label: 'JSON lines', detail: 'results.jsonl, one line per image' },
  coco: { label: 'COCO JSON', detail: 'coco.json with every box (detection)' },
  images: { label: 'Drawn results', detail: 'each image with its result drawn on it' },
  masks: { label: 'Masks', detail: 'one PNG mask per image (segmentation, YOLOv8-seg)' },
  cutouts: { label: 'Cut-outs', detail: 'the foreground on transparency (segmentation, YOLOv8-seg)' },
  tensors: { label: 'Raw outputs', detail: 'the output tensors as .npy' },
};

export const BATCH_SIZES = ['auto', 1, 2, 4, 8, 16, 32, 64] as const;
export type BatchSizeChoice = (typeof BATCH_SIZES)[number];

/** How long the folder and filters must rest before the files are counted again (typing). */
export const COUNT_DELAY_MS = 300;

const n = (x: number): string => x.toLocaleString('en-US');

/** "42 s", "3 min 05 s", "1 h 12 min". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** Images per second with the digits that matter. */
export function formatRate(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

/** "1,234 images" and what was left out, for the line above Start. */
export function describeCount(count: BatchCount): string {
  return `${n(count.files)} ${count.files === 1 ? 'image' : 'images'} will be processed`;
}

/** Globs typed as a list: one per line or separated by commas. */
export function parseGlobs(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((g) => g.trim())
    .filter(Boolean);
}

/** The folder a job writes to by default: beside the input, never inside it. */
export function defaultOutputFolder(input: string): string {
  const trimmed = input.replace(/[\\/]+$/, '');
  return `${trimmed || input}-results`;
}

export interface RecipeRow {
  label: string;
  value: string;
}

const NORMALIZE_NAMES = {
  imagenet: 'ImageNet mean/std',
  half: '−1..1 (mean 0.5, std 0.5)',
  none: '0..1',
  raw: '0..255',
} as const;

const list = (xs: readonly number[]): string => xs.map((x) => +x.toFixed(4)).join(', ');

/** One image input's recipe as short rows: resize, layout, normalisation. */
export function describePreprocess(r: PreprocessRecipe): RecipeRow[] {
  const preset = matchingPreset(r);
  const normalisation = !normalizes(r)
    ? `none (${r.dtype} pixel values)`
    : preset
      ? NORMALIZE_NAMES[preset]
      : `scale ${+r.scale.toFixed(6)}, mean [${list(r.mean)}], std [${list(r.std)}]`;
  return [
    { label: 'Resize', value: `${r.resize.mode} ${r.resize.width}×${r.resize.height}` },
    { label: 'Layout', value: `${r.layout} ${r.dtype}, ${channelNames(r).join('')}` },
    { label: 'Normalise', value: normalisation },
    ...(r.tile ? [{ label: 'Tiles', value: describeTiles(r.tile) }] : []),
  ];
}

/** "size auto, overlap 16 px". */
export function describeTiles(t: TileSettings): string {
  const px = (v: number | 'auto') => (v === 'auto' ? 'auto' : `${v} px`);
  return `size ${px(t.size)}, overlap ${px(t.overlap)}`;
}

/** The recipe's image inputs in rows (the task has its own controls in the form). */
export function describeRecipe(recipe: ModelRecipe): { inputs: { name: string; rows: RecipeRow[] }[] } {
  return {
    inputs: Object.entries(recipe.inputs).map(([name, r]) => ({
      name: name === ANY_INPUT ? 'any image input' : name,
      rows: describePreprocess(r),
    })),
  };
}

/** Where the recipe on screen came from. */
export type RecipeSource = 'saved' | 'job' | 'none';

/** What a batch job of a model is made of, as the Batch and Evaluate views build it. */
export interface ModelJobParts {
  model: string;
  /** The model's saved recipe (null: the engine guesses one from the model). */
  recipe: BatchJobInput['recipe'] | null;
  input: BatchJobInput['input'];
  output: BatchJobInput['output'];
  provider: ProviderId | 'auto';
  /** 0 lets onnxruntime decide. */
  threads: number;
  batchSize: BatchSizeChoice;
}

/** A batch job of a model with its recipe, session options and batch size. */
export function modelBatchJob(p: ModelJobParts): BatchJobInput {
  return {
    model: p.model,
    ...(p.recipe ? { recipe: p.recipe } : {}),
    input: p.input,
    output: p.output,
    options: { provider: p.provider, ...(p.threads > 0 ? { intraOpThreads: p.threads } : {}) },
    batchSize: p.batchSize,
  };
}

export class BatchSession {
  readonly api: Api;
  readonly #openModel: () => string | null;
  /** Previews of the results in the live strip. */
  readonly thumbnails: BatchThumbnails;

  tab = $state<'job' | 'past'>('job');

  // ---- Model and recipe
  /** A model chosen here; without one the job uses the model open in the workbench. */
  chosenModel = $state<string | null>(null);
  recipe = $state.raw<ModelRecipe | null>(null);
  recipeSource = $state<RecipeSource>('none');
  recipeLoading = $state(false);
  recipeError = $state.raw<WorkbenchErrorInfo | null>(null);
  /** The model takes audio chunks (Silero VAD): the job reads .wav files as task speech-activity. */
  audio = $state(false);
  /** The model's outputs and metadata: a detection task on layout auto is resolved against them. */
  modelShape = $state.raw<Pick<ModelInfo, 'outputs' | 'metadata'> | null>(null);
  speech = $state.raw<SpeechSettings>(speechSettingsSchema.parse({}));
  /** The task and its settings, with the Result tab's controls (TaskBar); null until a recipe is read. */
  taskControls = $state.raw<ResultsState | null>(null);
  #recipeFor: string | null = null;
  #recipeRequest = 0;

  // ---- Folders and options
  inputFolder = $state('');
  outputFolder = $state('');
  recursive = $state(true);
  include = $state('');
  exclude = $state('');
  types = $state<ImageType[]>(IMAGE_TYPE_GROUPS.flatMap((g) => g.types));
  write = $state<BatchOutputKind[]>(['csv', 'jsonl']);
  provider = $state<ProviderId | 'auto'>('auto');
  /** 0 lets onnxruntime decide. */
  threads = $state(0);
  batchSize = $state<BatchSizeChoice>('auto');
  /** Tiles for this job: null follows the recipe; 'off' runs whole images even when the recipe has tiles. */
  tile = $state<TileSettings | 'off' | null>(null);
  overwrite = $state(false);
  /** How coco.json gives instance masks (YOLOv8-seg): polygons or COCO RLE. */
  cocoMasks = $state<'polygon' | 'rle'>('polygon');
  /** A line about the form (job saved, loaded, drops in browser mode). */
  note = $state<string | null>(null);
  noteError = $state.raw<WorkbenchErrorInfo | null>(null);

  // ---- Count
  count = $state.raw<BatchCount | null>(null);
  countError = $state.raw<WorkbenchErrorInfo | null>(null);
  counting = $state(false);
  #countTimer: ReturnType<typeof setTimeout> | null = null;
  #countRequest = 0;

  // ---- Run
  /** The job this page follows (started here, or re-attached); null before the first. */
  run = $state.raw<BatchRun | null>(null);
  /** Between Start and the job's id. */
  starting = $state(false);
  /** Why the last Start or Resume was refused. */
  startError = $state.raw<WorkbenchErrorInfo | null>(null);
  /** Opens a folder in the file manager: set by the view in the desktop app; null in browser mode. */
  openFolder = $state.raw<((path: string) => Promise<string | null>) | null>(null);
  /** Why Start cannot run yet, shown after a click. */
  missing = $state<string | null>(null);
  /** Settings of a loaded job that the form does not show; kept so that saving it again loses nothing. */
  #loaded: Pick<BatchJobInput, 'name' | 'maxPixels'> & { allowInsideInput?: boolean } = {};

  // ---- Past jobs
  jobs = $state.raw<BatchJobRecord[]>([]);
  jobsLoading = $state(false);
  jobsError = $state.raw<WorkbenchErrorInfo | null>(null);

  constructor(api: Api, openModel: () => string | null) {
    this.api = api;
    this.#openModel = openModel;
    this.thumbnails = new BatchThumbnails(api);
  }

  get modelPath(): string | null {
    return this.chosenModel ?? this.#openModel();
  }

  /** The job's task as the form shows it (changes apply at once, before they are saved). */
  get task(): TaskSettings | undefined {
    return this.taskControls?.settings ?? this.recipe?.task;
  }

  /** A detection task's layout, auto resolved against the model (YOLOv8-seg detectors write instance masks). */
  get layout(): string | undefined {
    return effectiveLayout(this.audio ? undefined : this.task, this.modelShape ?? undefined);
  }

  /** Output kinds the job will write: the chosen ones the task allows. */
  get effectiveWrite(): BatchOutputKind[] {
    const task = this.audio ? SPEECH_ACTIVITY : this.task?.kind;
    return BATCH_OUTPUTS.filter((k) => this.write.includes(k) && outputUnavailable(k, task, this.layout) === null);
  }

  // ---- The followed run, as the views read it
  get running(): boolean {
    return this.starting || (this.run?.running ?? false);
  }
  get jobId(): string | null {
    return this.run?.jobId ?? null;
  }
  get progress(): BatchProgress | null {
    return this.run?.progress ?? null;
  }
  get failures(): BatchFailure[] {
    return this.run?.failures ?? [];
  }
  get summary(): BatchSummary | null {
    return this.run?.summary ?? null;
  }
  get paused(): boolean {
    return this.run?.paused ?? false;
  }
  get cancelling(): boolean {
    return this.run?.cancelling ?? false;
  }
  get cancelled(): boolean {
    return !this.running && (this.run?.cancelled ?? false);
  }
  get runError(): WorkbenchErrorInfo | null {
    return this.startError ?? this.run?.error ?? null;
  }
  get controlError(): WorkbenchErrorInfo | null {
    return this.run?.controlError ?? null;
  }
  get runLabel(): RunLabel | null {
    return this.run?.label ?? null;
  }

  // ---- Recipe ---------------------------------------------------------------------------

  /** Loads the model's saved recipe unless it is already shown (or a loaded job brought its own). */
  async loadRecipe(path: string, force = false): Promise<void> {
    if (!force && this.#recipeFor === path) return;
    this.#recipeFor = path;
    const mine = ++this.#recipeRequest;
    this.recipeLoading = true;
    this.recipeError = null;
    const [result, info] = await Promise.all([this.api.call('recipe.get', { path }), this.api.call('model.inspect', { path })]);
    if (mine !== this.#recipeRequest) return;
    this.audio = info.ok && info.value.task.kind === 'audio';
    this.modelShape = info.ok ? { outputs: info.value.outputs, metadata: info.value.metadata } : null;
    this.recipeLoading = false;
    if (!result.ok) {
      this.recipe = null;
      this.recipeSource = 'none';
      this.recipeError = result.error;
      // No task of an earlier model may stay in the form (the job would take it).
      this.taskControls?.dispose();
      this.taskControls = null;
      return;
    }
    this.recipe = result.value.recipe;
    this.recipeSource = result.value.recipe ? 'saved' : 'none';
    this.#showTask(path);
    const o = result.value.recipe?.options;
    if (o?.provider) this.provider = o.provider;
    if (o?.intraOpThreads !== undefined) this.threads = o.intraOpThreads;
  }

  /**
   * The task controls for the recipe's task (a fresh set when the model or the task changed
   * elsewhere, e.g. in the Run view); the suggestion is asked for to show its reason.
   */
  #showTask(path: string): void {
    const task = this.recipe?.task ?? null;
    const same = this.taskControls?.modelPath === path && JSON.stringify(this.taskControls.settings) === JSON.stringify(task);
    if (same) return;
    this.taskControls?.dispose();
    const controls = new ResultsState({
      api: this.api,
      modelPath: path,
      saved: task,
      onTaskChange: (s) => void this.setTask(s, path),
    });
    this.taskControls = controls;
    void controls.suggest();
  }

  /** The task changed in the form: the job takes it, and the model's recipe keeps it (not a loaded job's). */
  async setTask(settings: TaskSettings, forModel?: string): Promise<void> {
    const path = this.modelPath;
    // A change that arrives (debounced) after another model was chosen belongs to the earlier one.
    if (forModel !== undefined && forModel !== path) return;
    this.recipe = { ...(this.recipe ?? modelRecipeSchema.parse({})), task: settings };
    if (!path || this.recipeSource === 'job') return;
    const result = await this.api.call('recipe.save', { path, recipe: $state.snapshot(this.recipe) });
    if (result.ok && this.modelPath === path) {
      this.recipeSource = 'saved';
      this.recipeError = null;
    } else if (!result.ok) this.recipeError = result.error;
  }

  /** Reads the saved recipe again (it may have changed in the Run view), unless a loaded job's is shown. */
  refreshRecipe(): void {
    const path = this.modelPath;
    if (path && this.recipeSource !== 'job') void this.loadRecipe(path, true);
  }

  chooseModel(path: string): void {
    this.chosenModel = path;
    void this.loadRecipe(path, true);
  }

  // ---- Folders --------------------------------------------------------------------------

  /** Sets the input folder; an empty output folder becomes one beside it. */
  setInputFolder(path: string): void {
    this.inputFolder = path.trim();
    if (!this.outputFolder.trim() && isAbsolutePath(this.inputFolder)) this.outputFolder = defaultOutputFolder(this.inputFolder);
  }

  toggleType(types: readonly ImageType[], on: boolean): void {
    const rest = this.types.filter((t) => !types.includes(t));
    this.types = on ? [...rest, ...types] : rest;
  }

  toggleWrite(kind: BatchOutputKind, on: boolean): void {
    const rest = this.write.filter((k) => k !== kind);
    this.write = on ? [...rest, kind] : rest;
  }

  // ---- The job --------------------------------------------------------------------------

  /** The input folder with the form's listing choices (subfolders, globs, types). */
  #inputSpec(folder: string) {
    return {
      folder,
      recursive: this.recursive,
      include: parseGlobs(this.include),
      exclude: parseGlobs(this.exclude),
      types: [...this.types],
    };
  }

  /** The job as the form describes it, or what is missing, in words. */
  job(): { job: BatchJobInput } | { missing: string } {
    const model = this.modelPath;
    const input = this.inputFolder.trim();
    const output = this.outputFolder.trim();
    if (!model) return { missing: 'choose a model' };
    if (!input) return { missing: 'choose the input folder' };
    if (!isAbsolutePath(input)) return { missing: `the input folder must be a full path (${input})` };
    if (!output) return { missing: 'choose the output folder' };
    if (!isAbsolutePath(output)) return { missing: `the output folder must be a full path (${output})` };
    if (this.types.length === 0 && !this.audio) return { missing: 'choose at least one image type' };
    const write = this.effectiveWrite;
    if (write.length === 0) return { missing: 'choose at least one output to write' };
    const task = this.task;
    const gap = task ? settingsGap(task) : null;
    if (gap) return { missing: gap.replace(/\.$/, '').replace(/^./, (c) => c.toLowerCase()) };
    const { name, maxPixels, allowInsideInput } = this.#loaded;
    const recipe = $state.snapshot(this.recipe);
    const job = modelBatchJob({
      model,
      recipe: task ? { ...(recipe ?? {}), task: $state.snapshot(task) } : recipe,
      input: this.#inputSpec(input),
      output: {
        folder: output,
        write,
        overwrite: this.overwrite,
        // Only where the form offers the choice (a -seg detector): a hidden choice would change the job's key.
        ...(write.includes('coco') && this.cocoMasks !== 'polygon' && this.layout === 'yolov8-seg'
          ? { cocoMasks: this.cocoMasks }
          : {}),
        ...(allowInsideInput ? { allowInsideInput } : {}),
      },
      provider: this.provider,
      threads: this.threads,
      batchSize: this.batchSize,
    });
    if (this.audio) {
      // An audio job: the .wav files through the voice-activity model; no image recipe, task or tiles.
      const { recipe: _recipe, batchSize: _batchSize, ...rest } = job;
      return { job: { ...(name !== undefined ? { name } : {}), ...rest, speech: this.#speechJob() } };
    }
    const tile = this.tile === null ? {} : { tile: $state.snapshot(this.tile) };
    return {
      job: { ...(name !== undefined ? { name } : {}), ...job, ...tile, ...(maxPixels !== undefined ? { maxPixels } : {}) },
    };
  }

  #speechJob(): NonNullable<BatchJobInput['speech']> {
    return { settings: { ...this.speech }, sampleRate: 16000 };
  }

  /** Fills the form from a saved job. */
  applyJob(job: BatchJob): void {
    this.#loaded = { name: job.name, maxPixels: job.maxPixels, allowInsideInput: job.output.allowInsideInput };
    this.chosenModel = job.model;
    this.#recipeFor = job.model;
    this.#recipeRequest++;
    this.recipeLoading = false;
    this.recipeError = null;
    this.recipe = job.recipe;
    this.recipeSource = 'job';
    this.audio = !!job.speech;
    if (job.speech) this.speech = job.speech.settings;
    this.#showTask(job.model);
    this.inputFolder = job.input.folder;
    this.recursive = job.input.recursive;
    this.include = job.input.include.join(', ');
    this.exclude = job.input.exclude.join(', ');
    this.types = [...job.input.types];
    this.outputFolder = job.output.folder;
    this.write = [...job.output.write];
    this.overwrite = job.output.overwrite;
    this.cocoMasks = job.output.cocoMasks;
    this.provider = job.options?.provider ?? job.recipe.options?.provider ?? 'auto';
    this.threads = job.options?.intraOpThreads ?? 0;
    this.tile = job.tile ?? null;
    this.batchSize = (BATCH_SIZES as readonly (string | number)[]).includes(job.batchSize)
      ? (job.batchSize as BatchSizeChoice)
      : 'auto';
  }

  async saveJob(to: string): Promise<void> {
    this.#clearNote();
    const built = this.job();
    if ('missing' in built) {
      this.noteError = { code: 'INVALID_INPUT', message: `Cannot save the job yet: ${built.missing}.` };
      return;
    }
    const result = await this.api.call('batch.saveJob', { job: built.job, to });
    if (result.ok) this.note = `Job saved to ${result.value.path}`;
    else this.noteError = result.error;
  }

  async loadJob(path: string): Promise<void> {
    this.#clearNote();
    const result = await this.api.call('batch.loadJob', { path });
    if (!result.ok) {
      this.noteError = result.error;
      return;
    }
    // This form would run the pipeline file as a model: a pipeline job is the Pipeline view's.
    if (result.value.pipeline) {
      this.noteError = {
        code: 'INVALID_INPUT',
        message: `${path} is a pipeline job (${result.value.model}): open it in the Pipeline view and run it over a folder there.`,
      };
      return;
    }
    this.applyJob(result.value);
    this.note = `Job loaded from ${path}`;
  }

  dismissNote(): void {
    this.#clearNote();
  }

  #clearNote(): void {
    this.note = null;
    this.noteError = null;
  }

  // ---- Count ----------------------------------------------------------------------------

  /** The job to count files with (an empty output folder counts as the default one), or null. */
  #countJob(): BatchJobInput | null {
    const input = this.inputFolder.trim();
    if (!this.modelPath || !isAbsolutePath(input) || this.types.length === 0) return null;
    const output = this.outputFolder.trim();
    const built = this.job();
    if ('job' in built) return built.job;
    const speech = this.audio ? { speech: this.#speechJob() } : {};
    // Counting does not write; a missing output folder or output kind must not hide the count.
    return {
      model: this.modelPath,
      input: this.#inputSpec(input),
      output: { folder: isAbsolutePath(output) ? output : defaultOutputFolder(input) },
      ...speech,
    };
  }

  /** What the count depends on; the view recounts when it changes. */
  get countKey(): string | null {
    const job = this.#countJob();
    return job ? JSON.stringify([job.model, job.input, job.output.folder]) : null;
  }

  /** Counts again once the form has rested (typing in the folder field). */
  scheduleCount(delay = COUNT_DELAY_MS): void {
    if (this.#countTimer) clearTimeout(this.#countTimer);
    this.#countTimer = null;
    if (this.countKey === null) {
      this.#countRequest++;
      this.count = null;
      this.countError = null;
      this.counting = false;
      return;
    }
    this.counting = true;
    this.#countTimer = setTimeout(() => {
      this.#countTimer = null;
      void this.refreshCount();
    }, delay);
  }

  async refreshCount(): Promise<void> {
    const job = this.#countJob();
    if (!job) return;
    const mine = ++this.#countRequest;
    this.counting = true;
    const result = await this.api.call('batch.count', { job });
    if (mine !== this.#countRequest) return;
    this.counting = false;
    if (result.ok) {
      this.count = result.value;
      this.countError = null;
    } else {
      this.count = null;
      this.countError = result.error;
    }
  }

  // ---- Running --------------------------------------------------------------------------

  async start(): Promise<void> {
    if (this.running) return;
    const built = this.job();
    this.missing = 'missing' in built ? built.missing : null;
    if ('missing' in built) return;
    const job = built.job;
    const label = { model: job.model, input: job.input.folder, output: job.output.folder, resumed: false };
    await this.#launch(label, () => this.api.call('batch.start', { job, jobId: newJobId() }));
  }

  /** Runs a past job again from its journal; `retryFailed` runs its failures again too. */
  async resume(record: BatchJobRecord, retryFailed = false): Promise<void> {
    if (this.running) return;
    this.tab = 'job';
    const label = { model: record.model, input: record.inputFolder, output: record.outputFolder, resumed: true };
    await this.#launch(label, () => this.api.call('batch.resume', { jobId: record.id, ...(retryFailed ? { retryFailed } : {}) }));
  }

  async #launch(label: RunLabel, launch: () => Promise<Result<{ jobId: string }>>): Promise<void> {
    this.starting = true;
    this.startError = null;
    const started = await launch();
    this.starting = false;
    if (!started.ok) {
      this.run = null;
      this.startError = started.error;
      return;
    }
    await this.#follow(new BatchRun(this.api, started.value.jobId, label));
  }

  async #follow(run: BatchRun): Promise<void> {
    this.run = run;
    await run.follow();
    if (this.run !== run) return;
    // A lost connection ends the watch, not the job: list the jobs again (which re-attaches).
    if (run.job.error?.code === 'IO_ERROR') setTimeout(() => void this.loadJobs(), RECONNECT_DELAY_MS);
    else void this.loadJobs();
  }

  /**
   * Follows a batch job still running on the main side that this page is not following yet (the
   * page was reloaded, or the job was started in another tab or window); the form shows its settings.
   */
  attach(info: JobInfo): void {
    // A pipeline over a folder is the Pipeline view's (pipeline-folder.svelte.ts).
    if (this.running || info.kind !== 'batch' || info.request.pipeline || !isRunningJob(info)) return;
    const job = info.request;
    this.applyJob(job);
    const label = { model: job.model, input: job.input.folder, output: job.output.folder, resumed: false };
    void this.#follow(new BatchRun(this.api, info.jobId, label));
  }

  /** Asks which jobs run now and follows a batch job among them, as `attach`. */
  async reattach(): Promise<void> {
    if (this.running) return;
    const result = await this.api.call('jobs.list', {});
    const live = result.ok ? result.value.find((j) => j.kind === 'batch' && !j.request.pipeline && isRunningJob(j)) : undefined;
    if (live) this.attach(live);
  }

  /** Pause or resume the running job (between images; the one in flight finishes). */
  async control(action: 'pause' | 'resume'): Promise<void> {
    await this.run?.control(action);
  }

  /** Stops the job within one image; the journal keeps what was done, for Resume. */
  cancel(): void {
    void this.run?.cancel();
  }

  // ---- Past jobs ------------------------------------------------------------------------

  async loadJobs(): Promise<void> {
    this.jobsLoading = true;
    const result = await this.api.call('batch.jobs', {});
    this.jobsLoading = false;
    if (result.ok) {
      this.jobs = result.value;
      this.jobsError = null;
      // A job another page started (or one that ran before a reload) shows here.
      if (result.value.some(isLive)) void this.reattach();
    } else this.jobsError = result.error;
  }
}
