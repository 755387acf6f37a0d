// Tiling: the grid covers the image with full tiles and at least the asked overlap; feathered
// blending of a model that is a pure resize matches the untiled result with no seams.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preprocessRecipeSchema } from '../../shared/recipe';
import { featherRamp, tileGrid, tileStarts } from '../../shared/tiles';
import { runTiled } from '../../electron/engine/image/tiles';
import { buildModel } from '../fixtures/onnx-builder';

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

  it('feathers only over the overlaps, never to zero', () => {
    const w = featherRamp(8, 4, 0);
    expect(Array.from(w)).toEqual([0.125, 0.375, 0.625, 0.875, 1, 1, 1, 1]);
    expect(Math.min(...featherRamp(8, 4, 4))).toBeGreaterThan(0);
  });
});

describe('a pure ×2 resize, tiled', () => {
  let dir: string;
  const resize = (shape: (number | string)[]) =>
    buildModel({
      inputs: [{ name: 'x', dtype: 'float32', shape }],
      outputs: [{ name: 'y', dtype: 'float32', shape: [1, 3, 'H', 'W'] }],
      initializers: [{ name: 'scales', dtype: 'float32', dims: [4], data: [1, 1, 2, 2] }],
      nodes: [{ op: 'Resize', inputs: ['x', '', 'scales'], outputs: ['y'], attrs: { mode: 'linear' } }],
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'owb-tiles-'));
    await writeFile(join(dir, 'fixed.onnx'), resize([1, 3, 32, 32]));
    await writeFile(join(dir, 'dynamic.onnx'), resize([1, 3, 'h', 'w']));
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
