// Any output as something to look at: 2-D as a heatmap, 3-D/4-D as a grid of channel pictures,
// 1-D as a series of values, with the value range.
import type { GenericResult, NumericArray, Raster, Readable, TaskSettingsOf } from '../tasks';
import { colormapLut, type ColormapName } from './colormap';
import type { PostprocessContext } from './context';
import { cannotRead, minMax, pickOutput, type OutputShape } from './outputs';

type Settings = TaskSettingsOf<'generic'>;

const NEED = 'generic needs an output of numbers';
/** Pictures larger than this on a side are sampled down (nearest). */
export const MAX_PICTURE_SIDE = 2048;
export const MAX_SERIES = 4096;
export const MAX_GRID_CHANNELS = 64;

export function canReadGeneric(settings: Settings, outputs: OutputShape[]): Readable {
  const p = pickOutput(outputs, settings.output, () => null, NEED);
  return p.ok ? { ok: true, outputs: [p.output.name] } : p;
}

/** Up to `max` evenly spaced values (first and last included). */
export function sampleSeries(data: NumericArray, max = MAX_SERIES): number[] {
  const n = data.length;
  if (n <= max) return Array.from({ length: n }, (_, i) => data[i]);
  return Array.from({ length: max }, (_, i) => data[Math.round((i * (n - 1)) / (max - 1))]);
}

interface Planes {
  count: number;
  height: number;
  width: number;
  /** Value of plane k at (y, x). */
  at: (k: number, y: number, x: number) => number;
}

/** Colours planes side by side in a grid with 1-pixel gaps (one plane: no gaps), at most MAX_PICTURE_SIDE a side. */
function paint(p: Planes, min: number, max: number, colormap: ColormapName): Raster {
  const cols = Math.ceil(Math.sqrt(p.count));
  const rows = Math.ceil(p.count / cols);
  const gap = p.count > 1 ? 1 : 0;
  // Shrink the tiles (whole steps) until the grid fits.
  const step = Math.max(
    1,
    Math.ceil((p.width * cols + gap * (cols - 1)) / MAX_PICTURE_SIDE),
    Math.ceil((p.height * rows + gap * (rows - 1)) / MAX_PICTURE_SIDE),
  );
  const tw = Math.ceil(p.width / step);
  const th = Math.ceil(p.height / step);
  const width = tw * cols + gap * (cols - 1);
  const height = th * rows + gap * (rows - 1);
  const data = new Uint8Array(width * height * 3);
  const lut = colormapLut(colormap);
  const span = max - min || 1;
  for (let k = 0; k < p.count; k++) {
    const ox = (k % cols) * (tw + gap);
    const oy = Math.floor(k / cols) * (th + gap);
    for (let y = 0; y < th; y++) {
      for (let x = 0; x < tw; x++) {
        const v = p.at(k, y * step, x * step);
        const idx = Math.max(0, Math.min(255, Math.round(((v - min) / span) * 255))) || 0;
        const o = ((oy + y) * width + ox + x) * 3;
        data[o] = lut[idx * 3];
        data[o + 1] = lut[idx * 3 + 1];
        data[o + 2] = lut[idx * 3 + 2];
      }
    }
  }
  return { width, height, channels: 3, data };
}

export function readGeneric(settings: Settings, ctx: PostprocessContext): GenericResult[] {
  const picked = pickOutput(ctx.outputs, settings.output, () => null, NEED);
  if (!picked.ok) cannotRead(picked.reason);
  const o = picked.output;
  const data = o.data;
  const { min, max } = minMax(data);
  const base = { kind: 'generic' as const, output: o.name, dims: o.dims, min, max };
  // Leading size-1 dims (batch) say nothing about the layout.
  let d = o.dims;
  while (d.length > 1 && d[0] === 1) d = d.slice(1);
  const count = d.reduce((n, x) => n * x, 1);
  if (data.length < count || count === 0 || d.length === 0 || (d.length === 1 && d[0] === 1)) return [{ ...base, view: 'none' }];
  if (d.length === 1) return [{ ...base, view: 'plot', series: sampleSeries(data) }];
  if (d.length === 2) {
    const [h, w] = d;
    const picture = paint({ count: 1, height: h, width: w, at: (_k, y, x) => data[y * w + x] }, min, max, settings.colormap);
    return [{ ...base, view: 'heatmap', picture }];
  }
  if (d.length === 3 || d.length === 4) {
    // [C, H, W], or the first item of [N, C, H, W]; [H, W, C] when the last dim is a few channels.
    const [c, h, w] = d.length === 4 ? d.slice(1) : d;
    const last = d.length === 3 && d[2] <= 4 && d[0] > 4;
    const planes: Planes = last
      ? { count: d[2], height: d[0], width: d[1], at: (k, y, x) => data[(y * d[1] + x) * d[2] + k] }
      : { count: Math.min(c, MAX_GRID_CHANNELS), height: h, width: w, at: (k, y, x) => data[(k * h + y) * w + x] };
    return [{ ...base, view: 'grid', picture: paint(planes, min, max, settings.colormap) }];
  }
  return [{ ...base, view: 'none' }];
}
