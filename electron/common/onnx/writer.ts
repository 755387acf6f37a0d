// The protobuf writer of our own, the counterpart of protobuf.ts: the engine writes tensors as
// TensorProto (.pb) and the tiny models it probes providers with; the package check writes its
// model with it too. (test/fixtures/onnx-builder.ts stays a separate writer on purpose: tests of
// the reader must not be written by the same code as the files the app writes.)
import type { DType } from '../../../shared/model-info';
import { onnxDataType } from './tensor-proto';

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const enc = new TextEncoder();

/** One message's bytes, built field by field; nested messages are written as bytes. */
export class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private pending: number[] = [];

  private raw(v: number | bigint): void {
    let b = BigInt.asUintN(64, BigInt(v));
    while (b >= 0x80n) {
      this.pending.push(Number(b & 0x7fn) | 0x80);
      b >>= 7n;
    }
    this.pending.push(Number(b));
  }

  /** A varint field (int32, int64, enum, bool); negative numbers as two's complement int64. */
  int(field: number, value: number | bigint): this {
    this.raw(field * 8 + WIRE_VARINT);
    this.raw(value);
    return this;
  }

  /** A length-delimited field: bytes, or a nested message's bytes. */
  bytes(field: number, data: Uint8Array | ProtoWriter): this {
    const body = data instanceof ProtoWriter ? data.finish() : data;
    this.raw(field * 8 + WIRE_LEN);
    this.raw(body.length);
    this.chunks.push(Uint8Array.from(this.pending), body);
    this.pending = [];
    return this;
  }

  string(field: number, text: string): this {
    return this.bytes(field, enc.encode(text));
  }

  finish(): Uint8Array {
    const chunks = [...this.chunks, Uint8Array.from(this.pending)];
    const out = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
    let pos = 0;
    for (const c of chunks) {
      out.set(c, pos);
      pos += c.length;
    }
    return out;
  }
}

/** A TensorProto with dims, data_type, name and raw_data (string_data for strings). */
export function tensorProto(dtype: DType, dims: readonly number[], data: Uint8Array | readonly string[], name = ''): Uint8Array {
  const w = new ProtoWriter();
  // Unpacked dims, as onnx.proto (proto2) declares them; readers accept both.
  for (const d of dims) w.int(1, d);
  w.int(2, onnxDataType(dtype));
  if (Array.isArray(data)) for (const s of data as readonly string[]) w.string(6, s);
  if (name) w.string(8, name);
  if (!Array.isArray(data)) w.bytes(9, data as Uint8Array);
  return w.finish();
}

/** ValueInfoProto{name, type: TypeProto{tensor_type{elem_type, shape{dim{dim_value}…}}}}. */
function tensorValueInfo(name: string, dtype: DType, dims: readonly number[]): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of dims) shape.bytes(1, new ProtoWriter().int(1, d));
  const tensorType = new ProtoWriter().int(1, onnxDataType(dtype)).bytes(2, shape);
  return new ProtoWriter().string(1, name).bytes(2, new ProtoWriter().bytes(1, tensorType));
}

export interface AddModel {
  /** The two operands (the same name twice: y = x + x). */
  a: string;
  b: string;
  sum: string;
  /** float32[length] for every value. */
  length: number;
  graphName: string;
}

/** ModelProto bytes for one float32 Add node at opset 13, IR version 7 (old enough for every ORT build we ship). */
export function addModel(m: AddModel): Uint8Array {
  const node = new ProtoWriter().string(1, m.a).string(1, m.b).string(2, m.sum).string(3, 'add').string(4, 'Add');
  const graph = new ProtoWriter().bytes(1, node).string(2, m.graphName);
  for (const input of new Set([m.a, m.b])) graph.bytes(11, tensorValueInfo(input, 'float32', [m.length]));
  graph.bytes(12, tensorValueInfo(m.sum, 'float32', [m.length]));
  const opset = new ProtoWriter().string(1, '').int(2, 13);
  return new ProtoWriter().int(1, 7).string(2, 'onnx-workbench').bytes(7, graph).bytes(8, opset).finish();
}
