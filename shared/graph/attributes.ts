// Attribute values in words: data-type codes as type names (`Cast to=1` → float), and the page of
// an operator on onnx.ai.
import { groupDigits } from '../format';

/** ONNX's TensorProto.DataType names, by number. */
export const ONNX_TYPE_NAMES: Record<number, string> = {
  0: 'undefined',
  1: 'float',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'double',
  12: 'uint32',
  13: 'uint64',
  14: 'complex64',
  15: 'complex128',
  16: 'bfloat16',
  17: 'float8e4m3fn',
  18: 'float8e4m3fnuz',
  19: 'float8e5m2',
  20: 'float8e5m2fnuz',
  21: 'uint4',
  22: 'int4',
  23: 'float4e2m1',
};

/** Attributes that hold a data-type code, per op type ('*': any op). */
const DTYPE_ATTRIBUTES: Record<string, string[]> = {
  Cast: ['to'],
  EyeLike: ['dtype'],
  RandomNormal: ['dtype'],
  RandomUniform: ['dtype'],
  RandomNormalLike: ['dtype'],
  RandomUniformLike: ['dtype'],
  Multinomial: ['dtype'],
  Bernoulli: ['dtype'],
  DequantizeLinear: ['output_dtype'],
  QuantizeLinear: ['output_dtype'],
  '*': ['output_dtype'],
};

export interface DecodedAttribute {
  name: string;
  /** The value in words. */
  value: string;
  /** The value as stored, when it differs (`1` for `float`). */
  raw?: string;
}

export function decodeAttribute(op: string, name: string, value: string): DecodedAttribute {
  const dtypeNames = [...(DTYPE_ATTRIBUTES[op] ?? []), ...DTYPE_ATTRIBUTES['*']];
  if (dtypeNames.includes(name) && /^\d+$/.test(value)) {
    const type = ONNX_TYPE_NAMES[Number(value)];
    if (type) return { name, value: type, raw: value };
  }
  const tensor = /^tensor (\S+)\[([\d,]*)\]$/.exec(value);
  if (tensor) {
    const dims = tensor[2] ? tensor[2].split(',').map(Number) : [];
    const count = dims.reduce((a, b) => a * b, 1);
    const what = dims.length === 0 ? 'scalar' : `[${dims.join('×')}], ${groupDigits(count)} values`;
    return { name, value: `tensor ${tensor[1]} ${what}`, raw: value };
  }
  return { name, value };
}

export function decodeAttributes(op: string, attrs: Record<string, string>): DecodedAttribute[] {
  return Object.entries(attrs).map(([k, v]) => decodeAttribute(op, k, v));
}

/** The operator's documentation page, or null for a domain without one. */
export function operatorDocUrl(opType: string, domain: string): string | null {
  if (!/^[A-Za-z0-9_]+$/.test(opType)) return null;
  if (domain === '' || domain === 'ai.onnx') return `https://onnx.ai/onnx/operators/onnx__${opType}.html`;
  if (domain === 'ai.onnx.ml') return `https://onnx.ai/onnx/operators/onnx_aionnxml_${opType}.html`;
  if (domain === 'com.microsoft')
    return `https://github.com/microsoft/onnxruntime/blob/main/docs/ContribOperators.md#com.microsoft.${opType}`;
  return null;
}
