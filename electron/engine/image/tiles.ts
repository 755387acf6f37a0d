// A model with a fixed input size over an image of any size, tile by tile: each tile packed
// through the recipe (its normalisation, layout and dtype; no resize), run, and each output
// [1, C, h·s, w·s] added into the full-size result with feathered weights over the overlaps
// (shared/tiles.ts). The scale s comes from the output's size over the input's. The weights are
// separable (a column ramp times a row ramp, over a full grid), so their sum is known per row and
// per column up front: each tile goes into the result already normalised, and is dropped. Only
// one tile's tensors and the results are held: no weight plane, no list of tile outputs.
import type * as Ort from 'onnxruntime-node';
import { channelCount, type PreprocessRecipe } from '../../../shared/recipe';
import { WorkbenchError } from '../../../shared/result';
import { halfToFloat } from '../../../shared/tensor';
import { featherRamp, tileStarts } from '../../../shared/tiles';
import { loadOrt } from '../ort';
import { allocateData, packPixels, type ImageTensor } from './pack';

export interface TiledRun {
  session: Ort.InferenceSession;
  input: string;
  /** The outputs to assemble, each [1, C, H, W] at the tile's size times a scale. */
  outputs: readonly string[];
  recipe: PreprocessRecipe;
  /** Each tile's size (a fixed input's size). */
  tile: { width: number; height: number };
  overlap: number;
  signal?: AbortSignal;
  onTile?: (done: number, total: number) => void;
}

export interface TiledOutput {
  name: string;
  /** Planar [C, height, width] floats, as the model gives them. */
  data: Float32Array;
  channels: number;
  width: number;
  height: number;
  scale: number;
}

export interface TiledResult {
  outputs: TiledOutput[];
  tiles: number;
  /** The last tile's input tensor (to summarise what the model was fed). */
  lastInput: ImageTensor;
}

/** Copies a tile out of an HWC image, padding past the edges by repeating the last row/column. */
function cropTile(
  pixels: Uint8Array,
  channels: 3 | 4,
  width: number,
  height: number,
  at: { x: number; y: number },
  size: { width: number; height: number },
  out: Uint8Array,
) {
  for (let y = 0; y < size.height; y++) {
    const sy = Math.min(at.y + y, height - 1);
    for (let x = 0; x < size.width; x++) {
      const sx = Math.min(at.x + x, width - 1);
      const s = (sy * width + sx) * channels;
      const d = (y * size.width + x) * channels;
      for (let c = 0; c < channels; c++) out[d + c] = pixels[s + c];
    }
  }
}

/**
 * One axis of one output: where each tile lands (output pixels), how many of its pixels fit, and
 * its feather ramp divided by the sum of all ramps over each pixel (so the weights add up to 1).
 */
interface Axis {
  starts: number[];
  lengths: number[];
  weights: Float32Array[];
}

function axis(starts: readonly number[], size: number, outSize: number, total: number, scale: number): Axis {
  const at = starts.map((s) => Math.round(s * scale));
  const lengths = at.map((a) => Math.max(0, Math.min(outSize, total - a)));
  const ramps = starts.map((s, i) => {
    const before = i > 0 ? starts[i - 1] + size - s : 0;
    const after = i < starts.length - 1 ? s + size - starts[i + 1] : 0;
    return featherRamp(outSize, Math.round(before * scale), Math.round(after * scale));
  });
  const sum = new Float64Array(total);
  ramps.forEach((r, i) => {
    for (let k = 0; k < lengths[i]; k++) sum[at[i] + k] += r[k];
  });
  const weights = ramps.map((r, i) => {
    const w = new Float32Array(outSize);
    for (let k = 0; k < lengths[i]; k++) w[k] = r[k] / sum[at[i] + k];
    return w;
  });
  return { starts: at, lengths, weights };
}

interface Assembly extends TiledOutput {
  xs: Axis;
  ys: Axis;
  tileWidth: number;
  tileHeight: number;
}

/** An output tile as float32 (one array type, so the blending loop stays monomorphic). */
function floats(out: Ort.Tensor, name: string): Float32Array {
  if (out.type === 'float32') return out.data as Float32Array;
  if (out.type === 'float64') return Float32Array.from(out.data as Float64Array);
  if (out.type === 'float16') return Float32Array.from(out.data as Uint16Array, halfToFloat);
  throw new WorkbenchError('INVALID_INPUT', `Tiling reads floating-point outputs; "${name}" holds ${out.type}`);
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
  if (run.outputs.length === 0) throw new WorkbenchError('INVALID_INPUT', 'Tiling needs an output to assemble');
  const ort = await loadOrt();
  const size = run.tile;
  const xs = tileStarts(width, size.width, run.overlap);
  const ys = tileStarts(height, size.height, run.overlap);
  const total = xs.length * ys.length;
  const c = channelCount(run.recipe);
  const crop = new Uint8Array(size.width * size.height * channels);
  const type = run.recipe.dtype === 'float16' ? 'float16' : run.recipe.dtype;
  const dims = [1, c, size.height, size.width];
  // One input buffer for every tile: run() has read it by the time it resolves.
  const data = allocateData(run.recipe.dtype, size.width * size.height * c);
  const assemblies = new Map<string, Assembly>();
  let n = 0;
  for (let yi = 0; yi < ys.length; yi++) {
    for (let xi = 0; xi < xs.length; xi++) {
      if (run.signal?.aborted) throw new WorkbenchError('CANCELLED', 'Cancelled.');
      cropTile(pixels, channels, width, height, { x: xs[xi], y: ys[yi] }, size, crop);
      packPixels(crop, channels, size.width, size.height, run.recipe, data, 0);
      let result: Ort.InferenceSession.ReturnType;
      try {
        result = await run.session.run({ [run.input]: new ort.Tensor(type as 'float32', data as Float32Array, dims) });
      } catch (error) {
        throw new WorkbenchError(
          'RUNTIME_ERROR',
          `The run failed on tile ${n + 1} of ${total}: ${(error as Error).message.split('\n')[0]}`,
        );
      }
      for (const name of run.outputs) {
        const out = result[name];
        if (!out) throw new WorkbenchError('INVALID_INPUT', `The model has no output "${name}"`);
        const a = assemblies.get(name) ?? start(name, out, size, width, height, xs, ys);
        assemblies.set(name, a);
        if (out.dims.some((d, i) => d !== [1, a.channels, a.tileHeight, a.tileWidth][i]))
          throw new WorkbenchError('INVALID_INPUT', `Output "${name}" changed shape between tiles: [${out.dims.join(', ')}]`);
        add(a, floats(out, name), xi, yi);
      }
      n += 1;
      run.onTile?.(n, total);
    }
  }
  const outputs = run.outputs.map((name) => {
    const { xs: _x, ys: _y, tileWidth: _w, tileHeight: _h, ...o } = assemblies.get(name)!;
    return o;
  });
  return { outputs, tiles: total, lastInput: { dtype: run.recipe.dtype, dims, data } };
}

function start(
  name: string,
  out: Ort.Tensor,
  size: { width: number; height: number },
  width: number,
  height: number,
  xs: number[],
  ys: number[],
): Assembly {
  const d = out.dims;
  if (d.length !== 4 || d[0] !== 1)
    throw new WorkbenchError(
      'INVALID_INPUT',
      `Tiling reads image-shaped outputs [1, C, H, W]; "${name}" is [${d.join(', ')}]: run this model without tiles`,
    );
  const [, oc, oh, ow] = d;
  const scale = ow / size.width;
  if (!(scale > 0) || Math.abs(oh / size.height - scale) > 1e-9)
    throw new WorkbenchError(
      'INVALID_INPUT',
      `Output "${name}" is ${ow}×${oh}, not the tile ${size.width}×${size.height} scaled evenly: run this model without tiles`,
    );
  const W = Math.round(width * scale);
  const H = Math.round(height * scale);
  return {
    name,
    data: new Float32Array(oc * W * H),
    channels: oc,
    width: W,
    height: H,
    scale,
    xs: axis(xs, size.width, ow, W, scale),
    ys: axis(ys, size.height, oh, H, scale),
    tileWidth: ow,
    tileHeight: oh,
  };
}

/** Tile (xi, yi) of an output into its result, weighted. */
function add(a: Assembly, values: Float32Array, xi: number, yi: number) {
  const { width: W, height: H, tileWidth: ow, tileHeight: oh, data: out } = a;
  const x0 = a.xs.starts[xi];
  const y0 = a.ys.starts[yi];
  const wx = a.xs.weights[xi];
  const wy = a.ys.weights[yi];
  const tw = a.xs.lengths[xi];
  const th = a.ys.lengths[yi];
  const plane = W * H;
  for (let k = 0; k < a.channels; k++) {
    for (let y = 0; y < th; y++) {
      const row = k * plane + (y0 + y) * W + x0;
      const src = (k * oh + y) * ow;
      const v = wy[y];
      for (let x = 0; x < tw; x++) out[row + x] += v * wx[x] * values[src + x];
    }
  }
}
