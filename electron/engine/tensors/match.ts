// Does a tensor fit a model input? Said in words before running, so onnxruntime's own error
// ("Unexpected input data type") is never the first thing a user reads. Plus the numeric casts
// the UI may offer when only the dtype is off.
import type { Dim, ValueInfo } from '../../../shared/model-info';
import { WorkbenchError } from '../../../shared/result';
import { INT_RANGE, floatToHalf, formatDims, halfToFloat, isFeedable, type FeedableDType } from '../../../shared/tensor';
import { allocate, type Tensor } from './tensor';

/** Whether castTensor can turn `from` into `to` (numbers and bools among themselves). */
export function canCast(from: FeedableDType, to: FeedableDType): boolean {
  return from !== 'string' && to !== 'string';
}

/**
 * null when the tensor can be fed to `input`; else one sentence such as
 * "input 'x' expects float32 [1,3,224,224]; the file holds float64 [224,224,3] (…)".
 */
export function describeMismatch(input: ValueInfo, t: Pick<Tensor, 'dtype' | 'dims'>, holder = 'the file'): string | null {
  const problems: string[] = [];
  const shape = input.shape;
  if (shape !== null) {
    if (shape.length !== t.dims.length) {
      problems.push(`${t.dims.length} ${t.dims.length === 1 ? 'dim' : 'dims'} where the model needs ${shape.length}`);
    } else {
      shape.forEach((d: Dim, k) => {
        if (typeof d === 'number' && d !== t.dims[k]) problems.push(`dim ${k} is ${t.dims[k]} where the model needs ${d}`);
      });
    }
  }
  const target = input.dtype;
  if (target !== null && target !== t.dtype) {
    if (!isFeedable(target)) problems.push(`onnxruntime-node cannot feed ${target} inputs`);
    else if (canCast(t.dtype, target)) problems.push(`convert it to ${target} or choose the dtype in the recipe`);
    else problems.push(`${t.dtype} values cannot be converted to ${target}`);
  }
  if (problems.length === 0) return null;
  const expects = `${input.dtype ?? 'any type'} ${formatDims(shape)}`;
  return `input '${input.name}' expects ${expects}; ${holder} holds ${t.dtype} ${formatDims(t.dims)} (${problems.join('; ')})`;
}

function bigLimits(out: BigInt64Array | BigUint64Array): [bigint, bigint] {
  return out instanceof BigInt64Array ? [-(2n ** 63n), 2n ** 63n - 1n] : [0n, 2n ** 64n - 1n];
}

/**
 * Numeric cast. Floats to integers truncate toward zero and saturate at the type's limits
 * (NaN becomes 0), unlike numpy's wrap-around, so a cast never produces surprising signs;
 * anything to bool is "≠ 0"; to float16 rounds to nearest even.
 */
export function castTensor(t: Tensor, dtype: FeedableDType): Tensor {
  if (t.dtype === dtype) return t;
  if (!canCast(t.dtype, dtype)) throw new WorkbenchError('UNSUPPORTED', `${t.dtype} values cannot be converted to ${dtype}`);
  const src = t.data as Exclude<Tensor['data'], string[]>;
  const n = src.length;
  const out = allocate(dtype, n) as Exclude<Tensor['data'], string[]>;
  const big = src instanceof BigInt64Array || src instanceof BigUint64Array;
  if (big && (out instanceof BigInt64Array || out instanceof BigUint64Array)) {
    // int64 ↔ uint64 stays exact; out-of-range values saturate.
    const [lo, hi] = bigLimits(out);
    for (let k = 0; k < n; k++) {
      const v = src[k] as bigint;
      out[k] = v < lo ? lo : v > hi ? hi : v;
    }
    return { dtype, dims: t.dims, data: out };
  }
  const get = (k: number): number => (t.dtype === 'float16' ? halfToFloat(src[k] as number) : Number(src[k]));
  const limits = INT_RANGE[dtype];
  for (let k = 0; k < n; k++) {
    const x = get(k);
    if (dtype === 'bool') out[k] = x !== 0 && !Number.isNaN(x) ? 1 : 0;
    else if (dtype === 'float16') out[k] = floatToHalf(x);
    else if (dtype === 'float32' || dtype === 'float64') out[k] = x;
    else if (out instanceof BigInt64Array || out instanceof BigUint64Array) {
      const [lo, hi] = bigLimits(out);
      const v = Number.isFinite(x) ? BigInt(Math.trunc(x)) : Number.isNaN(x) ? 0n : x > 0 ? hi : lo;
      out[k] = v < lo ? lo : v > hi ? hi : v;
    } else if (limits) out[k] = Number.isNaN(x) ? 0 : Math.min(limits[1], Math.max(limits[0], Math.trunc(x)));
  }
  return { dtype, dims: t.dims, data: out };
}
