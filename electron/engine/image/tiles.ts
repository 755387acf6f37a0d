// A model with a fixed input size over an image of any size, tile by tile: each tile packed
// through the recipe (its normalisation, layout and dtype; no resize), run, and its output
// [1, C, h·s, w·s] blended into the full-size result with feathered weights over the overlaps
// (shared/tiles.ts). The scale s comes from the output's size over the input's. Only one tile's
// tensors and the result (plus one weight plane) are held.
import type * as Ort from 'onnxruntime-node';
import { channelCount, type PreprocessRecipe } from '../../../shared/recipe';
import { WorkbenchError } from '../../../shared/result';
import { featherRamp, tileGrid, type Tile } from '../../../shared/tiles';
import { loadOrt } from '../ort';
import { allocateData, packPixels } from './pack';

export interface TiledRun {
  session: Ort.InferenceSession;
  input: string;
  output: string;
  recipe: PreprocessRecipe;
  /** The model's input size (each tile's size). */
  tile: { width: number; height: number };
  overlap: number;
  signal?: AbortSignal;
  onTile?: (done: number, total: number) => void;
}

export interface TiledResult {
  /** Planar [C, height, width] floats, as the model gives them. */
  data: Float32Array;
  channels: number;
  width: number;
  height: number;
  scale: number;
  tiles: number;
}

/** Copies a tile out of an HWC image, padding past the edges by repeating the last row/column. */
function cropTile(
  pixels: Uint8Array,
  channels: 3 | 4,
  width: number,
  height: number,
  t: Tile,
  size: { width: number; height: number },
) {
  const out = new Uint8Array(size.width * size.height * channels);
  for (let y = 0; y < size.height; y++) {
    const sy = Math.min(t.y + y, height - 1);
    for (let x = 0; x < size.width; x++) {
      const sx = Math.min(t.x + x, width - 1);
      const s = (sy * width + sx) * channels;
      const d = (y * size.width + x) * channels;
      for (let c = 0; c < channels; c++) out[d + c] = pixels[s + c];
    }
  }
  return out;
}

export async function runTiled(
  pixels: Uint8Array,
  channels: 3 | 4,
  width: number,
  height: number,
  run: TiledRun,
): Promise<TiledResult> {
  if (run.recipe.layout !== 'NCHW')
    throw new WorkbenchError('UNSUPPORTED', `Tiling needs an NCHW input, not ${run.recipe.layout}`);
  const ort = await loadOrt();
  const size = run.tile;
  const tiles = tileGrid(width, height, size, run.overlap);
  const c = channelCount(run.recipe);
  const xs = [...new Set(tiles.map((t) => t.x))];
  const ys = [...new Set(tiles.map((t) => t.y))];
  let acc: Float32Array | null = null;
  let weights: Float32Array | null = null;
  let outC = 0;
  let scale = 0;
  let W = 0;
  let H = 0;
  for (let n = 0; n < tiles.length; n++) {
    if (run.signal?.aborted) throw new WorkbenchError('CANCELLED', 'Cancelled.');
    const t = tiles[n];
    const data = allocateData(run.recipe.dtype, size.width * size.height * c);
    packPixels(cropTile(pixels, channels, width, height, t, size), channels, size.width, size.height, run.recipe, data, 0);
    const type = run.recipe.dtype === 'float16' ? 'float16' : run.recipe.dtype;
    const result = await run.session.run({
      [run.input]: new ort.Tensor(type as 'float32', data as Float32Array, [1, c, size.height, size.width]),
    });
    const out = result[run.output];
    if (!out) throw new WorkbenchError('INVALID_INPUT', `The model has no output "${run.output}"`);
    const dims = out.dims;
    if (dims.length !== 4 || dims[0] !== 1)
      throw new WorkbenchError('INVALID_INPUT', `Tiling reads [1, C, H, W] outputs; "${run.output}" is [${dims.join(', ')}]`);
    const [, oc, oh, ow] = dims;
    const s = ow / size.width;
    if (!acc) {
      if (Math.abs(oh / size.height - s) > 1e-9 || !(s > 0))
        throw new WorkbenchError(
          'INVALID_INPUT',
          `The output ${ow}×${oh} is not the tile ${size.width}×${size.height} scaled evenly`,
        );
      outC = oc;
      scale = s;
      W = Math.round(width * s);
      H = Math.round(height * s);
      acc = new Float32Array(outC * W * H);
      weights = new Float32Array(W * H);
    }
    const values = out.data as Float32Array;
    // Feather only toward sides that have a neighbour; the ramps span the real overlaps (in output pixels).
    const xi = xs.indexOf(t.x);
    const yi = ys.indexOf(t.y);
    const left = xi > 0 ? xs[xi - 1] + size.width - t.x : 0;
    const right = xi < xs.length - 1 ? t.x + size.width - xs[xi + 1] : 0;
    const top = yi > 0 ? ys[yi - 1] + size.height - t.y : 0;
    const bottom = yi < ys.length - 1 ? t.y + size.height - ys[yi + 1] : 0;
    const wx = featherRamp(ow, Math.round(left * s), Math.round(right * s));
    const wy = featherRamp(oh, Math.round(top * s), Math.round(bottom * s));
    const x0 = Math.round(t.x * s);
    const y0 = Math.round(t.y * s);
    const tw = Math.min(ow, W - x0);
    const th = Math.min(oh, H - y0);
    for (let y = 0; y < th; y++) {
      const row = (y0 + y) * W + x0;
      for (let x = 0; x < tw; x++) {
        const w = wx[x] * wy[y];
        weights![row + x] += w;
        for (let k = 0; k < outC; k++) acc[k * W * H + row + x] += w * values[(k * oh + y) * ow + x];
      }
    }
    run.onTile?.(n + 1, tiles.length);
  }
  const plane = W * H;
  for (let i = 0; i < plane; i++) {
    const w = weights![i];
    for (let k = 0; k < outC; k++) acc![k * plane + i] /= w;
  }
  return { data: acc!, channels: outC, width: W, height: H, scale, tiles: tiles.length };
}
