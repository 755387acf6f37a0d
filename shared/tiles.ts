// Tiles for images larger than a model's fixed input (as chaiNNer and Upscayl do for upscalers):
// a grid of full-size tiles that overlap by at least `overlap`, the last flush with the image's
// edge, and feathered weights that fade each tile out over its overlap with a neighbour, so the
// blended result has no seams. Pure.
import { groupDigits } from './format';
import { z } from 'zod';
import type { Dim } from './model-info';

export interface Tile {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Starts along one axis: tiles of `size` overlapping by at least `overlap`, the last ending at `length`. */
export function tileStarts(length: number, size: number, overlap: number): number[] {
  if (size <= 0) throw new Error(`tile size must be positive, not ${size}`);
  if (overlap < 0 || overlap >= size) throw new Error(`tile overlap must be in 0..${size - 1}, not ${overlap}`);
  if (length <= size) return [0];
  const step = size - overlap;
  const count = Math.ceil((length - size) / step) + 1;
  // Spread evenly, so every overlap is at least `overlap` and none is much larger than the others.
  return Array.from({ length: count }, (_, i) => Math.round((i * (length - size)) / (count - 1)));
}

export function tileGrid(width: number, height: number, size: { width: number; height: number }, overlap: number): Tile[] {
  const xs = tileStarts(width, size.width, overlap);
  const ys = tileStarts(height, size.height, overlap);
  const tiles: Tile[] = [];
  for (const y of ys)
    for (const x of xs) tiles.push({ x, y, width: Math.min(size.width, width - x), height: Math.min(size.height, height - y) });
  return tiles;
}

/**
 * Weights along one axis of a tile of `size` pixels whose first `before` and last `after` pixels
 * overlap a neighbour. The outer quarter of an overlap is where the tile's edge (zero padding,
 * missing context) spoils the model's output, so it weighs almost nothing; over the middle half
 * the weight ramps linearly (two neighbours' ramps add up to 1 there); 1 elsewhere. Never 0, so a
 * pixel covered by one tile only keeps its value.
 */
export function featherRamp(size: number, before: number, after: number): Float32Array {
  const w = new Float32Array(size);
  const ramp = (i: number, n: number): number => {
    const margin = Math.floor(n / 4);
    return Math.min(1, Math.max(EDGE_WEIGHT, (i + 0.5 - margin) / (n - 2 * margin)));
  };
  for (let i = 0; i < size; i++) {
    let v = 1;
    if (before > 0) v = Math.min(v, ramp(i, before));
    if (after > 0) v = Math.min(v, ramp(size - 1 - i, after));
    w[i] = v;
  }
  return w;
}

/** The weight of a tile's pixels next to its edge, where a neighbour covers them. */
const EDGE_WEIGHT = 1e-3;

// ---- Tile settings (part of an image input's recipe) -------------------------------------------

/**
 * `size`: 'auto' (a fixed-size input's own size; for a model that takes any size, a size chosen
 * from the free memory) or a side in pixels. `overlap`: 'auto' (an eighth of the tile, 4..64
 * pixels) or pixels. Tiles run at the image's own resolution: the recipe's resize is not used.
 */
export const tileSettingsSchema = z.strictObject({
  size: z.union([z.literal('auto'), z.number().int().min(16).max(8192)]).default('auto'),
  overlap: z.union([z.literal('auto'), z.number().int().min(0).max(4096)]).default('auto'),
});
export type TileSettings = z.output<typeof tileSettingsSchema>;

export interface TilePlan {
  width: number;
  height: number;
  overlap: number;
  /** Why the tiles are this size, in words. */
  note: string;
}

/** The model input's spatial size: numbers when fixed, null when the model takes any size. */
export interface TileInputSize {
  width: number | null;
  height: number | null;
}

const MIN_AUTO = 128;
const MAX_AUTO = 1024;

/**
 * The side of square tiles for a model that takes any size: as big as fits an eighth of the free
 * memory at ~1 KiB per input pixel (the input, a ×4 output and the activations of a small
 * network), 128..1024 and a multiple of 32.
 */
export function autoTileSide(freeBytes: number): number {
  const side = Math.floor(Math.sqrt(Math.max(0, freeBytes) / 8 / 1024) / 32) * 32;
  return Math.min(MAX_AUTO, Math.max(MIN_AUTO, side));
}

export const autoOverlap = (side: number): number => Math.min(64, Math.max(4, Math.round(side / 8)));

const mib = (n: number): string => `${groupDigits(Math.round(n / 2 ** 20))} MiB`;

/**
 * The tiles a run uses. A fixed input sets the tile size (a different size asked for is an
 * error that says which sizes work); a model that takes any size gets the size asked for, or one
 * from the free memory.
 */
export function planTiles(settings: TileSettings, input: TileInputSize, freeBytes: number): TilePlan {
  const fixed = input.width !== null && input.height !== null;
  let width: number;
  let height: number;
  let note: string;
  if (fixed) {
    [width, height] = [input.width!, input.height!];
    if (settings.size !== 'auto' && !(settings.size === width && settings.size === height))
      throw new Error(
        `the model's input is fixed at ${width}×${height}, so its tiles are ${width}×${height}: ask for tile size auto${width === height ? ` or ${width}` : ''}, not ${settings.size}`,
      );
    note = `tiles of ${width}×${height}, the model's fixed input size`;
  } else if (input.width !== null || input.height !== null) {
    // One side fixed, the other free: square tiles would not fit; the fixed side sets both.
    const side = (input.width ?? input.height)!;
    if (settings.size !== 'auto' && settings.size !== side)
      throw new Error(
        `the model's input has one side fixed at ${side}, so its tiles are ${side}×${side}: ask for tile size auto or ${side}`,
      );
    [width, height] = [side, side];
    note = `tiles of ${side}×${side}, the model's fixed side`;
  } else if (settings.size === 'auto') {
    width = height = autoTileSide(freeBytes);
    note = `tiles of ${width}×${width}: the model takes any size, so the size was chosen from the ${mib(freeBytes)} of free memory`;
  } else {
    width = height = settings.size;
    note = `tiles of ${width}×${width} as asked (the model takes any size)`;
  }
  const side = Math.min(width, height);
  const overlap = settings.overlap === 'auto' ? autoOverlap(side) : settings.overlap;
  if (overlap >= side)
    throw new Error(`a tile overlap of ${overlap} does not fit tiles of ${width}×${height}: give less than ${side}`);
  return { width, height, overlap, note: `${note}, overlapping by ${overlap} pixels` };
}

/**
 * The tiles for a model input [N, C, H, W] (`shape` as declared; null: unknown rank) fed through
 * a recipe of `layout`. Throws an Error that says why the input cannot be tiled.
 */
export function planInputTiles(
  settings: TileSettings | undefined,
  input: { name: string; shape: readonly Dim[] | null },
  layout: string,
  freeBytes: number,
): TilePlan {
  const what = `input '${input.name}'`;
  if (layout !== 'NCHW') throw new Error(`tiles are cut for NCHW inputs, and the recipe of ${what} is ${layout}`);
  const shape = input.shape;
  if (shape && shape.length !== 4)
    throw new Error(`${what} is not an image [N, C, H, W] (rank ${shape.length}), so it cannot be tiled`);
  const side = (d: Dim | undefined): number | null => (typeof d === 'number' && d > 0 ? d : null);
  try {
    return planTiles(
      settings ?? { size: 'auto', overlap: 'auto' },
      { height: side(shape?.[2]), width: side(shape?.[3]) },
      freeBytes,
    );
  } catch (error) {
    throw new Error(`${what}: ${(error as Error).message}`);
  }
}
