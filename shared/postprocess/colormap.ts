// Colours: the class palette for masks (Pascal VOC's bit pattern: deterministic, distinct for
// neighbouring ids) and colour maps for one-channel pictures. Pure.
import type { COLORMAPS } from '../tasks';

export type ColormapName = (typeof COLORMAPS)[number];
export type Rgb = [number, number, number];

/** Pascal VOC palette colour of a class: the bits of the id spread over R, G and B from the top bit down. */
export function paletteColor(classId: number): Rgb {
  let r = 0;
  let g = 0;
  let b = 0;
  let c = classId;
  for (let j = 0; j < 8; j++) {
    r |= (c & 1) << (7 - j);
    g |= ((c >> 1) & 1) << (7 - j);
    b |= ((c >> 2) & 1) << (7 - j);
    c >>= 3;
  }
  return [r, g, b];
}

// Nine evenly spaced stops of matplotlib's maps; the LUT interpolates between them.
const STOPS: Record<'viridis' | 'inferno', Rgb[]> = {
  viridis: [
    [68, 1, 84],
    [72, 40, 120],
    [62, 73, 137],
    [49, 104, 142],
    [38, 130, 142],
    [31, 158, 137],
    [53, 183, 121],
    [110, 206, 88],
    [253, 231, 37],
  ],
  inferno: [
    [0, 0, 4],
    [31, 12, 72],
    [85, 15, 109],
    [136, 34, 106],
    [186, 54, 85],
    [227, 89, 51],
    [249, 140, 10],
    [249, 201, 50],
    [252, 255, 164],
  ],
};

/** Google's polynomial fit of Turbo (Ruofei Du), x in 0..1 → 0..1 per channel. */
function turbo(x: number): Rgb {
  const x2 = x * x;
  const x3 = x2 * x;
  const x4 = x2 * x2;
  const x5 = x4 * x;
  const r = 0.13572138 + 4.6153926 * x - 42.66032258 * x2 + 132.13108234 * x3 - 152.94239396 * x4 + 59.28637943 * x5;
  const g = 0.09140261 + 2.19418839 * x + 4.84296658 * x2 - 14.18503333 * x3 + 4.27729857 * x4 + 2.82956604 * x5;
  const b = 0.1066733 + 12.64194608 * x - 60.58204836 * x2 + 110.36276771 * x3 - 89.90310912 * x4 + 27.34824973 * x5;
  const byte = (v: number): number => Math.max(0, Math.min(255, Math.round(v * 255)));
  return [byte(r), byte(g), byte(b)];
}

function buildLut(name: ColormapName): Uint8Array {
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    let c: Rgb;
    if (name === 'gray') c = [i, i, i];
    else if (name === 'turbo') c = turbo(i / 255);
    else {
      const stops = STOPS[name];
      const t = (i / 255) * (stops.length - 1);
      const k = Math.min(stops.length - 2, Math.floor(t));
      const f = t - k;
      c = [0, 1, 2].map((ch) => Math.round(stops[k][ch] * (1 - f) + stops[k + 1][ch] * f)) as Rgb;
    }
    lut.set(c, i * 3);
  }
  return lut;
}

const luts = new Map<ColormapName, Uint8Array>();

/** 256 RGB entries (768 bytes): entry i is the colour of value i/255. */
export function colormapLut(name: ColormapName): Uint8Array {
  let lut = luts.get(name);
  if (!lut) luts.set(name, (lut = buildLut(name)));
  return lut;
}
