// The model-family table, case by case: a small synthetic model per family signature (written to
// disk, read by the engine's reader) is recognised as its family, with a reason, and gets that
// family's recipe and task settings; models of no family are left to the generic rules. ISNet's
// preset gives the tensor rembg's own normalisation gives.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readModelInfo } from '../../electron/common/onnx/reader';
import { preprocessImage } from '../../electron/engine/image/preprocess';
import { FAMILIES } from '../../shared/families';
import type { ModelInfo } from '../../shared/model-info';
import { suggestTask } from '../../shared/postprocess';
import { guessModelRecipe, planResize } from '../../shared/recipe';
import { FAMILY_CASES, isnetModel } from '../fixtures/family-models';
import { buildModel } from '../fixtures/onnx-builder';

let dir: string;
const infos = new Map<number, ModelInfo>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'owb-families-'));
  for (const [k, c] of FAMILY_CASES.entries()) {
    await writeFile(join(dir, `${k}-${c.file}`), buildModel(c.spec));
    infos.set(k, await readModelInfo(join(dir, `${k}-${c.file}`)));
  }
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('model families', () => {
  it.each(FAMILY_CASES.map((c, k) => [k, c.family ?? 'no family', c.file] as const))('case %i: recognised as %s (%s)', (k) => {
    const info = infos.get(k)!;
    const expected = FAMILY_CASES[k].family;
    expect(info.task.family?.id ?? null).toBe(expected);
    if (!expected) return;
    const family = FAMILIES.find((f) => f.id === expected)!;
    expect(info.task.kind).toBe(family.kind);
    expect(info.task.reason.startsWith(`${family.name}: `)).toBe(true);
    if ('settings' in family) {
      const s = suggestTask(info);
      expect(s.family).toBe(expected);
      expect(s.settings).toMatchObject(family.settings);
      expect(s.reason).toContain(`preset: ${family.sets}`);
    }
  });

  it('gives each family its own recipe', () => {
    const recipe = (file: string) => {
      const k = FAMILY_CASES.findIndex((c) => c.file === file);
      const info = infos.get(k)!;
      return guessModelRecipe(info, info.inputs[0]).recipe;
    };
    expect(recipe('yolov8n-seg.onnx')).toMatchObject({ resize: { mode: 'letterbox', width: 64, height: 64 }, mean: [0, 0, 0] });
    expect(recipe('yolov8n-cls.onnx').resize.mode).toBe('center-crop');
    expect(recipe('rtdetr-l.onnx').resize.mode).toBe('stretch');
    expect(recipe('detector.onnx').resize.mode).toBe('letterbox');
    expect(recipe('isnet-general-use.onnx')).toMatchObject({
      resize: { mode: 'stretch', width: 64, height: 64, interpolation: 'lanczos3' },
      mean: [0.485, 0.456, 0.406],
      std: [1, 1, 1],
      scaleByMax: true,
    });
    expect(recipe('u2netp.onnx')).toMatchObject({ resize: { width: 320 }, std: [0.229, 0.224, 0.225], scaleByMax: true });
    const modnet = recipe('modnet_photographic_portrait_matting.onnx');
    expect(modnet).toMatchObject({ resize: { mode: 'shorter-side', shorterSide: 512, multipleOf: 32 }, mean: [0.5, 0.5, 0.5] });
    // MODNet's demo: a 1000×600 photo → shorter side 512 → 853×512 → cut to multiples of 32: 832×512.
    expect(planResize(1000, 600, modnet.resize)).toMatchObject({ tensorWidth: 832, tensorHeight: 512 });
    expect(recipe('depth_anything_vits14.onnx')).toMatchObject({ resize: { width: 518, interpolation: 'bicubic' } });
    // A fixed-input upscaler runs tile by tile over the whole image.
    const fixed = FAMILY_CASES.findIndex((c) => c.family === 'super-resolution');
    expect(guessModelRecipe(infos.get(fixed)!, infos.get(fixed)!.inputs[0]).recipe.tile).toEqual({
      size: 'auto',
      overlap: 'auto',
    });
    expect(recipe('RealESRGAN_x4plus.onnx').tile).toBeUndefined();
    expect(recipe('RealESRGAN_x4plus.onnx')).toMatchObject({ resize: { mode: 'fit-inside', multipleOf: 1 }, mean: [0, 0, 0] });
  });
});

describe('ISNet preset', () => {
  it("reproduces rembg's normalize(): x / max(x), minus mean 0.485/0.456/0.406, over std 1, planar RGB", async () => {
    const path = join(dir, 'isnet-general-use.onnx');
    await writeFile(path, buildModel(isnetModel(8)));
    const info = await readModelInfo(path);
    const { recipe } = guessModelRecipe(info, info.inputs[0]);
    // An 8×8 image whose brightest value is 200, not 255: rembg divides by 200.
    const pixels = new Uint8Array(8 * 8 * 3);
    for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 37) % 201;
    const png = await sharp(pixels, { raw: { width: 8, height: 8, channels: 3 } })
      .png()
      .toBuffer();
    const { tensor } = await preprocessImage(png, recipe);
    expect(tensor.dims).toEqual([1, 3, 8, 8]);
    const mean = [0.485, 0.456, 0.406];
    const max = Math.max(...pixels);
    expect(max).toBe(200);
    const expected = new Float32Array(3 * 64);
    for (let c = 0; c < 3; c++) for (let i = 0; i < 64; i++) expected[c * 64 + i] = (pixels[i * 3 + c] / max - mean[c]) / 1;
    const got = tensor.data as Float32Array;
    let worst = 0;
    for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(got[i] - expected[i]));
    expect(worst).toBeLessThan(1e-6);
  });
});
