// numpy .npy files: reading every header version, byte order and memory order numpy writes;
// writing through the model reader's encodeNpy.
import { WorkbenchError } from '../../../shared/result';
import type { FeedableDType } from '../../../shared/tensor';
import { encodeNpy as encodeNpyData } from '../../common/onnx/npy';
import { elementCount, fromBytes, type LoadedTensor, type Tensor, type TensorData } from './tensor';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const NUMERIC: Record<string, Exclude<FeedableDType, 'string'>> = {
  b1: 'bool',
  i1: 'int8',
  u1: 'uint8',
  i2: 'int16',
  u2: 'uint16',
  i4: 'int32',
  u4: 'uint32',
  i8: 'int64',
  u8: 'uint64',
  f2: 'float16',
  f4: 'float32',
  f8: 'float64',
};

const REFUSED: Record<string, string> = {
  c8: 'complex64',
  c16: 'complex128',
  c32: 'complex256',
  f16: 'float128',
  f12: 'float96',
  g: 'long double',
  O: 'Python objects',
  V: 'raw void records',
  M: 'datetime',
  m: 'timedelta',
};

function bad(label: string, message: string): WorkbenchError {
  return new WorkbenchError('INVALID_INPUT', `${label}: ${message}`);
}

interface Header {
  descr: string;
  fortran: boolean;
  shape: number[];
  dataStart: number;
}

function parseHeader(bytes: Uint8Array, label: string): Header {
  if (bytes.length < 10 || MAGIC.some((b, k) => bytes[k] !== b))
    throw bad(label, 'is not a .npy file (it does not start with \\x93NUMPY)');
  const major = bytes[6];
  if (major < 1 || major > 3)
    throw bad(label, `has .npy format version ${major}.${bytes[7]}, which is not known (1, 2 and 3 are)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) throw bad(label, 'is truncated inside its header');
  const hlen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const start = 8 + lenBytes;
  if (start + hlen > bytes.length)
    throw bad(label, `is truncated: its header claims ${hlen} bytes but the file has ${bytes.length - start} after the preamble`);
  const h = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + hlen));
  if (/['"]descr['"]\s*:\s*\[/.test(h))
    throw bad(label, 'holds a structured array (named fields); save one plain array per file');
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(h)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(h)?.[1];
  const shape = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(h)?.[1];
  if (descr === undefined || fortran === undefined || shape === undefined) {
    throw bad(label, `has a header numpy would not write: ${JSON.stringify(h.trim().slice(0, 120))}`);
  }
  const dims = shape
    .split(',')
    .map((s) => s.trim().replace(/L$/, ''))
    .filter((s) => s !== '')
    .map((s) => (/^\d+$/.test(s) ? Number(s) : NaN));
  if (dims.some((d) => !Number.isSafeInteger(d))) throw bad(label, `has a shape that is not a list of sizes: (${shape})`);
  return { descr, fortran: fortran === 'True', shape: dims, dataStart: start + hlen };
}

/** Reorders Fortran-order (column-major) values into C order. */
export function fortranToC<T>(src: ArrayLike<T>, dims: readonly number[], out: { [k: number]: T }): void {
  const rank = dims.length;
  const n = elementCount(dims);
  const stride: number[] = [];
  let s = 1;
  for (let k = 0; k < rank; k++) {
    stride.push(s);
    s *= dims[k];
  }
  const idx = new Array<number>(rank).fill(0);
  let off = 0;
  for (let c = 0; c < n; c++) {
    out[c] = src[off];
    for (let k = rank - 1; k >= 0; k--) {
      idx[k]++;
      off += stride[k];
      if (idx[k] < dims[k]) break;
      off -= stride[k] * dims[k];
      idx[k] = 0;
    }
  }
}

function swapBytes(bytes: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let k = 0; k < bytes.length; k += size) for (let j = 0; j < size; j++) out[k + j] = bytes[k + size - 1 - j];
  return out;
}

function decodeStrings(body: Uint8Array, n: number, width: number, utf32: boolean, bigEndian: boolean): string[] {
  const out: string[] = [];
  const dv = new DataView(body.buffer, body.byteOffset, body.length);
  const item = utf32 ? width * 4 : width;
  for (let k = 0; k < n; k++) {
    let s = '';
    for (let j = 0; j < width; j++) {
      const c = utf32 ? dv.getUint32(k * item + j * 4, !bigEndian) : body[k * item + j];
      if (c === 0) break; // numpy pads with NULs
      s += String.fromCodePoint(c);
    }
    out.push(s);
  }
  return out;
}

export function decodeNpy(bytes: Uint8Array, label: string): LoadedTensor {
  const h = parseHeader(bytes, label);
  const m = /^([<>|=]?)([a-zA-Z])(\d*)(\[.*\])?$/.exec(h.descr);
  if (!m) throw bad(label, `has a dtype numpy would not write: '${h.descr}'`);
  const [, order, kind, sizeText] = m;
  const bigEndian = order === '>';
  const code = kind + sizeText;
  const refused = REFUSED[code] ?? REFUSED[kind];
  if (refused && !NUMERIC[code]) {
    const hint = kind === 'O' ? ': save it with a numeric or str dtype (np.asarray(x, dtype=...))' : '';
    throw new WorkbenchError('UNSUPPORTED', `${label}: unsupported dtype '${h.descr}' (${refused})${hint}`);
  }
  const n = elementCount(h.shape);
  const body = bytes.subarray(h.dataStart);
  let data: TensorData;
  let dtype: FeedableDType;
  if (kind === 'U' || kind === 'S' || kind === 'a') {
    const width = Number(sizeText || '1');
    const need = n * width * (kind === 'U' ? 4 : 1);
    if (body.length < need) throw truncated(label, h, need, body.length);
    dtype = 'string';
    data = decodeStrings(body, n, width, kind === 'U', bigEndian);
  } else {
    const numeric = NUMERIC[code];
    if (!numeric) throw new WorkbenchError('UNSUPPORTED', `${label}: unsupported dtype '${h.descr}'`);
    dtype = numeric;
    const size = Number(sizeText);
    const need = n * size;
    if (body.length < need) throw truncated(label, h, need, body.length);
    const le = bigEndian && size > 1 ? swapBytes(body.subarray(0, need), size) : body;
    data = fromBytes(numeric, le, n);
  }
  if (h.fortran && h.shape.length > 1) {
    const out = Array.isArray(data) ? new Array<string>(n) : new (data.constructor as new (n: number) => typeof data)(n);
    fortranToC(data as ArrayLike<unknown>, h.shape, out as unknown as { [k: number]: unknown });
    data = out;
  }
  const notes: string[] = [];
  if (bigEndian) notes.push(`${label}: big-endian values converted to little-endian`);
  if (h.fortran && h.shape.length > 1) notes.push(`${label}: Fortran-order values reordered to C order`);
  return { tensor: { dtype, dims: h.shape, data }, notes };
}

function truncated(label: string, h: Header, need: number, have: number): WorkbenchError {
  return bad(
    label,
    `is truncated: shape (${h.shape.join(', ')}) of '${h.descr}' needs ${need} bytes of data but the file has ${have}`,
  );
}

export function encodeNpy(t: Tensor): Uint8Array {
  if (t.dtype !== 'float16') return encodeNpyData(t.data, t.dims, t.dtype);
  // encodeNpy expects float16 decoded; ours are bits, so write them as '<u2' and relabel (same length).
  const out = encodeNpyData(t.data, t.dims, 'uint16');
  const at = indexOfAscii(out, "'<u2'");
  out[at + 2] = 'f'.charCodeAt(0);
  return out;
}

function indexOfAscii(buf: Uint8Array, s: string): number {
  outer: for (let k = 0; k + s.length <= buf.length; k++) {
    for (let j = 0; j < s.length; j++) if (buf[k + j] !== s.charCodeAt(j)) continue outer;
    return k;
  }
  throw new Error(`"${s}" not found`);
}
