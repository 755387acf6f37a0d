// The Evaluate view's state: the form (model A, an optional model B, the labelled dataset and its
// task, the output folder), the evaluation as a job (`JobTask`: it runs on whatever happens to
// this page; a reloaded page re-attaches and its form shows the job's settings), and the
// disagreement picked in the A/B viewer with its image preview.
import type { Api } from '../../../shared/api';
import type { BatchJobInput } from '../../../shared/batch';
import { type JobInfo, isRunningJob } from '../../../shared/jobs';
import {
  type Disagreement,
  type EvalProgress,
  type EvalReport,
  type EvalRequestInput,
  type EvalTask,
  EVAL_TASKS,
} from '../../../shared/eval/report';
import type { ModelRecipe } from '../../../shared/model-recipe';
import { isAbsolutePath } from '../../../shared/paths';
import type { ProviderId } from '../../../shared/providers';
import type { Result, WorkbenchErrorInfo } from '../../../shared/result';
import type { ImagePreview } from '../../../shared/run';
import type { TaskSettings } from '../../../shared/tasks';
import { modelBatchJob } from './batch.svelte';
import { joinPath } from './paths';
import { defaultSettings } from './results.svelte';
import { NEUTRAL_RECIPE } from './run.svelte';
import { JobTask } from './job-task.svelte';

export const EVAL_TASK_NAMES: Record<EvalTask, string> = {
  classification: 'Classification',
  detection: 'Detection',
  segmentation: 'Segmentation',
  'text-recognition': 'Text recognition',
};

const isEvalTask = (kind: string | undefined): kind is EvalTask => (EVAL_TASKS as readonly string[]).includes(kind ?? '');

/** The folder an evaluation writes to by default: beside the dataset, never inside it. */
export function defaultEvalFolder(dataset: string): string {
  const trimmed = dataset.replace(/[\\/]+$/, '');
  return `${trimmed || dataset}-eval`;
}

/**
 * The model's task settings for scoring: the recipe's own when they are of this task (labels,
 * charset…), else the suggestion's, else the defaults; as the CLI does, top 5 classes and the
 * low-scored boxes too (mAP needs them).
 */
export function evalTaskSettings(task: EvalTask, saved: TaskSettings | undefined, suggested: TaskSettings | null): TaskSettings {
  const base = saved?.kind === task ? saved : suggested?.kind === task ? suggested : defaultSettings(task);
  if (base.kind === 'classification') return { ...base, topK: Math.max(base.topK, 5) };
  if (base.kind === 'detection')
    return { ...base, confidence: Math.min(base.confidence, 0.001), maxDetections: Math.max(base.maxDetections, 300) };
  return base;
}

/** Phase of the evaluation in words with done/total of the batch job, for the progress bar. */
export interface EvalStage {
  label: string;
  done: number;
  total: number | null;
  failed: number;
}

export function describeProgress(p: EvalProgress | undefined, ab: boolean): EvalStage {
  if (!p) return { label: 'Starting…', done: 0, total: null, failed: 0 };
  if (p.phase === 'scoring') return { label: 'Scoring…', done: 0, total: null, failed: 0 };
  const who = ab ? `Model ${p.phase.toUpperCase()}` : 'Running the model';
  return { label: who, done: p.batch?.done ?? 0, total: p.batch?.total ?? null, failed: p.batch?.failed ?? 0 };
}

export class EvalSession {
  readonly api: Api;
  readonly #openModel: () => string | null;

  /** Model A chosen here; without one, the model open in the workbench. */
  chosenModel = $state<string | null>(null);
  /** Model B (A/B); empty: none. */
  modelB = $state('');
  dataset = $state('');
  /** The task chosen here; null: the model's suggested one. */
  chosenTask = $state<EvalTask | null>(null);
  suggestion = $state.raw<TaskSettings | null>(null);
  #suggestedFor: string | null = null;
  annotations = $state('');
  masks = $state('');
  list = $state('');
  out = $state('');
  provider = $state<ProviderId | 'auto'>('auto');
  /** Why Start cannot run yet, shown after a click. */
  missing = $state<string | null>(null);
  /** Reading the recipes before the call. */
  preparing = $state(false);
  prepareError = $state.raw<WorkbenchErrorInfo | null>(null);

  /** The request of the run on screen (its models and dataset label the results). */
  request = $state.raw<EvalRequestInput | null>(null);
  readonly run: JobTask<'eval'>;

  /** The disagreement shown in the A/B viewer, and its image. */
  selected = $state.raw<Disagreement | null>(null);
  preview = $state.raw<ImagePreview | null>(null);
  previewError = $state.raw<WorkbenchErrorInfo | null>(null);
  #previewRequest = 0;

  constructor(api: Api, openModel: () => string | null) {
    this.api = api;
    this.#openModel = openModel;
    this.run = new JobTask(api, 'eval');
  }

  get modelPath(): string | null {
    return this.chosenModel ?? this.#openModel();
  }

  /** The suggested task when it is one that can be scored. */
  get suggestedTask(): EvalTask | null {
    const kind = this.suggestion?.kind;
    return isEvalTask(kind) ? kind : null;
  }

  get task(): EvalTask {
    return this.chosenTask ?? this.suggestedTask ?? 'classification';
  }

  get running(): boolean {
    return this.preparing || this.run.running;
  }

  get progress(): EvalStage {
    return describeProgress(this.run.progress ?? undefined, !!this.request?.against);
  }

  get report(): EvalReport | null {
    return this.run.value;
  }

  get error(): WorkbenchErrorInfo | null {
    return this.prepareError ?? this.run.failure;
  }

  chooseModel(path: string): void {
    this.chosenModel = path;
    void this.loadSuggestion();
  }

  /** Asks the engine which task the model looks like (the default of the task field). */
  async loadSuggestion(): Promise<void> {
    const path = this.modelPath;
    if (!path || this.#suggestedFor === path) return;
    this.#suggestedFor = path;
    const result = await this.api.call('task.suggest', { path });
    if (this.#suggestedFor !== path) return;
    this.suggestion = result.ok ? result.value.settings : null;
  }

  /** Sets the dataset folder; an empty output folder becomes one beside it. */
  setDataset(path: string): void {
    this.dataset = path.trim();
    if (!this.out.trim() && isAbsolutePath(this.dataset)) this.out = defaultEvalFolder(this.dataset);
  }

  /** What the form still lacks, in words; null when it can start. */
  check(): string | null {
    const model = this.modelPath;
    if (!model) return 'choose a model';
    const dataset = this.dataset.trim();
    if (!dataset) return 'choose the dataset folder';
    if (!isAbsolutePath(dataset)) return `the dataset folder must be a full path (${dataset})`;
    const out = this.out.trim();
    if (!out) return 'choose the output folder';
    if (!isAbsolutePath(out)) return `the output folder must be a full path (${out})`;
    for (const [what, value] of [
      ['model B', this.modelB],
      ['annotations file', this.annotations],
      ['masks folder', this.masks],
      ['list file', this.list],
    ] as const)
      if (value.trim() && !isAbsolutePath(value.trim())) return `the ${what} must be a full path (${value.trim()})`;
    return null;
  }

  /** The request as the form describes it, given each model's saved recipe. */
  buildRequest(recipes: { a: ModelRecipe | null; b: ModelRecipe | null }): EvalRequestInput {
    const model = this.modelPath ?? '';
    const root = this.dataset.trim();
    const out = this.out.trim();
    const modelB = this.modelB.trim();
    const task = this.task;
    const opt = (v: string) => (v.trim() ? v.trim() : undefined);
    const job = (path: string, recipe: ModelRecipe | null, folder: string): BatchJobInput => {
      const suggested = path === model ? this.suggestion : null;
      return modelBatchJob({
        model: path,
        recipe: { ...(recipe ?? { inputs: {} }), task: evalTaskSettings(task, recipe?.task, suggested) },
        input: { folder: root },
        output: { folder },
        provider: this.provider,
        threads: 0,
        batchSize: 'auto',
      });
    };
    const list = opt(this.list);
    const annotations = opt(this.annotations);
    const masks = opt(this.masks);
    return {
      dataset: {
        task,
        root,
        ...(list ? { list } : {}),
        ...(annotations && task === 'detection' ? { annotations } : {}),
        ...(masks && task === 'segmentation' ? { masks } : {}),
      },
      out,
      job: job(model, recipes.a, joinPath(out, modelB ? 'a' : 'job')),
      ...(modelB ? { against: job(modelB, recipes.b, joinPath(out, 'b')) } : {}),
    };
  }

  async #recipe(path: string): Promise<Result<ModelRecipe | null>> {
    const r = await this.api.call('recipe.get', { path });
    return r.ok ? { ok: true, value: r.value.recipe } : r;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.missing = this.check();
    if (this.missing) return;
    this.preparing = true;
    this.prepareError = null;
    const model = this.modelPath ?? '';
    await this.loadSuggestion();
    const modelB = this.modelB.trim();
    const [a, b] = await Promise.all([
      this.#recipe(model),
      modelB ? this.#recipe(modelB) : Promise.resolve<Result<null>>({ ok: true, value: null }),
    ]);
    this.preparing = false;
    if (!a.ok || !b.ok) {
      this.prepareError = !a.ok ? a.error : !b.ok ? b.error : null;
      return;
    }
    const request = this.buildRequest({ a: a.value, b: b.value });
    this.request = request;
    this.selected = null;
    this.preview = null;
    await this.run.start(request);
  }

  /** Stops the evaluation by its id (for every page following it). */
  cancel(): void {
    void this.run.cancel();
  }

  /**
   * Follows an evaluation running on the main side (this page was reloaded, or another tab
   * started it): the form shows its settings, the progress and the report follow.
   */
  attach(info: JobInfo): void {
    if (this.running || info.kind !== 'eval' || !isRunningJob(info)) return;
    const r = info.request;
    this.chosenModel = r.job.model;
    this.modelB = r.against?.model ?? '';
    this.dataset = r.dataset.root;
    this.chosenTask = r.dataset.task;
    this.annotations = r.dataset.annotations ?? '';
    this.masks = r.dataset.masks ?? '';
    this.list = r.dataset.list ?? '';
    this.out = r.out;
    this.provider = r.job.options?.provider ?? 'auto';
    this.request = r;
    this.selected = null;
    this.preview = null;
    void this.loadSuggestion();
    void this.run.attach(info.jobId);
  }

  /** Shows a disagreement's image in the viewer. */
  async select(d: Disagreement): Promise<void> {
    this.selected = d;
    this.preview = null;
    this.previewError = null;
    const root = this.request?.dataset.root;
    if (!root) return;
    const path = isAbsolutePath(d.file) ? d.file : joinPath(root, d.file);
    const mine = ++this.#previewRequest;
    const result = await this.api.call('image.preview', { path, recipe: NEUTRAL_RECIPE });
    if (mine !== this.#previewRequest) return;
    if (result.ok) this.preview = result.value;
    else this.previewError = result.error;
  }
}
