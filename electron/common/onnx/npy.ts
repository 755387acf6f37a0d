// numpy .npy v1.0 writer (little-endian, C order) for exporting an initializer.

import type { DType } from '../../../shared/model-info';
import { WorkbenchError } from '../../../shared/result';
import type { TensorData } from './tensor-data';

/** numpy descr for the array as we hold it (float16/bfloat16 arrive decoded as float32). */
function descr(data: TensorData, dtype: DType): string {
  if (Array.isArray(data)) return '';
  if (dtype === 'bool' && data instanceof Uint8Array) return '|b1';
  if (dtype === 'complex64' && data instanceof Float32Array) return '<c8';
  if (dtype === 'complex128' && data instanceof Float64Array) return '<c16';
  if (data instanceof Float32Array) return '<f4';
  if (data instanceof Float64Array) return '<f8';
  if (data instanceof Int8Array) return '|i1';
  if (data instanceof Uint8Array) return '|u1';
  if (data instanceof Int16Array) return '<i2';
  if (data instanceof Uint16Array) return '<u2';
  if (data instanceof Int32Array) return '<i4';
  if (data instanceof Uint32Array) return '<u4';
  if (data instanceof BigInt64Array) return '<i8';
  return '<u8';
}

function header(d: string, shape: readonly number[]): Uint8Array {
  const shp = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let h = `{'descr': '${d}', 'fortran_order': False, 'shape': ${shp}, }`;
  // Magic (6) + version (2) + length (2) + header, padded with spaces to a multiple of 64, ending in '\n'.
  const total = Math.ceil((10 + h.length + 1) / 64) * 64;
  h = h.padEnd(total - 10 - 1, ' ') + '\n';
  if (h.length > 0xffff) throw new WorkbenchError('UNSUPPORTED', 'shape too long for a .npy v1.0 header');
  const out = new Uint8Array(10 + h.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  out[8] = h.length & 0xff;
  out[9] = h.length >> 8;
  for (let k = 0; k < h.length; k++) out[10 + k] = h.charCodeAt(k);
  return out;
}

/** Strings become fixed-width UTF-32 ('<U{n}'), as numpy stores str arrays. */
function stringBody(data: string[]): { d: string; body: Uint8Array } {
  const cps = data.map((s) => Array.from(s, (c) => c.codePointAt(0) ?? 0));
  const width = Math.max(1, ...cps.map((c) => c.length));
  const body = new Uint32Array(width * data.length);
  cps.forEach((c, k) => body.set(c, k * width));
  return { d: `<U${width}`, body: new Uint8Array(body.buffer) };
}

export function encodeNpy(data: TensorData, shape: readonly number[], dtype: DType): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  const complex = dtype === 'complex64' || dtype === 'complex128';
  if (data.length !== count * (complex ? 2 : 1)) {
    throw new WorkbenchError(
      'INVALID_INPUT',
      `shape [${shape.join(', ')}] needs ${count} values but the data has ${data.length}`,
    );
  }
  const { d, body } = Array.isArray(data)
    ? stringBody(data)
    : { d: descr(data, dtype), body: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  const head = header(d, shape);
  const out = new Uint8Array(head.length + body.length);
  out.set(head, 0);
  out.set(body, head.length);
  return out;
}
