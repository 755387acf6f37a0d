// One plane of a tensor for a heatmap: the last two dims, reduced by block means to fit the view,
// with the whole tensor's range so every slice and channel shares one colour scale.
import { type OutputPlane, halfToFloat } from '../../../shared/tensor';
import { WorkbenchError } from '../../../shared/result';
import type { Tensor } from './tensor';

function reader(t: Tensor, label: string): (k: number) => number {
  const d = t.data;
  if (Array.isArray(d)) throw new WorkbenchError('INVALID_INPUT', `'${label}' holds strings: it has no heatmap.`);
  if (t.dtype === 'float16') return (k) => halfToFloat(d[k] as number);
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) return (k) => Number(d[k]);
  return (k) => d[k] as number;
}

export function tensorPlane(t: Tensor, index: number[], maxSize: number, label: string): OutputPlane {
  const dims = t.dims;
  if (dims.length < 2)
    throw new WorkbenchError('INVALID_INPUT', `'${label}' has ${dims.length} dim(s): a heatmap needs 2 or more.`);
  const lead = dims.slice(0, -2);
  if (index.length !== lead.length) {
    throw new WorkbenchError(
      'INVALID_INPUT',
      `'${label}' [${dims.join(', ')}] needs ${lead.length} leading index(es), got ${index.length}.`,
    );
  }
  let offset = 0;
  lead.forEach((size, i) => {
    if (index[i] >= size)
      throw new WorkbenchError('INVALID_INPUT', `Index ${index[i]} is out of range for dim ${i} (size ${size}) of '${label}'.`);
    offset = offset * size + index[i];
  });
  const rows = dims[dims.length - 2];
  const cols = dims[dims.length - 1];
  offset *= rows * cols;
  const value = reader(t, label);

  let min = Infinity;
  let max = -Infinity;
  for (let k = 0; k < t.data.length; k++) {
    const v = value(k);
    if (Number.isFinite(v)) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }

  // Each output cell averages a block of ceil(rows/height) × ceil(cols/width) values at most.
  const height = Math.min(rows, maxSize);
  const width = Math.min(cols, maxSize);
  const sums = new Float64Array(width * height);
  const counts = new Uint32Array(width * height);
  let planeMin = Infinity;
  let planeMax = -Infinity;
  for (let r = 0; r < rows; r++) {
    const cellRow = Math.floor((r * height) / rows) * width;
    const base = offset + r * cols;
    for (let c = 0; c < cols; c++) {
      const v = value(base + c);
      if (!Number.isFinite(v)) continue;
      const cell = cellRow + Math.floor((c * width) / cols);
      sums[cell] += v;
      counts[cell] += 1;
      if (v < planeMin) planeMin = v;
      if (v > planeMax) planeMax = v;
    }
  }
  const values = Array.from(sums, (s, k) => (counts[k] ? s / counts[k] : null));
  const finite = (x: number) => (Number.isFinite(x) ? x : null);
  return {
    rows,
    cols,
    width,
    height,
    values,
    min: finite(min),
    max: finite(max),
    planeMin: finite(planeMin),
    planeMax: finite(planeMax),
  };
}
