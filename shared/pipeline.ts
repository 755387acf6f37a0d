// Pipelines: models run one after another on one image, saved as JSON. A step reads the whole
// image, or the regions another step found (text regions, detection boxes): then it runs once per
// region on an upright crop of the original image, and its result is attached to that region.
// OCR is text detection → text recognition; detection → classification of each box works the same way.
// Pure and shared: the engine runs pipelines, the CLI and the UI read files and results.
import { z } from 'zod';
import { absolutePath, isAbsolutePath } from './paths';
import type { ProviderChoice } from './providers';
import { type PreprocessRecipe, preprocessRecipeSchema } from './recipe';
import { WorkbenchError } from './result';
import { sessionOptionsSchema } from './run';
import { type EncodedRaster, TASK_KINDS, type TaskKindId, type TaskResult, type TaskSettings, taskSettingsSchema } from './tasks';

export const PIPELINE_FORMAT = 'onnx-workbench/pipeline';

/** Task kinds whose results are regions a later step can read. */
export const REGION_TASKS = ['text-detection', 'detection'] as const satisfies readonly TaskKindId[];

/** Files named in a pipeline: absolute, or relative to the pipeline file's folder. */
const filePath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => !p.includes('\0'), { message: 'must not contain NUL' });
const stepId = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, { message: 'must be a short name: letters, digits, _ and -, starting with a letter' });

export const stepSourceSchema = z.discriminatedUnion('kind', [
  /** The pipeline's image. */
  z.strictObject({ kind: z.literal('input') }),
  /** Each region (or box) of an earlier step that read the whole image, cropped from the original. */
  z.strictObject({
    kind: z.literal('regions'),
    step: stepId,
    /** Only regions scoring at least this. */
    minScore: z.number().min(0).max(1).default(0),
    /** Crops taller than this × their width are turned 90° (vertical text). Default: 1.5 for text regions (PaddleOCR), never for boxes; 0: never. */
    rotateTall: z.number().min(0).max(100).optional(),
    /**
     * Text-recognition steps: a region whose text is empty or scores below this is dropped from
     * the regions and the text (PaddleOCR's drop_score). Default 0.5; 0 keeps every non-empty text.
     */
    dropTextBelow: z.number().min(0).max(1).optional(),
  }),
]);
export type StepSource = z.output<typeof stepSourceSchema>;

export const pipelineStepSchema = z.strictObject({
  id: stepId,
  model: filePath,
  /** The model's image input; default: its only input. */
  input: z.string().min(1).max(1000).optional(),
  /** Default: the recipe guessed from the model. */
  recipe: preprocessRecipeSchema.optional(),
  /**
   * TaskSettings; checked by parsePipeline once relative charset/labels paths are resolved.
   * Omitted: the task saved in the model's recipe, or else the one suggested for it (the app
   * looks it up when the pipeline starts).
   */
  task: z.looseObject({ kind: z.enum(TASK_KINDS) }).optional(),
  from: stepSourceSchema.default({ kind: 'input' }),
  /**
   * This step classifies the orientation of each region (PaddleOCR's text direction classifier,
   * labels "0" and "180"): a region whose top class is `turnedClass` scoring at least `threshold`
   * (PaddleOCR's cls_thresh, 0.9) is read by the later steps turned by 180°.
   */
  orientation: z
    .strictObject({
      turnedClass: z.number().int().min(0).max(1000).default(1),
      threshold: z.number().min(0).max(1).default(0.9),
    })
    .optional(),
});

export const pipelineFileSchema = z
  .strictObject({
    format: z.literal(PIPELINE_FORMAT),
    version: z.literal(1),
    name: z.string().max(200).optional(),
    description: z.string().max(2000).optional(),
    steps: z.array(pipelineStepSchema).min(1).max(32),
  })
  .superRefine((p, ctx) => {
    const seen = new Map<string, (typeof p.steps)[number]>();
    p.steps.forEach((step, i) => {
      if (seen.has(step.id)) ctx.addIssue({ code: 'custom', path: ['steps', i, 'id'], message: `"${step.id}" is used twice` });
      const from = step.from;
      if (from.kind === 'regions') {
        const source = seen.get(from.step);
        const path = ['steps', i, 'from', 'step'];
        if (!source) ctx.addIssue({ code: 'custom', path, message: `names no earlier step "${from.step}"` });
        else if (source.from.kind !== 'input')
          ctx.addIssue({
            code: 'custom',
            path,
            message: `"${from.step}" runs on regions itself; only steps on the whole image give regions`,
          });
      }
      seen.set(step.id, step);
      // Rules on task kinds wait for the tasks an omitted one resolves to (taskIssues).
      for (const issue of step.task && p.steps.every((s) => s.task) ? taskIssues(p.steps as StepKinds, i) : [])
        ctx.addIssue({ code: 'custom', ...issue });
    });
  });

type StepKinds = readonly { id: string; task: { kind: string }; from: StepSource; orientation?: unknown }[];

/** What is wrong with step `i` given every step's task kind: a region source that finds none, a misplaced orientation. */
function taskIssues(steps: StepKinds, i: number): { path: (string | number)[]; message: string }[] {
  const step = steps[i];
  const issues: { path: (string | number)[]; message: string }[] = [];
  const from = step.from;
  const source = from.kind === 'regions' ? steps.slice(0, i).find((s) => s.id === from.step) : undefined;
  if (
    from.kind === 'regions' &&
    source &&
    source.from.kind === 'input' &&
    !(REGION_TASKS as readonly string[]).includes(source.task.kind)
  )
    issues.push({
      path: ['steps', i, 'from', 'step'],
      message: `"${from.step}" is ${source.task.kind}, which finds no regions (text-detection or detection do)`,
    });
  if (step.orientation && (from.kind !== 'regions' || step.task.kind !== 'classification'))
    issues.push({
      path: ['steps', i, 'orientation'],
      message: 'an orientation step is a classification of the regions of an earlier step',
    });
  return issues;
}
export type PipelineFile = z.input<typeof pipelineFileSchema>;

/** A step ready to run: absolute paths, complete task settings. */
export interface PipelineStep {
  id: string;
  model: string;
  input?: string;
  recipe?: PreprocessRecipe;
  task: TaskSettings;
  from: StepSource;
  orientation?: { turnedClass: number; threshold: number };
}

export interface Pipeline {
  name?: string;
  description?: string;
  steps: PipelineStep[];
}

/** `p` against the folder `base` (POSIX or Windows), with `.` and `..` resolved; absolute paths as they are. */
export function resolveAgainst(base: string, p: string): string {
  if (isAbsolutePath(p)) return p;
  const windows = /^[A-Za-z]:[\\/]/.test(base) || base.startsWith('\\\\');
  const sep = windows ? '\\' : '/';
  // UNC roots (\\server\share) keep their leading separators untouched.
  const unc = base.startsWith('\\\\') ? '\\\\' : '';
  const parts = base.slice(unc.length).split(/[\\/]/);
  const root = parts.shift() ?? '';
  const out = parts.filter((s) => s !== '' && s !== '.');
  for (const s of p.split(/[\\/]/)) {
    if (s === '' || s === '.') continue;
    if (s === '..') out.pop();
    else out.push(s);
  }
  return unc + [root, ...out].join(sep);
}

const issuesText = (issues: readonly { path: PropertyKey[]; message: string }[]): string =>
  issues
    .slice(0, 5)
    .map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message))
    .join('; ');

/** The task with its charset/labels file made absolute (relative to `base`), or an issue when there is no base. */
function resolveTaskPaths(task: Record<string, unknown>, base: string | undefined, where: string): Record<string, unknown> {
  const out = { ...task };
  for (const key of ['charset', 'labels']) {
    const v = out[key] as { kind?: unknown; path?: unknown } | undefined;
    if (!v || typeof v !== 'object' || v.kind !== 'file' || typeof v.path !== 'string' || isAbsolutePath(v.path)) continue;
    if (base === undefined)
      throw new WorkbenchError(
        'INVALID_INPUT',
        `${where}.${key}.path "${v.path}" is relative, but the pipeline has no folder: use an absolute path`,
      );
    out[key] = { ...v, path: resolveAgainst(base, v.path) };
  }
  return out;
}

/** Steps whose file names no task: their ids and models (absolute, or relative to the file's folder). */
export function stepsWithoutTask(value: unknown, baseDir?: string): { id: string; model: string }[] {
  const parsed = pipelineFileSchema.safeParse(value);
  if (!parsed.success) return [];
  return parsed.data.steps
    .filter((s) => !s.task)
    .map((s) => ({ id: s.id, model: baseDir === undefined ? s.model : resolveAgainst(baseDir, s.model) }));
}

export interface ParsePipelineOptions {
  baseDir?: string;
  source?: string;
  /** Tasks for the steps that name none, by step id (from each model's saved recipe, or suggested). */
  tasks?: Readonly<Record<string, TaskSettings>>;
}

/**
 * A pipeline file's content, checked, with relative paths resolved against `baseDir` (the
 * file's folder) and omitted tasks taken from `tasks`. Throws INVALID_INPUT naming `source` and
 * every problem found.
 */
export function parsePipeline(value: unknown, options: ParsePipelineOptions = {}): Pipeline {
  const source = options.source ?? 'The pipeline';
  const parsed = pipelineFileSchema.safeParse(value);
  if (!parsed.success)
    throw new WorkbenchError('INVALID_INPUT', `${source} is not a valid pipeline: ${issuesText(parsed.error.issues)}`);
  const { baseDir } = options;
  const steps = parsed.data.steps.map((step, i): PipelineStep => {
    const where = `steps.${i}.task`;
    let model = step.model;
    if (!isAbsolutePath(model)) {
      if (baseDir === undefined)
        throw new WorkbenchError(
          'INVALID_INPUT',
          `${source}: steps.${i}.model "${model}" is relative, but the pipeline has no folder: use an absolute path`,
        );
      model = resolveAgainst(baseDir, model);
    }
    // A saved or suggested task is already complete, its files absolute.
    const saved = step.task ? undefined : options.tasks?.[step.id];
    if (!step.task && !saved)
      throw new WorkbenchError(
        'INVALID_INPUT',
        `${source}: ${where}: step "${step.id}" names no task, and ${model} has no saved task and none could be suggested: give one, e.g. "task": {"kind": "text-recognition"}`,
      );
    let task: Record<string, unknown>;
    try {
      task = step.task ? resolveTaskPaths(step.task, baseDir, where) : { ...saved };
    } catch (e) {
      throw new WorkbenchError('INVALID_INPUT', `${source}: ${(e as Error).message}`);
    }
    const settings = taskSettingsSchema.safeParse(task);
    if (!settings.success) {
      const issues = settings.error.issues.map((x) => ({ ...x, path: ['steps', i, 'task', ...x.path] }));
      throw new WorkbenchError('INVALID_INPUT', `${source} is not a valid pipeline: ${issuesText(issues)}`);
    }
    return {
      id: step.id,
      model,
      input: step.input,
      recipe: step.recipe,
      task: settings.data,
      from: step.from,
      ...(step.orientation ? { orientation: step.orientation } : {}),
    };
  });
  // The rules on task kinds, now that every step has its task (a saved one may be the wrong kind).
  const issues = steps.flatMap((_, i) => taskIssues(steps, i));
  if (issues.length) {
    const text = issuesText(issues);
    const why = steps.some((s, i) => !parsed.data.steps[i].task) ? ' (with the tasks saved for the models that name none)' : '';
    throw new WorkbenchError('INVALID_INPUT', `${source} is not a valid pipeline${why}: ${text}`);
  }
  return { name: parsed.data.name, description: parsed.data.description, steps };
}

/** A run of a pipeline: from a file (relative paths against its folder) or given inline (absolute paths only). */
export const pipelineRequestSchema = z
  .strictObject({
    file: absolutePath.optional(),
    pipeline: pipelineFileSchema.optional(),
    input: absolutePath,
    /** Sessions are shared with runs: profiling and saving the optimised model are not offered here. */
    options: sessionOptionsSchema
      .pick({ provider: true, fallback: true, intraOpThreads: true, interOpThreads: true, graphOptimization: true })
      .default({ provider: 'auto' }),
    /** Also save the original with the regions (and their text) drawn on it: .png, .jpg or .jpeg; never overwrites. */
    annotatedImage: absolutePath.optional(),
    /** Tasks of the steps that name none, by step id: filled in by the app from the models' saved recipes. */
    tasks: z.record(z.string().max(64), taskSettingsSchema).optional(),
  })
  .refine((r) => (r.file === undefined) !== (r.pipeline === undefined), {
    message: 'give either a pipeline file or a pipeline, not both or neither',
  });
export type PipelineRequest = z.input<typeof pipelineRequestSchema>;

// ---- Results ----------------------------------------------------------------------------------

export interface PipelineStepTimings {
  /** Session creation; 0 when the session came from the cache. */
  createMs: number;
  /** Decoding, cropping and preprocessing, summed over the step's runs. */
  prepareMs: number;
  runMs: number;
  postprocessMs: number;
  totalMs: number;
}

export interface PipelineStepReport {
  id: string;
  model: string;
  task: TaskKindId;
  /** 'input', or the id of the step whose regions it read. */
  from: string;
  provider: ProviderChoice;
  /** 1 for the whole image; one per region otherwise. */
  runs: number;
  /** An orientation step: the regions it found upside down are read turned by 180° (`PipelineRegion.turned`). */
  orientation?: boolean;
  timings: PipelineStepTimings;
  /** Why the recipe is what it is (guessed), or that it came from the pipeline. */
  notes: string[];
  /** Whole-image steps: their results. Steps on regions put theirs on each region (`children`). */
  results: TaskResult<EncodedRaster>[];
}

export interface PipelineChild {
  step: string;
  result: TaskResult<EncodedRaster>;
}

export interface PipelineRegion {
  /** The step that found it, and its index in that step's result. */
  step: string;
  index: number;
  /** Four corners clockwise from top-left, original-image pixels (boxes as their corners). */
  points: [number, number][];
  score: number;
  /** Detection boxes: the class label. */
  label?: string;
  /** An orientation step found it upside down (scoring `turnedScore`): later steps read it turned by 180°. */
  turned?: boolean;
  turnedScore?: number;
  /** Filled in by a text-recognition step on this region. */
  text?: string;
  textScore?: number;
  /** Results of the steps that ran on this region. */
  children: PipelineChild[];
}

export interface PipelineResult {
  name?: string;
  /** The pipeline file, when it came from one. */
  file?: string;
  input: string;
  image: { width: number; height: number; format: string };
  /** The original as shown (EXIF orientation applied), a JPEG data URL, longest side at most PREVIEW_MAX_SIDE. */
  preview: string;
  steps: PipelineStepReport[];
  /** Regions of every step that found some, in reading order per step. */
  regions: PipelineRegion[];
  /** Everything read as text: regions on one line joined by spaces, lines by newlines. */
  text: string;
  /** Where the annotated image was saved, when asked for. */
  annotatedImage?: string;
  totalMs: number;
}

export interface PipelineProgress {
  stage: string;
  step?: string;
  done?: number;
  total?: number;
}

/**
 * The text of regions in reading order: a region whose vertical middle lies within the previous
 * region's height continues its line.
 */
export function regionsText(regions: readonly Pick<PipelineRegion, 'points' | 'text'>[]): string {
  const lines: string[][] = [];
  let prev: { top: number; bottom: number } | null = null;
  for (const r of regions) {
    if (!r.text) continue;
    const ys = r.points.map((p) => p[1]);
    const box = { top: Math.min(...ys), bottom: Math.max(...ys) };
    const middle = (box.top + box.bottom) / 2;
    if (prev && middle >= prev.top && middle <= prev.bottom) lines[lines.length - 1].push(r.text);
    else lines.push([r.text]);
    prev = box;
  }
  return lines.map((l) => l.join(' ')).join('\n');
}

/** A region as result.json and a pipeline job's results.jsonl give it: coordinates to 0.01 px, scores to 4 digits. */
export interface PipelineRegionJson {
  step: string;
  index: number;
  points: [number, number][];
  score: number;
  label?: string;
  text?: string;
  textScore?: number;
  turned?: true;
  turnedScore?: number;
}

const r2 = (v: number): number => Math.round(v * 100) / 100;
const r4 = (v: number): number => Math.round(v * 10_000) / 10_000;

export function regionJson(g: PipelineRegion): PipelineRegionJson {
  return {
    step: g.step,
    index: g.index,
    points: g.points.map(([x, y]): [number, number] => [r2(x), r2(y)]),
    score: r4(g.score),
    ...(g.label !== undefined ? { label: g.label } : {}),
    ...(g.text !== undefined ? { text: g.text } : {}),
    ...(g.textScore !== undefined ? { textScore: r4(g.textScore) } : {}),
    ...(g.turned ? { turned: true as const, turnedScore: r4(g.turnedScore ?? 0) } : {}),
  };
}
