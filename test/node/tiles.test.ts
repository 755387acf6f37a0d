// Tiling: the grid covers the image with full tiles and at least the asked overlap; feathered
// blending of a model that is a pure resize matches the untiled result with no seams.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preprocessRecipeSchema } from '../../shared/recipe';
import { autoTileSide, featherRamp, planInputTiles, planTiles, tileGrid, tileStarts } from '../../shared/tiles';
import { runTiled } from '../../electron/engine/image/tiles';
import { resizeModel } from '../fixtures/image-models';

describe('tile grid', () => {
  it('starts at 0, ends flush with the edge, and overlaps by at least the asked amount', () => {
    for (const [length, size, overlap] of [
      [100, 32, 8],
      [1000, 256, 32],
      [257, 256, 16],
      [33, 32, 0],
    ]) {
      const s = tileStarts(length, size, overlap);
      expect(s[0]).toBe(0);
      expect(s.at(-1)! + size).toBe(length);
      for (let i = 1; i < s.length; i++) expect(s[i - 1] + size - s[i]).toBeGreaterThanOrEqual(overlap);
    }
    expect(tileStarts(20, 32, 8)).toEqual([0]);
    expect(tileGrid(100, 40, { width: 32, height: 32 }, 8)).toHaveLength(4 * 2);
    expect(() => tileStarts(100, 32, 32)).toThrow(/overlap must be in 0\.\.31/);
  });

  it('feathers only over the overlaps, skipping their outer quarter, never to zero', () => {
    const w = Array.from(featherRamp(8, 4, 0));
    expect(w[0]).toBeCloseTo(0.001, 6);
    expect(w.slice(1)).toEqual([0.25, 0.75, 1, 1, 1, 1, 1]);
    expect(Math.min(...featherRamp(8, 4, 4))).toBeGreaterThan(0);
    // Over the middle half of an overlap, the ramp down of one tile and up of the next add up to 1.
    const overlap = 16;
    const down = featherRamp(32, 0, overlap).slice(32 - overlap);
    const up = featherRamp(32, overlap, 0).slice(0, overlap);
    for (let i = 4; i < 12; i++) expect(down[i] + up[i]).toBeCloseTo(1, 6);
  });
});

describe('a pure ×2 resize, tiled', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'owb-tiles-'));
    await writeFile(join(dir, 'fixed.onnx'), resizeModel([1, 3, 32, 32]));
    await writeFile(join(dir, 'dynamic.onnx'), resizeModel([1, 3, 'h', 'w']));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('matches the whole-image result within 1/255 everywhere, seams included', async () => {
    const width = 150;
    const height = 90;
    // A smooth picture with some detail: sines in each channel.
    const pixels = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++)
        for (let c = 0; c < 3; c++)
          pixels[(y * width + x) * 3 + c] = Math.round(127.5 + 127 * Math.sin((x * (c + 1)) / 13 + (y * (3 - c)) / 17));
    const recipe = preprocessRecipeSchema.parse({ resize: { mode: 'stretch', width: 32, height: 32 } });
    const fixed = await ort.InferenceSession.create(join(dir, 'fixed.onnx'));
    const tiled = await runTiled(pixels, 3, width, height, {
      session: fixed,
      input: 'x',
      outputs: ['y'],
      recipe,
      tile: { width: 32, height: 32 },
      overlap: 8,
    });
    const [y] = tiled.outputs;
    expect([y.width, y.height, y.channels, y.scale]).toEqual([300, 180, 3, 2]);
    expect(tiled.tiles).toBe(6 * 4);

    // The reference: the whole image through the same resize at once.
    const whole = await ort.InferenceSession.create(join(dir, 'dynamic.onnx'));
    const x = new Float32Array(3 * width * height);
    for (let i = 0; i < width * height; i++) for (let c = 0; c < 3; c++) x[c * width * height + i] = pixels[i * 3 + c] / 255;
    const ref = (await whole.run({ x: new ort.Tensor('float32', x, [1, 3, height, width]) })).y.data as Float32Array;
    let worst = 0;
    for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(ref[i] - y.data[i]));
    expect(worst).toBeLessThan(1 / 255);
    await fixed.release();
    await whole.release();
  });
});

describe('tile plans', () => {
  const auto = { size: 'auto', overlap: 'auto' } as const;
  it('takes a fixed input as the tile and refuses another size, saying which work', () => {
    expect(planTiles(auto, { width: 128, height: 64 }, 1e9)).toMatchObject({ width: 128, height: 64, overlap: 8 });
    expect(planTiles({ size: 'auto', overlap: 20 }, { width: 128, height: 128 }, 1e9).overlap).toBe(20);
    expect(() => planTiles({ size: 256, overlap: 'auto' }, { width: 128, height: 128 }, 1e9)).toThrow(
      "the model's input is fixed at 128×128, so its tiles are 128×128: ask for tile size auto or 128, not 256",
    );
    expect(() => planTiles({ size: 'auto', overlap: 64 }, { width: 64, height: 64 }, 1e9)).toThrow(
      /overlap of 64 does not fit tiles of 64×64/,
    );
  });

  it('sizes tiles of a model that takes any size from the free memory, or as asked', () => {
    const small = planTiles(auto, { width: null, height: null }, 64 * 2 ** 20);
    const big = planTiles(auto, { width: null, height: null }, 64 * 2 ** 30);
    expect(small.width).toBe(128);
    expect(big.width).toBe(1024);
    expect(small.note).toMatch(/takes any size, so the size was chosen from the 64 MiB of free memory/);
    expect(autoTileSide(2 * 2 ** 30)).toBe(512);
    expect(planTiles({ size: 200, overlap: 'auto' }, { width: null, height: null }, 0)).toMatchObject({
      width: 200,
      height: 200,
      overlap: 25,
    });
  });

  it('says why an input cannot be tiled', () => {
    expect(() => planInputTiles(undefined, { name: 'x', shape: [1, 3, 64, 64] }, 'NHWC', 1e9)).toThrow(/NCHW inputs/);
    expect(() => planInputTiles(undefined, { name: 'x', shape: [1, 64] }, 'NCHW', 1e9)).toThrow(
      /not an image \[N, C, H, W\] \(rank 2\)/,
    );
    expect(planInputTiles(undefined, { name: 'x', shape: [1, 3, 'h', 'w'] }, 'NCHW', 2 * 2 ** 30).width).toBe(512);
  });
});
