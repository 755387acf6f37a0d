// Reading an image with sharp: header checks before any decoding, then orient, alpha, resize,
// crop and pad exactly as planResize says, ending in 8-bit sRGB pixels (3 or 4 channels, HWC).
import { basename } from 'node:path';
import { assertRegularFile, openRegularFile } from '../../common/regular-file';
import type { Metadata } from 'sharp';
import { fsError } from '../../common/fs';
import { identityTransform, planResize, type ImageTransform, type PreprocessRecipe } from '../../../shared/recipe';
import { WorkbenchError } from '../../../shared/result';
import { groupDigits } from '../../../shared/format';
import { quickHeader } from './header';
import { loadSharp } from './sharp';

/** sharp's own default: 0x3FFF × 0x3FFF. */
export const DEFAULT_MAX_PIXELS = 268_402_689;

export type ImageInput = string | Uint8Array;

export interface DecodeOptions {
  /** Refuse images with more pixels than this (checked from the header, before decoding). */
  maxPixels?: number;
  /** How to call a Buffer input in messages; paths are named by their file name. */
  name?: string;
}

export interface OriginalImage {
  /** As shown, after the EXIF orientation. */
  width: number;
  height: number;
  /** sharp's format name: jpeg, png, webp, gif, tiff, avif, heif, svg … */
  format: string;
  /** EXIF orientation 1..8 (1 when absent). */
  orientation: number;
}

export interface DecodedImage {
  /** tensorHeight × tensorWidth × channels bytes, sRGB, row-major. */
  pixels: Uint8Array;
  /** 3 (RGB) or 4 (RGBA, when the recipe keeps alpha). */
  channels: 3 | 4;
  transform: ImageTransform;
  original: OriginalImage;
  label: string;
}

const KERNELS = { nearest: 'nearest', bilinear: 'linear', bicubic: 'cubic', lanczos3: 'lanczos3' } as const;

const label = (input: ImageInput, name?: string): string => (typeof input === 'string' ? basename(input) : (name ?? 'the image'));

const fmtPixels = groupDigits;

const fileError = (e: unknown, path: string) => fsError(e, path, { what: 'image' });

async function checkFile(path: string, name: string): Promise<void> {
  let size: number;
  try {
    // A regular file only: a FIFO would hang sharp, a device never ends.
    size = await assertRegularFile(path, 'an image');
  } catch (e) {
    throw fileError(e, path);
  }
  if (size === 0) throw emptyFile(name);
}

const emptyFile = (name: string) => new WorkbenchError('INVALID_INPUT', `${name} is empty (0 bytes), not an image`);

/**
 * Files up to this size are read once, whole, and decoded from memory; larger ones sharp reads
 * itself (a big file that is no image is then not read whole: at most a few such reads at once).
 */
const READ_WHOLE_BYTES = 32 * 1024 * 1024;

/** The image's bytes (a regular file's, read once), or its path when it is too large to hold. */
async function imageBytes(input: ImageInput, name: string): Promise<ImageInput> {
  if (typeof input !== 'string') {
    if (input.length === 0) throw emptyFile(name);
    return input;
  }
  let opened;
  try {
    opened = await openRegularFile(input, 'an image');
  } catch (e) {
    throw fileError(e, input);
  }
  const { fh, size } = opened;
  try {
    if (size === 0) throw emptyFile(name);
    if (size > READ_WHOLE_BYTES) return input;
    // The size is known (no second stat, as readFile would make): read until it is full or the file ends.
    const bytes = Buffer.allocUnsafe(size);
    let got = 0;
    for (;;) {
      const { bytesRead } = await fh.read(bytes, got, size - got, got);
      got += bytesRead;
      if (bytesRead === 0 || got === size) break;
    }
    if (got === 0) throw emptyFile(name);
    return got === size ? bytes : bytes.subarray(0, got);
  } catch (e) {
    throw e instanceof WorkbenchError ? e : fileError(e, input);
  } finally {
    await fh.close();
  }
}

/** Refuses an image over the pixel limit (its size from the header, nothing decoded yet). */
function checkPixels(width: number, height: number, name: string, maxPixels: number): void {
  const pixels = width * height;
  if (!(pixels > 0)) throw new WorkbenchError('INVALID_INPUT', `${name} has no pixels (${width}×${height})`);
  if (pixels > maxPixels) {
    throw new WorkbenchError(
      'INVALID_INPUT',
      `${name} is ${width}×${height} = ${fmtPixels(pixels)} pixels, over the limit of ${fmtPixels(maxPixels)}; it was not decoded`,
    );
  }
}

/** Header facts, read without decoding pixels; refuses images over the pixel limit. */
export async function readHeader(input: ImageInput, options: DecodeOptions = {}): Promise<OriginalImage> {
  const name = label(input, options.name);
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (typeof input === 'string') await checkFile(input, name);
  else if (input.length === 0) throw emptyFile(name);
  const sharp = await loadSharp();
  let meta: Metadata;
  try {
    // No pixel limit here: the header is all that is read, and our own check below says more.
    meta = await sharp(input, { limitInputPixels: false }).metadata();
  } catch (e) {
    throw new WorkbenchError('INVALID_INPUT', `${name} is not an image sharp can read: ${(e as Error).message}`);
  }
  checkPixels(meta.width, meta.height, name, maxPixels);
  return {
    width: meta.autoOrient?.width ?? meta.width,
    height: meta.autoOrient?.height ?? meta.height,
    format: meta.format,
    orientation: meta.orientation ?? 1,
  };
}

/** Decodes, orients and resizes one image to the recipe's tensor size (tiled recipes: its own size). */
export async function decodeImage(
  input: ImageInput,
  recipe: PreprocessRecipe,
  options: DecodeOptions = {},
): Promise<DecodedImage> {
  const name = label(input, options.name);
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  // Read once: a JPEG's or PNG's header is parsed here from the bytes, the rest by sharp.
  const source = await imageBytes(input, name);
  const quick = typeof source === 'string' ? null : quickHeader(source);
  let original: OriginalImage;
  if (quick) {
    checkPixels(quick.width, quick.height, name, maxPixels);
    const turned = quick.orientation >= 5;
    original = {
      width: turned ? quick.height : quick.width,
      height: turned ? quick.width : quick.height,
      format: quick.format,
      orientation: quick.orientation,
    };
  } else original = await readHeader(source, { ...options, name });
  const t = recipe.tile
    ? identityTransform(original.width, original.height)
    : planResize(original.width, original.height, recipe.resize);
  const channels = recipe.alpha === 'keep' ? 4 : 3;

  const sharp = await loadSharp();
  let img = sharp(source, {
    autoOrient: true,
    // 'error' rather than 'warning': photos with slightly odd metadata still load.
    failOn: 'error',
    limitInputPixels: maxPixels,
    sequentialRead: true,
  });
  if (recipe.alpha === 'keep') img = img.ensureAlpha();
  else if (recipe.alpha === 'drop') img = img.removeAlpha();
  else img = img.flatten({ background: recipe.alpha === 'composite-white' ? '#ffffff' : '#000000' });
  // Grey sources come out as RGB too; grey conversion is ours (pack.ts) so that it matches PIL/OpenCV.
  img = img.toColourspace('srgb');
  if (t.resizedWidth !== original.width || t.resizedHeight !== original.height) {
    // fastShrinkOnLoad lets JPEG/WebP decode at 1/2, 1/4 or 1/8 size first: the big win on photos.
    img = img.resize(t.resizedWidth, t.resizedHeight, {
      fit: 'fill',
      kernel: KERNELS[recipe.resize.interpolation],
      fastShrinkOnLoad: true,
    });
  }
  const cw = Math.min(t.resizedWidth, t.tensorWidth);
  const ch = Math.min(t.resizedHeight, t.tensorHeight);
  if (cw < t.resizedWidth || ch < t.resizedHeight) img = img.extract({ left: t.cropLeft, top: t.cropTop, width: cw, height: ch });
  if (cw < t.tensorWidth || ch < t.tensorHeight) {
    const [r, g, b] = recipe.resize.padColor;
    img = img.extend({
      left: t.padLeft,
      top: t.padTop,
      right: t.tensorWidth - cw - t.padLeft,
      bottom: t.tensorHeight - ch - t.padTop,
      background: { r, g, b, alpha: 1 },
    });
  }
  let data: Buffer;
  try {
    data = await img.raw({ depth: 'uchar' }).toBuffer();
  } catch (e) {
    // A file whose header was read here: sharp's own reading of it says what it is, if not an image.
    if (quick) await readHeader(source, { ...options, name });
    throw new WorkbenchError('INVALID_INPUT', `${name} could not be decoded: ${(e as Error).message}`);
  }
  const expected = t.tensorWidth * t.tensorHeight * channels;
  if (data.length !== expected) {
    throw new WorkbenchError(
      'INTERNAL',
      `${name}: resizing gave ${data.length} bytes, expected ${t.tensorWidth}×${t.tensorHeight}×${channels}`,
    );
  }
  return { pixels: new Uint8Array(data.buffer, data.byteOffset, data.length), channels, transform: t, original, label: name };
}
