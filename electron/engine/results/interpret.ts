// A run's output tensors read through a task: the postprocessor's context built from the
// engine's tensors, with the label and charset files the settings name (read here, cached by
// path and modification time) and the ImageNet list from resources/ when it may be needed.
import { stat } from 'node:fs/promises';
import type { ModelInfo } from '../../../shared/model-info';
import { type PostprocessContext, postprocess } from '../../../shared/postprocess';
import { parseLabelsFile } from '../../../shared/postprocess/labels';
import type { ImageTransform, PreprocessRecipe } from '../../../shared/recipe';
import { WorkbenchError } from '../../../shared/result';
import { readRegularFile } from '../../common/regular-file';
import { fsError } from '../../common/fs';
import { findResource } from '../../common/resources';
import type { OutputTensor, Raster, TaskResult, TaskSettings } from '../../../shared/tasks';
import { halfToFloat } from '../../../shared/tensor';
import type { Tensor } from '../tensors/tensor';

export interface InterpretArgs {
  info: ModelInfo;
  outputs: Map<string, Tensor>;
  /** Per batch image of the run's first image input (empty: no image input). */
  transforms: ImageTransform[];
  recipe?: PreprocessRecipe;
  task: TaskSettings;
}

/** The label, ImageNet and charset lists a task's settings name, as the postprocessors take them. */
export type TaskFiles = Pick<PostprocessContext, 'labels' | 'imagenetLabels' | 'charset'>;

/**
 * Reads the files a task needs for outputs of these shapes. A batch job reads them once, for its
 * first image (its outputs' shapes do not change the answer), instead of once per image.
 */
export async function readTaskFiles(task: TaskSettings, outputs: { dims: readonly number[] }[]): Promise<TaskFiles> {
  const files: TaskFiles = {};
  if ('labels' in task) {
    if (task.labels.kind === 'file') files.labels = await readLabelsFile(task.labels.path);
    if (task.labels.kind === 'imagenet') files.imagenetLabels = await readImagenetLabels(true);
    // 'auto' falls back to ImageNet only for 1000/1001 classes: read the list only then.
    if (task.labels.kind === 'auto' && outputs.some((o) => o.dims.some((d) => d === 1000 || d === 1001)))
      files.imagenetLabels = await readImagenetLabels(false);
  }
  if (task.kind === 'text-recognition' && task.charset.kind === 'file') files.charset = await readCharsetFile(task.charset.path);
  return files;
}

export async function interpretOutputs(args: InterpretArgs, files?: Promise<TaskFiles>): Promise<TaskResult<Raster>[]> {
  const outputs = [...args.outputs].flatMap(([name, t]) => {
    const view = outputView(name, t);
    return view ? [view] : [];
  });
  const ctx: PostprocessContext = {
    outputs,
    transforms: args.transforms,
    recipe: args.recipe,
    metadata: args.info.metadata,
    metadataParsed: args.info.metadataParsed,
    ...(await (files ?? readTaskFiles(args.task, outputs))),
  };
  return postprocess(args.task, ctx);
}

/**
 * An output as the postprocessors read it: float16 decoded to Float32Array, 64-bit integers as
 * doubles (exact up to 2^53: class ids and counts). String tensors have no numbers to read.
 */
export function outputView(name: string, t: Tensor): OutputTensor | null {
  const d = t.data;
  if (Array.isArray(d)) return null;
  let data: ArrayLike<number>;
  if (t.dtype === 'float16') {
    const out = new Float32Array(d.length);
    for (let k = 0; k < d.length; k++) out[k] = halfToFloat(d[k] as number);
    data = out;
  } else if (d instanceof BigInt64Array || d instanceof BigUint64Array) {
    const out = new Float64Array(d.length);
    for (let k = 0; k < d.length; k++) out[k] = Number(d[k]);
    data = out;
  } else data = d;
  return { name, dtype: t.dtype, dims: [...t.dims], data };
}

// ---- Label and charset files ------------------------------------------------------------------

const cache = new Map<string, { mtimeMs: number; size: number; value: string[] }>();
const CACHE_LIMIT = 32;

/** A text file's lines, parsed once per path and modification. */
async function cachedRead(path: string, what: string, parse: (text: string) => string[]): Promise<string[]> {
  let facts: { mtimeMs: number; size: number; isDirectory(): boolean };
  try {
    facts = await stat(path);
  } catch (error) {
    throw fsError(error, path, { what });
  }
  if (facts.isDirectory()) throw new WorkbenchError('INVALID_INPUT', `${what} ${path} is a folder, not a file`);
  const key = `${what}\0${path}`;
  const hit = cache.get(key);
  if (hit && hit.mtimeMs === facts.mtimeMs && hit.size === facts.size) return hit.value;
  let text: string;
  try {
    text = (await readRegularFile(path, 'a labels file')).toString('utf8');
  } catch (error) {
    throw new WorkbenchError('IO_ERROR', `${what} ${path} cannot be read: ${(error as Error).message}`);
  }
  const value = parse(text);
  cache.delete(key);
  cache.set(key, { mtimeMs: facts.mtimeMs, size: facts.size, value });
  while (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  return value;
}

/** One entry per line; a final newline does not make an empty last entry. Lines are not trimmed (" " is a character). */
export function textLines(text: string): string[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export async function readLabelsFile(path: string): Promise<string[]> {
  // The postprocessors' own parser: .json lists and maps, "0: person" lines, plain lines.
  return cachedRead(path, 'Labels file', (text) => parseLabelsFile(text, path));
}

export async function readCharsetFile(path: string): Promise<string[]> {
  const chars = await cachedRead(path, 'Charset file', textLines);
  if (chars.length === 0) throw new WorkbenchError('INVALID_INPUT', `Charset file ${path} is empty`);
  return chars;
}

// ---- resources/ ------------------------------------------------------------------------------

const IMAGENET_FILE = 'imagenet-labels.txt';

/** The ImageNet-1k names; `required` (the user picked ImageNet) makes a missing file an error. */
async function readImagenetLabels(required: boolean): Promise<string[] | undefined> {
  const path = findResource(IMAGENET_FILE);
  if (!path) {
    if (!required) return undefined;
    throw new WorkbenchError('NOT_FOUND', `The ImageNet label list (${IMAGENET_FILE}) is missing from this installation`);
  }
  return cachedRead(path, 'ImageNet label list', (text) => textLines(text).map((l) => l.trim()));
}
