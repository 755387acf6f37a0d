// TensorProto headers: dims, type, name and where the data lies, without reading the data.

import { DTYPES, type DType } from '../../../shared/model-info';
import {
  SKIP,
  forEachPackedVarint,
  i64,
  isSafeU64,
  text,
  corrupt,
  type DecodeContext,
  type LenAction,
  type MessageHandler,
} from './protobuf';
import { StringStringEntryProto, TensorProto } from './onnx-proto';

/** ONNX TensorProto.DataType numbers → our DType names (index = ONNX number; 0 is UNDEFINED). */
const ONNX_DTYPES: readonly (DType | null)[] = [null, ...DTYPES];

export function dtypeFromOnnx(n: number): DType | null {
  return ONNX_DTYPES[n] ?? null;
}

/** The TensorProto.DataType number of a dtype (the inverse of dtypeFromOnnx). */
export function onnxDataType(dtype: DType): number {
  return ONNX_DTYPES.indexOf(dtype);
}

/** ONNX's own spelling, for type labels such as "seq(tensor(float))". */
export function onnxTypeName(d: DType | null): string {
  if (d === null) return 'unknown';
  if (d === 'float32') return 'float';
  if (d === 'float64') return 'double';
  return d;
}

/** Bits per element; 0 for strings (variable size). */
const BITS: Record<DType, number> = {
  float32: 32,
  uint8: 8,
  int8: 8,
  uint16: 16,
  int16: 16,
  int32: 32,
  int64: 64,
  string: 0,
  bool: 8,
  float16: 16,
  float64: 64,
  uint32: 32,
  uint64: 64,
  complex64: 64,
  complex128: 128,
  bfloat16: 16,
  float8e4m3fn: 8,
  float8e4m3fnuz: 8,
  float8e5m2: 8,
  float8e5m2fnuz: 8,
  uint4: 4,
  int4: 4,
  float4e2m1: 4,
};

export function bytesFor(dtype: DType, elements: number): number {
  return Math.ceil((elements * BITS[dtype]) / 8);
}

const T = TensorProto.field;

/** One stretch of stored data: a length-delimited payload, or a single unpacked element. */
export interface DataSegment {
  field: number;
  /** 'packed' for length-delimited payloads; the wire type otherwise. */
  wire: 'packed' | 'varint' | 'i32' | 'i64';
  offset: number;
  length: number;
}

export interface TensorHeader {
  name: string;
  dataType: number;
  dims: number[];
  /** Byte range of raw_data in the model file, if present. */
  raw: { offset: number; length: number } | null;
  /** Typed data fields (float_data, int64_data, string_data...) in file order. */
  segments: DataSegment[];
  /** Sum of string_data lengths (string tensors). */
  stringBytes: number;
  external: Record<string, string>;
  dataLocation: number;
}

/** Segments of typed fields are kept only up to this many (unpacked fields of huge tensors are rare). */
const MAX_SEGMENTS = 1 << 20;

export class TensorHandler implements MessageHandler {
  readonly proto = TensorProto;
  readonly t: TensorHeader = {
    name: '',
    dataType: 0,
    dims: [],
    raw: null,
    segments: [],
    stringBytes: 0,
    external: {},
    dataLocation: 0,
  };
  constructor(
    private readonly ctx: DecodeContext,
    private readonly onEnd?: (t: TensorHeader) => void,
  ) {}

  private dim(lo: number, hi: number, at: number): void {
    if (!isSafeU64(hi)) throw corrupt(this.ctx, `is corrupt: tensor dim ${i64(lo, hi)} at byte ${at} is negative or too large`);
    this.t.dims.push(i64(lo, hi));
  }

  varint(field: number, lo: number, hi: number, at: number): void {
    switch (field) {
      case T.dims:
        this.dim(lo, hi, at);
        break;
      case T.data_type:
        this.t.dataType = lo;
        break;
      case T.data_location:
        this.t.dataLocation = lo;
        break;
      case T.int32_data:
      case T.int64_data:
      case T.uint64_data:
        this.seg(field, 'varint', at, 0);
        break;
    }
  }

  fixed32(field: number, _d: Uint8Array, at: number): void {
    if (field === T.float_data) this.seg(field, 'i32', at, 4);
  }

  fixed64(field: number, _d: Uint8Array, at: number): void {
    if (field === T.double_data) this.seg(field, 'i64', at, 8);
  }

  private seg(field: number, wire: DataSegment['wire'], offset: number, length: number): void {
    if (this.t.segments.length < MAX_SEGMENTS) this.t.segments.push({ field, wire, offset, length });
  }

  len(field: number, length: number, at: number): LenAction {
    switch (field) {
      case T.dims:
        return { kind: 'bytes', accept: (d, a) => forEachPackedVarint(d, a, this.ctx, (lo, hi) => this.dim(lo, hi, a)) };
      case T.name:
        return {
          kind: 'bytes',
          accept: (d) => {
            this.t.name = text(d);
          },
        };
      case T.raw_data:
        this.t.raw = { offset: at, length };
        return SKIP;
      case T.string_data:
        this.t.stringBytes += length;
        this.seg(field, 'packed', at, length);
        return SKIP;
      case T.float_data:
      case T.int32_data:
      case T.int64_data:
      case T.double_data:
      case T.uint64_data:
        this.seg(field, 'packed', at, length);
        return SKIP;
      case T.external_data:
        return {
          kind: 'message',
          handler: new StringEntryHandler((k, v) => {
            this.t.external[k] = v;
          }),
        };
      default:
        return SKIP;
    }
  }

  end(): void {
    this.onEnd?.(this.t);
  }
}

export class StringEntryHandler implements MessageHandler {
  readonly proto = StringStringEntryProto;
  private key = '';
  private value = '';
  constructor(private readonly onEnd: (key: string, value: string) => void) {}
  len(field: number): LenAction {
    if (field === StringStringEntryProto.field.key)
      return {
        kind: 'bytes',
        accept: (d) => {
          this.key = text(d);
        },
      };
    if (field === StringStringEntryProto.field.value)
      return {
        kind: 'bytes',
        accept: (d) => {
          this.value = text(d);
        },
      };
    return SKIP;
  }
  end(): void {
    this.onEnd(this.key, this.value);
  }
}

export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

export function isExternal(t: TensorHeader): boolean {
  return t.dataLocation === 1 || (t.external.location !== undefined && t.raw === null && t.segments.length === 0);
}

/** Bytes of the tensor's data: dims × element size is the truth; strings count their stored bytes. */
export function tensorBytes(t: TensorHeader): number {
  const dtype = dtypeFromOnnx(t.dataType);
  if (dtype === 'string') return t.stringBytes;
  if (dtype) return bytesFor(dtype, elementCount(t.dims));
  if (isExternal(t) && t.external.length) return Number(t.external.length);
  return t.raw ? t.raw.length : t.segments.reduce((s, g) => s + g.length, 0);
}
