// Everything a batch job decides before the first image: the model's image input and its recipe,
// the task, how many images go into one run, the key that says "same job" on resume, and where
// the input and output folders are relative to each other (nothing is written inside the input).
import { createHash } from 'node:crypto';
import { realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import {
  type BatchJob,
  type BatchOutputKind,
  MAX_BATCH_SIZE,
  cachedSessionOptions,
  effectiveLayout,
  PER_IMAGE_OUTPUTS,
  outputUnavailableFor,
} from '../../../shared/batch';
import type { ModelInfo, ValueInfo } from '../../../shared/model-info';
import { type PreprocessRecipe, channelCount, guessModelRecipe } from '../../../shared/recipe';
import { WorkbenchError } from '../../../shared/result';
import { type SessionOptions, sessionOptionsSchema } from '../../../shared/run';
import { shardDirName } from '../../../shared/shard';
import type { TaskSettings } from '../../../shared/tasks';
import { type ContainerLimits, readContainerLimits, threadsFor, usableCores } from '../../common/cgroup';
import { readModelInfo } from '../../common/onnx/reader';
import { readInputList } from './listing';
import { bytesPerElement } from '../tensors/tensor';
import { SHARDS_DIR, STATE_DIR } from './outputs';
import { canRead } from '../../../shared/postprocess';
import type { TilePlan } from '../../../shared/tiles';
import { planTilesFor, tileableOutputs } from '../run/tiled';

export interface JobPlan {
  job: BatchJob;
  info: ModelInfo;
  /** The model's image input. */
  input: ValueInfo;
  recipe: PreprocessRecipe;
  /** The recipe was guessed from the model (the job gave none). */
  recipeGuessed: boolean;
  task: TaskSettings | undefined;
  options: SessionOptions;
  /** Images per run. */
  batchSize: number;
  /** The cores the job may use (a container's quota, the CPUs this process may run on). */
  cores: number;
  /** The job may give the model fewer threads once it has measured a few runs (the user chose none; threads.ts). */
  adaptThreads: boolean;
  /** The model takes exactly this many images per run (a fixed batch dim > 1): short batches are padded. */
  fixedBatch: number | null;
  /** The layout has a batch dim (N…): images can be stacked. */
  stackable: boolean;
  /** Each image runs tile by tile at its own size (the recipe or the job asks for tiles). */
  tiles: { plan: TilePlan; outputs: string[] } | null;
  key: string;
  inputFolder: string;
  outputFolder: string;
  /** Where this job's journal, lock and job file live: the output folder's state folder, or its shard's folder in it. */
  stateDir: string;
  /** Where the whole-job files (results.csv …) go: the output folder, or the shard's folder (merged later). */
  resultsDir: string;
  /** Folders the listing must not enter (the output folder, when inside the input). */
  skipDirs: string[];
}

/** What the machine gives the job (a container's cgroup, its CPUs); tests pass their own. */
export interface PlanContext {
  limits?: ContainerLimits;
  cpus?: { usable: number; host: number };
  /** The job's folders, placed already (runBatchJob places them once, for the plan and the prefetch). */
  folders?: Promise<PlacedFolders>;
}

/** JSON with sorted keys: the same value always gives the same text (and the same key). */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The image input and its recipe: the recipe's one input, or the model's first input with a guessed recipe. */
function imageInput(info: ModelInfo, job: BatchJob): { input: ValueInfo; recipe: PreprocessRecipe; guessed: boolean } {
  const named = Object.entries(job.recipe.inputs);
  if (named.length > 1)
    throw new WorkbenchError(
      'UNSUPPORTED',
      `Batch jobs feed one image input; the recipe has ${named.length} (${named.map(([n]) => `'${n}'`).join(', ')})`,
    );
  const all = [...info.inputs, ...info.optionalInputs];
  let input: ValueInfo | undefined;
  let recipe: PreprocessRecipe;
  let guessed = false;
  if (named.length === 1) {
    const [name, r] = named[0];
    input = all.find((v) => v.name === name);
    if (!input)
      throw new WorkbenchError(
        'INVALID_INPUT',
        `${basename(job.model)} has no input '${name}'; its inputs are ${info.inputs.map((v) => `'${v.name}'`).join(', ')}`,
      );
    recipe = r;
  } else {
    input = info.inputs[0];
    if (!input) throw new WorkbenchError('INVALID_INPUT', `${basename(job.model)} has no inputs to feed images to`);
    recipe = guessModelRecipe(info, input).recipe;
    guessed = true;
  }
  const others = info.inputs.filter((v) => v.name !== input.name);
  if (others.length)
    throw new WorkbenchError(
      'UNSUPPORTED',
      `Batch jobs feed one image input, but ${basename(job.model)} also needs ${others.map((v) => `'${v.name}'`).join(', ')}`,
    );
  return { input, recipe, guessed };
}

/**
 * A guess at what one image costs in a run: the input tensor times a factor for the activations
 * it leads to (CNNs hold tens of times their input; the factor errs on the large side).
 */
const ACTIVATION_FACTOR = 32;

/** Bytes of one image's tensor values for this recipe, at its width × height. */
export function imageTensorBytes(recipe: PreprocessRecipe): number {
  return recipe.resize.width * recipe.resize.height * channelCount(recipe) * bytesPerElement(recipe.dtype);
}

/** The largest auto batch that keeps a quarter of a memory limit for the runs' tensors. */
export function batchForMemory(memoryBytes: number, perImageBytes: number): number {
  return Math.max(1, Math.min(MAX_BATCH_SIZE, Math.floor(memoryBytes / 4 / (perImageBytes * ACTIVATION_FACTOR))));
}

/** Images per run, and whether the model fixes that number. */
function batching(
  job: BatchJob,
  input: ValueInfo,
  recipe: PreprocessRecipe,
  options: SessionOptions,
  limits: ContainerLimits,
): { batchSize: number; fixedBatch: number | null; stackable: boolean } {
  const stackable = recipe.layout === 'NCHW' || recipe.layout === 'NHWC';
  if (!stackable) return { batchSize: 1, fixedBatch: null, stackable };
  const dim = input.shape?.[0];
  const overridden = typeof dim === 'string' ? options.freeDimensionOverrides?.[dim] : undefined;
  const fixed = typeof dim === 'number' ? dim : (overridden ?? null);
  if (fixed !== null) return { batchSize: fixed, fixedBatch: fixed > 1 ? fixed : null, stackable };
  // Images of different sizes cannot share a run: fit-* modes give one size per image.
  const varying = recipe.resize.mode === 'fit-height' || recipe.resize.mode === 'fit-inside';
  if (job.batchSize !== 'auto') return { batchSize: job.batchSize, fixedBatch: null, stackable };
  if (varying) return { batchSize: 1, fixedBatch: null, stackable };
  const pixels = recipe.resize.width * recipe.resize.height;
  const batchSize = pixels > 512 * 512 ? 4 : 8;
  if (limits.memoryBytes === null) return { batchSize, fixedBatch: null, stackable };
  return {
    batchSize: Math.min(batchSize, batchForMemory(limits.memoryBytes, imageTensorBytes(recipe))),
    fixedBatch: null,
    stackable,
  };
}

/** The recipe with the job's tiles, when the job sets them ('off': none). */
function withJobTiles(recipe: PreprocessRecipe, job: BatchJob): PreprocessRecipe {
  if (job.tile === undefined) return recipe;
  const { tile: _, ...rest } = recipe;
  return job.tile === 'off' ? rest : { ...rest, tile: job.tile };
}

/** The recipe a job names for its image input, as its plan takes it (tiles applied); null when the plan guesses one. */
export function jobRecipe(job: BatchJob): PreprocessRecipe | null {
  const named = Object.values(job.recipe.inputs);
  return named.length === 1 ? withJobTiles(named[0], job) : null;
}

/** The outputs tiles are put together for: the ones the task reads (all image-shaped ones for raw tensors). */
function tiledOutputs(info: ModelInfo, task: TaskSettings | undefined, job: BatchJob): string[] {
  const all = tileableOutputs(info);
  if (!task || job.output.write.includes('tensors')) return all;
  const shapes = info.outputs.map((o) => ({
    name: o.name,
    dtype: o.dtype ?? 'float32',
    dims: (o.shape ?? []).map((d) => (typeof d === 'number' ? d : -1)),
  }));
  const readable = canRead(task, shapes);
  const wanted = readable.ok ? all.filter((n) => readable.outputs.includes(n)) : [];
  return wanted.length ? wanted : all;
}

/** Checks that the outputs asked for fit the task (the rule the Batch form greys them by). */
function checkOutputs(job: BatchJob, task: TaskSettings | undefined, info: ModelInfo) {
  const names: Record<BatchOutputKind, string> = {
    csv: 'CSV',
    jsonl: 'JSON lines',
    coco: 'COCO JSON (detections)',
    images: 'Drawn result images',
    masks: 'Masks',
    cutouts: 'Cut-outs',
    tensors: 'Raw outputs',
  };
  for (const kind of job.output.write) {
    const why = outputUnavailableFor(kind, task, info);
    if (why) throw new WorkbenchError('INVALID_INPUT', `${names[kind]} ${why}; this job's task is ${task?.kind ?? 'not set'}`);
  }
}

/** The real path of a folder that may not exist yet: its nearest existing ancestor, resolved, plus the rest. */
async function realFolder(path: string): Promise<string> {
  const abs = resolve(path);
  try {
    return await realpath(abs);
  } catch {
    const parent = dirname(abs);
    if (parent === abs) return abs;
    return join(await realFolder(parent), basename(abs));
  }
}

export function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** Where the folders are, and which part of the input the listing must skip. */
export interface PlacedFolders {
  inputFolder: string;
  outputFolder: string;
  skipDirs: string[];
}

export async function placeFolders(job: BatchJob): Promise<PlacedFolders> {
  const inputFolder = resolve(job.input.folder);
  const outputFolder = resolve(job.output.folder);
  let facts;
  try {
    facts = await stat(inputFolder);
  } catch {
    throw new WorkbenchError('NOT_FOUND', `Input folder not found: ${inputFolder}`);
  }
  if (!facts.isDirectory()) throw new WorkbenchError('INVALID_INPUT', `${inputFolder} is a file, not a folder`);
  const realIn = await realpath(inputFolder);
  const realOut = await realFolder(outputFolder);
  const skipDirs: string[] = [];
  if (isInside(realOut, realIn)) {
    if (!job.output.allowInsideInput)
      throw new WorkbenchError(
        'INVALID_INPUT',
        `The output folder ${outputFolder} is inside the input folder ${inputFolder}: nothing is written into the input unless you allow it (the output folder is then left out of the listing)`,
      );
    if (realOut === realIn)
      throw new WorkbenchError('INVALID_INPUT', `The output folder cannot be the input folder itself (${inputFolder})`);
    skipDirs.push(join(inputFolder, relative(realIn, realOut)));
  }
  // The input inside one of the job's own output folders would be written into.
  for (const own of [...PER_IMAGE_OUTPUTS, STATE_DIR])
    if (isInside(realIn, join(realOut, own)))
      throw new WorkbenchError(
        'INVALID_INPUT',
        `The input folder ${inputFolder} is inside ${join(outputFolder, own)}, where the job writes its outputs; choose another output folder`,
      );
  return { inputFolder, outputFolder, skipDirs };
}

/** Reads an input list once through, so that a bad line stops the job before anything is written. */
async function checkInputList(job: BatchJob): Promise<void> {
  if (!job.input.list) return;
  for await (const _ of readInputList(job.input.list, job.input.folder));
}

/** Where a job's journal, lock and job file live: the output folder's state folder, or its shard's folder in it. */
export function stateDirOf(job: BatchJob, outputFolder: string): string {
  return job.shard ? join(outputFolder, STATE_DIR, SHARDS_DIR, shardDirName(job.shard)) : join(outputFolder, STATE_DIR);
}

export async function planJob(job: BatchJob, context: PlanContext = {}): Promise<JobPlan> {
  const info = await readModelInfo(job.model);
  const chosen = imageInput(info, job);
  const { input, guessed } = chosen;
  const recipe = withJobTiles(chosen.recipe, job);
  const task = job.recipe.task;
  const tiles = recipe.tile ? { plan: planTilesFor(input, recipe), outputs: tiledOutputs(info, task, job) } : null;
  checkOutputs(job, task, info);
  const limits = context.limits ?? (await readContainerLimits());
  // A batch job runs on the cached session; profiling and model export are for single runs.
  const options = sessionOptionsSchema.parse(cachedSessionOptions({ ...job.recipe.options, ...job.options }));
  // In a container, onnxruntime would size its pool from the host's cores: the quota decides instead.
  const threads = options.intraOpThreads === undefined ? threadsFor(limits, context.cpus?.usable, context.cpus?.host) : null;
  // Worker threads that spin between runs take the CPU the decoders need (measured by bench:batch:
  // +6% images/s for a ResNet-50-class model, +27% for MobileNet-class on small images).
  const runOptions = {
    spinning: false,
    ...options,
    ...(threads !== null ? { intraOpThreads: threads } : {}),
  };
  const { batchSize, fixedBatch, stackable } = tiles
    ? { batchSize: 1, fixedBatch: null, stackable: false }
    : batching(job, input, recipe, runOptions, limits);
  const folders = await (context.folders ?? placeFolders(job));
  await checkInputList(job);
  const stateDir = stateDirOf(job, folders.outputFolder);
  const model = await stat(job.model);
  const perImage = PER_IMAGE_OUTPUTS.filter((k) => job.output.write.includes(k));
  // RLE masks live in the journal's records (coco.json is rebuilt from them): a job that asks for
  // them is another job than one whose records have none. Polygon jobs keep the keys they had.
  // Only a -seg detector has masks to write so: asked of another model, it changes nothing (nor the key).
  const rle = job.output.cocoMasks === 'rle' && job.output.write.includes('coco') && effectiveLayout(task, info) === 'yolov8-seg';
  const key = createHash('sha256')
    .update(
      stableJson({
        model: [resolve(job.model), model.size, model.mtimeMs],
        input: input.name,
        recipe,
        task: task ?? null,
        perImage,
        ...(rle ? { cocoMasks: 'rle' } : {}),
      }),
    )
    .digest('hex')
    .slice(0, 16);
  return {
    job,
    info,
    input,
    recipe,
    recipeGuessed: guessed,
    task,
    options: runOptions,
    batchSize,
    cores: usableCores(limits, context.cpus?.usable),
    adaptThreads: options.intraOpThreads === undefined && !tiles,
    fixedBatch,
    stackable,
    tiles,
    key,
    ...folders,
    stateDir,
    resultsDir: job.shard ? stateDir : folders.outputFolder,
  };
}
