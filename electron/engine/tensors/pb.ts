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

export async function decodeTensorProto(bytes: Uint8Array, label: string): Promise<LoadedTensor> {
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
