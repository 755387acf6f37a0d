// Summary statistics of a tensor's values, computed on demand (never while inspecting).

import type { TensorStats } from '../../../shared/model-info';
import type { TensorData } from './tensor-data';

/** min/max/mean/std over finite values; zeros, NaN and ±Inf counted separately. */
export function tensorStats(data: TensorData): TensorStats {
  const elements = data.length;
  let n = 0;
  let zeros = 0;
  let nan = 0;
  let inf = 0;
  let min = Infinity;
  let max = -Infinity;
  // Welford's update keeps the variance accurate over millions of values.
  let mean = 0;
  let m2 = 0;
  const add = (x: number): void => {
    if (x === 0) zeros++;
    if (Number.isNaN(x)) {
      nan++;
      return;
    }
    if (!Number.isFinite(x)) {
      inf++;
      return;
    }
    if (x < min) min = x;
    if (x > max) max = x;
    n++;
    const d = x - mean;
    mean += d / n;
    m2 += d * (x - mean);
  };
  if (Array.isArray(data)) {
    // Strings have no numeric statistics.
    return { elements, min: null, max: null, mean: null, std: null, zeros: 0, zeroShare: 0, nan: 0, inf: 0 };
  }
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    for (let k = 0; k < data.length; k++) add(Number(data[k]));
  } else {
    for (let k = 0; k < data.length; k++) add(data[k]);
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
