// A small protobuf wire-format reader of our own. It walks messages field by field over a
// random-access byte source, so big payloads (weights) are skipped by seeking, never read.
// Message handlers describe what to do with each field once; the same handler runs over an
// in-memory buffer (small messages, synchronous) or over the file (big messages, async).

import type { FileHandle } from 'node:fs/promises';
import { WorkbenchError } from '../../../shared/result';
import { openRegularFile } from '../regular-file';

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

/** Random-access bytes: a file or an in-memory buffer. */
export interface ByteSource {
  readonly size: number;
  /** Exactly `length` bytes at `offset` (the caller keeps offset + length within size). */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** A source that keeps a window of bytes so tags and varints can be decoded synchronously. */
export interface WindowedSource extends ByteSource {
  /** Makes [offset, offset + n) available in `window`; null when it already is (no await needed). */
  ensure(offset: number, n: number): Promise<void> | null;
  readonly window: Uint8Array;
  readonly windowStart: number;
}

export class BufferSource implements WindowedSource {
  readonly size: number;
  readonly windowStart = 0;
  constructor(readonly window: Uint8Array) {
    this.size = window.length;
  }
  read(offset: number, length: number): Promise<Uint8Array> {
    return Promise.resolve(this.window.subarray(offset, offset + length));
  }
  ensure(): null {
    return null;
  }
}

const DEFAULT_WINDOW = 256 * 1024;
/**
 * The window after a jump (past a tensor's raw bytes, which the walk skips): the next field's
 * header is a few bytes, and a full window there read a ResNet-50's 100 MB file 17 MB deep for its
 * description. Reads that go on from a window's end double it again, up to its size.
 */
const JUMP_WINDOW = 16 * 1024;

/** A file read through a buffered window; each refill allocates a fresh buffer so earlier slices stay valid. */
export class FileSource implements WindowedSource {
  window: Uint8Array = new Uint8Array(0);
  windowStart = 0;
  /** Bytes actually read from disk, for benchmarks and tests. */
  bytesRead = 0;
  private constructor(
    private readonly fh: FileHandle,
    readonly size: number,
    private readonly windowSize: number,
  ) {}

  /** Opens a regular file only (never a FIFO, device or socket); `noFollow`: not through a link. */
  static async open(
    path: string,
    windowSize = DEFAULT_WINDOW,
    options: { what?: string; noFollow?: boolean } = {},
  ): Promise<FileSource> {
    const { fh, size } = await openRegularFile(path, options.what ?? 'an ONNX model', { noFollow: options.noFollow });
    return new FileSource(fh, size, windowSize);
  }

  close(): Promise<void> {
    return this.fh.close();
  }

  /** The next window's size: small after a jump, doubled while reads go on where the last ended. */
  private nextWindow = JUMP_WINDOW;

  ensure(offset: number, n: number): Promise<void> | null {
    if (offset >= this.windowStart && offset + n <= this.windowStart + this.window.length) return null;
    return this.fill(offset, Math.max(n, this.windowAt(offset)));
  }

  private windowAt(offset: number): number {
    const onward = this.window.length > 0 && offset >= this.windowStart && offset <= this.windowStart + this.window.length;
    this.nextWindow = Math.min(this.windowSize, onward ? this.nextWindow * 2 : JUMP_WINDOW);
    return this.nextWindow;
  }

  private async fill(offset: number, n: number): Promise<void> {
    const len = Math.min(n, this.size - offset);
    this.window = await this.readDirect(offset, len);
    this.windowStart = offset;
  }

  private async readDirect(offset: number, length: number): Promise<Uint8Array> {
    const buf = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.fh.read(buf, done, length - done, offset + done);
      if (bytesRead === 0) break; // the file shrank under us; the caller's bounds check reports it
      done += bytesRead;
    }
    this.bytesRead += done;
    return done === length ? buf : buf.subarray(0, done);
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    if (offset >= this.windowStart && offset + length <= this.windowStart + this.window.length) {
      const s = offset - this.windowStart;
      return this.window.subarray(s, s + length);
    }
    if (length > this.windowSize) return this.readDirect(offset, length);
    await this.fill(offset, Math.max(length, this.windowAt(offset)));
    return this.window.subarray(0, length);
  }
}

/** What to do with a length-delimited field. */
export type LenAction =
  { kind: 'skip' } | { kind: 'bytes'; accept(data: Uint8Array, at: number): void } | { kind: 'message'; handler: MessageHandler };

export const SKIP: LenAction = { kind: 'skip' };

/** A field's type as onnx.proto writes it ('repeated int64' may come packed or one by one). */
export type FieldType =
  | 'int32'
  | 'int64'
  | 'uint64'
  | 'float'
  | 'double'
  | 'string'
  | 'bytes'
  | 'message'
  | 'repeated int32'
  | 'repeated int64'
  | 'repeated uint64'
  | 'repeated float'
  | 'repeated double';

const WIRES: Record<FieldType, readonly number[]> = {
  int32: [WIRE_VARINT],
  int64: [WIRE_VARINT],
  uint64: [WIRE_VARINT],
  float: [WIRE_I32],
  double: [WIRE_I64],
  string: [WIRE_LEN],
  bytes: [WIRE_LEN],
  message: [WIRE_LEN],
  'repeated int32': [WIRE_VARINT, WIRE_LEN],
  'repeated int64': [WIRE_VARINT, WIRE_LEN],
  'repeated uint64': [WIRE_VARINT, WIRE_LEN],
  'repeated float': [WIRE_I32, WIRE_LEN],
  'repeated double': [WIRE_I64, WIRE_LEN],
};

/**
 * One protobuf message's fields, each declared once with its number, name and type (as Netron's
 * onnx-proto.js keeps them in one decode switch). Handlers compare with `field.name` constants,
 * and error messages and the file sniffer name fields from the same declaration.
 */
export interface ProtoMessage<N extends string = string> {
  readonly message: string;
  /** Field numbers by name. */
  readonly field: { readonly [K in N]: number };
  /** The name of a field number, if the message declares it. */
  nameOf(field: number): string | undefined;
  /** Whether the message declares this field with this wire type. */
  accepts(field: number, wire: number): boolean;
}

export function protoMessage<const F extends Record<string, readonly [number, FieldType]>>(
  message: string,
  fields: F,
): ProtoMessage<keyof F & string> {
  const byNumber = new Map<number, { name: string; type: FieldType }>();
  const field = {} as Record<string, number>;
  for (const [name, [n, type]] of Object.entries(fields)) {
    byNumber.set(n, { name, type });
    field[name] = n;
  }
  return {
    message,
    field: field as { readonly [K in keyof F & string]: number },
    nameOf: (n) => byNumber.get(n)?.name,
    accepts: (n, wire) => {
      const f = byNumber.get(n);
      return f !== undefined && WIRES[f.type].includes(wire);
    },
  };
}

/**
 * Receives the fields of one message. Varints arrive as two 32-bit halves (lo, hi) so int64
 * values stay exact; use u64/i64/bigI64 to convert. Unhandled wire types are skipped.
 */
export interface MessageHandler {
  /** The message's declared fields (its name and field names in error messages). */
  readonly proto: ProtoMessage;
  varint?(field: number, lo: number, hi: number, at: number): void;
  fixed32?(field: number, data: Uint8Array, at: number): void;
  fixed64?(field: number, data: Uint8Array, at: number): void;
  len?(field: number, length: number, at: number): LenAction;
  end?(): void;
}

/** Context for messages: the file's display name and size. */
export interface DecodeContext {
  label: string;
  fileSize: number;
}

export function corrupt(ctx: DecodeContext, message: string): WorkbenchError {
  return new WorkbenchError('CORRUPT_MODEL', `${ctx.label} ${message}`);
}

const TWO32 = 4294967296;

/** Unsigned value as a number; exact below 2^53. */
export function u64(lo: number, hi: number): number {
  return hi * TWO32 + lo;
}
/** Signed (two's complement int64) value as a number; exact when |v| < 2^53. */
export function i64(lo: number, hi: number): number {
  return hi >= 0x80000000 ? -((~hi >>> 0) * TWO32 + (~lo >>> 0) + 1) : hi * TWO32 + lo;
}
export function bigI64(lo: number, hi: number): bigint {
  return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
}
/** True when the unsigned value is at most 2^53 - 1. */
export function isSafeU64(hi: number): boolean {
  return hi < 0x200000;
}

// Scratch registers for the varint decoder, so decoding allocates nothing.
let vLo = 0;
let vHi = 0;

/** Decodes a varint at buf[pos..limit) into vLo/vHi; returns the position after it, or -1 if it runs past limit. */
function decodeVarint(buf: Uint8Array, pos: number, limit: number): number {
  let lo = 0;
  let hi = 0;
  let shift = 0;
  let b: number;
  // First 28 bits go to lo only.
  for (; shift < 28; shift += 7) {
    if (pos >= limit) return -1;
    b = buf[pos++];
    lo |= (b & 0x7f) << shift;
    if (b < 0x80) {
      vLo = lo >>> 0;
      vHi = 0;
      return pos;
    }
  }
  if (pos >= limit) return -1;
  b = buf[pos++];
  lo |= (b & 0x0f) << 28;
  hi = (b & 0x7f) >> 4;
  if (b < 0x80) {
    vLo = lo >>> 0;
    vHi = hi;
    return pos;
  }
  for (shift = 3; shift < 32; shift += 7) {
    if (pos >= limit) return -1;
    b = buf[pos++];
    hi |= (b & 0x7f) << shift;
    if (b < 0x80) {
      vLo = lo >>> 0;
      vHi = hi >>> 0;
      return pos;
    }
  }
  return -2; // more than 10 bytes: not a varint
}

/** Reads a standalone varint from a buffer (for packed fields); returns [lo, hi, next]. */
export function readVarintAt(buf: Uint8Array, pos: number, limit: number): [number, number, number] | null {
  const next = decodeVarint(buf, pos, limit);
  return next < 0 ? null : [vLo, vHi, next];
}

function fieldLabel(h: MessageHandler, field: number): string {
  const n = h.proto.nameOf(field);
  return n ? `field ${field} (${n})` : `field ${field}`;
}

function tooLong(ctx: DecodeContext, h: MessageHandler, field: number, at: number, length: number, end: number): WorkbenchError {
  const label = fieldLabel(h, field);
  if (end >= ctx.fileSize) {
    return corrupt(
      ctx,
      `is truncated: ${label} of ${h.proto.message} at byte ${at} claims ${length} bytes but the file ends at byte ${ctx.fileSize}`,
    );
  }
  return corrupt(
    ctx,
    `is inconsistent: ${label} of ${h.proto.message} at byte ${at} claims ${length} bytes but the enclosing ${h.proto.message} ends at byte ${end}`,
  );
}

function badVarint(ctx: DecodeContext, h: MessageHandler, what: string, at: number, end: number, code: number): WorkbenchError {
  if (code === -2) return corrupt(ctx, `is corrupt: ${what} in ${h.proto.message} at byte ${at} is longer than 10 bytes`);
  return end >= ctx.fileSize
    ? corrupt(
        ctx,
        `is truncated: ${what} in ${h.proto.message} at byte ${at} runs past the end of the file (byte ${ctx.fileSize})`,
      )
    : corrupt(
        ctx,
        `is inconsistent: ${what} in ${h.proto.message} at byte ${at} runs past the end of its enclosing message (byte ${end})`,
      );
}

function badWire(ctx: DecodeContext, h: MessageHandler, wire: number, field: number, at: number): WorkbenchError {
  return corrupt(ctx, `is corrupt: invalid wire type ${wire} for field ${field} in ${h.proto.message} at byte ${at}`);
}

const MAX_DEPTH = 200;
/** Largest payload we read into memory as bytes (strings, small packed arrays). */
export const MAX_INLINE_BYTES = 256 * 1024 * 1024;

/**
 * Walks a message held in memory. `buf` holds bytes [base, base + buf.length) of the file;
 * the message is buf[start..end) (relative offsets).
 */
export function walkBytes(
  buf: Uint8Array,
  base: number,
  start: number,
  end: number,
  h: MessageHandler,
  ctx: DecodeContext,
  depth = 0,
): void {
  if (depth > MAX_DEPTH) throw corrupt(ctx, `is corrupt: messages nest deeper than ${MAX_DEPTH} levels at byte ${base + start}`);
  let pos = start;
  while (pos < end) {
    const tagAt = pos;
    const p1 = decodeVarint(buf, pos, end);
    if (p1 < 0) throw badVarint(ctx, h, 'a field tag', base + tagAt, base + end, p1);
    if (vHi !== 0 || vLo >>> 3 === 0)
      throw corrupt(ctx, `is corrupt: invalid field number in ${h.proto.message} at byte ${base + tagAt}`);
    const field = vLo >>> 3;
    const wire = vLo & 7;
    pos = p1;
    switch (wire) {
      case WIRE_VARINT: {
        const p2 = decodeVarint(buf, pos, end);
        if (p2 < 0) throw badVarint(ctx, h, `the value of ${fieldLabel(h, field)}`, base + pos, base + end, p2);
        h.varint?.(field, vLo, vHi, base + pos);
        pos = p2;
        break;
      }
      case WIRE_I64:
      case WIRE_I32: {
        const n = wire === WIRE_I32 ? 4 : 8;
        if (pos + n > end) throw tooLong(ctx, h, field, base + tagAt, n, base + end);
        if (wire === WIRE_I32) h.fixed32?.(field, buf.subarray(pos, pos + 4), base + pos);
        else h.fixed64?.(field, buf.subarray(pos, pos + 8), base + pos);
        pos += n;
        break;
      }
      case WIRE_LEN: {
        const p2 = decodeVarint(buf, pos, end);
        if (p2 < 0) throw badVarint(ctx, h, `the length of ${fieldLabel(h, field)}`, base + pos, base + end, p2);
        const length = u64(vLo, vHi);
        if (length > end - p2) throw tooLong(ctx, h, field, base + tagAt, length, base + end);
        pos = p2;
        const action = h.len ? h.len(field, length, base + pos) : SKIP;
        if (action.kind === 'bytes') action.accept(buf.subarray(pos, pos + length), base + pos);
        else if (action.kind === 'message') walkBytes(buf, base, pos, pos + length, action.handler, ctx, depth + 1);
        pos += length;
        break;
      }
      default:
        throw badWire(ctx, h, wire, field, base + tagAt);
    }
  }
  h.end?.();
}

/**
 * Walks the message at [start, end) of a source. Sub-messages up to `inlineLimit` bytes are
 * read whole and walked in memory; bigger ones are walked from the source, skipping by seeking.
 */
export async function walkSource(
  src: WindowedSource,
  start: number,
  end: number,
  h: MessageHandler,
  ctx: DecodeContext,
  inlineLimit: number,
  depth = 0,
): Promise<void> {
  if (depth > MAX_DEPTH) throw corrupt(ctx, `is corrupt: messages nest deeper than ${MAX_DEPTH} levels at byte ${start}`);
  let pos = start;
  while (pos < end) {
    // A tag and a varint or length take at most 20 bytes.
    const wait = src.ensure(pos, Math.min(20, end - pos));
    if (wait) await wait;
    const buf = src.window;
    const ws = src.windowStart;
    const limit = Math.min(end, ws + buf.length) - ws;
    const tagAt = pos;
    let rel = pos - ws;
    const p1 = decodeVarint(buf, rel, limit);
    if (p1 < 0) throw badVarint(ctx, h, 'a field tag', tagAt, end, p1);
    if (vHi !== 0 || vLo >>> 3 === 0)
      throw corrupt(ctx, `is corrupt: invalid field number in ${h.proto.message} at byte ${tagAt}`);
    const field = vLo >>> 3;
    const wire = vLo & 7;
    rel = p1;
    switch (wire) {
      case WIRE_VARINT: {
        const p2 = decodeVarint(buf, rel, limit);
        if (p2 < 0) throw badVarint(ctx, h, `the value of ${fieldLabel(h, field)}`, ws + rel, end, p2);
        h.varint?.(field, vLo, vHi, ws + rel);
        pos = ws + p2;
        break;
      }
      case WIRE_I64:
      case WIRE_I32: {
        const n = wire === WIRE_I32 ? 4 : 8;
        const at = ws + rel;
        if (at + n > end) throw tooLong(ctx, h, field, tagAt, n, end);
        const data = await src.read(at, n);
        if (wire === WIRE_I32) h.fixed32?.(field, data, at);
        else h.fixed64?.(field, data, at);
        pos = at + n;
        break;
      }
      case WIRE_LEN: {
        const p2 = decodeVarint(buf, rel, limit);
        if (p2 < 0) throw badVarint(ctx, h, `the length of ${fieldLabel(h, field)}`, ws + rel, end, p2);
        const length = u64(vLo, vHi);
        const at = ws + p2;
        if (length > end - at) throw tooLong(ctx, h, field, tagAt, length, end);
        const action = h.len ? h.len(field, length, at) : SKIP;
        if (action.kind === 'bytes' && at >= ws && at + length <= ws + buf.length) {
          action.accept(buf.subarray(at - ws, at - ws + length), at);
        } else if (action.kind === 'bytes') {
          if (length > MAX_INLINE_BYTES)
            throw corrupt(
              ctx,
              `is corrupt: ${fieldLabel(h, field)} of ${h.proto.message} at byte ${tagAt} is ${length} bytes, too large to be a name or a list`,
            );
          action.accept(await src.read(at, length), at);
        } else if (action.kind === 'message') {
          if (at >= ws && at + length <= ws + buf.length) {
            // Already in the window: decode in place, no await (the common case for nodes).
            walkBytes(buf, ws, at - ws, at - ws + length, action.handler, ctx, depth + 1);
          } else if (length <= inlineLimit) {
            const data = await src.read(at, length);
            walkBytes(data, at, 0, length, action.handler, ctx, depth + 1);
          } else {
            await walkSource(src, at, at + length, action.handler, ctx, inlineLimit, depth + 1);
          }
        }
        pos = at + length;
        break;
      }
      default:
        throw badWire(ctx, h, wire, field, tagAt);
    }
  }
  h.end?.();
}

/** Reads the first tag of a buffer: [field, wire] or null when it is not a valid tag. */
export function peekTag(buf: Uint8Array): { field: number; wire: number } | null {
  const p = decodeVarint(buf, 0, buf.length);
  if (p < 0 || vHi !== 0) return null;
  return { field: vLo >>> 3, wire: vLo & 7 };
}

const utf8 = new TextDecoder('utf-8');
export function text(data: Uint8Array): string {
  // Names are short and ASCII; TextDecoder costs more than the loop for those.
  // One fromCharCode call makes a flat string; `s +=` per byte made a 64-deep rope that every
  // Map lookup had to flatten (a third of reading a 20k-node graph, and most of its garbage).
  if (data.length <= 64) {
    for (let k = 0; k < data.length; k++) if (data[k] >= 0x80) return utf8.decode(data);
    return String.fromCharCode.apply(null, data as unknown as number[]);
  }
  return utf8.decode(data);
}

/** Iterates the varints of a packed field. */
export function forEachPackedVarint(
  data: Uint8Array,
  at: number,
  ctx: DecodeContext,
  fn: (lo: number, hi: number) => void,
): void {
  let pos = 0;
  while (pos < data.length) {
    const next = decodeVarint(data, pos, data.length);
    if (next < 0) throw corrupt(ctx, `is corrupt: packed varint at byte ${at + pos} runs past the end of its field`);
    fn(vLo, vHi);
    pos = next;
  }
}
