// Instance masks of YOLO-seg models: per detection, its mask coefficients × the prototype masks
// (at a quarter of the input size), cropped to the box, sampled bilinearly at every original-image
// pixel inside the box and cut at 0 (sigmoid 0.5) — Ultralytics' process_mask, evaluated where it
// is needed. The masks become one instance map (+ a coloured overlay) and an outline per instance
// (the largest region's outer contour, for drawing and for COCO polygons). Pure.
import { identityTransform, toTensorCoords, type ImageTransform } from '../recipe';
import type { NumericArray, Raster } from '../tasks';
import { paletteColor } from './colormap';

export interface Prototypes {
  data: NumericArray;
  /** Offset of this batch image's prototypes in data. */
  offset: number;
  /** Number of prototype masks, their height and width. */
  nm: number;
  mh: number;
  mw: number;
}

export interface InstanceBox {
  /** Box on the original image (pixels). */
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  /** The detection's mask coefficients (nm values). */
  coefficients: Float32Array;
  classId: number;
}

export interface InstanceMasks {
  /** Detection index + 1 per pixel (0: none; capped at 255), 1 channel. */
  mask: Raster;
  /** Coloured by class, RGBA. */
  overlay: Raster;
  /** Per detection: its outline (original-image pixels; empty when the mask is empty) and pixel count. */
  outlines: [number, number][][];
  areas: number[];
  /**
   * Per detection: its whole mask as COCO's uncompressed RLE counts (column-major runs over the
   * width × height image, zeros first), pixels it shares with a better-scored instance included
   * (the map gives each pixel to one instance only).
   */
  rles: number[][];
}

/** The COCO RLE counts of a mask that is `inside` (bw × bh, row-major) at (x0, y0) and empty elsewhere. */
export function boxMaskRle(
  inside: Uint8Array,
  box: { x0: number; y0: number; bw: number; bh: number },
  width: number,
  height: number,
): number[] {
  const { x0, y0, bw, bh } = box;
  const counts: number[] = [];
  let value = 0;
  let run = 0;
  const push = (v: number, n: number) => {
    if (n <= 0) return;
    if (v === value) run += n;
    else {
      counts.push(run);
      value = v;
      run = n;
    }
  };
  push(0, x0 * height);
  for (let x = 0; x < bw; x++) {
    push(0, y0);
    for (let y = 0; y < bh; y++) push(inside[y * bw + x], 1);
    push(0, height - y0 - bh);
  }
  push(0, (width - x0 - bw) * height);
  counts.push(run);
  return counts;
}

/**
 * The masks of `boxes` on an image of width × height. `t` maps the original into the tensor
 * (tensor size tw × th); without one, the image is the tensor.
 */
export function instanceMasks(
  protos: Prototypes,
  boxes: readonly InstanceBox[],
  t: ImageTransform | null,
  width: number,
  height: number,
): InstanceMasks {
  const { nm, mh, mw, data, offset } = protos;
  const tw = t?.tensorWidth ?? width;
  const th = t?.tensorHeight ?? height;
  const plane = mh * mw;
  const map = new Uint8Array(width * height);
  const overlay = new Uint8Array(width * height * 4);
  const outlines: [number, number][][] = [];
  const areas: number[] = [];
  const rles: number[][] = [];
  boxes.forEach((b, k) => {
    const x0 = Math.max(0, Math.floor(b.x1));
    const y0 = Math.max(0, Math.floor(b.y1));
    const x1 = Math.min(width, Math.ceil(b.x2));
    const y1 = Math.min(height, Math.ceil(b.y2));
    const bw = Math.max(0, x1 - x0);
    const bh = Math.max(0, y1 - y0);
    // Mask logits of the proto cells the box covers (and one around, for bilinear sampling).
    const tt = t ?? identityTransform(width, height);
    const a = toTensorCoords({ x: b.x1, y: b.y1 }, tt);
    const z = toTensorCoords({ x: b.x2, y: b.y2 }, tt);
    const cu0 = clamp(Math.floor((a.x * mw) / tw) - 1, 0, mw - 1);
    const cu1 = clamp(Math.ceil((z.x * mw) / tw) + 1, 0, mw - 1);
    const cv0 = clamp(Math.floor((a.y * mh) / th) - 1, 0, mh - 1);
    const cv1 = clamp(Math.ceil((z.y * mh) / th) + 1, 0, mh - 1);
    const gw = cu1 - cu0 + 1;
    const logits = new Float32Array(gw * (cv1 - cv0 + 1));
    for (let v = cv0; v <= cv1; v++)
      for (let u = cu0; u <= cu1; u++) {
        let s = 0;
        for (let c = 0; c < nm; c++) s += b.coefficients[c] * data[offset + c * plane + v * mw + u];
        logits[(v - cv0) * gw + (u - cu0)] = s;
      }
    const at = (u: number, v: number): number => logits[(v - cv0) * gw + (u - cu0)];
    const inside = new Uint8Array(bw * bh);
    let area = 0;
    const color = paletteColor(b.classId);
    for (let py = y0; py < y1; py++) {
      for (let px = x0; px < x1; px++) {
        const cx = px + 0.5;
        const cy = py + 0.5;
        if (cx < b.x1 || cx > b.x2 || cy < b.y1 || cy > b.y2) continue;
        const p = toTensorCoords({ x: cx, y: cy }, tt);
        // Cell centres at (u + 0.5) · tw / mw: align_corners=False, as torch's interpolate.
        const u = clamp((p.x * mw) / tw - 0.5, cu0, cu1);
        const v = clamp((p.y * mh) / th - 0.5, cv0, cv1);
        const u0 = Math.floor(u);
        const v0 = Math.floor(v);
        const u1 = Math.min(u0 + 1, cu1);
        const v1 = Math.min(v0 + 1, cv1);
        const fu = u - u0;
        const fv = v - v0;
        const top = at(u0, v0) * (1 - fu) + at(u1, v0) * fu;
        const bottom = at(u0, v1) * (1 - fu) + at(u1, v1) * fu;
        if (top * (1 - fv) + bottom * fv <= 0) continue;
        inside[(py - y0) * bw + (px - x0)] = 1;
        area++;
        const i = py * width + px;
        if (map[i] !== 0) continue; // a better-scored instance is already there
        map[i] = Math.min(255, k + 1);
        overlay[i * 4] = color[0];
        overlay[i * 4 + 1] = color[1];
        overlay[i * 4 + 2] = color[2];
        overlay[i * 4 + 3] = 255;
      }
    }
    areas.push(area);
    outlines.push(area ? outline(inside, bw, bh).map(([x, y]): [number, number] => [x + x0, y + y0]) : []);
    rles.push(boxMaskRle(inside, { x0, y0, bw, bh }, width, height));
  });
  return {
    mask: { width, height, channels: 1, data: map },
    overlay: { width, height, channels: 4, data: overlay },
    outlines,
    areas,
    rles,
  };
}

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

// Clockwise on screen (y down), starting east.
const DX = [1, 1, 0, -1, -1, -1, 0, 1];
const DY = [0, 1, 1, 1, 0, -1, -1, -1];

/**
 * The outer contour of the largest 8-connected region of a w×h 0/1 mask, as pixel-corner-centred
 * points (pixel centres, +0.5), straight runs reduced to their ends (OpenCV's CHAIN_APPROX_SIMPLE).
 */
export function outline(mask: Uint8Array, w: number, h: number): [number, number][] {
  const label = new Int32Array(w * h);
  let best = -1;
  let bestSize = 0;
  let next = 0;
  const stack: number[] = [];
  for (let i = 0; i < w * h; i++) {
    if (!mask[i] || label[i]) continue;
    next++;
    let size = 0;
    label[i] = next;
    stack.push(i);
    while (stack.length) {
      const j = stack.pop()!;
      size++;
      const x = j % w;
      const y = (j - x) / w;
      for (let d = 0; d < 8; d++) {
        const nx = x + DX[d];
        const ny = y + DY[d];
        if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
        const n = ny * w + nx;
        if (mask[n] && !label[n]) {
          label[n] = next;
          stack.push(n);
        }
      }
    }
    if (size > bestSize) [best, bestSize] = [next, size];
  }
  if (best < 0) return [];
  // The region's first pixel in raster order: its west, north-west, north and north-east are outside.
  let start = 0;
  while (label[start] !== best) start++;
  const on = (x: number, y: number): boolean => x >= 0 && y >= 0 && x < w && y < h && label[y * w + x] === best;
  const sx = start % w;
  const sy = (start - sx) / w;
  const points: [number, number][] = [[sx, sy]];
  // Moore-neighbour tracing: from the way we came, look left first and turn clockwise.
  let [x, y, dir] = [sx, sy, 0];
  let firstDir = -1;
  for (let steps = 0; steps < 4 * bestSize + 8; steps++) {
    let moved = false;
    for (let k = 0; k < 8; k++) {
      const d = (dir + 6 + k) % 8;
      if (on(x + DX[d], y + DY[d])) {
        if (x === sx && y === sy) {
          if (firstDir === d) return simplify(points);
          if (firstDir < 0) firstDir = d;
        }
        [x, y, dir] = [x + DX[d], y + DY[d], d];
        if (!(x === sx && y === sy)) points.push([x, y]);
        moved = true;
        break;
      }
    }
    if (!moved) break; // a single pixel
  }
  return simplify(points);
}

/** Drops points in the middle of straight runs; pixel centres (+0.5). */
function simplify(points: [number, number][]): [number, number][] {
  const n = points.length;
  if (n <= 2) return points.map(([x, y]) => [x + 0.5, y + 0.5]);
  const out: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    const [px, py] = points[(i - 1 + n) % n];
    const [x, y] = points[i];
    const [nx, ny] = points[(i + 1) % n];
    if (x - px === nx - x && y - py === ny - y) continue;
    out.push([x + 0.5, y + 0.5]);
  }
  return out;
}

// ---- COCO run-length encoding ----------------------------------------------------------------

/** COCO's uncompressed RLE: the image's size and alternating run lengths, zeros first. */
export interface CocoRle {
  size: [number, number];
  counts: number[];
}

/**
 * The pixels of `mask` (row-major, width × height) equal to `value`, as COCO's uncompressed RLE
 * (pycocotools' rleEncode): the pixels read column by column (x outer, y inner — COCO masks are
 * Fortran-ordered), run lengths alternating 0s and 1s and always starting with a run of 0s (of
 * length 0 when the first pixel is set). An empty mask is one run of zeros over the whole image.
 */
export function maskRle(mask: ArrayLike<number>, width: number, height: number, value: number): CocoRle {
  const counts: number[] = [];
  let current = false;
  let run = 0;
  for (let x = 0; x < width; x++)
    for (let y = 0; y < height; y++) {
      const on = mask[y * width + x] === value;
      if (on !== current) {
        counts.push(run);
        run = 0;
        current = on;
      }
      run++;
    }
  counts.push(run);
  return { size: [height, width], counts };
}

/**
 * COCO's compressed RLE string (pycocotools' rleToString): each count, from the fourth on less
 * the count two before it, in 5-bit groups, low first, 0x20 marking "more follows", each group
 * plus 48 as a character; a group's 0x10 bit is the sign (the value ends when the rest is −1).
 */
export function rleToString(counts: readonly number[]): string {
  let s = '';
  for (let i = 0; i < counts.length; i++) {
    // Counts fit in 32 bits; BigInt keeps the arithmetic shift of C's long exact for any of them.
    let x = BigInt(counts[i]) - (i > 2 ? BigInt(counts[i - 2]) : 0n);
    let more = true;
    while (more) {
      let c = Number(x & 0x1fn);
      x >>= 5n;
      more = c & 0x10 ? x !== -1n : x !== 0n;
      if (more) c |= 0x20;
      s += String.fromCharCode(c + 48);
    }
  }
  return s;
}
