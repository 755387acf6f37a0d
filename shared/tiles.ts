// Tiles for images larger than a model's fixed input (as chaiNNer and Upscayl do for upscalers):
// a grid of full-size tiles that overlap by at least `overlap`, the last flush with the image's
// edge, and feathered weights that fade each tile out over its overlap with a neighbour, so the
// blended result has no seams. Pure.

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
 * overlap a neighbour: a linear ramp up over `before`, down over `after`, 1 elsewhere; never 0,
 * so a pixel covered by one tile only keeps its value.
 */
export function featherRamp(size: number, before: number, after: number): Float32Array {
  const w = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    let v = 1;
    if (before > 0) v = Math.min(v, (i + 0.5) / before);
    if (after > 0) v = Math.min(v, (size - i - 0.5) / after);
    w[i] = v;
  }
  return w;
}
