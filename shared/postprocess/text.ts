// OCR postprocessors: DB text detection (probability map → rotated text regions) and CTC text
// recognition (character scores → a line of text), as PaddleOCR does them. Pure (no Node/DOM).
import { WorkbenchError } from '../result';
import { type ImageTransform, identityTransform, toImageCoords } from '../recipe';
import type {
  OutputTensor,
  Readable,
  TaskSettingsOf,
  TextDetectionResult,
  TextLine,
  TextRecognitionResult,
  TextRegion,
} from '../tasks';
import type { PostprocessContext } from './context';

type TextSettings = TaskSettingsOf<'text-detection'> | TaskSettingsOf<'text-recognition'>;
type OutputShape = Pick<OutputTensor, 'name' | 'dims' | 'dtype'>;

const NUMERIC = new Set(['float32', 'float16', 'float64', 'bfloat16']);
/** Dims as [1, ?, 640]: symbolic dims of a model's declared outputs arrive as -1. */
const fmtDims = (dims: readonly number[]): string => `[${dims.map((d) => (d > 0 ? String(d) : '?')).join(', ')}]`;
/** A dim from a model's declared shape may be unknown (≤ 0 or NaN): it fits anything. */
const fits = (d: number, want: (n: number) => boolean): boolean => !(d > 0) || want(d);

/** Why this output cannot be read ("holds int64, not …"), or null when it can. */
function whyNot(settings: TextSettings, o: OutputShape): string | null {
  if (!NUMERIC.has(o.dtype)) return `holds ${o.dtype}, not floating-point scores`;
  const d = o.dims;
  if (settings.kind === 'text-detection') {
    if (d.length === 4 && fits(d[1], (c) => c === 1)) return null;
    if (d.length === 3) return null;
    return `is ${fmtDims(d)}, not a one-channel probability map [N, 1, H, W]`;
  }
  if (d.length === 3 && fits(d[2], (k) => k >= 2)) return null;
  return `is ${fmtDims(d)}, not character scores [N, T, classes]`;
}

/** Whether the text postprocessor of `settings` can read these outputs (shapes and dtypes only). */
export function canReadText(settings: TextSettings, outputs: readonly OutputShape[]): Readable {
  const what = settings.kind === 'text-detection' ? 'text detection' : 'text recognition';
  if (settings.output !== undefined) {
    const o = outputs.find((x) => x.name === settings.output);
    if (!o) return { ok: false, reason: `The model has no output '${settings.output}'` };
    const reason = whyNot(settings, o);
    return reason
      ? { ok: false, reason: `Output '${o.name}' ${reason}: ${what} cannot read it` }
      : { ok: true, outputs: [o.name] };
  }
  const readable = outputs.filter((o) => whyNot(settings, o) === null).map((o) => o.name);
  if (readable.length) return { ok: true, outputs: readable };
  const reasons = outputs.map((o) => `'${o.name}' ${whyNot(settings, o)}`).join('; ');
  return { ok: false, reason: `No output fits ${what}: ${reasons || 'the model has no outputs'}` };
}

function pickOutput(settings: TextSettings, ctx: PostprocessContext): OutputTensor {
  const r = canReadText(settings, ctx.outputs);
  if (!r.ok) throw new WorkbenchError('INVALID_INPUT', r.reason);
  return ctx.outputs.find((o) => o.name === r.outputs[0])!;
}

// ---- CTC text recognition ---------------------------------------------------------------------

/** The characters in class order without the blank: PaddleOCR's dict is the file's lines, plus ' ' with use_space_char. */
function charsetOf(settings: TaskSettingsOf<'text-recognition'>, ctx: PostprocessContext): string[] {
  let chars: string[];
  if (settings.charset.kind === 'list') chars = settings.charset.chars;
  else if (ctx.charset) chars = ctx.charset;
  else throw new WorkbenchError('INVALID_INPUT', `The charset file ${settings.charset.path} was not read`);
  return settings.spaceChar ? [...chars, ' '] : chars;
}

/** Values outside 0..1 are logits, not probabilities. */
function areLogits(data: ArrayLike<number>): boolean {
  for (let k = 0; k < data.length; k++) {
    const v = data[k];
    if (v < -1e-6 || v > 1 + 1e-6) return true;
  }
  return false;
}

/**
 * Greedy CTC decoding of one [T, K] block at `offset`: the best class per step, repeats
 * collapsed, blanks dropped ("aa-ab" → "aab"); the score is the mean probability of the kept steps.
 */
export function decodeCtc(
  data: ArrayLike<number>,
  offset: number,
  steps: number,
  classes: number,
  blank: number,
  chars: readonly string[],
  logits: boolean,
): TextLine {
  let text = '';
  let sum = 0;
  let kept = 0;
  let prev = -1;
  for (let t = 0; t < steps; t++) {
    const base = offset + t * classes;
    let best = 0;
    let max = data[base];
    for (let k = 1; k < classes; k++) {
      if (data[base + k] > max) [best, max] = [k, data[base + k]];
    }
    if (best !== prev && best !== blank) {
      let p = max;
      if (logits) {
        // Softmax probability of the best class: 1 / Σ exp(x_k − max).
        let z = 0;
        for (let k = 0; k < classes; k++) z += Math.exp(data[base + k] - max);
        p = 1 / z;
      }
      text += chars[best > blank ? best - 1 : best];
      sum += p;
      kept++;
    }
    prev = best;
  }
  return { text, score: kept ? sum / kept : 0 };
}

/** CTC greedy decoding of [N, T, K] scores: one line per batch image. */
export function readTextRecognition(
  settings: TaskSettingsOf<'text-recognition'>,
  ctx: PostprocessContext,
): TextRecognitionResult {
  const out = pickOutput(settings, ctx);
  const [n, steps, classes] = out.dims;
  const chars = charsetOf(settings, ctx);
  if (settings.blankIndex >= classes) {
    throw new WorkbenchError(
      'INVALID_INPUT',
      `The blank index ${settings.blankIndex} is outside the ${classes} classes of '${out.name}'`,
    );
  }
  if (classes !== chars.length + 1) {
    const space = settings.spaceChar ? ' (with the space character)' : '';
    throw new WorkbenchError(
      'INVALID_INPUT',
      `'${out.name}' scores ${classes} classes, but the charset has ${chars.length} characters${space} + the blank = ${chars.length + 1}: check the charset file and "spaceChar"`,
    );
  }
  const logits = areLogits(out.data);
  const lines: TextLine[] = [];
  for (let b = 0; b < n; b++) {
    lines.push(decodeCtc(out.data, b * steps * classes, steps, classes, settings.blankIndex, chars, logits));
  }
  return { kind: 'text-recognition', output: out.name, lines };
}

// ---- DB text detection ------------------------------------------------------------------------

type Vec = [number, number];

/** A rotated rectangle: centre, unit axis `u` (its normal is v = (−u.y, u.x)) and half sizes along u and v. */
export interface RotatedRect {
  cx: number;
  cy: number;
  u: Vec;
  halfW: number;
  halfH: number;
}

const cross = (o: Vec, a: Vec, b: Vec): number => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);

/** Convex hull (Andrew's monotone chain), counter-clockwise in y-up terms, no collinear points. */
export function convexHull(points: readonly Vec[]): Vec[] {
  const p = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (p.length <= 2) return p;
  const lower: Vec[] = [];
  for (const q of p) {
    while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], q) <= 0) lower.pop();
    lower.push(q);
  }
  const upper: Vec[] = [];
  for (let k = p.length - 1; k >= 0; k--) {
    const q = p[k];
    while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], q) <= 0) upper.pop();
    upper.push(q);
  }
  return [...lower.slice(0, -1), ...upper.slice(0, -1)];
}

/** The minimum-area enclosing rectangle of a convex hull (rotating calipers: one side lies on a hull edge). */
export function minAreaRect(hull: readonly Vec[]): RotatedRect {
  let best: RotatedRect | null = null;
  let bestArea = Infinity;
  const n = hull.length;
  // A hull of one or two points (never from pixels, but possible from callers) has one edge to try.
  for (let i = 0; i < (n <= 2 ? 1 : n); i++) {
    const a = hull[i];
    const b = hull[(i + 1) % n] ?? a;
    const len = Math.hypot(b[0] - a[0], b[1] - a[1]);
    const u: Vec = len > 0 ? [(b[0] - a[0]) / len, (b[1] - a[1]) / len] : [1, 0];
    let [minU, maxU, minV, maxV] = [Infinity, -Infinity, Infinity, -Infinity];
    for (const q of hull) {
      const pu = q[0] * u[0] + q[1] * u[1];
      const pv = -q[0] * u[1] + q[1] * u[0];
      [minU, maxU, minV, maxV] = [Math.min(minU, pu), Math.max(maxU, pu), Math.min(minV, pv), Math.max(maxV, pv)];
    }
    const area = (maxU - minU) * (maxV - minV);
    if (area < bestArea - 1e-9) {
      bestArea = area;
      const mu = (minU + maxU) / 2;
      const mv = (minV + maxV) / 2;
      best = { cx: mu * u[0] - mv * u[1], cy: mu * u[1] + mv * u[0], u, halfW: (maxU - minU) / 2, halfH: (maxV - minV) / 2 };
    }
  }
  return best!;
}

export function rectCorners(r: RotatedRect): Vec[] {
  const [ux, uy] = r.u;
  const [vx, vy] = [-uy, ux];
  return [
    [-1, -1],
    [1, -1],
    [1, 1],
    [-1, 1],
  ].map(([su, sv]) => [r.cx + su * r.halfW * ux + sv * r.halfH * vx, r.cy + su * r.halfW * uy + sv * r.halfH * vy]);
}

/**
 * Four corners clockwise on screen from the top-left, as PaddleOCR's get_mini_boxes: of the two
 * leftmost corners the upper one starts, of the two rightmost the upper one comes second.
 */
export function orderCorners(corners: readonly Vec[]): Vec[] {
  const p = [...corners].sort((a, b) => a[0] - b[0]);
  const [tl, bl] = p[1][1] > p[0][1] ? [p[0], p[1]] : [p[1], p[0]];
  const [tr, br] = p[3][1] > p[2][1] ? [p[2], p[3]] : [p[3], p[2]];
  return [tl, tr, br, bl];
}

/** Reading order, as PaddleOCR's sorted_boxes: top to bottom, and left to right within 10 pixels of height. */
export function sortRegions<T extends { points: [number, number][] }>(regions: T[]): T[] {
  const out = [...regions].sort((a, b) => a.points[0][1] - b.points[0][1] || a.points[0][0] - b.points[0][0]);
  for (let i = 0; i < out.length - 1; i++) {
    for (let j = i; j >= 0; j--) {
      const [a, b] = [out[j], out[j + 1]];
      if (Math.abs(b.points[0][1] - a.points[0][1]) < 10 && b.points[0][0] < a.points[0][0]) [out[j], out[j + 1]] = [b, a];
      else break;
    }
  }
  return out;
}

interface Component {
  /** Per row of the component (minY..maxY): leftmost and rightmost pixel; −1 when the row is empty. */
  minY: number;
  rowMin: Int32Array;
  rowMax: Int32Array;
  pixels: number;
}

/**
 * 8-connected components of `mask` (1 = text), in scan order, at most `limit` of them. Iterative
 * flood fill with an explicit stack: a large region never overflows the call stack.
 */
export function connectedComponents(mask: Uint8Array, width: number, height: number, limit: number): Component[] {
  const seen = new Uint8Array(mask.length);
  const stack = new Int32Array(mask.length);
  const found: Component[] = [];
  const rowMin = new Int32Array(height).fill(width);
  const rowMax = new Int32Array(height).fill(-1);
  for (let start = 0; start < mask.length && found.length < limit; start++) {
    if (!mask[start] || seen[start]) continue;
    let top = 0;
    stack[top++] = start;
    seen[start] = 1;
    let [minY, maxY, pixels] = [height, -1, 0];
    while (top > 0) {
      const i = stack[--top];
      const x = i % width;
      const y = (i - x) / width;
      pixels++;
      if (x < rowMin[y]) rowMin[y] = x;
      if (x > rowMax[y]) rowMax[y] = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= width) continue;
          const j = ny * width + nx;
          if (mask[j] && !seen[j]) {
            seen[j] = 1;
            stack[top++] = j;
          }
        }
      }
    }
    found.push({ minY, rowMin: rowMin.slice(minY, maxY + 1), rowMax: rowMax.slice(minY, maxY + 1), pixels });
    rowMin.fill(width, minY, maxY + 1);
    rowMax.fill(-1, minY, maxY + 1);
  }
  return found;
}

/** The pixel squares' corners that can lie on the hull: both ends of every row. */
function componentOutline(c: Component): Vec[] {
  const pts: Vec[] = [];
  for (let r = 0; r < c.rowMin.length; r++) {
    if (c.rowMax[r] < 0) continue;
    const y = c.minY + r;
    const [l, rt] = [c.rowMin[r], c.rowMax[r] + 1];
    pts.push([l, y], [l, y + 1], [rt, y], [rt, y + 1]);
  }
  return pts;
}

/** Mean of the map over the pixels whose centres lie inside the rectangle (DB's box score). */
function rectScore(prob: ArrayLike<number>, offset: number, width: number, height: number, r: RotatedRect): number {
  const corners = rectCorners(r);
  const xs = corners.map((p) => p[0]);
  const ys = corners.map((p) => p[1]);
  const x0 = Math.max(0, Math.floor(Math.min(...xs)));
  const x1 = Math.min(width - 1, Math.ceil(Math.max(...xs)));
  const y0 = Math.max(0, Math.floor(Math.min(...ys)));
  const y1 = Math.min(height - 1, Math.ceil(Math.max(...ys)));
  const [ux, uy] = r.u;
  let [sum, n] = [0, 0];
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const dx = x + 0.5 - r.cx;
      const dy = y + 0.5 - r.cy;
      if (Math.abs(dx * ux + dy * uy) <= r.halfW + 1e-9 && Math.abs(-dx * uy + dy * ux) <= r.halfH + 1e-9) {
        sum += prob[offset + y * width + x];
        n++;
      }
    }
  }
  return n ? sum / n : 0;
}

/** Regions this many original-image pixels wide or high, or less, are dropped. */
const MIN_REGION_SIDE = 3;

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));
const round2 = (x: number): number => Math.round(x * 100) / 100;

/** Regions of one probability map (H×W at `offset`), in original-image pixels through `t`. */
function regionsOf(
  settings: TaskSettingsOf<'text-detection'>,
  prob: ArrayLike<number>,
  offset: number,
  width: number,
  height: number,
  t: ImageTransform,
): TextRegion[] {
  // A map smaller than the input (some DB exports stop at 1/4) is stretched onto the input.
  const toTensorX = t.tensorWidth / width;
  const toTensorY = t.tensorHeight / height;
  const mask = new Uint8Array(width * height);
  for (let i = 0; i < mask.length; i++) mask[i] = prob[offset + i] > settings.threshold ? 1 : 0;
  const regions: TextRegion[] = [];
  for (const c of connectedComponents(mask, width, height, settings.maxCandidates)) {
    const rect = minAreaRect(convexHull(componentOutline(c)));
    if (2 * Math.min(rect.halfW, rect.halfH) < settings.minSize) continue;
    const score = rectScore(prob, offset, width, height, rect);
    if (score < settings.boxThreshold) continue;
    // DB's unclip: offset the shrunk text kernel outwards by area × ratio / perimeter. For a
    // rectangle the offset polygon's minimum-area box is the rectangle grown by that distance.
    const [w, h] = [2 * rect.halfW, 2 * rect.halfH];
    const d = (w * h * settings.unclipRatio) / (2 * (w + h));
    const grown = { ...rect, halfW: rect.halfW + d, halfH: rect.halfH + d };
    if (2 * Math.min(grown.halfW, grown.halfH) < settings.minSize + 2) continue;
    const corners = rectCorners(grown).map(([x, y]): Vec => {
      const p = toImageCoords({ x: x * toTensorX, y: y * toTensorY }, t);
      return [round2(clamp(p.x, 0, t.originalWidth)), round2(clamp(p.y, 0, t.originalHeight))];
    });
    const points = orderCorners(corners);
    // Tiny regions (clipping can flatten one lying along an edge) are dropped, as PaddleOCR's
    // filter_tag_det_res drops boxes 3 pixels wide or high or less.
    const side = (a: Vec, b: Vec): number => Math.hypot(a[0] - b[0], a[1] - b[1]);
    if (side(points[0], points[1]) <= MIN_REGION_SIDE || side(points[0], points[3]) <= MIN_REGION_SIDE) continue;
    regions.push({ points, score });
  }
  return sortRegions(regions);
}

/**
 * DB postprocessing of [N, 1, H, W] (or [N, H, W]) text probabilities: binarise, connected
 * components, each one's minimum-area rotated rectangle, scored and grown ("unclipped"), then put
 * back on the original image. One result per batch image.
 */
export function readTextDetection(settings: TaskSettingsOf<'text-detection'>, ctx: PostprocessContext): TextDetectionResult[] {
  const out = pickOutput(settings, ctx);
  const d = out.dims;
  const [n, height, width] = d.length === 4 ? [d[0], d[2], d[3]] : [d[0], d[1], d[2]];
  // PaddleOCR's map is already a sigmoid; raw logits are turned into probabilities first.
  const prob = areLogits(out.data) ? Float32Array.from(out.data, sigmoid) : out.data;
  const results: TextDetectionResult[] = [];
  for (let b = 0; b < n; b++) {
    const t = ctx.transforms[b] ?? identityTransform(width, height);
    results.push({
      kind: 'text-detection',
      output: out.name,
      regions: regionsOf(settings, prob, b * width * height, width, height, t),
      imageWidth: t.originalWidth,
      imageHeight: t.originalHeight,
      image: b,
    });
  }
  return results;
}
