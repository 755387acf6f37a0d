// Upright crops of regions of the original image: a quadrilateral (a rotated text region, a box)
// is warped onto a rectangle by the perspective transform of its four corners, as PaddleOCR's
// get_rotate_crop_image does, and turned 90° when it is much taller than wide (vertical text).
// The geometry is pure; only decoding and encoding use sharp.
import { DEFAULT_MAX_PIXELS, readHeader } from '../image/decode';
import type { OriginalImage } from '../image/preprocess';
import { loadSharp } from '../image/sharp';

/** 8-bit RGBA pixels, row-major. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

type Vec = readonly [number, number];

/** A 3×3 homography, row-major, h[8] = 1. */
export type Homography = number[];

/**
 * The homography taking `from[k]` to `to[k]` for four point pairs (Gaussian elimination on the
 * 8 unknowns). Throws when three of the points are collinear.
 */
export function homography(from: readonly Vec[], to: readonly Vec[]): Homography {
  const a: number[][] = [];
  for (let k = 0; k < 4; k++) {
    const [x, y] = from[k];
    const [u, v] = to[k];
    a.push([x, y, 1, 0, 0, 0, -x * u, -y * u, u]);
    a.push([0, 0, 0, x, y, 1, -x * v, -y * v, v]);
  }
  for (let c = 0; c < 8; c++) {
    let pivot = c;
    for (let r = c + 1; r < 8; r++) if (Math.abs(a[r][c]) > Math.abs(a[pivot][c])) pivot = r;
    if (Math.abs(a[pivot][c]) < 1e-12) throw new Error('degenerate quadrilateral');
    [a[c], a[pivot]] = [a[pivot], a[c]];
    for (let r = 0; r < 8; r++) {
      if (r === c) continue;
      const f = a[r][c] / a[c][c];
      for (let k = c; k < 9; k++) a[r][k] -= f * a[c][k];
    }
  }
  return [...a.map((row, r) => row[8] / row[r]), 1];
}

export function applyHomography(h: Homography, x: number, y: number): [number, number] {
  const w = h[6] * x + h[7] * y + h[8];
  return [(h[0] * x + h[1] * y + h[2]) / w, (h[3] * x + h[4] * y + h[5]) / w];
}

/** Crop size as PaddleOCR: the longer of each pair of opposite sides, whole pixels, at least 1. */
export function cropSize(quad: readonly Vec[]): { width: number; height: number } {
  const d = (a: Vec, b: Vec): number => Math.hypot(a[0] - b[0], a[1] - b[1]);
  return {
    width: Math.max(1, Math.floor(Math.max(d(quad[0], quad[1]), d(quad[2], quad[3])))),
    height: Math.max(1, Math.floor(Math.max(d(quad[0], quad[3]), d(quad[1], quad[2])))),
  };
}

/**
 * The quad (clockwise from its top-left corner, continuous pixel coordinates) warped to an
 * upright rectangle: bilinear sampling, edges repeated outside the image (OpenCV's BORDER_REPLICATE).
 */
export function warpQuad(src: RgbaImage, quad: readonly Vec[]): RgbaImage {
  const { width, height } = cropSize(quad);
  const corners: Vec[] = [
    [0, 0],
    [width, 0],
    [width, height],
    [0, height],
  ];
  const h = homography(corners, quad);
  const out = new Uint8Array(width * height * 4);
  const { width: sw, height: sh, data } = src;
  const at = (x: number, y: number): number => (Math.min(sh - 1, Math.max(0, y)) * sw + Math.min(sw - 1, Math.max(0, x))) * 4;
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) {
      // Pixel centres in, pixel centres out: continuous coordinates are index + 0.5.
      const [x, y] = applyHomography(h, i + 0.5, j + 0.5);
      const fx = x - 0.5;
      const fy = y - 0.5;
      const x0 = Math.floor(fx);
      const y0 = Math.floor(fy);
      const tx = fx - x0;
      const ty = fy - y0;
      const [p00, p10, p01, p11] = [at(x0, y0), at(x0 + 1, y0), at(x0, y0 + 1), at(x0 + 1, y0 + 1)];
      const o = (j * width + i) * 4;
      for (let c = 0; c < 4; c++) {
        const top = data[p00 + c] * (1 - tx) + data[p10 + c] * tx;
        const bottom = data[p01 + c] * (1 - tx) + data[p11 + c] * tx;
        out[o + c] = Math.round(top * (1 - ty) + bottom * ty);
      }
    }
  }
  return { width, height, data: out };
}

/** A quarter turn counter-clockwise (numpy's rot90): the top-right corner becomes the top-left. */
export function rotateCounterClockwise(img: RgbaImage): RgbaImage {
  const { width: w, height: h, data } = img;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < w; y++) {
    for (let x = 0; x < h; x++) {
      const from = (x * w + (w - 1 - y)) * 4;
      out.set(data.subarray(from, from + 4), (y * h + x) * 4);
    }
  }
  return { width: h, height: w, data: out };
}

/** A half turn (upside-down text made upright, as PaddleOCR's cv2.rotate(img, ROTATE_180)). */
export function rotateHalf(img: RgbaImage): RgbaImage {
  const { data } = img;
  const out = new Uint8Array(data.length);
  const n = data.length / 4;
  for (let k = 0; k < n; k++) out.set(data.subarray(k * 4, k * 4 + 4), (n - 1 - k) * 4);
  return { width: img.width, height: img.height, data: out };
}

/**
 * The upright crop of a region; turned a quarter when its height is at least `rotateTall` × its
 * width (0: never), then a half when an orientation step found it upside down.
 */
export function cropRegion(src: RgbaImage, quad: readonly Vec[], rotateTall: number, turned = false): RgbaImage {
  const warped = warpQuad(src, quad);
  const crop = rotateTall > 0 && warped.height >= rotateTall * warped.width ? rotateCounterClockwise(warped) : warped;
  return turned ? rotateHalf(crop) : crop;
}

/** The original as shown (EXIF orientation applied), as RGBA pixels. */
export async function decodeOriginal(
  path: string,
  maxPixels = DEFAULT_MAX_PIXELS,
): Promise<{ image: RgbaImage; original: OriginalImage }> {
  const original = await readHeader(path, { maxPixels });
  const sharp = await loadSharp();
  const { data, info } = await sharp(path, { autoOrient: true, failOn: 'error', limitInputPixels: maxPixels })
    .ensureAlpha()
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 4) throw new Error(`decoding gave ${info.channels} channels, expected RGBA`);
  return {
    image: { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) },
    original,
  };
}

/** A crop as a PNG the image pipeline can read like any file (barely compressed: it is read back at once). */
export async function encodePng(img: RgbaImage): Promise<Buffer> {
  const sharp = await loadSharp();
  return sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), {
    raw: { width: img.width, height: img.height, channels: 4 },
  })
    .png({ compressionLevel: 0 })
    .toBuffer();
}
