// 8-bit pixels → tensor values in one pass. Every output value is a table lookup: a 256-entry
// table per channel already holds (x*scale - mean)/std cast to the output type (float16 as its
// bits, integers rounded and clamped), so the hot loop has no function calls and no branches.
import { channelNames, normalizes, type ImageTransform, type PreprocessRecipe, type RecipeDType } from '../../../shared/recipe';
import { floatToHalf } from '../../../shared/tensor';

export type ImageTensorData = Float32Array | Float64Array | Uint16Array | Uint8Array | Int8Array | Int32Array;

/** The tensor values of a preprocessed image; float16 is held as IEEE half bits in a Uint16Array. */
export interface ImageTensor {
  dtype: RecipeDType;
  dims: number[];
  data: ImageTensorData;
}

/** The typed array that holds each tensor dtype (float16 as its IEEE half bits). */
const ARRAYS = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array,
  uint8: Uint8Array,
  int8: Int8Array,
  int32: Int32Array,
} satisfies Record<RecipeDType, unknown>;

export function allocateData(dtype: RecipeDType, n: number): ImageTensorData {
  return new ARRAYS[dtype](n);
}

/** `allocateData` over an existing buffer (its byte length a multiple of the element size). */
export function dataView(dtype: RecipeDType, buffer: ArrayBuffer): ImageTensorData {
  return new ARRAYS[dtype](buffer);
}

const clampRound = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, Math.round(v)));

/** The value stored for pixel value x in tensor channel k (before the cast). */
export function pixelToValue(recipe: PreprocessRecipe, k: number, x: number): number {
  if (!normalizes(recipe)) return recipe.dtype === 'int8' ? x - 128 : x;
  const mean = recipe.mean[Math.min(k, recipe.mean.length - 1)];
  const std = recipe.std[Math.min(k, recipe.std.length - 1)];
  return (x * recipe.scale - mean) / std;
}

/** The inverse of pixelToValue (for previews): a tensor value back to a pixel value (unrounded). */
export function valueToPixel(recipe: PreprocessRecipe, k: number, v: number): number {
  if (!normalizes(recipe)) return recipe.dtype === 'int8' ? v + 128 : v;
  const mean = recipe.mean[Math.min(k, recipe.mean.length - 1)];
  const std = recipe.std[Math.min(k, recipe.std.length - 1)];
  return (v * std + mean) / recipe.scale;
}

function lookupTable(recipe: PreprocessRecipe, channels: number): ImageTensorData {
  const lut = allocateData(recipe.dtype, channels * 256);
  for (let k = 0; k < channels; k++) {
    for (let x = 0; x < 256; x++) {
      lut[k * 256 + x] = stored(recipe.dtype, pixelToValue(recipe, k, x));
    }
  }
  return lut;
}

/** A tensor value as the dtype's array stores it: float16 as its bits, integers rounded and clamped. */
function stored(dtype: RecipeDType, v: number): number {
  switch (dtype) {
    case 'float16':
      return floatToHalf(v);
    case 'uint8':
      return clampRound(v, 0, 255);
    case 'int8':
      return clampRound(v, -128, 127);
    case 'int32':
      return clampRound(v, -2147483648, 2147483647);
    default:
      return v;
  }
}

/** RGB(A) → Y(A) with PIL's convert('L') weights (ITU-R 601, integer rounding), as Python pipelines do. */
function toGray(src: Uint8Array, srcChannels: 3 | 4, keepAlpha: boolean): Uint8Array {
  const n = src.length / srcChannels;
  const outC = keepAlpha ? 2 : 1;
  const out = new Uint8Array(n * outC);
  for (let i = 0, j = 0, o = 0; i < n; i++, j += srcChannels, o += outC) {
    out[o] = (src[j] * 19595 + src[j + 1] * 38470 + src[j + 2] * 7471 + 0x8000) >> 16;
    if (keepAlpha) out[o + 1] = src[j + 3];
  }
  return out;
}

/** The largest colour value of HWC pixels (alpha left out), at least 1 (rembg: max(np.max(x), 1e-6)). */
function brightest(pixels: Uint8Array, channels: number, alpha: boolean): number {
  const colours = alpha ? channels - 1 : channels;
  let max = 0;
  for (let i = 0; i < pixels.length && max < 255; i += channels)
    for (let k = 0; k < colours; k++) if (pixels[i + k] > max) max = pixels[i + k];
  return Math.max(1, max);
}

/**
 * Writes one image's pixels (HWC, 3 or 4 sRGB channels) into `out` at element `offset`,
 * in the recipe's channel order and layout (planar for NCHW/CHW, interleaved for NHWC/HWC).
 */
export function packPixels(
  pixels: Uint8Array,
  srcChannels: 3 | 4,
  width: number,
  height: number,
  recipe: PreprocessRecipe,
  out: ImageTensorData,
  offset: number,
): void {
  const names = channelNames(recipe);
  const c = names.length;
  let src = pixels;
  let sc: number = srcChannels;
  if (recipe.channels === 'GRAY') {
    src = toGray(pixels, srcChannels, recipe.alpha === 'keep');
    sc = recipe.alpha === 'keep' ? 2 : 1;
  }
  const index = { R: 0, G: 1, B: 2, A: sc - 1, Y: 0 } as const;
  const lut = lookupTable(recipe.scaleByMax ? { ...recipe, scale: 1 / brightest(src, sc, sc === 4 || sc === 2) } : recipe, c);
  const hw = width * height;
  const planar = recipe.layout === 'NCHW' || recipe.layout === 'CHW';
  if (planar && c === 3) {
    // The usual case (RGB or BGR planes): one pass over the pixels, each read once (0.22 ms a
    // 224×224 image against 0.28 for a pass per plane).
    const [t0, t1, t2] = [0, 1, 2].map((k) => lut.subarray(k * 256, k * 256 + 256));
    const [f0, f1, f2] = names.map((n) => index[n]);
    const [o0, o1, o2] = [offset, offset + hw, offset + 2 * hw];
    for (let i = 0, j = 0; i < hw; i++, j += sc) {
      out[o0 + i] = t0[src[j + f0]];
      out[o1 + i] = t1[src[j + f1]];
      out[o2 + i] = t2[src[j + f2]];
    }
    return;
  }
  for (let k = 0; k < c; k++) {
    const from = index[names[k]];
    const l = k * 256;
    if (planar) {
      const base = offset + k * hw;
      for (let i = 0, j = from; i < hw; i++, j += sc) out[base + i] = lut[l + src[j]];
    } else {
      for (let i = 0, j = from, o = offset + k; i < hw; i++, j += sc, o += c) out[o] = lut[l + src[j]];
    }
  }
}

/**
 * Sets the padded pixels of one packed image (at `offset`) to the recipe's padValue, in tensor
 * terms (PaddleOCR pads with 0 after normalising); nothing without a padValue or padding.
 */
export function fillPadding(out: ImageTensorData, offset: number, t: ImageTransform, recipe: PreprocessRecipe): void {
  if (recipe.padValue === undefined) return;
  const { tensorWidth: w, tensorHeight: h, padLeft, padTop } = t;
  const cw = Math.min(t.resizedWidth, w);
  const ch = Math.min(t.resizedHeight, h);
  if (cw === w && ch === h) return;
  const v = stored(recipe.dtype, recipe.padValue);
  const c = channelNames(recipe).length;
  const planar = recipe.layout === 'NCHW' || recipe.layout === 'CHW';
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      if (x >= padLeft && x < padLeft + cw && y >= padTop && y < padTop + ch) continue;
      const i = y * w + x;
      for (let k = 0; k < c; k++) out[planar ? offset + k * w * h + i : offset + i * c + k] = v;
    }
}
