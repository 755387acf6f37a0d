// Segmentation: class maps [B,C,H,W] (argmax), label maps [B,H,W], and one-channel foreground or
// matting maps [B,1,H,W] → a mask and a coloured overlay at the original image's size.
import type { ImageTransform } from '../recipe';
import type { NumericArray, Readable, SegmentClass, SegmentationResult, TaskSettingsOf } from '../tasks';
import { paletteColor } from './colormap';
import type { PostprocessContext } from './context';
import { labelOf, resolveLabels } from './labels';
import { resampleBilinear, resampleNearest } from './resample';
import { allIntegers, cannotRead, clampByte, known, minMax, pickOutput, sigmoid, type OutputShape } from './outputs';

type Settings = TaskSettingsOf<'segmentation'>;
type BinaryActivation = Exclude<Settings['activation'], 'auto'>;

const NEED =
  'segmentation needs class maps shaped [1, C, H, W] (or [1, H, W, C]), a one-channel map [1, 1, H, W], or a label map [1, H, W]';

interface SegPlan {
  /** maps: C class maps (argmax); labels: one class id per pixel; binary: one foreground map. */
  read: 'maps' | 'labels' | 'binary';
  nhwc: boolean;
  batch: number;
  channels: number;
  height: number;
  width: number;
}

const INT_DTYPES = new Set(['int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'bool']);

/** How a shape reads in this mode, or why it does not. `integersOnly`: the values are whole numbers (data known). */
function planFor(o: OutputShape, mode: Settings['mode'], integersOnly = false): SegPlan | string {
  const d = o.dims;
  // At least two pixels: a [N, C, 1, 1] classifier output is no map.
  const spatial = (h: number, w: number): boolean => !known(h) || !known(w) || h * w >= 2;
  if (d.length === 4) {
    // Channels last only when they are far fewer than either side (TF [1, 513, 513, 21]).
    const nhwc = known(d[1]) && known(d[2]) && known(d[3]) && d[3] * 4 <= Math.min(d[1], d[2]);
    const [c, h, w] = nhwc ? [d[3], d[1], d[2]] : [d[1], d[2], d[3]];
    if (!spatial(h, w)) return 'has fewer than 2 pixels';
    const base = { nhwc, batch: d[0], channels: c, height: h, width: w };
    if (c === 1)
      return mode === 'semantic' ? 'has one channel; semantic mode needs 2 or more class maps' : { ...base, read: 'binary' };
    if (mode === 'binary') return `has ${known(c) ? c : 'several'} channels; binary mode needs one`;
    return { ...base, read: 'maps' };
  }
  if (d.length === 3) {
    const [b, h, w] = d;
    // Both sides, so that [1, 1, 1000] scores are not taken for a one-pixel-high map.
    if ((known(h) && h < 2) || (known(w) && w < 2)) return 'is not at least 2×2 pixels';
    const labels = mode === 'semantic' || (mode === 'auto' && (INT_DTYPES.has(o.dtype) || integersOnly));
    return { read: labels ? 'labels' : 'binary', nhwc: false, batch: b, channels: 1, height: h, width: w };
  }
  return `has rank ${d.length}`;
}

export function canReadSegmentation(settings: Settings, outputs: OutputShape[]): Readable {
  const p = pickOutput(outputs, settings.output, (o) => asReason(planFor(o, settings.mode)), NEED);
  return p.ok ? { ok: true, outputs: [p.output.name] } : p;
}

/** The mode a model's outputs suggest: one channel → binary, class or label maps → semantic; float [1, H, W]: decided by the values. */
export function segmentationModeFor(outputs: OutputShape[]): Settings['mode'] {
  for (const o of outputs) {
    const p = planFor(o, 'auto');
    if (typeof p === 'string') continue;
    if (p.read === 'maps' || p.read === 'labels') return 'semantic';
    return o.dims.length === 4 ? 'binary' : 'auto';
  }
  return 'auto';
}

const asReason = (p: SegPlan | string): string | null => (typeof p === 'string' ? p : null);

/** Per cell of image b: the class with the largest value (or the label map's id). */
function classCells(data: NumericArray, p: SegPlan, b: number): { cells: Uint16Array; classes: number } {
  const hw = p.height * p.width;
  const cells = new Uint16Array(hw);
  if (p.read === 'labels') {
    let max = 0;
    for (let i = 0; i < hw; i++) {
      const v = Math.max(0, Math.min(65535, Math.round(data[b * hw + i]) || 0));
      cells[i] = v;
      if (v > max) max = v;
    }
    return { cells, classes: max + 1 };
  }
  const c = p.channels;
  const base = b * c * hw;
  if (p.nhwc) {
    for (let i = 0; i < hw; i++) {
      let best = -Infinity;
      let k = 0;
      for (let ch = 0; ch < c; ch++) {
        const v = data[base + i * c + ch];
        if (v > best) {
          best = v;
          k = ch;
        }
      }
      cells[i] = k;
    }
  } else {
    // Channel planes are contiguous: keep the best value per cell while walking plane by plane.
    const best = new Float32Array(hw).fill(-Infinity);
    for (let ch = 0; ch < c; ch++) {
      const off = base + ch * hw;
      for (let i = 0; i < hw; i++) {
        const v = data[off + i];
        if (v > best[i]) {
          best[i] = v;
          cells[i] = ch;
        }
      }
    }
  }
  return { cells, classes: c };
}

/** One image's map to read: the output's values, how they read, which image of the batch and how it was resized. */
interface ImageMap {
  settings: Settings;
  ctx: PostprocessContext;
  name: string;
  data: NumericArray;
  p: SegPlan;
  b: number;
  t: ImageTransform | null;
}

/** The mask and its coloured overlay of image `b`, both at the image's size. */
function pictures(width: number, height: number, mask: Uint8Array, overlay: Uint8Array, b: number) {
  return {
    mask: { width, height, channels: 1, data: mask },
    overlay: { width, height, channels: 4, data: overlay },
    imageWidth: width,
    imageHeight: height,
    image: b,
  } satisfies Partial<SegmentationResult>;
}

function semantic({ settings, ctx, name, data, p, b, t }: ImageMap): SegmentationResult {
  const { cells, classes } = classCells(data, p, b);
  const { width, height, data: map } = resampleNearest(cells, p.width, p.height, t, (n) => new Uint16Array(n));
  const counts = new Float64Array(classes);
  for (let i = 0; i < map.length; i++) counts[map[i]]++;
  const colors = Array.from({ length: classes }, (_, k) => paletteColor(k));
  const mask = new Uint8Array(map.length);
  const overlay = new Uint8Array(map.length * 4);
  for (let i = 0; i < map.length; i++) {
    const k = map[i];
    mask[i] = k > 255 ? 255 : k;
    if (k === 0) continue;
    const c = colors[k];
    overlay[i * 4] = c[0];
    overlay[i * 4 + 1] = c[1];
    overlay[i * 4 + 2] = c[2];
    overlay[i * 4 + 3] = 255;
  }
  const labels = resolveLabels(settings.labels, ctx, classes);
  const present: SegmentClass[] = [];
  for (let k = 0; k < classes; k++)
    if (counts[k] > 0) present.push({ classId: k, label: labelOf(labels, k), area: counts[k] / map.length, color: colors[k] });
  present.sort((a, b) => b.area - a.area || a.classId - b.classId);
  return {
    kind: 'segmentation',
    mode: 'semantic',
    output: name,
    activation: 'none',
    classes: present,
    ...pictures(width, height, mask, overlay, b),
  };
}

function binary({ settings, ctx, name, data, p, b, t }: ImageMap, activation: BinaryActivation): SegmentationResult {
  const hw = p.height * p.width;
  const cells = new Float32Array(hw);
  const useSigmoid = activation === 'sigmoid' || activation === 'sigmoid-minmax';
  for (let i = 0; i < hw; i++) {
    const v = data[b * hw + i];
    cells[i] = useSigmoid ? sigmoid(v) : v;
  }
  if (activation === 'minmax' || activation === 'sigmoid-minmax') {
    // rembg: (pred - min) / (max - min) over the map, before resizing.
    const { min, max } = minMax(cells);
    const span = max - min;
    for (let i = 0; i < hw; i++) cells[i] = span > 0 ? (cells[i] - min) / span : 0;
  }
  // Bilinear before the threshold: smooth edges instead of the model's cell staircase.
  const { width, height, data: prob } = resampleBilinear(cells, p.width, p.height, t, 0);
  const mask = new Uint8Array(prob.length);
  let inside = 0;
  for (let i = 0; i < prob.length; i++) {
    const on = prob[i] > settings.threshold;
    if (on) inside++;
    mask[i] = settings.soft ? clampByte(prob[i] * 255) : on ? 255 : 0;
  }
  const color = paletteColor(1);
  const overlay = new Uint8Array(prob.length * 4);
  for (let i = 0; i < prob.length; i++) {
    overlay[i * 4] = color[0];
    overlay[i * 4 + 1] = color[1];
    overlay[i * 4 + 2] = color[2];
    overlay[i * 4 + 3] = mask[i];
  }
  const labels = resolveLabels(settings.labels, ctx, 2);
  return {
    kind: 'segmentation',
    mode: 'binary',
    output: name,
    activation,
    classes: [{ classId: 1, label: labels?.[1] || 'foreground', area: prob.length ? inside / prob.length : 0, color }],
    ...pictures(width, height, mask, overlay, b),
  };
}

export function readSegmentation(settings: Settings, ctx: PostprocessContext): SegmentationResult[] {
  const picked = pickOutput(ctx.outputs, settings.output, (o) => asReason(planFor(o, settings.mode)), NEED);
  if (!picked.ok) cannotRead(picked.reason);
  const o = picked.output;
  const need = o.dims.reduce((n, d) => n * d, 1);
  if (o.data.length < need) cannotRead(`output "${o.name}" has ${o.data.length} values, fewer than its shape needs (${need})`);
  // A float [1, H, W] map of whole numbers is a label map, not probabilities.
  const plan = planFor(o, settings.mode, o.dims.length <= 3 && allIntegers(o.data)) as SegPlan;
  let activation: BinaryActivation = settings.activation === 'auto' ? 'none' : settings.activation;
  if (plan.read === 'binary' && settings.activation === 'auto') {
    for (let i = 0; i < o.data.length && activation === 'none'; i++) if (o.data[i] < 0 || o.data[i] > 1) activation = 'sigmoid';
  }
  const results: SegmentationResult[] = [];
  for (let b = 0; b < plan.batch; b++) {
    const map: ImageMap = {
      settings,
      ctx,
      name: o.name,
      data: o.data,
      p: plan,
      b,
      t: ctx.transforms[b] ?? ctx.transforms[0] ?? null,
    };
    results.push(plan.read === 'binary' ? binary(map, activation) : semantic(map));
  }
  return results;
}
