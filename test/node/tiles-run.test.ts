// Tiles end to end: a run through the engine, a batch job and the CLI of fixed-input models
// (a pure ×2 resize, a one-channel "matting" map) against the same models taking the whole image
// at once, with no seams beyond 1/255; the CLI's --tile flags and what it says when they do not fit.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBatchJob } from '../../electron/engine/batch/job';
import { cpuSessions } from './batch-fixtures';
import { type SessionCache } from '../../electron/engine/run/session-cache';
import { decodeNpy } from '../../electron/engine/tensors/npy';
import { resizeModel } from '../fixtures/image-models';
import { buildModel } from '../fixtures/onnx-builder';
import { cliFromSource, testServices } from '../helpers';

const { services, call, failure } = testServices();
let dir: string;
let image: string;
let sessions: SessionCache;
const W = 150;
const H = 90;

/** A matting-shaped model: a 3×3 blur of the grey level into one sigmoid channel, same size. */
const matte = (shape: (number | string)[]) =>
  buildModel({
    inputs: [{ name: 'x', dtype: 'float32', shape }],
    outputs: [{ name: 'alpha', dtype: 'float32', shape: [1, 1, 'H', 'W'] }],
    initializers: [{ name: 'w', dtype: 'float32', dims: [1, 3, 3, 3], data: new Array(27).fill(4 / 27) }],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w'], outputs: ['z'], attrs: { pads: [1, 1, 1, 1] } },
      { op: 'Sigmoid', inputs: ['z'], outputs: ['alpha'] },
    ],
  });

const model = (name: string) => join(dir, `${name}.onnx`);
const recipe = (tile?: object) => ({ resize: { mode: 'stretch', width: W, height: H }, ...(tile ? { tile } : {}) });

async function runOutput(path: string, tile: object | undefined, out: string) {
  const run = await call('model.run', { path, inputs: { x: { kind: 'image', paths: [image], recipe: recipe(tile) } } });
  const to = join(dir, `${out}-${Math.random().toString(36).slice(2)}.npy`);
  await call('run.saveOutput', { runId: run.runId, name: run.outputs[0].name, to });
  return { run, tensor: decodeNpy(await readFile(to), to).tensor };
}

function worst(a: ArrayLike<number>, b: ArrayLike<number>) {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'owb-tiles-run-'));
  await writeFile(model('resize-fixed'), resizeModel([1, 3, 32, 32]));
  await writeFile(model('resize-any'), resizeModel([1, 3, 'h', 'w']));
  await writeFile(model('matte-fixed'), matte([1, 3, 40, 40]));
  await writeFile(model('matte-any'), matte([1, 3, 'h', 'w']));
  const pixels = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      for (let c = 0; c < 3; c++)
        pixels[(y * W + x) * 3 + c] = Math.round(127.5 + 127 * Math.sin((x * (c + 1)) / 11 + (y * (3 - c)) / 7));
  image = join(dir, 'picture.png');
  await sharp(pixels, { raw: { width: W, height: H, channels: 3 } })
    .png()
    .toFile(image);
  sessions = cpuSessions();
});

afterAll(async () => {
  await services.dispose();
  await sessions?.release();
  await rm(dir, { recursive: true, force: true });
});

describe('a tiled run in the engine', () => {
  it('gives a ×2 resize at full resolution, equal to the whole image at once', async () => {
    const tiled = await runOutput(model('resize-fixed'), { size: 'auto', overlap: 8 }, 'tiled');
    const whole = await runOutput(model('resize-any'), undefined, 'whole');
    expect(tiled.tensor.dims).toEqual([1, 3, 2 * H, 2 * W]);
    expect(whole.tensor.dims).toEqual([1, 3, 2 * H, 2 * W]);
    expect(worst(tiled.tensor.data as Float32Array, whole.tensor.data as Float32Array)).toBeLessThan(1 / 255);
    // The input summary is one tile, and says how the image was cut.
    expect(tiled.run.inputs[0].dims).toEqual([1, 3, 32, 32]);
    expect(tiled.run.inputs[0].notes[0]).toMatch(
      /150×90 in 24 tiles \(tiles of 32×32, the model's fixed input size, overlapping by 8 pixels\)/,
    );
    expect(tiled.run.transforms.x[0]).toMatchObject({ originalWidth: W, tensorWidth: W, scaleX: 1 });
  });

  it('puts a one-channel map (matting, segmentation) together without seams, and reads it as a mask', async () => {
    const tiled = await runOutput(model('matte-fixed'), { size: 'auto', overlap: 'auto' }, 'matte');
    const whole = await runOutput(model('matte-any'), undefined, 'matte-whole');
    expect(tiled.tensor.dims).toEqual([1, 1, H, W]);
    // The blur reads past each tile's edge, so pixels there differ; the feathered overlap hides it.
    expect(worst(tiled.tensor.data as Float32Array, whole.tensor.data as Float32Array)).toBeLessThan(1 / 255);
    const read = await call('run.interpret', { runId: tiled.run.runId, task: { kind: 'segmentation' } });
    expect(read.results[0]).toMatchObject({ kind: 'segmentation', mask: { width: W, height: H } });
  });

  it('says what is wrong with tiles that do not fit the model', async () => {
    const bad = await failure('model.run', {
      path: model('resize-fixed'),
      inputs: { x: { kind: 'image', paths: [image], recipe: recipe({ size: 64 }) } },
    });
    expect(bad).toMatchObject({ code: 'INVALID_INPUT' });
    expect(bad.message).toContain("Tiles: input 'x': the model's input is fixed at 32×32, so its tiles are 32×32");
    const classifier = join(dir, 'classifier.onnx');
    await writeFile(
      classifier,
      buildModel({
        inputs: [{ name: 'x', dtype: 'float32', shape: [1, 3, 32, 32] }],
        outputs: [{ name: 'p', dtype: 'float32', shape: [1, 3] }],
        nodes: [
          { op: 'GlobalAveragePool', inputs: ['x'], outputs: ['g'] },
          { op: 'Flatten', inputs: ['g'], outputs: ['p'] },
        ],
      }),
    );
    const none = await failure('model.run', {
      path: classifier,
      inputs: { x: { kind: 'image', paths: [image], recipe: recipe({}) } },
    });
    expect(none.message).toMatch(/None of the model's outputs is image-shaped/);
  });
});

describe('a tiled batch job', () => {
  it('writes full-size output pictures equal to the whole-image ones', async () => {
    const input = join(dir, 'batch-in');
    await mkdir(input);
    await writeFile(join(input, 'a.png'), await readFile(image));
    const job = (path: string, out: string, tile?: object) => ({
      model: path,
      recipe: { inputs: { x: recipe() }, task: { kind: 'image-to-image' } },
      input: { folder: input },
      output: { folder: join(dir, out), write: ['images', 'jsonl'] },
      ...(tile ? { tile } : {}),
    });
    const tiled = await runBatchJob(job(model('resize-fixed'), 'tiled-out', { size: 'auto', overlap: 'auto' }) as never, {
      sessions,
    });
    const whole = await runBatchJob(job(model('resize-any'), 'whole-out') as never, { sessions });
    expect([tiled.ok, whole.ok]).toEqual([1, 1]);
    const picture = async (out: string) =>
      sharp(join(dir, out, 'images', 'a.png.png'))
        .raw()
        .toBuffer({ resolveWithObject: true });
    const a = await picture('tiled-out');
    const b = await picture('whole-out');
    expect([a.info.width, a.info.height]).toEqual([2 * W, 2 * H]);
    expect(worst(a.data, b.data)).toBeLessThanOrEqual(1);
  });
});

describe('the CLI --tile flags', () => {
  const cli = (...args: string[]) => cliFromSource(join(dir, 'data'), args);

  it('runs tiles, and says what they are for a model that takes any size', () => {
    const fixed = cli('run', model('resize-fixed'), '--input', image, '--tile', 'auto', '--tile-overlap', '6');
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toMatch(/y {2}float32 {2}\[1,3,180,300\]/);
    expect(fixed.stdout).toContain("tiles of 32×32, the model's fixed input size, overlapping by 6 pixels");
    const any = cli('run', model('resize-any'), '--input', image, '--tile', '64');
    expect(any.code).toBe(0);
    expect(any.stdout).toContain('tiles of 64×64 as asked (the model takes any size), overlapping by 8 pixels');
  });

  it('refuses tiles that do not fit, and flags that do not go together', () => {
    const wrong = cli('run', model('resize-fixed'), '--input', image, '--tile', '100');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(
      "the model's input is fixed at 32×32, so its tiles are 32×32: ask for tile size auto or 32, not 100",
    );
    expect(cli('run', model('resize-fixed'), '--input', image, '--tile-overlap', '4').stderr).toContain(
      '--tile-overlap goes with --tile auto|N',
    );
    expect(cli('run', model('resize-fixed'), '--input', image, '--tile', 'big').stderr).toContain(
      '--tile must be a whole number ≥ 16',
    );
    expect(cli('run', model('resize-fixed'), '--input', image, '--tile', '32', '--tile-overlap', '32').stderr).toContain(
      '--tile-overlap must be less than the tile size 32',
    );
    const out = join(dir, 'cli-batch-out');
    const batch = cli('batch', model('resize-fixed'), dir, '--out', out, '--tile', '100', '--progress', 'none');
    expect(batch.code).toBe(2);
    expect(batch.stderr).toContain("Tiles: input 'x': the model's input is fixed at 32×32");
    const sized = cli('batch', model('resize-fixed'), dir, '--out', out, '--tile', 'auto', '--batch-size', '4');
    expect(sized.code).toBe(2);
    expect(sized.stderr).toContain('--batch-size does not go with tiles');
  });
});
