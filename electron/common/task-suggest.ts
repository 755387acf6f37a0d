// The task suggested for a model file, with the files beside it that the task reads: PaddleOCR
// ships ppocr_keys_v1.txt next to its recogniser, many detectors come with a labels.txt. One
// place for the engine (task.suggest, the app) and the command line (run, batch).
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { TaskSuggestion } from '../../shared/interpretation';
import type { ModelInfo } from '../../shared/model-info';
import { canRead, declaredShapes, metadataLabels, suggestTask } from '../../shared/postprocess';
import type { TaskSettings } from '../../shared/tasks';
import { readRegularFile } from './regular-file';
import { findResource } from './resources';

const CHARSET_FILE = /(keys|dict|charset|vocab|alphabet).*\.txt$/i;

/** Charset files bigger than this are not opened to count their lines. */
const MAX_CHARSET_BYTES = 4 << 20;

/** How many classes a recogniser scores: the last dim of its [N, T, classes] output, when fixed. */
export function recognitionClasses(info: Pick<ModelInfo, 'outputs'>): number | null {
  const shape = info.outputs.find((o) => o.shape?.length === 3)?.shape;
  const k = shape?.[2];
  return typeof k === 'number' && k > 0 ? k : null;
}

/** Characters in a charset file: one a line, a final newline making no empty last one. */
async function charsetLines(path: string): Promise<number | null> {
  try {
    if ((await stat(path)).size > MAX_CHARSET_BYTES) return null;
    const lines = (await readRegularFile(path, 'a charset file')).toString('utf8').split(/\r?\n/);
    if (lines.at(-1) === '') lines.pop();
    return lines.length;
  } catch {
    return null;
  }
}

/**
 * A charset file in the model's folder: *keys*.txt, *dict*.txt, *charset*.txt, *vocab*.txt or
 * *alphabet*.txt. With the model's class count, the one whose characters fit it (plus the blank,
 * and PaddleOCR's appended space) wins: ppocr_keys_v1.txt (6,623) for a Chinese recogniser,
 * en_dict.txt (95) for an English one (97 classes) in the same folder.
 */
export async function charsetBeside(modelPath: string, classes: number | null = null): Promise<string | null> {
  const dir = dirname(modelPath);
  const names = await readdir(dir).catch(() => [] as string[]);
  const found = names.filter((n) => CHARSET_FILE.test(n)).sort();
  if (classes !== null && found.length > 1)
    for (const name of found) {
      const n = await charsetLines(join(dir, name));
      if (n !== null && (n + 2 === classes || n + 1 === classes)) return join(dir, name);
    }
  return found.length ? join(dir, found[0]) : null;
}

/** Charsets shipped in resources/ for recognisers with none beside them, by the classes they fit. */
const BUNDLED_CHARSETS = [{ file: 'charsets/en_dict.txt', what: "PaddleOCR's English dictionary" }] as const;

/**
 * The charset for a recogniser of `classes` classes: a file beside the model, else a bundled one
 * whose characters (+ PaddleOCR's appended space + the CTC blank) make exactly that many classes,
 * as PaddleOCR's own English recognisers (97 classes, en_dict.txt). `found` says which and why.
 */
export async function charsetFor(modelPath: string, classes: number | null): Promise<{ path: string; found: string } | null> {
  const beside = await charsetBeside(modelPath, classes);
  if (beside) return { path: beside, found: `characters from ${basename(beside)} found beside the model` };
  if (classes === null) return null;
  for (const b of BUNDLED_CHARSETS) {
    const path = findResource(b.file);
    const n = path ? await charsetLines(path) : null;
    if (path && n !== null && n + 2 === classes)
      return {
        path,
        found: `no charset beside the model: ${b.what} (${basename(path)}, bundled): its ${n} characters + the appended space + the blank make the model's ${classes} classes`,
      };
  }
  return null;
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
  info: Pick<ModelInfo, 'metadata' | 'metadataParsed' | 'outputs'>,
): Promise<{ settings: TaskSettings; found: string | null }> {
  if (settings.kind === 'text-recognition' && settings.charset.kind === 'list' && settings.charset.chars.length === 0) {
    const charset = await charsetFor(modelPath, recognitionClasses(info));
    if (charset) return { settings: { ...settings, charset: { kind: 'file', path: charset.path } }, found: charset.found };
  }
  if ('labels' in settings && settings.labels.kind === 'auto' && !metadataLabels(info)) {
    const path = await labelsBeside(modelPath);
    if (path)
      return {
        settings: { ...settings, labels: { kind: 'file', path } },
        found: `class names from ${basename(path)} found beside the model`,
      };
  }
  return { settings, found: null };
}

/** The model's suggested task and settings, the files beside it included, and whether its outputs fit. */
export async function suggestTaskFor(modelPath: string, info: ModelInfo): Promise<TaskSuggestion> {
  const suggested = suggestTask(info);
  const { settings, found } = await withFilesBeside(suggested.settings, modelPath, info);
  const reason = found ? `${suggested.reason}; ${found}` : suggested.reason;
  return { settings, reason, readable: canRead(settings, declaredShapes(info)) };
}
