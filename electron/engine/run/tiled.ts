// A run tile by tile (the image input's recipe asks for tiles): the model's fixed input sets the
// tile size (or the free memory does, for a model that takes any size), the image is decoded at
// its own size, and the outputs are assembled at full resolution (../image/tiles.ts). Shared by
// single runs and batch jobs.
import { freemem } from 'node:os';
import type * as Ort from 'onnxruntime-node';
import type { ModelInfo, ValueInfo } from '../../../shared/model-info';
import { type ImageTransform, type PreprocessRecipe, identityTransform } from '../../../shared/recipe';
import { WorkbenchError } from '../../../shared/result';
import type { RunInputSource } from '../../../shared/run';
import type { TensorSummary } from '../../../shared/tensor';
import { type TilePlan, planInputTiles } from '../../../shared/tiles';
import { decodeImage } from '../image/decode';
import { runTiled } from '../image/tiles';
import { summarizeTensor } from '../tensors/summary';
import type { Tensor } from '../tensors/tensor';

type ImageSource = Extract<RunInputSource, { kind: 'image' }>;

/** The image input of a run that asks for tiles, or null. */
export function tiledInput(inputs: Record<string, RunInputSource>): [string, ImageSource] | null {
  for (const [name, source] of Object.entries(inputs)) if (source.kind === 'image' && source.recipe.tile) return [name, source];
  return null;
}

/** The tiles for this input and recipe, or an error that says why the model cannot be tiled. */
export function planTilesFor(input: ValueInfo, recipe: PreprocessRecipe, freeBytes = freemem()): TilePlan {
  try {
    return planInputTiles(recipe.tile, input, recipe.layout, freeBytes);
  } catch (error) {
    throw new WorkbenchError('INVALID_INPUT', `Tiles: ${(error as Error).message}`);
  }
}

/** The declared outputs tiling can assemble: rank 4 (or of unknown rank). */
export function tileableOutputs(info: ModelInfo): string[] {
  return info.outputs.filter((o) => o.shape === null || o.shape.length === 4).map((o) => o.name);
}

export interface TiledRunResult {
  outputs: Map<string, Tensor>;
  summary: TensorSummary;
  transform: ImageTransform;
  plan: TilePlan;
  tiles: number;
}

/** One image through `session` tile by tile; `outputs` are the ones to assemble (default: all tileable). */
export async function runImageTiled(
  info: ModelInfo,
  session: Ort.InferenceSession,
  name: string,
  source: ImageSource,
  options: { outputs?: string[]; signal?: AbortSignal; onTile?: (done: number, total: number) => void; maxPixels?: number },
): Promise<TiledRunResult> {
  if (source.paths.length !== 1)
    throw new WorkbenchError(
      'INVALID_INPUT',
      `A tiled run takes one image, not ${source.paths.length}: a batch job takes a folder`,
    );
  const others = info.inputs.filter((v) => v.name !== name);
  if (others.length)
    throw new WorkbenchError(
      'UNSUPPORTED',
      `Tiles feed one image input; the model also needs ${others.map((v) => `'${v.name}'`).join(', ')}`,
    );
  const input = info.inputs.find((v) => v.name === name);
  if (!input) throw new WorkbenchError('INVALID_INPUT', `The model has no input '${name}'`);
  const plan = planTilesFor(input, source.recipe);
  const outputs = options.outputs ?? tileableOutputs(info);
  if (!outputs.length)
    throw new WorkbenchError(
      'UNSUPPORTED',
      "None of the model's outputs is image-shaped [1, C, H, W], so tiles cannot be put together",
    );
  const image = await decodeImage(source.paths[0], source.recipe, { maxPixels: options.maxPixels });
  const done = await runTiled(image.pixels, image.channels, image.original.width, image.original.height, {
    session,
    input: name,
    outputs,
    recipe: source.recipe,
    tile: plan,
    overlap: plan.overlap,
    signal: options.signal,
    onTile: options.onTile,
  });
  const tensors = new Map<string, Tensor>();
  for (const o of done.outputs) tensors.set(o.name, { dtype: 'float32', dims: [1, o.channels, o.height, o.width], data: o.data });
  const { width, height } = image.original;
  const note = `${source.paths[0]}: ${width}×${height} in ${done.tiles} tile${done.tiles === 1 ? '' : 's'} (${plan.note}); the last tile is shown`;
  return {
    outputs: tensors,
    summary: summarizeTensor(name, done.lastInput, [note]),
    transform: identityTransform(width, height),
    plan,
    tiles: done.tiles,
  };
}
