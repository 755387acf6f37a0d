// What the model will see: a tensor turned back into an 8-bit picture (mean/std/scale undone,
// layout and BGR undone) plus per-channel statistics in tensor units, so a wrong mean or a
// channel swap is visible before running anything.
import { loadSharp } from './sharp';
import { channelNames, type ChannelName, type PreprocessRecipe, type RecipeDType } from '../../../shared/recipe';
import { WorkbenchError } from '../../../shared/result';
import { halfToFloat } from '../../../shared/tensor';
import { valueToPixel, type ImageTensor } from './pack';
import { parseRecipe } from './preprocess';

export interface ChannelStats {
  name: ChannelName;
  min: number;
  max: number;
  mean: number;
}

export interface TensorPreview {
  /** data:image/png;base64,… with the longest side at most maxSide. */
  previewPng: string;
  /** Over the whole tensor (all images of a batch), in tensor units, in tensor channel order. */
  channels: ChannelStats[];
  dims: number[];
  dtype: RecipeDType;
  /** Size of the PNG. */
  width: number;
  height: number;
}

export interface PreviewOptions {
  /** Which image of a batch to show (default 0). */
  index?: number;
  /** Longest side of the PNG (default 512); smaller images are not enlarged. */
  maxSide?: number;
}

let halfTable: Float32Array | null = null;
/** float16 bits → values, through a table of all 65536 computed once. */
function decodeHalves(bits: Uint16Array): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfToFloat(h);
  }
  const out = new Float32Array(bits.length);
  for (let k = 0; k < bits.length; k++) out[k] = halfTable[bits[k]];
  return out;
}

interface Geometry {
  n: number;
  c: number;
  h: number;
  w: number;
  planar: boolean;
}

function geometry(t: ImageTensor, recipe: PreprocessRecipe, expectC: number): Geometry {
  const d = t.dims;
  const batched = recipe.layout === 'NCHW' || recipe.layout === 'NHWC';
  const planar = recipe.layout === 'NCHW' || recipe.layout === 'CHW';
  const rank = batched ? 4 : 3;
  if (d.length !== rank)
    throw new WorkbenchError('INVALID_INPUT', `A ${recipe.layout} tensor needs ${rank} dims, these are [${d.join(', ')}]`);
  const [n, rest] = batched ? [d[0], d.slice(1)] : [1, d];
  const [c, h, w] = planar ? [rest[0], rest[1], rest[2]] : [rest[2], rest[0], rest[1]];
  if (c !== expectC)
    throw new WorkbenchError('INVALID_INPUT', `The recipe gives ${expectC} channels but the tensor [${d.join(', ')}] has ${c}`);
  if (t.data.length !== n * c * h * w)
    throw new WorkbenchError(
      'INVALID_INPUT',
      `The tensor holds ${t.data.length} values but its dims [${d.join(', ')}] need ${n * c * h * w}`,
    );
  return { n, c, h, w, planar };
}

export async function previewTensor(
  tensor: ImageTensor,
  recipe: PreprocessRecipe,
  options: PreviewOptions = {},
): Promise<TensorPreview> {
  const r = parseRecipe(recipe);
  if (tensor.dtype !== r.dtype)
    throw new WorkbenchError('INVALID_INPUT', `The tensor is ${tensor.dtype} but the recipe says ${r.dtype}`);
  const names = channelNames(r);
  const g = geometry(tensor, r, names.length);
  const index = options.index ?? 0;
  if (!Number.isInteger(index) || index < 0 || index >= g.n)
    throw new WorkbenchError('INVALID_INPUT', `Image ${index} asked for, but the batch has ${g.n}`);
  const maxSide = options.maxSide ?? 512;
  const hw = g.h * g.w;
  // float16 decoded once through a table; other types are read as they are.
  const src = tensor.dtype === 'float16' ? decodeHalves(tensor.data as Uint16Array) : tensor.data;
  // Channel k of image n: element (n*C + k)*hw + i*1 (planar) or (n*hw + i)*C + k (interleaved).
  const start = (n: number, k: number): number => (g.planar ? (n * g.c + k) * hw : n * hw * g.c + k);
  const step = g.planar ? 1 : g.c;

  const channels: ChannelStats[] = names.map((name, k) => {
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (let n = 0; n < g.n; n++) {
      for (let i = 0, e = start(n, k); i < hw; i++, e += step) {
        const v = src[e];
        if (v < min) min = v;
        if (v > max) max = v;
        sum += v;
      }
    }
    return { name, min, max, mean: sum / (g.n * hw) };
  });

  // Shown as RGB(A) or Y(A) whatever the tensor's channel order.
  const showOrder: ChannelName[] = r.channels === 'GRAY' ? ['Y'] : ['R', 'G', 'B'];
  if (r.alpha === 'keep') showOrder.push('A');
  const oc = showOrder.length;
  const pixels = new Uint8Array(hw * oc);
  showOrder.forEach((name, o) => {
    const k = names.indexOf(name);
    // valueToPixel is linear: pixel = v * a + b.
    const b = valueToPixel(r, k, 0);
    const a = valueToPixel(r, k, 1) - b;
    for (let i = 0, e = start(index, k), q = o; i < hw; i++, e += step, q += oc) {
      const p = Math.round(src[e] * a + b);
      pixels[q] = p < 0 ? 0 : p > 255 ? 255 : p;
    }
  });
  const sharp = await loadSharp();
  let img = sharp(pixels, { raw: { width: g.w, height: g.h, channels: oc as 1 | 2 | 3 | 4 } });
  if (Math.max(g.w, g.h) > maxSide) img = img.resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true });
  const { data, info } = await img.png().toBuffer({ resolveWithObject: true });
  return {
    previewPng: `data:image/png;base64,${data.toString('base64')}`,
    channels,
    dims: [...tensor.dims],
    dtype: tensor.dtype,
    width: info.width,
    height: info.height,
  };
}
