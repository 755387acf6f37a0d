// Decoding a tensor's stored values: raw little-endian bytes or the typed repeated fields.

import type { DType } from '../../../shared/model-info';
import { bfloat16ToFloat, halfToFloat } from '../../../shared/tensor';
import { bigI64, corrupt, forEachPackedVarint, readVarintAt, text, type ByteSource, type DecodeContext } from './protobuf';
import { TensorProto } from './onnx-proto';
import type { TensorHeader } from './tensor-proto';

const T = TensorProto.field;

export type NumericData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;
export type TensorData = NumericData | string[];

/** Raw little-endian bytes (the host is little-endian: x64 and arm64) → typed values. */
export function decodeRaw(dtype: DType, bytes: Uint8Array, elements: number): TensorData {
  // Copy into a fresh, aligned buffer: slices of a file buffer can start at any byte.
  // (Not bytes.slice(): on a Node Buffer that is a view, not a copy.)
  const b = new Uint8Array(bytes.length);
  b.set(bytes);
  const buf = b.buffer;
  switch (dtype) {
    case 'float32':
      return new Float32Array(buf, 0, elements);
    case 'float64':
      return new Float64Array(buf, 0, elements);
    case 'int8':
      return new Int8Array(buf, 0, elements);
    case 'uint8':
    case 'bool':
      return new Uint8Array(buf, 0, elements);
    case 'int16':
      return new Int16Array(buf, 0, elements);
    case 'uint16':
      return new Uint16Array(buf, 0, elements);
    case 'int32':
      return new Int32Array(buf, 0, elements);
    case 'uint32':
      return new Uint32Array(buf, 0, elements);
    case 'int64':
      return new BigInt64Array(buf, 0, elements);
    case 'uint64':
      return new BigUint64Array(buf, 0, elements);
    case 'complex64':
      return new Float32Array(buf, 0, elements * 2);
    case 'complex128':
      return new Float64Array(buf, 0, elements * 2);
    case 'float16':
    case 'bfloat16': {
      const u = new Uint16Array(buf, 0, elements);
      const out = new Float32Array(elements);
      const f = dtype === 'float16' ? halfToFloat : bfloat16ToFloat;
      for (let k = 0; k < elements; k++) out[k] = f(u[k]);
      return out;
    }
    default:
      // float8 and 4-bit types: the stored bytes as they are.
      return b;
  }
}

/** Values stored in the typed fields (float_data, int32_data, int64_data, ...), in order. */
export async function decodeTyped(
  t: TensorHeader,
  dtype: DType,
  elements: number,
  src: ByteSource,
  ctx: DecodeContext,
): Promise<TensorData> {
  const nums: number[] = [];
  const bigs: bigint[] = [];
  const strings: string[] = [];
  for (const s of t.segments) {
    if (s.wire === 'varint') {
      const d = await src.read(s.offset, Math.min(10, src.size - s.offset));
      const v = readVarintAt(d, 0, d.length);
      if (!v) throw corrupt(ctx, `is corrupt: bad varint in tensor "${t.name}" at byte ${s.offset}`);
      if (s.field === T.int64_data || s.field === T.uint64_data) bigs.push(bigI64(v[0], v[1]));
      else nums.push(v[0] | 0);
      continue;
    }
    const d = await src.read(s.offset, s.wire === 'i32' ? 4 : s.wire === 'i64' ? 8 : s.length);
    const dv = new DataView(d.buffer, d.byteOffset, d.length);
    if (s.field === T.string_data) strings.push(text(d));
    else if (s.field === T.float_data) for (let k = 0; k + 4 <= d.length; k += 4) nums.push(dv.getFloat32(k, true));
    else if (s.field === T.double_data) for (let k = 0; k + 8 <= d.length; k += 8) nums.push(dv.getFloat64(k, true));
    else if (s.field === T.int32_data) forEachPackedVarint(d, s.offset, ctx, (lo) => nums.push(lo | 0));
    else if (s.field === T.int64_data || s.field === T.uint64_data)
      forEachPackedVarint(d, s.offset, ctx, (lo, hi) => bigs.push(bigI64(lo, hi)));
  }
  const stored = dtype === 'string' ? strings.length : nums.length + bigs.length;
  const complex = dtype === 'complex64' || dtype === 'complex128';
  const want = complex ? elements * 2 : elements;
  if (stored !== want) {
    throw corrupt(
      ctx,
      `is inconsistent: tensor "${t.name}" stores ${stored} values but its dims [${t.dims.join(', ')}] need ${want}`,
    );
  }
  switch (dtype) {
    case 'string':
      return strings;
    case 'float32':
    case 'complex64':
      return Float32Array.from(nums);
    case 'float64':
    case 'complex128':
      return Float64Array.from(nums);
    case 'int32':
      return Int32Array.from(nums);
    case 'int16':
      return Int16Array.from(nums);
    case 'int8':
      return Int8Array.from(nums);
    case 'uint16':
      return Uint16Array.from(nums);
    case 'uint8':
    case 'bool':
      return Uint8Array.from(nums);
    case 'int64':
      return BigInt64Array.from(bigs);
    case 'uint64':
      return BigUint64Array.from(bigs, (b) => BigInt.asUintN(64, b));
    case 'uint32':
      return Uint32Array.from(bigs, (b) => Number(BigInt.asUintN(32, b)));
    case 'float16':
      return Float32Array.from(nums, (n) => halfToFloat(n & 0xffff));
    case 'bfloat16':
      return Float32Array.from(nums, (n) => bfloat16ToFloat(n & 0xffff));
    default:
      return Uint8Array.from(nums);
  }
}
