// Reading a model's I/O signature: the image input, shapes in words. Pure; shared by the task
// guess (task-guess.ts) and the model-family table (families.ts).
import type { Dim, ValueInfo } from './model-info';

export const fmtShape = (s: Dim[] | null): string =>
  s ? `[${s.map((d) => (d === null ? '?' : String(d))).join(', ')}]` : '[unknown rank]';
export const isNum = (d: Dim | undefined): d is number => typeof d === 'number';
export const isFloat = (v: ValueInfo): boolean => v.dtype === 'float32' || v.dtype === 'float16' || v.dtype === 'float64';

export interface ImageSignature {
  v: ValueInfo;
  channelsFirst: boolean;
  h: Dim;
  w: Dim;
}

/** An input shaped [N,3,H,W] or [N,H,W,3] (float or uint8). */
export function imageInput(inputs: readonly ValueInfo[]): ImageSignature | null {
  for (const v of inputs) {
    const s = v.shape;
    if (v.kind !== 'tensor' || !s || s.length !== 4 || !(isFloat(v) || v.dtype === 'uint8')) continue;
    if (s[1] === 3 || s[1] === 1) return { v, channelsFirst: true, h: s[2], w: s[3] };
    if (s[3] === 3 || s[3] === 1) return { v, channelsFirst: false, h: s[1], w: s[2] };
  }
  return null;
}

/** An output's channel, height and width read in the image input's layout (rank 4), else null. */
export function outputPlane(o: ValueInfo, img: ImageSignature): { c: Dim; h: Dim; w: Dim } | null {
  const s = o.shape;
  if (!s || s.length !== 4) return null;
  return img.channelsFirst ? { c: s[1], h: s[2], w: s[3] } : { c: s[3], h: s[1], w: s[2] };
}
