// Summary statistics of a tensor's values, computed on demand (never while inspecting).

import type { TensorStats } from '../../../shared/model-info';
import type { TensorData } from './tensor-data';

/** Values summed per block before the blocks are merged (small enough to stay exact, big enough to be fast). */
const BLOCK = 4096;

/**
 * min/max/mean/std over finite values; zeros, NaN and ±Inf counted separately. The variance stays
 * accurate over hundreds of millions of values: each block of values is summed shifted by its own
 * first finite value, and the blocks are merged by Chan's parallel update (one division a block,
 * not one a value as Welford's would: a full-resolution output of 144 M values in a second or two).
 */
export function tensorStats(data: TensorData): TensorStats {
  const elements = data.length;
  if (Array.isArray(data)) {
    // Strings have no numeric statistics.
    return { elements, min: null, max: null, mean: null, std: null, zeros: 0, zeroShare: 0, nan: 0, inf: 0 };
  }
  const big = data instanceof BigInt64Array || data instanceof BigUint64Array;
  const at = big ? (k: number) => Number(data[k]) : null;
  const values = data as ArrayLike<number>;
  let n = 0;
  let zeros = 0;
  let nan = 0;
  let inf = 0;
  let min = Infinity;
  let max = -Infinity;
  let mean = 0;
  let m2 = 0;
  for (let start = 0; start < elements; start += BLOCK) {
    const end = Math.min(elements, start + BLOCK);
    let count = 0;
    let shift = 0;
    let s1 = 0;
    let s2 = 0;
    for (let k = start; k < end; k++) {
      const x = at ? at(k) : values[k];
      if (x === 0) zeros++;
      if (x - x !== 0) {
        // NaN or ±Infinity (x - x is NaN for both).
        if (x !== x) nan++;
        else inf++;
        continue;
      }
      if (count === 0) shift = x;
      if (x < min) min = x;
      if (x > max) max = x;
      const d = x - shift;
      s1 += d;
      s2 += d * d;
      count++;
    }
    if (count === 0) continue;
    const blockMean = shift + s1 / count;
    const blockM2 = Math.max(0, s2 - (s1 * s1) / count);
    const total = n + count;
    const delta = blockMean - mean;
    mean += (delta * count) / total;
    m2 += blockM2 + (delta * delta * n * count) / total;
    n = total;
  }
  return {
    elements,
    min: n ? min : null,
    max: n ? max : null,
    mean: n ? mean : null,
    std: n ? Math.sqrt(m2 / n) : null,
    zeros,
    zeroShare: elements ? zeros / elements : 0,
    nan,
    inf,
  };
}
