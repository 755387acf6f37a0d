// `run --task`: the task settings from the command line (or the recipe file, or the model's
// suggestion), and the interpreted result in words.
import { basename, extname, join, resolve } from 'node:path';
import type { Interpretation } from '../../shared/interpretation';
import type { RunInputSource, RunResult } from '../../shared/run';
import { formatDims } from '../../shared/tensor';
import { TASK_KINDS, type EncodedRaster, type TaskResult, type TaskSettings, taskSettingsSchema } from '../../shared/tasks';
import type { ModelInfo } from '../../shared/model-info';
import { canReadModel, resultJson } from '../../shared/postprocess';
import { charsetFor, recognitionClasses, withFilesBeside } from '../common/task-suggest';
import { type Caller, UsageError } from './args';
import { readRecipeFile } from './inputs';

export const taskFlags = {
  task: { type: 'string' },
  labels: { type: 'string' },
  charset: { type: 'string' },
  conf: { type: 'string' },
  iou: { type: 'string' },
  top: { type: 'string' },
} as const;

export interface TaskFlags {
  task?: string;
  labels?: string;
  charset?: string;
  conf?: string;
  iou?: string;
  top?: string;
}

type TaskChoice = TaskSettings['kind'] | 'auto';

/** --task checked before anything runs; null when no task was asked for. */
export function taskChoice(flags: TaskFlags, recipeTask: TaskSettings | undefined): TaskChoice | null {
  if (flags.task === undefined) {
    if (recipeTask) return recipeTask.kind;
    const stray = (['labels', 'charset', 'conf', 'iou', 'top'] as const).find((f) => flags[f] !== undefined);
    if (stray) throw new UsageError(`--${stray} needs --task (one of: auto, ${TASK_KINDS.join(', ')})`);
    return null;
  }
  if (flags.task === 'auto' || (TASK_KINDS as readonly string[]).includes(flags.task)) return flags.task as TaskChoice;
  throw new UsageError(`unknown task "${flags.task}" (one of: auto, ${TASK_KINDS.join(', ')})`);
}

function unit(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1)
    throw new UsageError(`${flag} must be a number from 0 to 1, not "${value}"`);
  return n;
}

/**
 * The settings: --task KIND from the flags alone; no --task: the recipe file's task; --task auto:
 * the model's suggestion. Flags given then adjust them, and must fit the task.
 */
export function taskSettings(base: TaskSettings | TaskChoice, flags: TaskFlags): TaskSettings {
  const input: Record<string, unknown> = typeof base === 'string' ? { kind: base } : { ...base };
  const kind = input.kind as TaskSettings['kind'];
  const only = (flag: string, kinds: TaskSettings['kind'][]) => {
    if (!kinds.includes(kind)) throw new UsageError(`--${flag} applies to ${kinds.join(', ')}, not to ${kind}`);
  };
  if (flags.labels !== undefined) {
    only('labels', ['classification', 'detection', 'segmentation']);
    input.labels = { kind: 'file', path: resolve(flags.labels) };
  }
  if (flags.charset !== undefined) {
    only('charset', ['text-recognition']);
    input.charset = { kind: 'file', path: resolve(flags.charset) };
  }
  if (flags.conf !== undefined) {
    only('conf', ['detection']);
    input.confidence = unit('--conf', flags.conf);
  }
  if (flags.iou !== undefined) {
    only('iou', ['detection']);
    input.iou = unit('--iou', flags.iou);
  }
  if (flags.top !== undefined) {
    only('top', ['classification']);
    const n = Number(flags.top);
    if (!Number.isInteger(n) || n < 1 || n > 1000)
      throw new UsageError(`--top must be a whole number from 1 to 1000, not "${flags.top}"`);
    input.topK = n;
  }
  if (kind === 'text-recognition' && input.charset === undefined)
    throw new UsageError('--task text-recognition needs --charset FILE (one character per line, e.g. ppocr_keys_v1.txt)');
  const parsed = taskSettingsSchema.safeParse(input);
  if (!parsed.success) throw new UsageError(`--task ${kind}: ${parsed.error.issues[0]?.message ?? 'invalid settings'}`);
  return parsed.data;
}

// ---- Interpreting a run, and its files -----------------------------------------------------

export interface TaskPlan {
  choice: TaskChoice;
  /** The settings, known before the run (all but --task auto, which asks the engine after it). */
  settings?: TaskSettings;
  flags: TaskFlags;
}

/**
 * --task KIND (or the recipe file's task) with the flags: the charset or labels file beside the
 * model fills in what the flags leave open (as the app does), and a --task the model's outputs
 * cannot be read as is refused with the reason, before anything runs.
 */
export async function resolveTask(
  base: TaskSettings | TaskSettings['kind'],
  flags: TaskFlags,
  model: string,
  info: ModelInfo,
  note: (line: string) => void,
): Promise<TaskSettings> {
  let start: TaskSettings | TaskSettings['kind'] = base;
  let found: string | null = null;
  if (base === 'text-recognition' && flags.charset === undefined) {
    const charset = await charsetFor(model, recognitionClasses(info));
    if (charset) {
      start = taskSettingsSchema.parse({ kind: base, charset: { kind: 'file', path: charset.path } });
      found = charset.found;
    }
  }
  let settings = taskSettings(start, flags);
  if (typeof base === 'string' && flags.labels === undefined) {
    const beside = await withFilesBeside(settings, model, info);
    settings = beside.settings;
    found ??= beside.found;
  }
  if (found) note(`Task ${settings.kind}: ${found} (--charset or --labels choose another)`);
  const readable = canReadModel(settings, info);
  if (!readable.ok && flags.task !== undefined)
    throw new UsageError(
      `--task ${settings.kind}: the outputs of ${basename(model)} cannot be read as ${settings.kind}: ${readable.reason}`,
    );
  return settings;
}

/** What the command line asks for, checked before the engine starts; null: no task. */
export async function planTask(
  flags: TaskFlags & { recipe?: string },
  model: string,
  info: ModelInfo,
  note: (line: string) => void,
): Promise<TaskPlan | null> {
  const recipeTask = flags.task === undefined ? (await readRecipeFile(flags.recipe))?.task : undefined;
  const choice = taskChoice(flags, recipeTask);
  if (!choice) return null;
  if (choice === 'auto') return { choice, flags };
  return { choice, flags, settings: await resolveTask(recipeTask ?? choice, flags, model, info, note) };
}

/** Results that are drawn on the image (the others are read as lists and text). */
const DRAWN = new Set<TaskSettings['kind']>(['detection', 'segmentation', 'image-to-image', 'text-detection']);

export interface InterpretedRun {
  settings: TaskSettings;
  interpretation: Interpretation;
  /** Files --out writes besides the outputs: the drawn image and the mask, by name. */
  files: { image?: string; mask?: string };
}

export async function interpretRun(
  call: Caller,
  run: RunResult,
  inputs: Record<string, RunInputSource>,
  plan: TaskPlan,
  note: (line: string) => void,
): Promise<InterpretedRun> {
  let settings = plan.settings;
  if (!settings) {
    const suggestion = await call('task.suggest', { path: run.model });
    note(`Task: ${suggestion.settings.kind} (${suggestion.reason})`);
    if (!suggestion.readable.ok) note(`  (the outputs may not fit it: ${suggestion.readable.reason})`);
    settings = taskSettings(suggestion.settings, plan.flags);
  }
  const interpretation = await call('run.interpret', { runId: run.runId, task: settings });
  // Files are named after the first image: photo.jpg → photo.result.jpg, photo.mask.png.
  const image = Object.values(inputs).find((s) => s.kind === 'image')?.paths[0];
  const stem = image ? basename(image, extname(image)) : 'result';
  const jpeg = image ? /^\.jpe?g$/i.test(extname(image)) : false;
  const files: InterpretedRun['files'] = {};
  if (image && DRAWN.has(settings.kind) && interpretation.results.length)
    files.image = `${stem}.result.${jpeg && settings.kind !== 'image-to-image' ? 'jpg' : 'png'}`;
  const first = interpretation.results[0];
  if (first && (first.kind === 'segmentation' || (first.kind === 'detection' && first.instances)))
    files.mask = `${stem}.mask.png`;
  return { settings, interpretation, files };
}

/** The result.json record of the interpreted result (file names only when they were written). */
export function taskRecord(run: InterpretedRun, written: boolean): Record<string, unknown> | null {
  const first = run.interpretation.results[0];
  if (!first) return null;
  const files = written ? { mask: run.files.mask, picture: first.kind === 'image-to-image' ? run.files.image : undefined } : {};
  return resultJson(first, { files, image: run.interpretation.images[0]?.path, settings: run.settings });
}

/** The drawn image and the mask, through the engine (which never writes over a file). */
export async function saveTaskFiles(call: Caller, runId: string, dir: string, run: InterpretedRun): Promise<void> {
  if (run.files.image)
    await call('run.exportResult', { runId, task: run.settings, what: 'image', to: join(dir, run.files.image) });
  if (run.files.mask) await call('run.exportResult', { runId, task: run.settings, what: 'mask', to: join(dir, run.files.mask) });
}

// ---- In words --------------------------------------------------------------------------------

const score = (s: number): string => s.toFixed(3);
const px = (v: number): string => String(Math.round(v));

function rows(lines: string[][]): string {
  if (!lines.length) return '    (none)\n';
  const widths = lines[0].map((_, c) => Math.max(...lines.map((r) => r[c].length)));
  return (
    lines.map((r) => `    ${r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ')}`).join('\n') +
    '\n'
  );
}

/** One result as lines a person reads: top-k, boxes, regions, text. */
export function formatTaskResult(result: TaskResult<EncodedRaster>): string {
  switch (result.kind) {
    case 'classification':
      return (
        `Classification of '${result.output}' (${result.classes} classes${result.softmaxApplied ? ', softmax applied' : ''}):\n` +
        rows(result.top.map((c, k) => [`${k + 1}.`, c.label, score(c.score), `class ${c.classId}`]))
      );
    case 'detection':
      return (
        `Detection: ${result.detections.length} object${result.detections.length === 1 ? '' : 's'} ` +
        `(${result.layout}; ${result.candidates} candidates above the confidence)\n` +
        rows(
          result.detections.map((d) => [
            d.label,
            score(d.score),
            `(${px(d.x1)}, ${px(d.y1)}) – (${px(d.x2)}, ${px(d.y2)})`,
            `${px(d.x2 - d.x1)}×${px(d.y2 - d.y1)}`,
          ]),
        )
      );
    case 'segmentation':
      return (
        `Segmentation (${result.mode}, '${result.output}'), classes by area:\n` +
        rows(result.classes.map((c) => [c.label, `${(c.area * 100).toFixed(1)}%`, `class ${c.classId}`]))
      );
    case 'image-to-image':
      return `Output picture '${result.output}': ${result.picture.width}×${result.picture.height} (${result.mapping})\n`;
    case 'text-detection':
      return (
        `Text detection: ${result.regions.length} region${result.regions.length === 1 ? '' : 's'}\n` +
        rows(
          result.regions.map((r) => [
            score(r.score),
            r.points.map(([x, y]) => `(${px(x)}, ${px(y)})`).join(' '),
            r.text === undefined ? '' : JSON.stringify(r.text),
          ]),
        )
      );
    case 'text-recognition':
      return `Text of '${result.output}':\n` + rows(result.lines.map((l) => [JSON.stringify(l.text), score(l.score)]));
    case 'generic':
      return `Output '${result.output}' ${formatDims(result.dims)}: ${result.view}, values ${result.min} … ${result.max}\n`;
  }
}
