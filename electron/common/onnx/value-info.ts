// ValueInfoProto and TypeProto → ValueInfo (name, kind, dtype, shape, readable label).

import type { DType, Dim, ValueInfo, ValueKind } from '../../../shared/model-info';
import { SKIP, i64, text, type LenAction, type MessageHandler } from './protobuf';
import { dtypeFromOnnx, onnxTypeName } from './tensor-proto';

export interface TypeResult {
  kind: ValueKind;
  dtype: DType | null;
  shape: Dim[] | null;
  label: string;
  denotation?: string;
}

const UNKNOWN_TYPE: TypeResult = { kind: 'unknown', dtype: null, shape: null, label: 'unknown' };

/** TensorShapeProto.Dimension: dim_value=1, dim_param=2, denotation=3. */
class DimHandler implements MessageHandler {
  readonly message = 'TensorShapeProto.Dimension';
  private dim: Dim = null;
  constructor(private readonly onEnd: (d: Dim) => void) {}
  varint(field: number, lo: number, hi: number): void {
    if (field === 1) this.dim = i64(lo, hi);
  }
  len(field: number): LenAction {
    // An empty dim_param means "unnamed", same as absent.
    if (field === 2)
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

/** TensorShapeProto: dim=1. */
class ShapeHandler implements MessageHandler {
  readonly message = 'TensorShapeProto';
  readonly dims: Dim[] = [];
  len(field: number): LenAction {
    if (field === 1) return { kind: 'message', handler: new DimHandler((d) => this.dims.push(d)) };
    return SKIP;
  }
}

/** TypeProto.Tensor / TypeProto.SparseTensor: elem_type=1, shape=2. */
class TensorTypeHandler implements MessageHandler {
  readonly message = 'TypeProto.Tensor';
  elem = 0;
  shape: ShapeHandler | null = null;
  varint(field: number, lo: number): void {
    if (field === 1) this.elem = lo;
  }
  len(field: number): LenAction {
    if (field === 2) {
      this.shape = new ShapeHandler();
      return { kind: 'message', handler: this.shape };
    }
    return SKIP;
  }
}

/** Wrapper types with one inner TypeProto: Sequence (elem_type=1), Optional (elem_type=1), Map (key_type=1, value_type=2). */
class WrapperHandler implements MessageHandler {
  readonly message: string;
  inner: TypeHandler | null = null;
  key = 0;
  constructor(private readonly isMap: boolean) {
    this.message = isMap ? 'TypeProto.Map' : 'TypeProto.Sequence';
  }
  varint(field: number, lo: number): void {
    if (this.isMap && field === 1) this.key = lo;
  }
  len(field: number): LenAction {
    if ((!this.isMap && field === 1) || (this.isMap && field === 2)) {
      this.inner = new TypeHandler();
      return { kind: 'message', handler: this.inner };
    }
    return SKIP;
  }
}

/** TypeProto: tensor_type=1, sequence_type=4, map_type=5, denotation=6, sparse_tensor_type=8, optional_type=9. */
export class TypeHandler implements MessageHandler {
  readonly message = 'TypeProto';
  private tensor: TensorTypeHandler | null = null;
  private sparse = false;
  private wrapper: WrapperHandler | null = null;
  private wrapperKind: 'sequence' | 'map' | 'optional' = 'sequence';
  private denotation = '';

  len(field: number): LenAction {
    switch (field) {
      case 1:
      case 8:
        this.sparse = field === 8;
        this.tensor = new TensorTypeHandler();
        return { kind: 'message', handler: this.tensor };
      case 4:
      case 5:
      case 9:
        this.wrapperKind = field === 4 ? 'sequence' : field === 5 ? 'map' : 'optional';
        this.wrapper = new WrapperHandler(field === 5);
        return { kind: 'message', handler: this.wrapper };
      case 6:
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
      if (this.wrapperKind === 'map') {
        const key = onnxTypeName(dtypeFromOnnx(this.wrapper.key));
        return { kind: 'map', dtype: null, shape: null, label: `map(${key},${inner.label})`, ...den };
      }
      const label = `${this.wrapperKind === 'sequence' ? 'seq' : 'optional'}(${inner.label})`;
      const shape = this.wrapperKind === 'optional' ? inner.shape : null;
      return { kind: this.wrapperKind, dtype: inner.dtype, shape, label, ...den };
    }
    return { ...UNKNOWN_TYPE, ...den };
  }
}

/** ValueInfoProto: name=1, type=2, doc_string=3. */
export class ValueInfoHandler implements MessageHandler {
  readonly message = 'ValueInfoProto';
  private name = '';
  private type: TypeHandler | null = null;
  private doc = '';
  constructor(private readonly onEnd: (v: ValueInfo) => void) {}
  len(field: number): LenAction {
    if (field === 1)
      return {
        kind: 'bytes',
        accept: (d) => {
          this.name = text(d);
        },
      };
    if (field === 3)
      return {
        kind: 'bytes',
        accept: (d) => {
          this.doc = text(d);
        },
      };
    if (field === 2) {
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
