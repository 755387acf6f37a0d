// The Run view's state for one open model: a form per input (where its value comes from),
// the session options, the last run and the benchmarks. Views only read and edit it.
import type { Api, CallOptions } from '../../../shared/api';
import { type CheckProgress, type CheckReport, type RunComparison, DEFAULT_ATOL, DEFAULT_RTOL } from '../../../shared/compare';
import { type ModelRecipe, type ModelRecipeInput, type SavedRecipe, recipeForInput } from '../../../shared/model-recipe';
import { PROVIDER_NAMES } from '../../../shared/providers';
import type { TaskSettings } from '../../../shared/tasks';
import type { Dim, ModelInfo, ValueInfo } from '../../../shared/model-info';
import type { HardwareReport, ProviderId } from '../../../shared/providers';
import { type PreprocessRecipe, preprocessRecipeSchema } from '../../../shared/recipe';
import type { Result, WorkbenchErrorInfo } from '../../../shared/result';
import type { ImagePreview, RunInputSource, RunResult, SessionOptionsInput } from '../../../shared/run';
import type { GRAPH_OPTIMIZATION_LEVELS } from '../../../shared/run';
import type { GeneratorKind, TensorSource, TensorSummary } from '../../../shared/tensor';
import { ResultsState } from './results.svelte';
import { Task } from './task.svelte';
import { type BenchRow, type JobInfo, isRunningJob } from '../../../shared/jobs';
import { JobTask } from './job-task.svelte';

export type SourceKind = 'image' | 'file' | 'generate' | 'audio';
export type GraphOptimization = (typeof GRAPH_OPTIMIZATION_LEVELS)[number];
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp', '.bmp', '.gif', '.tif', '.tiff'];
export const TENSOR_EXTENSIONS = ['.npy', '.pb', '.json'];

/** [N,3,H,W], [N,H,W,3], [3,H,W] … with 1, 3 or 4 channels next to the spatial dims. */
export function looksLikeImage(input: ValueInfo): boolean {
  const s = input.shape;
  if (!s || (s.length !== 3 && s.length !== 4)) return false;
  const first = s.length === 4 ? s[1] : s[0];
  const last = s[s.length - 1];
  return first === 3 || first === 4 || last === 3 || last === 4;
}

/** Where an input's value comes from when the user has not chosen yet. */
export function defaultKind(input: ValueInfo): SourceKind {
  return looksLikeImage(input) ? 'image' : 'generate';
}

/** Each dim's size for a generated tensor: fixed dims as declared, free ones from the form. */
export interface DimField {
  index: number;
  dim: Dim;
  /** Shared key for named dims (the same name means the same size across inputs). */
  key: string;
}

/** Shows an image as it is: no crop, RGB, 0..1 floats. */
export const NEUTRAL_RECIPE: PreprocessRecipe = preprocessRecipeSchema.parse({
  resize: { mode: 'fit-inside', width: 512, height: 512, multipleOf: 1 },
  layout: 'NCHW',
  channels: 'RGB',
  alpha: 'composite-white',
});

export class InputForm {
  readonly input: ValueInfo;
  kind = $state<SourceKind>('generate');

  // Image
  imagePaths = $state<string[]>([]);
  recipe = $state<PreprocessRecipe | null>(null);
  recipeNotes = $state.raw<string[]>([]);
  recipeGuessError = $state.raw<WorkbenchErrorInfo | null>(null);
  preview = $state.raw<ImagePreview | null>(null);
  previewError = $state.raw<WorkbenchErrorInfo | null>(null);
  previewing = $state(false);
  /** The first image as it is (through a neutral recipe), to compare with the tensor. */
  original = $state.raw<ImagePreview | null>(null);
  #originalPath: string | null = null;

  // Tensor file
  filePath = $state('');
  check = $state.raw<{ summary: TensorSummary; mismatch: string | null } | null>(null);
  checkError = $state.raw<WorkbenchErrorInfo | null>(null);

  // Generate
  generator = $state<GeneratorKind>('zeros');
  value = $state(0);
  low = $state(0);
  high = $state(1);
  mean = $state(0);
  std = $state(1);
  seed = $state(0);

  // Audio
  audioPath = $state('');
  sampleRate = $state(16000);

  readonly #session: RunSession;
  #guessing: Promise<void> | null = null;
  #previewRequest = 0;
  #checkRequest = 0;

  constructor(session: RunSession, input: ValueInfo) {
    this.#session = session;
    this.input = input;
    this.kind = defaultKind(input);
    const scalar = input.shape !== null && input.shape.length === 0;
    if (scalar) {
      this.generator = 'constant';
      // Silero-style sample rate input.
      if (/^(sr|sample_?rate)$/i.test(input.name) && (input.dtype ?? '').startsWith('int')) this.value = 16000;
    }
  }

  get dimFields(): DimField[] {
    return (this.input.shape ?? []).flatMap((dim, index) =>
      typeof dim === 'number' ? [] : [{ index, dim, key: dim ?? `${this.input.name}[${index}]` }],
    );
  }

  /** Concrete dims for a generated tensor (free dims from the shared sizes, 1 by default). */
  get generatedDims(): number[] | null {
    if (this.input.shape === null) return null;
    return this.input.shape.map((d, k) => (typeof d === 'number' ? d : this.#session.dimSize(d ?? `${this.input.name}[${k}]`)));
  }

  /** The source as the engine wants it, or a sentence saying what is missing. */
  source(): { source: RunInputSource } | { missing: string } {
    const name = this.input.name;
    switch (this.kind) {
      case 'image':
        if (this.imagePaths.length === 0) return { missing: `choose an image for '${name}'` };
        if (!this.recipe) return { missing: `the recipe for '${name}' is not ready` };
        return { source: { kind: 'image', paths: [...this.imagePaths], recipe: $state.snapshot(this.recipe) } };
      case 'file':
        if (!this.filePath.trim()) return { missing: `choose a tensor file for '${name}'` };
        return { source: { kind: 'file', path: this.filePath.trim() } };
      case 'audio':
        if (!this.audioPath.trim()) return { missing: `choose a .wav file for '${name}'` };
        return { source: { kind: 'audio', path: this.audioPath.trim(), sampleRate: this.sampleRate } };
      case 'generate':
        return { source: this.generated() };
    }
  }

  generated(): TensorSource {
    const dims = this.generatedDims;
    const base = { kind: 'generate' as const, generator: this.generator, ...(dims ? { dims } : {}) };
    switch (this.generator) {
      case 'constant':
        return { ...base, value: this.value };
      case 'uniform':
        return { ...base, low: this.low, high: this.high, seed: this.seed };
      case 'normal':
        return { ...base, mean: this.mean, std: this.std, seed: this.seed };
      default:
        return base;
    }
  }

  /** Loads the saved recipe, else the guessed one, once (image inputs); settles when the recipe is there (or could not be guessed). */
  guessRecipe(): Promise<void> {
    if (this.recipe) return Promise.resolve();
    this.#guessing ??= this.#guessRecipe().finally(() => (this.#guessing = null));
    return this.#guessing;
  }

  async #guessRecipe(): Promise<void> {
    const saved = await this.#session.savedRecipe();
    const mine = saved ? recipeForInput(saved, this.input.name) : undefined;
    if (mine) {
      this.recipe = mine;
      this.recipeNotes = ['the recipe saved for this model (it is saved each time you run)'];
      return;
    }
    const result = await this.#session.api.call('image.guessRecipe', {
      modelPath: this.#session.modelPath,
      input: this.input.name,
    });
    if (result.ok) {
      this.recipe = result.value.recipe;
      this.recipeNotes = result.value.notes;
    } else this.recipeGuessError = result.error;
  }

  /** The tensor the first image becomes under the current recipe. */
  async refreshPreview(): Promise<void> {
    const path = this.imagePaths[0];
    const parsed = preprocessRecipeSchema.safeParse($state.snapshot(this.recipe));
    if (!path || !parsed.success) {
      if (!parsed.success && path) {
        this.previewError = {
          code: 'INVALID_INPUT',
          message: parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; '),
        };
      }
      return;
    }
    const mine = ++this.#previewRequest;
    this.previewing = true;
    if (this.#originalPath !== path) {
      this.#originalPath = path;
      this.original = null;
      void this.#session.api.call('image.preview', { path, recipe: NEUTRAL_RECIPE }).then((r) => {
        if (r.ok && this.#originalPath === path) this.original = r.value;
      });
    }
    const result = await this.#session.api.call('image.preview', { path, recipe: parsed.data });
    if (mine !== this.#previewRequest) return;
    this.previewing = false;
    if (result.ok) {
      this.preview = result.value;
      this.previewError = null;
    } else this.previewError = result.error;
  }

  /** Checks a tensor file or generator against the input before running. */
  async checkTensor(): Promise<void> {
    const src = this.kind === 'file' ? this.source() : this.kind === 'generate' ? { source: this.generated() } : null;
    if (!src || !('source' in src) || src.source.kind === 'image') return;
    const mine = ++this.#checkRequest;
    this.check = null;
    this.checkError = null;
    const result = await this.#session.api.call('tensor.read', {
      source: src.source,
      model: { path: this.#session.modelPath, input: this.input.name },
    });
    if (mine !== this.#checkRequest) return;
    if (result.ok) this.check = result.value;
    else this.checkError = result.error;
  }
}

/** Two runs of the same inputs on two providers, compared output by output. */
export interface ProviderComparison {
  a: RunResult;
  b: RunResult;
  comparison: RunComparison;
}

export type { BenchRow };

export class RunSession {
  readonly api: Api;
  readonly modelPath: string;
  readonly model: ModelInfo;
  readonly forms: InputForm[];
  tab = $state<'run' | 'compare' | 'check' | 'bench' | 'profile'>('run');

  provider = $state<ProviderId | 'auto'>('auto');
  intraOpThreads = $state(0);
  interOpThreads = $state(0);
  graphOptimization = $state<GraphOptimization>('all');
  /** Sizes of free dims by name ("batch") or position ("x[1]"), shared by all inputs. */
  dimSizes = $state<Record<string, number>>({});

  readonly hardware: Task<HardwareReport>;
  readonly run: Task<RunResult, { stage: string }>;
  /** The last run read as a task; created with the first run, kept for the next ones (task and settings stay). */
  results = $state.raw<ResultsState | null>(null);
  /**
   * A provider fallback said once per session: the reason shows in full after the first run that
   * fell back, later runs only name the provider used (the machine has not changed in between).
   */
  fallbackNotice = $state<string | null>(null);
  // Not reactive on purpose: only fallbackNotice is shown.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #fallbacksSeen = new Set<string>();
  /** Why Run cannot start (first missing input), shown instead of running. */
  missing = $state<string | null>(null);

  /** onnxruntime's per-node profile for the next runs (a fresh session each run). */
  profiling = $state(false);
  /** Where to write the optimised model on the next run ('' = not at all). */
  saveOptimizedTo = $state('');

  /** The model's saved recipe (loaded once), and the task settings the results use. */
  saved = $state.raw<SavedRecipe | null>(null);
  task = $state.raw<TaskSettings | null>(null);
  recipeNote = $state<string | null>(null);
  recipeError = $state.raw<WorkbenchErrorInfo | null>(null);
  #savedLoad: Promise<ModelRecipe | null> | null = null;

  compareWith = $state<ProviderId | 'auto'>('cpu');
  atol = $state(DEFAULT_ATOL);
  rtol = $state(DEFAULT_RTOL);
  readonly compare: Task<ProviderComparison, { stage: string }>;

  checkDirs = $state<string[]>([]);
  readonly check: Task<CheckReport, CheckProgress>;

  benchRuns = $state(100);
  benchWarmup = $state(10);
  benchProviders = $state<(ProviderId | 'auto')[]>(['auto']);
  /** The benchmark over the chosen providers: a job, so it runs on whatever happens to the page. */
  readonly benchJob: JobTask<'benchmark'>;
  /** The providers finished so far (all of them once the job ends). */
  bench = $state.raw<BenchRow[]>([]);
  #initialised = false;

  constructor(api: Api, modelPath: string, model: ModelInfo) {
    this.api = api;
    this.modelPath = modelPath;
    this.model = model;
    this.forms = model.inputs.map((input) => new InputForm(this, input));
    this.hardware = new Task((o) => api.call('hardware.detect', {}, o));
    this.benchJob = new JobTask(api, 'benchmark', (p) => {
      if (p.rows) this.bench = p.rows;
    });
    this.compare = new Task((o) => this.#compare(o));
    this.check = new Task((o) =>
      api.call(
        'check.run',
        {
          dirs: [...this.checkDirs],
          ...(this.provider === 'auto' ? {} : { provider: this.provider }),
          atol: this.atol,
          rtol: this.rtol,
        },
        o,
      ),
    );
    this.run = new Task((o) => {
      const request = this.#request();
      if ('missing' in request) return Promise.resolve({ ok: false, error: { code: 'INVALID_INPUT', message: request.missing } });
      return api.call('model.run', { ...request, options: this.runOptions() }, o);
    });
  }

  dimSize(key: string): number {
    return this.dimSizes[key] ?? 1;
  }

  setDimSize(key: string, size: number): void {
    if (Number.isInteger(size) && size >= 1) this.dimSizes = { ...this.dimSizes, [key]: size };
  }

  /** Starts the engine calls the form needs from the start (recipes, providers). */
  init(): void {
    if (this.#initialised) return;
    this.#initialised = true;
    this.hardware.ensure();
    void this.savedRecipe();
    for (const f of this.forms) if (f.kind === 'image') void f.guessRecipe();
  }

  options(provider: ProviderId | 'auto' = this.provider): SessionOptionsInput {
    return {
      provider,
      ...(this.intraOpThreads > 0 ? { intraOpThreads: this.intraOpThreads } : {}),
      ...(this.interOpThreads > 0 ? { interOpThreads: this.interOpThreads } : {}),
      graphOptimization: this.graphOptimization,
    };
  }

  /** Options of a single run: the shared ones plus profiling and saving the optimised model. */
  runOptions(): SessionOptionsInput {
    const to = this.saveOptimizedTo.trim();
    return { ...this.options(), ...(this.profiling ? { profiling: true } : {}), ...(to ? { saveOptimizedModel: to } : {}) };
  }

  /** The saved recipe, loaded once; its session options are applied when it loads. */
  savedRecipe(): Promise<ModelRecipe | null> {
    this.#savedLoad ??= this.api.call('recipe.get', { path: this.modelPath }).then((r) => {
      // Without a saved recipe the form starts from the guessed one; nothing is lost.
      if (!r.ok) return null;
      this.saved = r.value;
      const recipe = r.value.recipe;
      if (recipe?.task) this.task = recipe.task;
      const o = recipe?.options;
      if (o?.provider) this.provider = o.provider;
      if (o?.intraOpThreads !== undefined) this.intraOpThreads = o.intraOpThreads;
      if (o?.interOpThreads !== undefined) this.interOpThreads = o.interOpThreads;
      if (o?.graphOptimization) this.graphOptimization = o.graphOptimization;
      return recipe;
    });
    return this.#savedLoad;
  }

  /** The recipe as on screen: image inputs' recipes, the task, the session options. */
  currentRecipe(): ModelRecipeInput {
    const inputs: Record<string, PreprocessRecipe> = {};
    for (const f of this.forms) if (f.kind === 'image' && f.recipe) inputs[f.input.name] = $state.snapshot(f.recipe);
    return { inputs, ...(this.task ? { task: this.task } : {}), options: this.options() };
  }

  /** Saves the recipe for this model (after each run and each task change). */
  async saveRecipe(): Promise<void> {
    const result = await this.api.call('recipe.save', { path: this.modelPath, recipe: this.currentRecipe() });
    if (result.ok) {
      this.saved = result.value;
      this.recipeError = null;
    } else this.recipeError = result.error;
  }

  #taskSave: ReturnType<typeof setTimeout> | null = null;

  /** The results' task or settings changed: kept in the recipe (saved once the user pauses). */
  setTask(settings: TaskSettings): void {
    this.task = settings;
    if (this.#taskSave) clearTimeout(this.#taskSave);
    this.#taskSave = setTimeout(() => {
      this.#taskSave = null;
      void this.saveRecipe();
    }, 600);
  }

  async exportRecipe(to: string): Promise<void> {
    this.recipeNote = null;
    const result = await this.api.call('recipe.export', { path: this.modelPath, to, recipe: this.currentRecipe() });
    if (result.ok) {
      this.recipeNote = `Recipe exported to ${result.value.path}`;
      this.recipeError = null;
    } else this.recipeError = result.error;
  }

  async importRecipe(from: string): Promise<void> {
    this.recipeNote = null;
    const result = await this.api.call('recipe.import', { path: this.modelPath, from });
    if (!result.ok) {
      this.recipeError = result.error;
      return;
    }
    this.recipeError = null;
    this.saved = result.value;
    const recipe = result.value.recipe;
    if (recipe) {
      for (const f of this.forms) {
        const r = recipeForInput(recipe, f.input.name);
        if (r && f.kind === 'image') {
          f.recipe = r;
          f.recipeNotes = [`imported from ${from}`];
          void f.refreshPreview();
        }
      }
      if (recipe.task) this.task = recipe.task;
    }
    this.recipeNote = `Recipe imported from ${from}`;
  }

  /** Runs the same inputs on the chosen provider and on the other one, then compares every output. */
  async #compare(o: CallOptions<{ stage: string }>): Promise<Result<ProviderComparison>> {
    const first = this.#request(this.provider);
    const second = this.#request(this.compareWith);
    if ('missing' in first) return { ok: false, error: { code: 'INVALID_INPUT', message: first.missing } };
    if ('missing' in second) return { ok: false, error: { code: 'INVALID_INPUT', message: second.missing } };
    const name = (p: ProviderId | 'auto') => (p === 'auto' ? 'auto' : PROVIDER_NAMES[p]);
    o.onEvent?.({ stage: `running on ${name(this.provider)}` });
    const a = await this.api.call('model.run', first, { signal: o.signal });
    if (!a.ok) return a;
    o.onEvent?.({ stage: `running on ${name(this.compareWith)}` });
    const b = await this.api.call('model.run', second, { signal: o.signal });
    if (!b.ok) return b;
    o.onEvent?.({ stage: 'comparing' });
    const c = await this.api.call('run.compare', { a: a.value.runId, b: b.value.runId, atol: this.atol, rtol: this.rtol });
    if (!c.ok) return c;
    return { ok: true, value: { a: a.value, b: b.value, comparison: c.value } };
  }

  #request(
    provider?: ProviderId | 'auto',
  ): { path: string; inputs: Record<string, RunInputSource>; options: SessionOptionsInput } | { missing: string } {
    const inputs: Record<string, RunInputSource> = {};
    for (const f of this.forms) {
      const s = f.source();
      if ('missing' in s) return { missing: s.missing };
      inputs[f.input.name] = s.source;
    }
    return { path: this.modelPath, inputs, options: this.options(provider) };
  }

  /**
   * What a profile runs: the form's inputs and options; with `generateMissing`, inputs not chosen
   * yet are generated (and named in `generated`), so that a profile is one click from anywhere.
   */
  profileRequest(
    generateMissing = false,
  ):
    | { path: string; inputs: Record<string, RunInputSource>; options: SessionOptionsInput; generated: string[] }
    | { missing: string } {
    const inputs: Record<string, RunInputSource> = {};
    const generated: string[] = [];
    for (const f of this.forms) {
      const s = f.source();
      if ('source' in s) inputs[f.input.name] = s.source;
      else if (generateMissing) {
        inputs[f.input.name] = f.generated();
        generated.push(f.input.name);
      } else return { missing: s.missing };
    }
    return { path: this.modelPath, inputs, options: this.options(), generated };
  }

  async start(): Promise<void> {
    if (this.run.running) return;
    const request = this.#request();
    this.missing = 'missing' in request ? request.missing : null;
    if (this.missing) return;
    await this.run.start();
    const value = this.run.value;
    if (this.run.state === 'done' && value) {
      this.#noteFallback(value.provider.fallbackReason);
      this.results ??= new ResultsState({
        api: this.api,
        modelPath: this.modelPath,
        saved: this.task,
        onTaskChange: (s) => this.setTask(s),
      });
      void this.results.show(value.runId);
    }
    // What was just run is what the user wants next time.
    if (this.run.state === 'done') {
      void this.saveRecipe();
      // An optimised model is written once; the next run must not fail on the existing file.
      if (this.run.value?.optimizedModelPath) this.saveOptimizedTo = '';
    }
  }

  get benchRunning(): boolean {
    return this.benchJob.running;
  }

  /** The provider being measured and its runs, while the benchmark runs. */
  get benchProgress(): { provider: string; done: number; total: number; lastMs: number } | null {
    const p = this.benchJob.progress;
    return this.benchJob.running && p ? { provider: p.provider, done: p.done, total: p.total, lastMs: p.lastMs } : null;
  }

  /** Benchmarks each chosen provider in turn (one job); rows fill in as they finish. */
  async startBench(): Promise<void> {
    if (this.benchRunning || this.benchProviders.length === 0) return;
    const request = this.#request();
    this.missing = 'missing' in request ? request.missing : null;
    if ('missing' in request) return;
    this.bench = [];
    await this.benchJob.start({
      ...request,
      runs: this.benchRuns,
      warmup: this.benchWarmup,
      providers: [...this.benchProviders],
    });
    if (this.benchJob.value) this.bench = this.benchJob.value;
  }

  /** Follows a benchmark of this model running on the main side (a reloaded page, another tab). */
  async attachBench(info: JobInfo): Promise<void> {
    if (this.benchRunning || info.kind !== 'benchmark' || !isRunningJob(info) || info.request.path !== this.modelPath) return;
    this.benchRuns = info.request.runs;
    this.benchWarmup = info.request.warmup;
    this.benchProviders = [...info.request.providers];
    this.bench = [];
    this.tab = 'bench';
    await this.benchJob.attach(info.jobId);
    if (this.benchJob.value) this.bench = this.benchJob.value;
  }

  /** The model closed: pending calls and timers stop; a benchmark job goes on (another page may follow it), unwatched here. */
  dispose(): void {
    this.results?.dispose();
    this.run.cancel();
    this.benchJob.release();
    if (this.#taskSave) clearTimeout(this.#taskSave);
  }

  #noteFallback(reason: string | undefined): void {
    if (!reason) {
      this.fallbackNotice = null;
      return;
    }
    this.fallbackNotice = this.#fallbacksSeen.has(reason) ? null : reason;
    this.#fallbacksSeen.add(reason);
  }

  /** Stops the benchmark by its id (for every page following it); the rows so far stay. */
  cancelBench(): void {
    void this.benchJob.cancel();
  }
}
