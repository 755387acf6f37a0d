// Tensors a user feeds to a model: where the values come from (a file, a generator, audio),
// and the summary every view shows of a loaded tensor. Pure: used by the engine, the UI and the CLI.
import { z } from 'zod';
import { absolutePath } from './paths';
import type { DType, TensorStats } from './model-info';

/** The element types onnxruntime-node can feed and return (bfloat16, complex and float8 are not among them). */
export const FEEDABLE_DTYPES = [
  'float32',
  'float64',
  'float16',
  'int8',
  'uint8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
  'bool',
  'string',
] as const satisfies readonly DType[];
export type FeedableDType = (typeof FEEDABLE_DTYPES)[number];

export function isFeedable(d: DType | string | null): d is FeedableDType {
  return (FEEDABLE_DTYPES as readonly string[]).includes(d ?? '');
}

export const FLOAT_DTYPES: readonly DType[] = ['float32', 'float64', 'float16', 'bfloat16'];
export function isFloatDType(d: DType | string): boolean {
  return (FLOAT_DTYPES as readonly string[]).includes(d);
}

const filePath = absolutePath;

export const GENERATORS = ['zeros', 'ones', 'constant', 'uniform', 'normal'] as const;
export type GeneratorKind = (typeof GENERATORS)[number];

const finite = z.number().refine(Number.isFinite, { message: 'must be a finite number' });

export const TensorSource = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('file'),
    /** .npy, .pb (ONNX TensorProto) or .json. */
    path: filePath,
  }),
  z.strictObject({
    kind: z.literal('generate'),
    generator: z.enum(GENERATORS),
    /** Element type; default: the model input's, else float32. */
    dtype: z.enum(FEEDABLE_DTYPES).optional(),
    /** Exact dims; default: the model input's shape with symbolic dims taken from dimOverrides. */
    dims: z.array(z.number().int().min(0)).max(32).optional(),
    value: finite.optional(),
    low: finite.optional(),
    high: finite.optional(),
    mean: finite.optional(),
    std: finite.min(0).optional(),
    seed: z.number().int().optional(),
  }),
  z.strictObject({
    kind: z.literal('audio'),
    /** A .wav file: PCM 8/16/24/32-bit or float 32/64-bit, any channel count. */
    path: filePath,
    /** Rate the model expects, in Hz. */
    sampleRate: z.number().int().min(1000).max(384000),
  }),
]);
export type TensorSource = z.infer<typeof TensorSource>;

export const HISTOGRAM_BINS = 32;
export const PREVIEW_VALUES = 64;

export interface TensorHistogram {
  /** Range of the finite values; bins split it evenly. */
  min: number;
  max: number;
  counts: number[];
}

/**
 * One 2-D plane of an output (its last two dims, the leading ones fixed by `index`), reduced to at
 * most `maxSize` values a side by averaging blocks, so a heatmap shows the whole plane, not a
 * corner; with the value range of the whole tensor, so planes share one colour scale.
 */
export interface OutputPlane {
  /** The plane's full size. */
  rows: number;
  cols: number;
  /** The grid sent (row-major `values`), each value the mean of its block's finite values (null if none). */
  width: number;
  height: number;
  values: (number | null)[];
  /** Over every finite value of the whole tensor; null when there is none. */
  min: number | null;
  max: number | null;
  /** Over this plane's finite values. */
  planeMin: number | null;
  planeMax: number | null;
}

export interface TensorSummary {
  name: string;
  dtype: DType;
  dims: number[];
  /** Numeric statistics (strings: only `elements` is meaningful). */
  stats: TensorStats;
  /** null for strings and tensors without finite values. */
  histogram: TensorHistogram | null;
  /** The first values in C order: numbers (int64 beyond 2^53 as decimal strings), booleans as 0/1, strings as they are. */
  preview: (number | string)[];
  /** What was changed on the way in, e.g. "resampled from 48000 Hz to 16000 Hz". */
  notes: string[];
}

/** "[1,3,224,224]" with symbolic dims by name and unknown dims as "?". */
export function formatDims(dims: readonly (number | string | null)[] | null): string {
  if (dims === null) return '[any shape]';
  return `[${dims.map((d) => (d === null ? '?' : String(d))).join(',')}]`;
}

/** IEEE half bits → number (exact). */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** number → IEEE half bits, rounding to nearest even; overflow becomes ±Inf. */
export function floatToHalf(x: number): number {
  F32[0] = x;
  const u = U32[0];
  const sign = (u >>> 16) & 0x8000;
  const e8 = (u >>> 23) & 0xff;
  const mant = u & 0x7fffff;
  if (e8 === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = e8 - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    // Subnormal half: shift the mantissa (with its implicit bit) and round to nearest even.
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = m & ((1 << shift) - 1);
    let r = m >> shift;
    if (rest > half || (rest === half && r & 1)) r++;
    return sign | r;
  }
  let r = (e << 10) | (mant >> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && r & 1)) r++; // may carry into the exponent: still correct
  return sign | r;
}

/** bfloat16 bits → number: the top half of a float32. */
export function bfloat16ToFloat(b: number): number {
  U32[0] = (b & 0xffff) << 16;
  return F32[0];
}

/** The values an integer dtype holds (64-bit ones as far as a number is exact). */
export const INT_RANGE: Partial<Record<FeedableDType, [number, number]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint64: [0, Number.MAX_SAFE_INTEGER],
};
