import { describe, expect, it } from 'vitest';
import { allocateData, packPixels, pixelToValue } from '../../electron/engine/image/pack';
import type { PreprocessRecipe } from '../../shared/recipe';

const base: PreprocessRecipe = {
  resize: { mode: 'stretch', width: 5, height: 3, padColor: [0, 0, 0], interpolation: 'bilinear' },
  layout: 'NCHW',
  channels: 'RGB',
  alpha: 'drop',
  scale: 1 / 255,
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
  dtype: 'float32',
  normalizeIntegers: false,
} as PreprocessRecipe;

/** Each value from its own pixel and channel, as the recipe says, one at a time. */
function reference(pixels: Uint8Array, sc: number, w: number, h: number, recipe: PreprocessRecipe): number[] {
  const order = recipe.channels === 'BGR' ? [2, 1, 0] : [0, 1, 2];
  const out: number[] = [];
  for (let k = 0; k < 3; k++)
    for (let i = 0; i < w * h; i++) out.push(Math.fround(pixelToValue(recipe, k, pixels[i * sc + order[k]])));
  return out;
}

describe('packing pixels into planes', () => {
  it('gives every value of RGB and BGR planes from 3- and 4-channel pixels, at an offset in the batch', () => {
    const [w, h] = [5, 3];
    for (const channels of ['RGB', 'BGR'] as const)
      for (const sc of [3, 4] as const)
        for (const layout of ['NCHW', 'CHW'] as const) {
          const recipe = { ...base, channels, layout };
          const pixels = Uint8Array.from({ length: w * h * sc }, (_, i) => (i * 37 + 11) & 255);
          const per = w * h * 3;
          const out = allocateData('float32', per * 2) as Float32Array;
          out.fill(-99);
          packPixels(pixels, sc, w, h, recipe, out, per);
          // The first image's place is left as it was; the second is the image.
          expect(Array.from(out.subarray(0, per)).every((v) => v === -99)).toBe(true);
          expect(Array.from(out.subarray(per))).toEqual(reference(pixels, sc, w, h, recipe));
        }
  });
});
