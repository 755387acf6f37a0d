// The engine's tensor value: exactly what `new ort.Tensor(dtype, data, dims)` takes, so feeding
// needs no copy. float16 travels as its 16-bit patterns in a Uint16Array (Node 20 has no
// Float16Array; onnxruntime-common accepts Uint16Array for float16 either way), bool as 0/1 in a
// Uint8Array, string as string[]. bfloat16 is not here: onnxruntime-node cannot feed it, so readers
// widen it to float32 and say so in a note.
import type * as Ort from 'onnxruntime-node';
import { WorkbenchError } from '../../../shared/result';
import { halfToFloat, isFeedable, type FeedableDType } from '../../../shared/tensor';

import type { NumericData } from '../../common/onnx/tensor-data';

export type { NumericData };
export type TensorData = NumericData | string[];

export interface Tensor {
  dtype: FeedableDType;
  dims: number[];
  data: TensorData;
}

/** A tensor as loaded, with what was changed on the way (resampling, widening bfloat16...). */
export interface LoadedTensor {
  tensor: Tensor;
  /** Name stored in the file (TensorProto.name), when there is one. */
  name?: string;
  notes: string[];
}

export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

type Ctor = { new (n: number): NumericData; BYTES_PER_ELEMENT: number };

const ARRAY: Record<Exclude<FeedableDType, 'string'>, Ctor> = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  bool: Uint8Array,
};

/** An all-zero array for a dtype ('' for strings). */
export function allocate(dtype: FeedableDType, n: number): TensorData {
  if (dtype === 'string') return new Array<string>(n).fill('');
  return new ARRAY[dtype](n);
}

export function bytesPerElement(dtype: Exclude<FeedableDType, 'string'>): number {
  return ARRAY[dtype].BYTES_PER_ELEMENT;
}

/** Typed view over little-endian bytes; copies so the result is aligned and owns its memory. */
export function fromBytes(dtype: Exclude<FeedableDType, 'string'>, bytes: Uint8Array, n: number): NumericData {
  const C = ARRAY[dtype];
  const out = new C(n);
  new Uint8Array(out.buffer, 0, n * C.BYTES_PER_ELEMENT).set(bytes.subarray(0, n * C.BYTES_PER_ELEMENT));
  return out;
}

export function bytesOf(data: NumericData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Values as JS numbers (float16 decoded, bigints rounded to the nearest double); null for strings. */
export function numbersOf(t: Tensor): Float64Array | null {
  const d = t.data;
  if (Array.isArray(d)) return null;
  const out = new Float64Array(d.length);
  if (t.dtype === 'float16') for (let k = 0; k < d.length; k++) out[k] = halfToFloat(d[k] as number);
  else if (d instanceof BigInt64Array || d instanceof BigUint64Array) for (let k = 0; k < d.length; k++) out[k] = Number(d[k]);
  else out.set(d);
  return out;
}

/** Checks that data matches dtype and dims; throws a message naming `label`. */
export function assertTensor(t: Tensor, label: string): void {
  const n = elementCount(t.dims);
  if (t.data.length !== n) {
    throw new WorkbenchError(
      'INVALID_INPUT',
      `${label}: holds ${t.data.length} values but dims ${JSON.stringify(t.dims)} need ${n}`,
    );
  }
  const ok = t.dtype === 'string' ? Array.isArray(t.data) : !Array.isArray(t.data) && t.data instanceof ARRAY[t.dtype];
  if (!ok) throw new WorkbenchError('INTERNAL', `${label}: ${t.dtype} values held in the wrong array type`);
}

export function toOrtTensor(ort: typeof Ort, t: Tensor): Ort.Tensor {
  // The overloads are per dtype; our union is checked by assertTensor's pairing, so widen once here.
  const make = ort.Tensor as unknown as new (type: string, data: TensorData, dims: readonly number[]) => Ort.Tensor;
  return new make(t.dtype, t.data, t.dims);
}

/** An onnxruntime output as our tensor; float16 in a Float16Array (Electron's V8 has one) becomes bits. */
export function fromOrtTensor(value: Ort.OnnxValue, label: string): Tensor {
  const v = value as Ort.Tensor;
  if (!v || typeof v !== 'object' || !('type' in v) || !('dims' in v)) {
    throw new WorkbenchError('UNSUPPORTED', `${label} is not a tensor (sequences and maps are not shown yet)`);
  }
  const dtype = v.type;
  if (!isFeedable(dtype)) throw new WorkbenchError('UNSUPPORTED', `${label} has dtype ${dtype}, which the workbench cannot read`);
  const dims = Array.from(v.dims, Number);
  const raw = v.data as unknown;
  let data: TensorData;
  if (dtype === 'string') data = Array.from(raw as ArrayLike<string>);
  else if (dtype === 'float16' && !(raw instanceof Uint16Array)) {
    const view = raw as { buffer: ArrayBufferLike; byteOffset: number; length: number };
    data = new Uint16Array(view.buffer, view.byteOffset, view.length).slice();
  } else if (dtype === 'bool' && !(raw instanceof Uint8Array))
    data = Uint8Array.from(raw as ArrayLike<number>, (x) => (x ? 1 : 0));
  else data = raw as NumericData;
  const t: Tensor = { dtype, dims, data };
  assertTensor(t, label);
  return t;
}
