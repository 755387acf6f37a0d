// The task suggested for a model file, with the files beside it that the task reads: PaddleOCR
// ships ppocr_keys_v1.txt next to its recogniser, many detectors come with a labels.txt. One
// place for the engine (task.suggest, the app) and the command line (run, batch).
import { readdir } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { TaskSuggestion } from '../../shared/interpretation';
import type { ModelInfo } from '../../shared/model-info';
import { canRead, declaredShapes, metadataLabels, suggestTask } from '../../shared/postprocess';
import type { TaskSettings } from '../../shared/tasks';

const CHARSET_FILE = /(keys|dict|charset|vocab|alphabet).*\.txt$/i;

/** A charset file in the model's folder: *keys*.txt, *dict*.txt, *charset*.txt, *vocab*.txt or *alphabet*.txt. */
export async function charsetBeside(modelPath: string): Promise<string | null> {
  const dir = dirname(modelPath);
  const names = await readdir(dir).catch(() => [] as string[]);
  const found = names.filter((n) => CHARSET_FILE.test(n)).sort();
  return found.length ? join(dir, found[0]) : null;
}

/** A labels file made for this model (MODEL.labels.txt, MODEL.names) or for its folder (labels.txt, classes.txt). */
export async function labelsBeside(modelPath: string): Promise<string | null> {
  const dir = dirname(modelPath);
  const stem = basename(modelPath, extname(modelPath));
  const names = new Set(await readdir(dir).catch(() => [] as string[]));
  const found = [`${stem}.labels.txt`, `${stem}.names`, 'labels.txt', 'classes.txt'].find((n) => names.has(n));
  return found ? join(dir, found) : null;
}

/**
 * Settings of `kind` completed from the files beside the model: the charset of a recogniser that
 * has none, the labels of a model whose metadata names no classes. `found` says what was used.
 */
export async function withFilesBeside(
  settings: TaskSettings,
  modelPath: string,
  info: Pick<ModelInfo, 'metadata' | 'metadataParsed'>,
): Promise<{ settings: TaskSettings; found: string | null }> {
  if (settings.kind === 'text-recognition' && settings.charset.kind === 'list' && settings.charset.chars.length === 0) {
    const path = await charsetBeside(modelPath);
    if (path) return { settings: { ...settings, charset: { kind: 'file', path } }, found: `characters from ${basename(path)}` };
  }
  if ('labels' in settings && settings.labels.kind === 'auto' && !metadataLabels(info)) {
    const path = await labelsBeside(modelPath);
    if (path) return { settings: { ...settings, labels: { kind: 'file', path } }, found: `class names from ${basename(path)}` };
  }
  return { settings, found: null };
}

/** The model's suggested task and settings, the files beside it included, and whether its outputs fit. */
export async function suggestTaskFor(modelPath: string, info: ModelInfo): Promise<TaskSuggestion> {
  const suggested = suggestTask(info);
  const { settings, found } = await withFilesBeside(suggested.settings, modelPath, info);
  const reason = found ? `${suggested.reason}; ${found} found beside the model` : suggested.reason;
  return { settings, reason, readable: canRead(settings, declaredShapes(info)) };
}
