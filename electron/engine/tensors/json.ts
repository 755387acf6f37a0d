// Tensors as JSON: { "dtype": "float32", "dims": [1,3], "data": [...] } with data flat or nested,
// or just nested arrays. NaN and ±Infinity, which JSON cannot spell, travel as the strings
// "NaN", "Infinity" and "-Infinity" (and -0 as "-0"); int64 values beyond 2^53 as decimal strings.
import { WorkbenchError } from '../../../shared/result';
import { FEEDABLE_DTYPES, floatToHalf, formatDims, halfToFloat, isFeedable, type FeedableDType } from '../../../shared/tensor';
import { allocate, elementCount, type LoadedTensor, type Tensor } from './tensor';

function bad(label: string, message: string): WorkbenchError {
  return new WorkbenchError('INVALID_INPUT', `${label}: ${message}`);
}

/** Flattens nested arrays, checking they are rectangular; returns the values and the dims they imply. */
function flatten(value: unknown, label: string): { values: unknown[]; dims: number[] } {
  if (!Array.isArray(value)) return { values: [value], dims: [] };
  const dims: number[] = [];
  for (let v: unknown = value; Array.isArray(v); v = v[0]) {
    dims.push(v.length);
    if (v.length === 0) break;
  }
  const values: unknown[] = [];
  const walk = (v: unknown, depth: number, path: string): void => {
    if (depth === dims.length) {
      if (Array.isArray(v)) throw bad(label, `nested arrays are ragged: ${path} is a list but its neighbours hold values`);
      values.push(v);
      return;
    }
    if (!Array.isArray(v)) throw bad(label, `nested arrays are ragged: ${path} is a value but its neighbours are lists`);
    if (v.length !== dims[depth])
      throw bad(label, `nested arrays are ragged: ${path} has ${v.length} items, expected ${dims[depth]}`);
    v.forEach((x, k) => walk(x, depth + 1, `${path}[${k}]`));
  };
  walk(value, 0, 'data');
  return { values, dims };
}

function toNumber(v: unknown, k: number, label: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v === 'NaN' || v === 'nan') return NaN;
  if (v === 'Infinity' || v === 'inf') return Infinity;
  if (v === '-Infinity' || v === '-inf') return -Infinity;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  throw bad(label, `value ${k} (${JSON.stringify(v)}) is not a number`);
}

function toBigInt(v: unknown, k: number, label: string): bigint {
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return BigInt(v.trim());
  const x = toNumber(v, k, label);
  if (!Number.isInteger(x)) throw bad(label, `value ${k} (${JSON.stringify(v)}) is not an integer`);
  return BigInt(x);
}

/** Values into a typed array of `dtype`; integers must be whole and in range. */
export function fillValues(dtype: FeedableDType, values: readonly unknown[], label: string): Tensor['data'] {
  const out = allocate(dtype, values.length);
  if (Array.isArray(out)) {
    values.forEach((v, k) => {
      if (typeof v !== 'string') throw bad(label, `value ${k} (${JSON.stringify(v)}) is not a string, but the dtype is string`);
      out[k] = v;
    });
    return out;
  }
  if (out instanceof BigInt64Array || out instanceof BigUint64Array) {
    values.forEach((v, k) => {
      const b = toBigInt(v, k, label);
      const wrapped = out instanceof BigInt64Array ? BigInt.asIntN(64, b) : BigInt.asUintN(64, b);
      if (wrapped !== b) throw bad(label, `value ${k} (${b}) does not fit in ${dtype}`);
      out[k] = b;
    });
    return out;
  }
  const isFloat = dtype === 'float32' || dtype === 'float64' || dtype === 'float16';
  values.forEach((v, k) => {
    const x = toNumber(v, k, label);
    if (dtype === 'float16') out[k] = floatToHalf(x);
    else if (dtype === 'bool') out[k] = x ? 1 : 0;
    else if (isFloat) out[k] = x;
    else {
      out[k] = x;
      if (out[k] !== x) throw bad(label, `value ${k} (${JSON.stringify(v)}) does not fit in ${dtype}`);
    }
  });
  return out;
}

/**
 * Parses a JSON tensor. `fallbackDtype` (the model input's) applies to plain nested arrays;
 * without it they are float32 (strings when the values are strings).
 */
export function decodeJsonTensor(text: string, label: string, fallbackDtype?: FeedableDType): LoadedTensor {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw bad(label, `is not valid JSON (${(e as Error).message})`);
  }
  if (doc !== null && typeof doc === 'object' && !Array.isArray(doc)) {
    const o = doc as Record<string, unknown>;
    if (!('data' in o))
      throw bad(label, `has no 'data' field; write {"dtype": "float32", "dims": [..], "data": [..]} or plain nested arrays`);
    const dtypeText = o.dtype ?? fallbackDtype ?? 'float32';
    if (typeof dtypeText !== 'string' || !isFeedable(dtypeText)) {
      throw bad(label, `'dtype' ${JSON.stringify(o.dtype)} is not one of ${FEEDABLE_DTYPES.join(', ')}`);
    }
    const { values, dims: implied } = flatten(o.data, label);
    let dims = implied;
    if (o.dims !== undefined) {
      if (!Array.isArray(o.dims) || !o.dims.every((d) => Number.isSafeInteger(d) && d >= 0)) {
        throw bad(label, `'dims' must be a list of sizes, e.g. [1, 3]; got ${JSON.stringify(o.dims)}`);
      }
      dims = o.dims as number[];
      const need = elementCount(dims);
      if (values.length !== need)
        throw bad(label, `'data' has ${values.length} values but dims ${formatDims(dims)} need ${need}`);
    }
    return { tensor: { dtype: dtypeText, dims, data: fillValues(dtypeText, values, label) }, notes: [] };
  }
  if (!Array.isArray(doc) && typeof doc !== 'number' && typeof doc !== 'boolean' && typeof doc !== 'string') {
    throw bad(label, 'holds neither a tensor object nor nested arrays of values');
  }
  const { values, dims } = flatten(doc, label);
  const dtype = fallbackDtype ?? (typeof values[0] === 'string' ? 'string' : 'float32');
  return { tensor: { dtype, dims, data: fillValues(dtype, values, label) }, notes: [] };
}

function jsonValue(v: number | bigint | string): number | string {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  if (Object.is(v, -0)) return '-0'; // JSON.stringify would drop the sign
  return v;
}

export function encodeJsonTensor(t: Tensor): string {
  const data: (number | string)[] = [];
  const d = t.data;
  for (let k = 0; k < d.length; k++) {
    const v = d[k];
    data.push(jsonValue(t.dtype === 'float16' ? halfToFloat(v as number) : v));
  }
  return JSON.stringify({ dtype: t.dtype, dims: t.dims, data });
}
