// ONNX TensorProto files (.pb), as in ONNX's test data sets: read through the model reader's
// protobuf walker, written with our one protobuf writer (electron/common/onnx/writer.ts).
import { WorkbenchError } from '../../../shared/result';
import { bfloat16ToFloat, formatDims, isFeedable, type FeedableDType } from '../../../shared/tensor';
import { BufferSource, walkBytes, type DecodeContext } from '../../common/onnx/protobuf';
import { decodeTyped } from '../../common/onnx/tensor-data';
import { TensorHandler, bytesFor, dtypeFromOnnx, isExternal, type TensorHeader } from '../../common/onnx/tensor-proto';
import { tensorProto } from '../../common/onnx/writer';
import { bytesOf, elementCount, fromBytes, type LoadedTensor, type Tensor } from './tensor';

function invalid(label: string, message: string): WorkbenchError {
  return new WorkbenchError('INVALID_INPUT', `${label}: ${message}`);
}

/** The walker reports broken files as CORRUPT_MODEL; a tensor file is an input, not a model. */
function asInputError(e: unknown): unknown {
  return e instanceof WorkbenchError && e.code === 'CORRUPT_MODEL' ? new WorkbenchError('INVALID_INPUT', e.message) : e;
}

/** Any read failure of a file that is one of ONNX's other value messages says so, by name. */
export async function decodeTensorProto(bytes: Uint8Array, label: string): Promise<LoadedTensor> {
  try {
    return await decodeTensor(bytes, label);
  } catch (error) {
    const other = sniffValueProto(bytes);
    if (!other) throw error;
    const name = other.name ? `'${other.name}', ` : '';
    throw new WorkbenchError(
      'UNSUPPORTED',
      `unsupported: ${other.kind} value in ${label} (${name}an ONNX ${other.proto}, not a tensor); onnxruntime-node feeds and returns tensors only`,
    );
  }
}

// ---- SequenceProto, OptionalProto, MapProto ----
// ONNX test data holds these too (sequence, optional and map inputs and outputs). In the wire
// format a SequenceProto's name (field 1, bytes) looks like a TensorProto's packed dims, so they
// are recognised by their whole shape: every top-level field is one these messages declare.
//   SequenceProto / OptionalProto: 1 name, 2 elem_type (0..5), 3..7 the values (messages).
//   MapProto: 1 name, 2 key_type (a tensor dtype), 3 keys (int64), 4 string_keys, 5 values.

interface WireField {
  field: number;
  wire: number;
  /** varint value (wire 0), or the bytes (wire 2). */
  value: number | Uint8Array;
}

/** The top-level fields of a message, or null when the bytes are not well-formed protobuf. */
function wireFields(bytes: Uint8Array): WireField[] | null {
  const out: WireField[] = [];
  let pos = 0;
  const varint = (): number | null => {
    let v = 0;
    let mul = 1;
    for (let k = 0; k < 10; k++) {
      if (pos >= bytes.length) return null;
      const b = bytes[pos++];
      v += (b & 0x7f) * mul;
      mul *= 128;
      if (b < 0x80) return v;
    }
    return null;
  };
  while (pos < bytes.length) {
    const tag = varint();
    if (tag === null || tag < 8) return null;
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (wire === 0) {
      const v = varint();
      if (v === null) return null;
      out.push({ field, wire, value: v });
    } else if (wire === 2) {
      const n = varint();
      if (n === null || pos + n > bytes.length) return null;
      out.push({ field, wire, value: bytes.subarray(pos, pos + n) });
      pos += n;
    } else if (wire === 1 || wire === 5) {
      pos += wire === 1 ? 8 : 4;
      if (pos > bytes.length) return null;
      out.push({ field, wire, value: 0 });
    } else return null;
  }
  return out;
}

const readableName = (b: Uint8Array): string | null => {
  try {
    const s = new TextDecoder('utf-8', { fatal: true }).decode(b);
    // No control characters: packed dims of small numbers are bytes 0..31.
    for (let k = 0; k < s.length; k++) if (s.charCodeAt(k) < 32 || s.charCodeAt(k) === 127) return null;
    return s;
  } catch {
    return null;
  }
};

/** A SequenceProto, OptionalProto or MapProto by its fields, or null. */
export function sniffValueProto(
  bytes: Uint8Array,
): { kind: 'sequence' | 'optional' | 'sequence or optional' | 'map'; proto: string; name: string } | null {
  const fields = wireFields(bytes);
  if (!fields || fields.length === 0) return null;
  let name = '';
  for (const f of fields.filter((x) => x.field === 1)) {
    if (f.wire !== 2) return null;
    const n = readableName(f.value as Uint8Array);
    if (n === null) return null;
    name = n;
  }
  const type = fields.find((f) => f.field === 2);
  if (!type || type.wire !== 0) return null;
  const rest = fields.filter((f) => f.field > 2);
  const t = type.value as number;
  const isMap =
    t > 5 ||
    rest.some((f) => f.field === 3 && f.wire === 0) ||
    (rest.some((f) => f.field === 5) && rest.some((f) => f.field === 3 || f.field === 4));
  if (isMap) {
    const mapOk = rest.every(
      (f) => (f.field === 3 && (f.wire === 0 || f.wire === 2)) || ((f.field === 4 || f.field === 5) && f.wire === 2),
    );
    return mapOk && [2, 3, 4, 5, 6, 7, 8, 12, 13].includes(t) ? { kind: 'map', proto: 'MapProto', name } : null;
  }
  if (t > 5 || !rest.every((f) => f.field >= 3 && f.field <= 7 && f.wire === 2)) return null;
  if (rest.length > 1) return { kind: 'sequence', proto: 'SequenceProto', name };
  return { kind: 'sequence or optional', proto: 'SequenceProto or OptionalProto', name };
}

async function decodeTensor(bytes: Uint8Array, label: string): Promise<LoadedTensor> {
  const ctx: DecodeContext = { label, fileSize: bytes.length };
  const h = new TensorHandler(ctx);
  try {
    walkBytes(bytes, 0, 0, bytes.length, h, ctx);
  } catch (e) {
    throw asInputError(e);
  }
  const t = h.t;
  const what = t.name ? `tensor '${t.name}'` : 'the tensor';
  if (t.dataType === 0) throw invalid(label, 'is not an ONNX TensorProto (it has no data type)');
  const stored = dtypeFromOnnx(t.dataType);
  if (!stored) throw new WorkbenchError('UNSUPPORTED', `${label}: ${what} has ONNX data type ${t.dataType}, which is not known`);
  if (isExternal(t)) {
    throw new WorkbenchError(
      'UNSUPPORTED',
      `${label}: ${what} keeps its values in an external file ('${t.external.location ?? '?'}'); save them inline`,
    );
  }
  const notes: string[] = [];
  let tensor: Tensor;
  try {
    if (stored === 'bfloat16') {
      // onnxruntime-node has no bfloat16 tensors: widen to float32 (exact) so the values can be fed and compared.
      const bits = (await values(bytes, t, 'uint16', label, ctx)) as Uint16Array;
      tensor = { dtype: 'float32', dims: t.dims, data: Float32Array.from(bits, bfloat16ToFloat) };
      notes.push(`${label}: bfloat16 values widened to float32 (onnxruntime-node cannot feed bfloat16)`);
    } else if (isFeedable(stored)) {
      // float16 is kept as bits: read it as uint16 (raw bytes and int32_data hold the same patterns).
      const data = await values(bytes, t, stored === 'float16' ? 'uint16' : stored, label, ctx);
      tensor = { dtype: stored, dims: t.dims, data };
    } else {
      throw new WorkbenchError('UNSUPPORTED', `${label}: ${what} has dtype ${stored}, which onnxruntime-node cannot feed`);
    }
  } catch (e) {
    throw asInputError(e);
  }
  return { tensor, name: t.name || undefined, notes };
}

async function values(
  bytes: Uint8Array,
  t: TensorHeader,
  dtype: FeedableDType,
  label: string,
  ctx: DecodeContext,
): Promise<Tensor['data']> {
  const n = elementCount(t.dims);
  if (t.raw) {
    if (dtype === 'string') throw invalid(label, 'stores strings in raw_data, which ONNX does not allow (use string_data)');
    const need = bytesFor(dtype, n);
    if (t.raw.length !== need) {
      throw invalid(label, `raw_data has ${t.raw.length} bytes but dims ${formatDims(t.dims)} of ${dtype} need ${need}`);
    }
    return fromBytes(dtype, bytes.subarray(t.raw.offset, t.raw.offset + need), n);
  }
  if (t.segments.length === 0 && n > 0)
    throw invalid(label, `has no values (no raw_data nor typed data) for dims ${formatDims(t.dims)}`);
  return (await decodeTyped(t, dtype, n, new BufferSource(bytes), ctx)) as Tensor['data'];
}

// ---- writing ----

/** A TensorProto with dims, data_type, name and raw_data (string_data for strings). */
export function encodeTensorProto(t: Tensor, name = ''): Uint8Array {
  return tensorProto(t.dtype, t.dims, Array.isArray(t.data) ? t.data : bytesOf(t.data), name);
}
