// The size and orientation of a JPEG or PNG, read from its first bytes. sharp's metadata() opens
// and parses the file in libvips (EXIF included) before the decode opens it again: on 2 cores that
// header read was 0.4–0.5 CPU ms of the 7.5 a 224-px photo costs (bench:batch's photos). Only
// what is certain is answered here; anything else (no frame header in the bytes given, a PNG
// with EXIF, an odd marker) is null, and sharp reads the header as before.

/** What a header says: the stored size and the EXIF orientation (1 when there is none). */
export interface QuickHeader {
  format: 'jpeg' | 'png';
  width: number;
  height: number;
  orientation: number;
}

const u16 = (b: Uint8Array, i: number, little = false): number => (little ? b[i] | (b[i + 1] << 8) : (b[i] << 8) | b[i + 1]);
const u32 = (b: Uint8Array, i: number, little = false): number =>
  little
    ? (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0
    : ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;

export function quickHeader(bytes: Uint8Array): QuickHeader | null {
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return jpegHeader(bytes);
  if (bytes.length >= 24 && PNG_SIGNATURE.every((v, i) => bytes[i] === v)) return pngHeader(bytes);
  return null;
}

/** Start-of-frame markers: every one but DHT (C4), JPG (C8) and DAC (CC). */
const isFrame = (m: number): boolean => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

function jpegHeader(b: Uint8Array): QuickHeader | null {
  let orientation = 1;
  let exifSeen = false;
  let frame: { width: number; height: number } | null = null;
  let i = 2;
  // Every marker up to the scan, as libjpeg reads them: the frame header, and EXIF wherever it is.
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1];
    // Fill bytes, and markers without a length.
    if (marker === 0xff) {
      i += 1;
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      i += 2;
      continue;
    }
    // The scan: what came before it is the header. The end before one: not a picture this reader vouches for.
    if (marker === 0xda) return frame ? { format: 'jpeg', ...frame, orientation } : null;
    if (marker === 0xd9) return null;
    const length = u16(b, i + 2);
    if (length < 2) return null;
    const start = i + 4;
    const end = i + 2 + length;
    if (end > b.length) return null;
    if (marker === 0xe1 && !exifSeen && isExif(b, start, end)) {
      exifSeen = true;
      const o = exifOrientation(b, start + 6, end);
      if (o === null) return null;
      orientation = o;
    } else if (isFrame(marker)) {
      // A second frame header before the scan: not one this reader vouches for.
      if (frame || start + 5 > end) return null;
      const height = u16(b, start + 1);
      const width = u16(b, start + 3);
      // A height of 0 is given later (a DNL marker): sharp's reading then.
      if (width === 0 || height === 0) return null;
      frame = { width, height };
    }
    i = end;
  }
  return null;
}

const isExif = (b: Uint8Array, start: number, end: number): boolean =>
  end - start >= 14 &&
  b[start] === 0x45 &&
  b[start + 1] === 0x78 &&
  b[start + 2] === 0x69 &&
  b[start + 3] === 0x66 &&
  b[start + 4] === 0 &&
  b[start + 5] === 0;

/**
 * IFD0's Orientation tag (0x0112) of the TIFF structure at `tiff`: 1 when absent, and as libvips
 * takes it (a value outside 1..8 is 1); null when the structure is not one this reads for sure.
 */
function exifOrientation(b: Uint8Array, tiff: number, end: number): number | null {
  const order = u16(b, tiff);
  const little = order === 0x4949;
  if (!little && order !== 0x4d4d) return null;
  if (u16(b, tiff + 2, little) !== 42) return null;
  const ifd = tiff + u32(b, tiff + 4, little);
  if (ifd + 2 > end) return null;
  const count = u16(b, ifd, little);
  if (ifd + 2 + count * 12 > end) return null;
  for (let k = 0; k < count; k++) {
    const entry = ifd + 2 + k * 12;
    if (u16(b, entry, little) !== 0x0112) continue;
    // SHORT, one value, stored in the entry itself.
    if (u16(b, entry + 2, little) !== 3 || u32(b, entry + 4, little) !== 1) return null;
    const value = u16(b, entry + 8, little);
    return value >= 1 && value <= 8 ? value : 1;
  }
  return 1;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const chunkType = (b: Uint8Array, i: number): string => String.fromCharCode(b[i], b[i + 1], b[i + 2], b[i + 3]);

/** A text chunk's keyword (at most 79 Latin-1 characters before a NUL). */
function keyword(b: Uint8Array, i: number): string {
  let k = '';
  for (let j = i; j < b.length && j < i + 80 && b[j] !== 0; j++) k += String.fromCharCode(b[j]);
  return k;
}

function pngHeader(b: Uint8Array): QuickHeader | null {
  if (u32(b, 8) !== 13 || chunkType(b, 12) !== 'IHDR') return null;
  const width = u32(b, 16);
  const height = u32(b, 20);
  if (width === 0 || height === 0) return null;
  // EXIF in a PNG (eXIf, before the image data) may turn it: sharp reads that one.
  let i = 8;
  while (i + 8 <= b.length) {
    const type = chunkType(b, i + 4);
    if (type === 'IDAT') return { format: 'png', width, height, orientation: 1 };
    if (type === 'eXIf') return null;
    // ImageMagick keeps EXIF in a text chunk ("Raw profile type exif"): sharp reads that one too.
    if ((type === 'tEXt' || type === 'zTXt' || type === 'iTXt') && keyword(b, i + 8).startsWith('Raw profile type')) return null;
    i += 12 + u32(b, i);
  }
  return null;
}
