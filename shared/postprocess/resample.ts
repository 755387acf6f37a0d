// Puts a map the model produced (over the whole input tensor, at any resolution) back onto the
// original image: undoes pad and crop, then scales to the original size. The mapping is
// axis-aligned, so one table per axis does it (no per-pixel division). Pure.
import { type ImageTransform, identityTransform } from '../recipe';

export type Interpolation = 'nearest' | 'bilinear';

/** Per original pixel along one axis: the source cells to read (-1: outside the tensor) and the weight of i1. */
export interface AxisTable {
  i0: Int32Array;
  i1: Int32Array;
  w: Float32Array;
}

interface Axis {
  /** Original pixels. */
  size: number;
  /** resized / original. */
  scale: number;
  crop: number;
  pad: number;
  /** Tensor pixels along this axis. */
  tensor: number;
  /** Cells of the model's map along this axis. */
  cells: number;
}

export function axisTable(a: Axis, mode: Interpolation): AxisTable {
  const i0 = new Int32Array(a.size);
  const i1 = new Int32Array(a.size);
  const w = new Float32Array(a.size);
  const perTensorPixel = a.cells / a.tensor;
  for (let o = 0; o < a.size; o++) {
    // Centre of original pixel o in tensor pixels, then in map cells.
    const t = (o + 0.5) * a.scale - a.crop + a.pad;
    if (t < 0 || t >= a.tensor) {
      i0[o] = i1[o] = -1;
      continue;
    }
    const g = t * perTensorPixel;
    if (mode === 'nearest') {
      i0[o] = i1[o] = Math.min(a.cells - 1, Math.floor(g));
      continue;
    }
    const c = g - 0.5;
    const lo = Math.floor(c);
    w[o] = c - lo;
    i0[o] = Math.max(0, Math.min(a.cells - 1, lo));
    i1[o] = Math.max(0, Math.min(a.cells - 1, lo + 1));
  }
  return { i0, i1, w };
}

/** Both axes for a map of cellsW×cellsH cells; no transform: the map is the image. */
export function imageTables(
  t: ImageTransform | null,
  cellsW: number,
  cellsH: number,
  mode: Interpolation,
): { width: number; height: number; x: AxisTable; y: AxisTable } {
  const tt = t ?? identityTransform(cellsW, cellsH);

  const x = axisTable(
    { size: tt.originalWidth, scale: tt.scaleX, crop: tt.cropLeft, pad: tt.padLeft, tensor: tt.tensorWidth, cells: cellsW },
    mode,
  );
  const y = axisTable(
    { size: tt.originalHeight, scale: tt.scaleY, crop: tt.cropTop, pad: tt.padTop, tensor: tt.tensorHeight, cells: cellsH },
    mode,
  );
  return { width: tt.originalWidth, height: tt.originalHeight, x, y };
}

/** Nearest-neighbour copy of a cellsW×cellsH map onto the original image; `fill` where the tensor did not reach. */
export function resampleNearest<T extends Uint8Array | Uint16Array | Float32Array>(
  src: ArrayLike<number>,
  cellsW: number,
  cellsH: number,
  t: ImageTransform | null,
  make: (length: number) => T,
  fill = 0,
): { width: number; height: number; data: T } {
  const { width, height, x, y } = imageTables(t, cellsW, cellsH, 'nearest');
  const data = make(width * height);
  for (let oy = 0; oy < height; oy++) {
    const sy = y.i0[oy];
    const row = oy * width;
    if (sy < 0) {
      data.fill(fill, row, row + width);
      continue;
    }
    const srow = sy * cellsW;
    for (let ox = 0; ox < width; ox++) {
      const sx = x.i0[ox];
      data[row + ox] = sx < 0 ? fill : src[srow + sx];
    }
  }
  return { width, height, data };
}

/** Bilinear resampling of a float map onto the original image; `fill` where the tensor did not reach. */
export function resampleBilinear(
  src: ArrayLike<number>,
  cellsW: number,
  cellsH: number,
  t: ImageTransform | null,
  fill = 0,
): { width: number; height: number; data: Float32Array } {
  const { width, height, x, y } = imageTables(t, cellsW, cellsH, 'bilinear');
  const data = new Float32Array(width * height);
  for (let oy = 0; oy < height; oy++) {
    const row = oy * width;
    if (y.i0[oy] < 0) {
      data.fill(fill, row, row + width);
      continue;
    }
    const r0 = y.i0[oy] * cellsW;
    const r1 = y.i1[oy] * cellsW;
    const wy = y.w[oy];
    for (let ox = 0; ox < width; ox++) {
      const a = x.i0[ox];
      if (a < 0) {
        data[row + ox] = fill;
        continue;
      }
      const b = x.i1[ox];
      const wx = x.w[ox];
      const top = src[r0 + a] * (1 - wx) + src[r0 + b] * wx;
      const bottom = src[r1 + a] * (1 - wx) + src[r1 + b] * wx;
      data[row + ox] = top * (1 - wy) + bottom * wy;
    }
  }
  return { width, height, data };
}
