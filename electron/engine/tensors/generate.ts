// Generated inputs: zeros, ones, a constant, or seeded random values. The same seed gives the
// same tensor on every machine: mulberry32 for uniform values, Box-Muller on top for normal ones.
import type { ValueInfo } from '../../../shared/model-info';
import { WorkbenchError } from '../../../shared/result';
import { INT_RANGE, floatToHalf, isFeedable, type FeedableDType, type GeneratorKind } from '../../../shared/tensor';
import { allocate, elementCount, type Tensor } from './tensor';

export interface GenerateOptions {
  generator: GeneratorKind;
  dtype: FeedableDType;
  dims: number[];
  value?: number;
  low?: number;
  high?: number;
  mean?: number;
  std?: number;
  seed?: number;
}

/** Seeded PRNG (mulberry32): 32-bit state, uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Default ranges: [0, 1) for floats, [0, 10) for integers. */
export function generateTensor(o: GenerateOptions): Tensor {
  if (o.dtype === 'string')
    throw new WorkbenchError('UNSUPPORTED', 'generators make numbers; for a string input, load a .json or .npy file');
  const n = elementCount(o.dims);
  const isInt = INT_RANGE[o.dtype] !== undefined;
  let next: () => number;
  switch (o.generator) {
    case 'zeros':
      next = () => 0;
      break;
    case 'ones':
      next = () => 1;
      break;
    case 'constant': {
      const v = o.value ?? 0;
      next = () => v;
      break;
    }
    case 'uniform': {
      const rand = mulberry32(o.seed ?? 0);
      const low = o.low ?? 0;
      const high = o.high ?? (isInt ? 10 : 1);
      if (!(high >= low)) throw new WorkbenchError('INVALID_INPUT', `uniform: high (${high}) is below low (${low})`);
      // Integers: whole numbers in [low, high).
      next = isInt ? () => Math.floor(low + rand() * (high - low)) : () => low + rand() * (high - low);
      break;
    }
    case 'normal': {
      const rand = mulberry32(o.seed ?? 0);
      const mean = o.mean ?? 0;
      const std = o.std ?? 1;
      let spare: number | null = null;
      next = () => {
        if (spare !== null) {
          const s = spare;
          spare = null;
          return mean + std * s;
        }
        const u = 1 - rand(); // (0, 1]: log(0) is avoided
        const v = rand();
        const r = Math.sqrt(-2 * Math.log(u));
        spare = r * Math.sin(2 * Math.PI * v);
        return mean + std * r * Math.cos(2 * Math.PI * v);
      };
      if (isInt) {
        const f = next;
        next = () => Math.round(f());
      }
      break;
    }
  }
  const data = allocate(o.dtype, n) as Exclude<Tensor['data'], string[]>;
  const range = INT_RANGE[o.dtype];
  for (let k = 0; k < n; k++) {
    let x = next();
    if (range) x = Math.min(range[1], Math.max(range[0], Math.trunc(x)));
    if (data instanceof BigInt64Array || data instanceof BigUint64Array) data[k] = BigInt(x);
    else if (o.dtype === 'float16') data[k] = floatToHalf(x);
    else if (o.dtype === 'bool') data[k] = x ? 1 : 0;
    else data[k] = x;
  }
  return { dtype: o.dtype, dims: o.dims, data };
}

/**
 * The concrete dims for a model input: fixed dims as they are, symbolic ones from `overrides`
 * (by name), unnamed ones from `overrides["<input>[<position>]"]`.
 */
export function resolveDims(input: ValueInfo, overrides: Record<string, number> = {}): number[] {
  if (input.shape === null) {
    throw new WorkbenchError('INVALID_INPUT', `input '${input.name}' has no known shape: give the dims`);
  }
  return input.shape.map((d, k) => {
    if (typeof d === 'number') return d;
    const key = d ?? `${input.name}[${k}]`;
    const v = overrides[key];
    if (v === undefined) {
      throw new WorkbenchError(
        'INVALID_INPUT',
        d === null
          ? `input '${input.name}' has an unnamed dim at position ${k}: choose a size (as "${key}")`
          : `input '${input.name}' has symbolic dim '${d}': choose a size`,
      );
    }
    if (!Number.isSafeInteger(v) || v < 0)
      throw new WorkbenchError('INVALID_INPUT', `size ${v} for dim '${key}' is not a whole number ≥ 0`);
    return v;
  });
}

/** The dtype to generate for an input: the recipe's choice, else the input's, else float32. */
export function generatedDtype(input: ValueInfo | null, chosen?: FeedableDType): FeedableDType {
  if (chosen) return chosen;
  const d = input?.dtype ?? null;
  if (d === null) return 'float32';
  if (!isFeedable(d))
    throw new WorkbenchError('UNSUPPORTED', `input '${input?.name}' takes ${d}, which onnxruntime-node cannot feed`);
  return d;
}
