// What a view shows of a tensor: statistics, a 32-bin histogram and the first values.
import { HISTOGRAM_BINS, PREVIEW_VALUES, halfToFloat, type TensorHistogram, type TensorSummary } from '../../../shared/tensor';
import { tensorStats } from '../../common/onnx/tensor-stats';
import { numbersOf, type Tensor } from './tensor';

function histogram(values: ArrayLike<number>, min: number | null, max: number | null): TensorHistogram | null {
  if (min === null || max === null) return null;
  const counts = new Array<number>(HISTOGRAM_BINS).fill(0);
  const width = (max - min) / HISTOGRAM_BINS;
  for (let k = 0; k < values.length; k++) {
    const x = values[k];
    if (!Number.isFinite(x)) continue;
    // The top edge belongs to the last bin; a constant tensor fills the first.
    const bin = width > 0 ? Math.min(HISTOGRAM_BINS - 1, Math.floor((x - min) / width)) : 0;
    counts[bin]++;
  }
  return { min, max, counts };
}

/** One value as the UI shows it (float16 decoded, int64 beyond 2^53 as a decimal string). */
export function previewValue(t: Tensor, k: number): number | string {
  const v = t.data[k];
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (t.dtype === 'float16') return halfToFloat(v as number);
  return v;
}

/**
 * The values as numbers: the data itself when it holds plain numbers (no copy: a full-resolution
 * tiled output is hundreds of MiB), else a widened copy (float16 bits, 64-bit integers).
 */
function numbersView(t: Tensor): ArrayLike<number> | null {
  const d = t.data;
  if (Array.isArray(d) || t.dtype === 'float16' || d instanceof BigInt64Array || d instanceof BigUint64Array) return numbersOf(t);
  return d;
}

export function summarizeTensor(name: string, t: Tensor, notes: string[] = []): TensorSummary {
  const numbers = numbersView(t);
  // float16 travels as its bits: the statistics read the decoded values.
  const stats = tensorStats(t.dtype === 'float16' ? (numbers as Float64Array) : t.data);
  const preview: (number | string)[] = [];
  for (let k = 0; k < Math.min(PREVIEW_VALUES, t.data.length); k++) preview.push(previewValue(t, k));
  return {
    name,
    dtype: t.dtype,
    dims: [...t.dims],
    stats,
    histogram: numbers ? histogram(numbers, stats.min, stats.max) : null,
    preview,
    notes,
  };
}
