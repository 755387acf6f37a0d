// The task on the command line: `--task` refused when the model's outputs cannot be read as it
// (with the reason), and with no --task and no recipe `batch` reads the outputs as the model's
// suggested task, so the outputs that task can write are written; a charset beside the model is
// found as the app finds it.
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '../fixtures/onnx-builder';
import { cliFromSource } from '../helpers';
import { constantModel, parseCsv, solidImage } from './batch-fixtures';

let dir: string;

const cli = (...args: string[]) => cliFromSource(join(dir, 'data'), args);

/** A PaddleOCR-shaped recogniser: x [N,3,48,64] → per-step scores [N, T, k] (T = 64), character 2 at every step. */
function recogniser(k = 6625): Uint8Array {
  return buildModel({
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 3, 48, 64] }],
    outputs: [{ name: 'softmax', dtype: 'float32', shape: ['N', 'T', k] }],
    initializers: [
      { name: 'w', dtype: 'float32', dims: [1, k], data: Array.from({ length: k }, (_, i) => (i === 2 ? 1 : 0)) },
      { name: 'one', dtype: 'float32', dims: [1], data: [1] },
      { name: 'ax', dtype: 'int64', dims: [1], data: [2] },
    ],
    nodes: [
      { op: 'ReduceMean', inputs: ['x'], outputs: ['m'], attrs: { axes: [1, 2], keepdims: 0 } },
      // |mean| + 1 > 0 whatever the normalisation: character 2 wins every step.
      { op: 'Abs', inputs: ['m'], outputs: ['a'] },
      { op: 'Add', inputs: ['a', 'one'], outputs: ['p'] },
      { op: 'Unsqueeze', inputs: ['p', 'ax'], outputs: ['u'] },
      { op: 'MatMul', inputs: ['u', 'w'], outputs: ['softmax'] },
    ],
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'owb-cli-task-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function photos(folder: string): Promise<void> {
  for (const name of ['a.png', 'b.jpg']) await solidImage(join(folder, name), 'blue', { width: 128, height: 64 });
}

describe('--task that the outputs cannot be read as', () => {
  it('is refused by run and batch with the reason, before anything runs or is written', async () => {
    const model = join(dir, 'rec.onnx');
    await writeFile(model, recogniser());
    const line = join(dir, 'line.png');
    await solidImage(line, 'blue', { width: 320, height: 48 });
    const run = cli('run', model, '--input', line, '--task', 'detection');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--task detection: the outputs of rec.onnx cannot be read as detection');
    expect(run.stderr).toContain('"softmax" [?, ?, 6625]');
    expect(run.stdout).not.toMatch(/Detection:/);

    const input = join(dir, 'lines');
    await photos(input);
    const out = join(dir, 'lines-out');
    const batch = cli('batch', model, input, '--out', out, '--task', 'classification');
    expect(batch.code).toBe(2);
    expect(batch.stderr).toContain('cannot be read as classification: classification needs an output of class scores');
    expect(existsSync(out)).toBe(false);
  }, 60_000);

  it('text recognition takes the charset file beside the model, as the app does', async () => {
    const sub = join(dir, 'ocr');
    const model = join(sub, 'rec.onnx');
    await mkdir(sub, { recursive: true });
    // Three characters, the space PaddleOCR appends, and the CTC blank.
    await writeFile(model, recogniser(5));
    await writeFile(join(sub, 'en_dict.txt'), 'a\nb\nc\n');
    const line = join(sub, 'line.png');
    await solidImage(line, 'blue', { width: 64, height: 48 });
    const run = cli('run', model, '--input', line, '--task', 'text-recognition');
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('characters from en_dict.txt found beside the model');
    // Index 2 is the charset's second character (index 0 is the CTC blank).
    expect(run.stdout).toContain(`Text of 'softmax':`);
    expect(run.stdout).toContain('"b"');
  });
});

describe('batch with no --task and no recipe', () => {
  it('reads a background-removal model as binary segmentation: --write masks,cutouts writes both', async () => {
    const data = new Array(64 * 64).fill(0);
    for (let y = 16; y < 48; y++) for (let x = 0; x < 32; x++) data[y * 64 + x] = 1;
    const model = join(dir, 'matting.onnx');
    await writeFile(model, constantModel({ name: 'mask', dims: [1, 1, 64, 64], data }));
    const input = join(dir, 'portraits');
    await photos(input);
    const out = join(dir, 'portraits-out');
    const r = cli('batch', model, input, '--out', out, '--write', 'csv,masks,cutouts');
    expect(r.stderr).toMatch(/Task: segmentation \(.*one-channel mask at input size/);
    expect(r.code).toBe(0);
    expect((await readdir(join(out, 'masks'))).sort()).toEqual(['a.png.png', 'b.jpg.png']);
    expect((await readdir(join(out, 'cutouts'))).sort()).toEqual(['a.png.png', 'b.jpg.png']);
    const rows = parseCsv(await readFile(join(out, 'results.csv'), 'utf8'));
    expect(rows.map((row) => row.status)).toEqual(['ok', 'ok']);
  });

  it('reads a YOLOv8-layout detector as detection: --write coco,images writes COCO and the drawn images', async () => {
    const n = 100;
    const data = new Array(6 * n).fill(0);
    const put = (k: number, values: number[]) => values.forEach((v, f) => (data[f * n + k] = v));
    put(0, [32, 32, 20, 10, 0.9, 0.05]);
    put(1, [10, 24, 8, 8, 0.1, 0.8]);
    const model = join(dir, 'yolo.onnx');
    await writeFile(model, constantModel({ name: 'output0', dims: [1, 6, n], data }));
    const input = join(dir, 'street');
    await photos(input);
    const out = join(dir, 'street-out');
    const r = cli('batch', model, input, '--out', out, '--write', 'coco,images');
    expect(r.stderr).toMatch(/Task: detection \(.*YOLOv8-style/);
    expect(r.code).toBe(0);
    const coco = JSON.parse(await readFile(join(out, 'coco.json'), 'utf8'));
    expect(coco.annotations).toHaveLength(4);
    expect((await readdir(join(out, 'images'))).sort()).toEqual(['a.png.png', 'b.jpg.jpg']);
  });
});
