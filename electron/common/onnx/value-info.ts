// ValueInfoProto and TypeProto → ValueInfo (name, kind, dtype, shape, readable label).

import type { DType, Dim, ValueInfo, ValueKind } from '../../../shared/model-info';
import { SKIP, i64, text, type LenAction, type MessageHandler } from './protobuf';
import {
  TensorShapeProto,
  TensorShapeProtoDimension,
  TypeProto,
  TypeProtoMap,
  TypeProtoOptional,
  TypeProtoSequence,
  TypeProtoTensor,
  ValueInfoProto,
} from './onnx-proto';
import { dtypeFromOnnx, onnxTypeName } from './tensor-proto';

const DIM = TensorShapeProtoDimension.field;
const TENSOR_TYPE = TypeProtoTensor.field;
const TYPE = TypeProto.field;
const VALUE_INFO = ValueInfoProto.field;

export interface TypeResult {
  kind: ValueKind;
  dtype: DType | null;
  shape: Dim[] | null;
  label: string;
  denotation?: string;
}

const UNKNOWN_TYPE: TypeResult = { kind: 'unknown', dtype: null, shape: null, label: 'unknown' };

class DimHandler implements MessageHandler {
  readonly proto = TensorShapeProtoDimension;
  private dim: Dim = null;
  constructor(private readonly onEnd: (d: Dim) => void) {}
  varint(field: number, lo: number, hi: number): void {
    if (field === DIM.dim_value) this.dim = i64(lo, hi);
  }
  len(field: number): LenAction {
    // An empty dim_param means "unnamed", same as absent.
    if (field === DIM.dim_param)
      return {
        kind: 'bytes',
        accept: (d) => {
          this.dim = d.length ? text(d) : null;
        },
      };
    return SKIP;
  }
  end(): void {
    this.onEnd(this.dim);
  }
}

class ShapeHandler implements MessageHandler {
  readonly proto = TensorShapeProto;
  readonly dims: Dim[] = [];
  len(field: number): LenAction {
    if (field === TensorShapeProto.field.dim) return { kind: 'message', handler: new DimHandler((d) => this.dims.push(d)) };
    return SKIP;
  }
}

/** TypeProto.Tensor / TypeProto.SparseTensor (the same fields). */
class TensorTypeHandler implements MessageHandler {
  readonly proto = TypeProtoTensor;
  elem = 0;
  shape: ShapeHandler | null = null;
  varint(field: number, lo: number): void {
    if (field === TENSOR_TYPE.elem_type) this.elem = lo;
  }
  len(field: number): LenAction {
    if (field === TENSOR_TYPE.shape) {
      this.shape = new ShapeHandler();
      return { kind: 'message', handler: this.shape };
    }
    return SKIP;
  }
}

/** Wrapper types with one inner TypeProto: Sequence and Optional (elem_type), Map (key_type, value_type). */
class WrapperHandler implements MessageHandler {
  readonly proto: typeof TypeProtoSequence | typeof TypeProtoOptional | typeof TypeProtoMap;
  inner: TypeHandler | null = null;
  key = 0;
  constructor(readonly kind: 'sequence' | 'map' | 'optional') {
    this.proto = kind === 'map' ? TypeProtoMap : kind === 'optional' ? TypeProtoOptional : TypeProtoSequence;
  }
  varint(field: number, lo: number): void {
    if (this.kind === 'map' && field === TypeProtoMap.field.key_type) this.key = lo;
  }
  len(field: number): LenAction {
    const inner = this.kind === 'map' ? TypeProtoMap.field.value_type : TypeProtoSequence.field.elem_type;
    if (field === inner) {
      this.inner = new TypeHandler();
      return { kind: 'message', handler: this.inner };
    }
    return SKIP;
  }
}

export class TypeHandler implements MessageHandler {
  readonly proto = TypeProto;
  private tensor: TensorTypeHandler | null = null;
  private sparse = false;
  private wrapper: WrapperHandler | null = null;
  private denotation = '';

  private wrap(kind: WrapperHandler['kind']): LenAction {
    this.wrapper = new WrapperHandler(kind);
    return { kind: 'message', handler: this.wrapper };
  }

  len(field: number): LenAction {
    switch (field) {
      case TYPE.tensor_type:
      case TYPE.sparse_tensor_type:
        this.sparse = field === TYPE.sparse_tensor_type;
        this.tensor = new TensorTypeHandler();
        return { kind: 'message', handler: this.tensor };
      case TYPE.sequence_type:
        return this.wrap('sequence');
      case TYPE.map_type:
        return this.wrap('map');
      case TYPE.optional_type:
        return this.wrap('optional');
      case TYPE.denotation:
        return {
          kind: 'bytes',
          accept: (d) => {
            this.denotation = text(d);
          },
        };
      default:
        return SKIP;
    }
  }

  result(): TypeResult {
    const den = this.denotation ? { denotation: this.denotation } : {};
    if (this.tensor) {
      const dtype = dtypeFromOnnx(this.tensor.elem);
      const kind: ValueKind = this.sparse ? 'sparse_tensor' : 'tensor';
      const label = `${this.sparse ? 'sparse_tensor' : 'tensor'}(${onnxTypeName(dtype)})`;
      return { kind, dtype, shape: this.tensor.shape ? this.tensor.shape.dims : null, label, ...den };
    }
    if (this.wrapper) {
      const inner = this.wrapper.inner ? this.wrapper.inner.result() : UNKNOWN_TYPE;
      const wrapperKind = this.wrapper.kind;
      if (wrapperKind === 'map') {
        const key = onnxTypeName(dtypeFromOnnx(this.wrapper.key));
        return { kind: 'map', dtype: null, shape: null, label: `map(${key},${inner.label})`, ...den };
      }
      const label = `${wrapperKind === 'sequence' ? 'seq' : 'optional'}(${inner.label})`;
      const shape = wrapperKind === 'optional' ? inner.shape : null;
      return { kind: wrapperKind, dtype: inner.dtype, shape, label, ...den };
    }
    return { ...UNKNOWN_TYPE, ...den };
  }
}

export class ValueInfoHandler implements MessageHandler {
  readonly proto = ValueInfoProto;
  private name = '';
  private type: TypeHandler | null = null;
  private doc = '';
  constructor(private readonly onEnd: (v: ValueInfo) => void) {}
  len(field: number): LenAction {
    if (field === VALUE_INFO.name)
      return {
        kind: 'bytes',
        accept: (d) => {
          this.name = text(d);
        },
      };
    if (field === VALUE_INFO.doc_string)
      return {
        kind: 'bytes',
        accept: (d) => {
          this.doc = text(d);
        },
      };
    if (field === VALUE_INFO.type) {
      this.type = new TypeHandler();
      return { kind: 'message', handler: this.type };
    }
    return SKIP;
  }
  end(): void {
    const t = this.type ? this.type.result() : UNKNOWN_TYPE;
    const v: ValueInfo = { name: this.name, kind: t.kind, dtype: t.dtype, shape: t.shape };
    if (t.kind !== 'tensor') v.typeLabel = t.label;
    if (t.denotation) v.denotation = t.denotation;
    if (this.doc) v.docString = this.doc;
    this.onEnd(v);
  }
}
