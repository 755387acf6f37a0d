// Comparing a model's output with reference values, as onnxruntime's test runner does,
// and the report of a check run over ONNX test-data folders. Pure: no Node APIs.
import { formatDims, halfToFloat, bfloat16ToFloat, isFloatDType } from './tensor';

/** Values as held anywhere: typed arrays, plain arrays, float16/bfloat16 as their 16-bit patterns. */
export interface ComparableTensor {
  dtype: string;
  dims: readonly number[];
  data: ArrayLike<number | bigint | string | boolean>;
}

export interface CompareOptions {
  /** Absolute tolerance for floats. */
  atol?: number;
  /** Relative tolerance for floats, applied to |expected|. */
  rtol?: number;
}

export const DEFAULT_ATOL = 1e-5;
export const DEFAULT_RTOL = 1e-3;

export interface CompareResult {
  pass: boolean;
  /** Largest |actual − expected| over finite pairs (0 for exact types or when nothing compared). */
  maxAbsError: number;
  /** Largest |actual − expected| / |expected| over finite pairs with expected ≠ 0. */
  maxRelError: number;
  /** Number of elements outside tolerance. */
  mismatches: number;
  firstMismatch: { index: number; expected: number | string; actual: number | string } | null;
  /** Why it failed, in words; absent when it passed. */
  reason?: string;
}

function count(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Values as numbers for floats (16-bit patterns decoded). */
function floatAt(t: ComparableTensor): (k: number) => number {
  const d = t.data;
  const bits = d instanceof Uint16Array;
  if (t.dtype === 'float16' && bits) return (k) => halfToFloat(d[k]);
  if (t.dtype === 'bfloat16' && bits) return (k) => bfloat16ToFloat(d[k]);
  return (k) => Number(d[k]);
}

/** Exact types: ints compare as bigint-or-number, bools as 0/1, strings as strings. */
function exactAt(t: ComparableTensor): (k: number) => string | number | bigint {
  const d = t.data;
  if (t.dtype === 'bool') return (k) => (d[k] ? 1 : 0);
  if (t.dtype === 'string') return (k) => String(d[k]);
  return (k) => {
    const v = d[k];
    return typeof v === 'bigint' ? v : BigInt(Number(v));
  };
}

function show(v: number | bigint | string): number | string {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  return v;
}

function failed(reason: string): CompareResult {
  return { pass: false, maxAbsError: 0, maxRelError: 0, mismatches: 0, firstMismatch: null, reason };
}

export function compareTensors(
  expected: ComparableTensor,
  actual: ComparableTensor,
  options: CompareOptions = {},
): CompareResult {
  const atol = options.atol ?? DEFAULT_ATOL;
  const rtol = options.rtol ?? DEFAULT_RTOL;
  const want = `${expected.dtype} ${formatDims(expected.dims)}`;
  const got = `${actual.dtype} ${formatDims(actual.dims)}`;
  if (expected.dtype !== actual.dtype) return failed(`expected ${want} but got ${got}: the dtypes differ`);
  if (expected.dims.length !== actual.dims.length || expected.dims.some((d, k) => d !== actual.dims[k])) {
    return failed(`expected ${want} but got ${got}: the shapes differ`);
  }
  const n = count(expected.dims);
  if (expected.data.length !== n)
    return failed(`the expected values hold ${expected.data.length} values but ${formatDims(expected.dims)} needs ${n}`);
  if (actual.data.length !== n)
    return failed(`the actual values hold ${actual.data.length} values but ${formatDims(actual.dims)} needs ${n}`);

  let maxAbs = 0;
  let maxRel = 0;
  let mismatches = 0;
  let first: CompareResult['firstMismatch'] = null;
  if (isFloatDType(expected.dtype)) {
    const e = floatAt(expected);
    const a = floatAt(actual);
    for (let k = 0; k < n; k++) {
      const x = e(k);
      const y = a(k);
      let ok: boolean;
      if (Number.isNaN(x) || Number.isNaN(y)) ok = Number.isNaN(x) && Number.isNaN(y);
      else if (!Number.isFinite(x) || !Number.isFinite(y)) ok = x === y;
      else {
        const abs = Math.abs(y - x);
        if (abs > maxAbs) maxAbs = abs;
        if (x !== 0 && abs / Math.abs(x) > maxRel) maxRel = abs / Math.abs(x);
        ok = abs <= atol + rtol * Math.abs(x);
      }
      if (!ok) {
        mismatches++;
        first ??= { index: k, expected: x, actual: y };
      }
    }
  } else {
    const e = exactAt(expected);
    const a = exactAt(actual);
    for (let k = 0; k < n; k++) {
      const x = e(k);
      const y = a(k);
      if (x !== y) {
        mismatches++;
        first ??= { index: k, expected: show(x), actual: show(y) };
        if (typeof x === 'bigint' && typeof y === 'bigint') {
          const abs = Math.abs(Number(y - x));
          if (abs > maxAbs) maxAbs = abs;
          if (x !== 0n && abs / Math.abs(Number(x)) > maxRel) maxRel = abs / Math.abs(Number(x));
        }
      }
    }
  }
  const result: CompareResult = {
    pass: mismatches === 0,
    maxAbsError: maxAbs,
    maxRelError: maxRel,
    mismatches,
    firstMismatch: first,
  };
  if (first) {
    const tol = isFloatDType(expected.dtype) ? ` (atol ${atol}, rtol ${rtol})` : '';
    result.reason = `${mismatches} of ${n} values differ${tol}; first at index ${first.index}: expected ${first.expected}, got ${first.actual}`;
  }
  return result;
}

// ---- Check runs over ONNX test-data folders (model.onnx + test_data_set_*/input_N.pb, output_N.pb) ----

export interface CheckOutputResult {
  /** Output name (from the model; the .pb's name when it has one and the model lacks it). */
  name: string;
  file: string;
  pass: boolean;
  maxAbsError: number;
  maxRelError: number;
  mismatches: number;
  reason?: string;
}

export interface CheckSetResult {
  /** Folder name, e.g. "test_data_set_0". */
  name: string;
  dir: string;
  pass: boolean;
  /** Why the whole set failed before any comparison (bad input file, run error). */
  reason?: string;
  outputs: CheckOutputResult[];
  durationMs: number;
}

export interface CheckCaseResult {
  /** Folder name of the test case, e.g. "test_add". */
  name: string;
  dir: string;
  model: string;
  pass: boolean;
  /** Why the whole case failed (model does not load, no data sets). */
  reason?: string;
  sets: CheckSetResult[];
}

export interface CheckReport {
  provider: string;
  atol: number;
  rtol: number;
  cases: CheckCaseResult[];
  summary: { cases: number; sets: number; passed: number; failed: number };
}

export interface CheckProgress {
  /** Data sets finished so far, over all cases. */
  done: number;
  total: number;
  case: string;
  set: string;
  pass: boolean;
}

// ---- Two runs of the same inputs compared (one provider against another) ----------------------

export interface RunComparison {
  /** Run ids: `a` is the reference, `b` is checked against it. */
  a: string;
  b: string;
  atol: number;
  rtol: number;
  pass: boolean;
  outputs: (CompareResult & { name: string })[];
}

// ---- A run's outputs against reference files saved earlier (run --expect DIR) ----------------

export interface ExpectedOutputResult extends CompareResult {
  name: string;
  /** The reference file compared with, or null when the folder has none for this output. */
  file: string | null;
}

export interface RunExpectation {
  runId: string;
  dir: string;
  atol: number;
  rtol: number;
  /** Every output with a reference file is within tolerance (and at least one has one). */
  pass: boolean;
  outputs: ExpectedOutputResult[];
}
