// Image-to-image: an image-shaped output (enhancement, super-resolution, style, depth) → pixels.
// Values are turned back into 0..255 by undoing the input recipe, from 0..1, as bytes, or by
// stretching their range; one-channel outputs go through a colour map.
import { normalizes, type PreprocessRecipe } from '../recipe';
import type { ImageOutputResult, Readable, TaskSettingsOf } from '../tasks';
import { colormapLut } from './colormap';
import type { PostprocessContext } from './context';
import { cannotRead, clampByte, fmtDims, known, minMax, pickOutput, type OutputShape } from './outputs';

type Settings = TaskSettingsOf<'image-to-image'>;
type Denormalize = Exclude<Settings['denormalize'], 'auto'>;

const NEED = 'image-to-image needs an image-shaped output: [1, 3, H, W], [1, H, W, 3], [1, 1, H, W] or [3, H, W]';

interface ImagePlan {
  batch: number;
  channels: 1 | 3;
  height: number;
  width: number;
  /** Channels last ([B,H,W,C] or [H,W,C]). */
  last: boolean;
}

const isC = (d: number): d is 1 | 3 => d === 1 || d === 3;

function planFor(o: OutputShape): ImagePlan | string {
  const d = o.dims;
  const big = (h: number, w: number): boolean => !known(h) || !known(w) || h * w >= 2;
  let p: ImagePlan | null = null;
  if (d.length === 4 && isC(d[1])) p = { batch: d[0], channels: d[1], height: d[2], width: d[3], last: false };
  else if (d.length === 4 && isC(d[3])) p = { batch: d[0], channels: d[3], height: d[1], width: d[2], last: true };
  else if (d.length === 3 && isC(d[0]) && !isC(d[2])) p = { batch: 1, channels: d[0], height: d[1], width: d[2], last: false };
  else if (d.length === 3 && isC(d[2])) p = { batch: 1, channels: d[2], height: d[0], width: d[1], last: true };
  if (!p) return 'has no 1 or 3 channels next to a height and a width';
  return big(p.height, p.width) ? p : 'is too small to be a picture';
}

const reason = (p: ImagePlan | string): string | null => (typeof p === 'string' ? p : null);

export function canReadImage(settings: Settings, outputs: OutputShape[]): Readable {
  const p = pickOutput(outputs, settings.output, (o) => reason(planFor(o)), NEED);
  return p.ok ? { ok: true, outputs: [p.output.name] } : p;
}

/** Tensor value range the recipe gives pixels 0..255, over all its channels. */
function recipeRange(r: PreprocessRecipe): { lo: number; hi: number } {
  if (!normalizes(r)) return r.dtype === 'int8' ? { lo: -128, hi: 127 } : { lo: 0, hi: 255 };
  let lo = Infinity;
  let hi = -Infinity;
  for (let c = 0; c < Math.max(r.mean.length, r.std.length); c++) {
    const mean = r.mean[Math.min(c, r.mean.length - 1)];
    const std = r.std[Math.min(c, r.std.length - 1)];
    for (const x of [0, 255]) {
      const v = (x * r.scale - mean) / std;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  return { lo, hi };
}

/** The recipe's pixel from a tensor value of tensor channel c. */
function undoRecipe(r: PreprocessRecipe, v: number, c: number): number {
  if (!normalizes(r)) return r.dtype === 'int8' ? v + 128 : v;
  const mean = r.mean[Math.min(c, r.mean.length - 1)];
  const std = r.std[Math.min(c, r.std.length - 1)];
  return (v * std + mean) / r.scale;
}

function chooseMapping(
  settings: Settings,
  recipe: PreprocessRecipe | undefined,
  channels: 1 | 3,
  min: number,
  max: number,
): Denormalize {
  if (settings.denormalize !== 'auto') {
    if (settings.denormalize === 'recipe' && !recipe)
      cannotRead('denormalise "recipe" needs the image input\'s recipe, and this run has none: choose unit, byte or minmax');
    return settings.denormalize;
  }
  const recipeChannels = recipe ? (recipe.channels === 'GRAY' ? 1 : 3) : 0;
  if (recipe && recipeChannels === channels) {
    // The output lives in the input's value range: the model predicts an image the way it was fed one.
    const { lo, hi } = recipeRange(recipe);
    const span = hi - lo;
    if (min >= lo - 0.1 * span && max <= hi + 0.1 * span && max - min >= 0.2 * span) return 'recipe';
  }
  if (min >= -0.02 && max <= 1.02) return 'unit';
  if (channels === 3 && min >= -1 && max <= 256 && max > 1.5) return 'byte';
  return 'minmax';
}

function describeMapping(m: Denormalize, recipe: PreprocessRecipe | undefined, min: number, max: number): string {
  const range = `values ${fmt(min)}..${fmt(max)}`;
  switch (m) {
    case 'recipe': {
      const steps = normalizes(recipe!) ? '× std + mean, ÷ scale' : recipe!.dtype === 'int8' ? '+ 128' : 'values as pixels';
      const bgr = recipe!.channels === 'BGR' ? ', BGR → RGB' : '';
      return `undid the input recipe (${steps}${bgr}); ${range}`;
    }
    case 'unit':
      return `read as 0..1 (× 255); ${range}`;
    case 'byte':
      return `read as 0..255; ${range}`;
    case 'minmax':
      return `stretched ${range} to 0..255`;
  }
}

const fmt = (v: number): string => (Math.abs(v) >= 100 || v === Math.round(v) ? String(Math.round(v)) : v.toPrecision(3));

export function readImage(settings: Settings, ctx: PostprocessContext): ImageOutputResult[] {
  const picked = pickOutput(ctx.outputs, settings.output, (o) => reason(planFor(o)), NEED);
  if (!picked.ok) cannotRead(picked.reason);
  const o = picked.output;
  const p = planFor(o) as ImagePlan;
  const { channels: c, height: h, width: w } = p;
  const per = c * h * w;
  if (o.data.length < p.batch * per) cannotRead(`output "${o.name}" has ${o.data.length} values, fewer than its shape needs`);
  const recipe = ctx.recipe;
  const results: ImageOutputResult[] = [];
  for (let b = 0; b < p.batch; b++) {
    const base = b * per;
    const { min, max } = minMax(o.data, base, base + per);
    const m = chooseMapping(settings, recipe, c, min, max);
    const span = max - min || 1;
    const toByte = (v: number, ch: number): number => {
      switch (m) {
        case 'recipe':
          return clampByte(undoRecipe(recipe!, v, ch));
        case 'unit':
          return clampByte(v * 255);
        case 'byte':
          return clampByte(v);
        case 'minmax':
          return clampByte(((v - min) / span) * 255);
      }
    };
    const at = (y: number, x: number, ch: number): number =>
      o.data[base + (p.last ? (y * w + x) * c + ch : (ch * h + y) * w + x)];
    const rgb = new Uint8Array(w * h * 3);
    // BGR recipes: tensor channel 0 is blue; "recipe" mapping puts colours back in RGB order.
    const swap = m === 'recipe' && c === 3 && recipe!.channels === 'BGR';
    const lut = c === 1 ? colormapLut(settings.colormap) : null;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = (y * w + x) * 3;
        if (lut) {
          const k = toByte(at(y, x, 0), 0) * 3;
          rgb[i] = lut[k];
          rgb[i + 1] = lut[k + 1];
          rgb[i + 2] = lut[k + 2];
          continue;
        }
        for (let ch = 0; ch < 3; ch++) rgb[i + (swap ? 2 - ch : ch)] = toByte(at(y, x, ch), ch);
      }
    }
    const what = c === 1 ? `one channel through the ${settings.colormap} colour map` : 'RGB';
    results.push({
      kind: 'image-to-image',
      output: o.name,
      mapping: `${what} from "${o.name}" ${fmtDims(o.dims)}: ${describeMapping(m, recipe, min, max)}`,
      picture: { width: w, height: h, channels: 3, data: rgb },
      image: b,
    });
  }
  return results;
}
