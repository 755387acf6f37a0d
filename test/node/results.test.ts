// Stored runs read through a task in the real engine (run.interpret), their results written as
// files (run.exportResult), the suggested task (task.suggest), and `run --task --out` in the CLI.
// The models are built here: their outputs are known tensors, so every answer is known.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PALETTE } from '../../shared/drawing';
import type { PreprocessRecipeInput } from '../../shared/recipe';
import { outputView, textLines } from '../../electron/engine/results/interpret';
import { buildModel } from '../fixtures/onnx-builder';
import { MODELS, ROOT, testServices } from '../helpers';

const { services, call, failure } = testServices();
afterAll(() => services.dispose());

/** A model whose one output is a constant: the image input is fed but not used. */
function constantModel(
  input: { name: string; shape: number[] },
  output: { name: string; dims: number[]; data: number[] },
  metadata?: Record<string, string>,
) {
  return buildModel({
    inputs: [{ name: input.name, dtype: 'float32', shape: input.shape }],
    outputs: [{ name: output.name, dtype: 'float32', shape: output.dims }],
    initializers: [{ name: 'value', dtype: 'float32', dims: output.dims, data: output.data }],
    nodes: [{ op: 'Identity', inputs: ['value'], outputs: [output.name] }],
    metadata,
  });
}

const letterbox: PreprocessRecipeInput = { resize: { mode: 'letterbox', width: 64, height: 64 } };
const stretch8: PreprocessRecipeInput = { resize: { mode: 'stretch', width: 8, height: 8 } };

// Detection: YOLOv8 layout [1, 4+2, 100], cx cy w h in tensor pixels, then two class scores.
// The original is 128×64, letterboxed into 64×64: scale 0.5, 16 px of padding top and bottom.
const CANDIDATES = 100;
function detectionTensor(): number[] {
  const data = new Array(6 * CANDIDATES).fill(0);
  const put = (n: number, values: number[]) => values.forEach((v, f) => (data[f * CANDIDATES + n] = v));
  put(0, [32, 32, 20, 10, 0.9, 0.05]); // person: tensor x 22..42, y 27..37 → original x 44..84, y 22..42
  put(1, [10, 24, 8, 8, 0.1, 0.8]); // car: tensor x 6..14, y 20..28 → original x 12..28, y 8..24
  put(2, [50, 40, 4, 4, 0.02, 0.01]); // below any confidence threshold
  return data;
}

// Binary segmentation [1,1,64,64]: 1 over the left half of the image area (rows 16..47, columns 0..31).
function maskTensor(): number[] {
  const data = new Array(64 * 64).fill(0);
  for (let y = 16; y < 48; y++) for (let x = 0; x < 32; x++) data[y * 64 + x] = 1;
  return data;
}

let dir: string;
let photo: string; // 128×64 PNG, solid blue
let rotated: string; // stored 64×128, EXIF orientation 6: shown as 128×64
const model = (name: string) => join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'owb-results-'));
  photo = join(dir, 'photo.png');
  await sharp({ create: { width: 128, height: 64, channels: 3, background: { r: 0, g: 0, b: 200 } } })
    .png()
    .toFile(photo);
  rotated = join(dir, 'rotated.jpg');
  await sharp({ create: { width: 64, height: 128, channels: 3, background: { r: 0, g: 0, b: 200 } } })
    .jpeg()
    .withMetadata({ orientation: 6 })
    .toFile(rotated);
  const probs = new Array(1000).fill(0.2 / 999);
  probs[207] = 0.8;
  await writeFile(
    model('imagenet.onnx'),
    constantModel({ name: 'x', shape: [1, 3, 8, 8] }, { name: 'probs', dims: [1, 1000], data: probs }),
  );
  await writeFile(
    model('three.onnx'),
    constantModel({ name: 'x', shape: [1, 3, 8, 8] }, { name: 'logits', dims: [1, 3], data: [1, 3, 2] }),
  );
  await writeFile(
    model('detect.onnx'),
    constantModel(
      { name: 'images', shape: [1, 3, 64, 64] },
      { name: 'output0', dims: [1, 6, CANDIDATES], data: detectionTensor() },
    ),
  );
  await writeFile(
    model('segment.onnx'),
    constantModel({ name: 'images', shape: [1, 3, 64, 64] }, { name: 'mask', dims: [1, 1, 64, 64], data: maskTensor() }),
  );
  await writeFile(
    model('enhance.onnx'),
    constantModel(
      { name: 'images', shape: [1, 3, 64, 64] },
      { name: 'y', dims: [1, 3, 16, 16], data: new Array(3 * 256).fill(0.5) },
    ),
  );
  await writeFile(join(dir, 'labels.txt'), 'cat\ndog\nbird\n');
  await writeFile(join(dir, 'det-labels.txt'), 'person\ncar\n');
  await writeFile(join(dir, 'letterbox.json'), JSON.stringify(letterbox));
  await writeFile(join(dir, 'stretch8.json'), JSON.stringify(stretch8));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function runImage(path: string, image: string, input: string, recipe: PreprocessRecipeInput) {
  return call('model.run', { path, inputs: { [input]: { kind: 'image', paths: [image], recipe } } });
}

async function pixel(file: string, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * info.channels;
  return [...data.subarray(at, at + info.channels)];
}

describe('run.interpret', () => {
  it('reads a 1000-class distribution with the ImageNet names, without softmax', async () => {
    const run = await runImage(model('imagenet.onnx'), photo, 'x', stretch8);
    const interp = await call('run.interpret', { runId: run.runId, task: { kind: 'classification', topK: 3 } });
    expect(interp.task).toMatchObject({ kind: 'classification', topK: 3, softmax: 'auto', labels: { kind: 'auto' } });
    const [result] = interp.results;
    expect(result.kind).toBe('classification');
    if (result.kind !== 'classification') return;
    expect(result.softmaxApplied).toBe(false);
    expect(result.top).toHaveLength(3);
    expect(result.top[0]).toMatchObject({ classId: 207, label: 'golden retriever' });
    expect(result.top[0].score).toBeCloseTo(0.8, 5);
    expect(interp.images).toEqual([
      { input: 'x', index: 0, path: photo, width: 128, height: 64, preview: expect.stringMatching(/^data:image\/jpeg;base64,/) },
    ]);
    const preview = Buffer.from(interp.images[0].preview.split(',')[1], 'base64');
    expect(await sharp(preview).metadata()).toMatchObject({ format: 'jpeg', width: 128, height: 64 });
    expect(interp.ms).toBeGreaterThan(0);
  });

  it('applies softmax to logits and names classes from a labels file', async () => {
    const run = await runImage(model('three.onnx'), photo, 'x', stretch8);
    const task = { kind: 'classification', labels: { kind: 'file', path: join(dir, 'labels.txt') } };
    const [result] = (await call('run.interpret', { runId: run.runId, task })).results;
    if (result.kind !== 'classification') throw new Error(result.kind);
    expect(result.softmaxApplied).toBe(true);
    const z = Math.exp(1) + Math.exp(3) + Math.exp(2);
    expect(result.top.map((c) => c.label)).toEqual(['dog', 'bird', 'cat']);
    expect(result.top[0].score).toBeCloseTo(Math.exp(3) / z, 5);
  });

  it('names a labels file that is missing', async () => {
    const run = await runImage(model('three.onnx'), photo, 'x', stretch8);
    const missing = join(dir, 'no-such-labels.txt');
    const error = await failure('run.interpret', {
      runId: run.runId,
      task: { kind: 'classification', labels: { kind: 'file', path: missing } },
    });
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain(missing);
  });

  it('maps YOLOv8 boxes through the letterbox onto the original image', async () => {
    const run = await runImage(model('detect.onnx'), photo, 'images', letterbox);
    const task = { kind: 'detection', labels: { kind: 'list', labels: ['person', 'car'] } };
    const [result] = (await call('run.interpret', { runId: run.runId, task })).results;
    if (result.kind !== 'detection') throw new Error(result.kind);
    expect(result).toMatchObject({ imageWidth: 128, imageHeight: 64, image: 0 });
    expect(result.detections.map((d) => [d.label, d.classId])).toEqual([
      ['person', 0],
      ['car', 1],
    ]);
    const [person, car] = result.detections;
    expect(person.score).toBeCloseTo(0.9, 5);
    for (const [got, want] of [
      [person, [44, 22, 84, 42]],
      [car, [12, 8, 28, 24]],
    ] as const) {
      expect(got.x1).toBeCloseTo(want[0], 3);
      expect(got.y1).toBeCloseTo(want[1], 3);
      expect(got.x2).toBeCloseTo(want[2], 3);
      expect(got.y2).toBeCloseTo(want[3], 3);
    }
  });

  it('works on an EXIF-rotated photo in its shown orientation', async () => {
    const run = await runImage(model('detect.onnx'), rotated, 'images', letterbox);
    const interp = await call('run.interpret', { runId: run.runId, task: { kind: 'detection' } });
    expect(interp.images[0]).toMatchObject({ width: 128, height: 64 });
    const [result] = interp.results;
    if (result.kind !== 'detection') throw new Error(result.kind);
    expect(result.detections[0].x1).toBeCloseTo(44, 3);
  });

  it('says when a run is no longer kept', async () => {
    const error = await failure('run.interpret', { runId: 'run-999999', task: { kind: 'generic' } });
    expect(error.code).toBe('NOT_FOUND');
  });
});

describe('run.exportResult', () => {
  it('draws boxes on the original, at its size, in the class colour, and never overwrites', async () => {
    const run = await runImage(model('detect.onnx'), photo, 'images', letterbox);
    const task = { kind: 'detection', labels: { kind: 'list', labels: ['person', 'car'] } };
    const to = join(dir, 'boxes.png');
    const saved = await call('run.exportResult', { runId: run.runId, task, what: 'image', to });
    expect(saved).toEqual({ path: to, bytes: (await stat(to)).size });
    expect(await sharp(to).metadata()).toMatchObject({ format: 'png', width: 128, height: 64 });
    // Left and right edges of the person box (x = 44 and 84), halfway down; the background stays blue.
    expect((await pixel(to, 44, 32)).slice(0, 3)).toEqual(PALETTE[0]);
    expect((await pixel(to, 84, 32)).slice(0, 3)).toEqual(PALETTE[0]);
    expect((await pixel(to, 64, 32)).slice(0, 3)).toEqual([0, 0, 200]);
    const before = await readFile(to);
    const again = await failure('run.exportResult', { runId: run.runId, task, what: 'image', to });
    expect(again.message).toMatch(/already exists/);
    expect((await readFile(to)).equals(before)).toBe(true);
  });

  it('writes JPEG by extension and refuses other extensions', async () => {
    const run = await runImage(model('detect.onnx'), rotated, 'images', letterbox);
    const to = join(dir, 'boxes.jpg');
    await call('run.exportResult', { runId: run.runId, task: { kind: 'detection' }, what: 'image', to });
    expect(await sharp(to).metadata()).toMatchObject({ format: 'jpeg', width: 128, height: 64 });
    const error = await failure('run.exportResult', {
      runId: run.runId,
      task: { kind: 'detection' },
      what: 'image',
      to: join(dir, 'x.gif'),
    });
    expect(error).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/\.png, \.jpg or \.jpeg/) });
  });

  it('writes the result as JSON with boxes in original-image pixels', async () => {
    const run = await runImage(model('detect.onnx'), photo, 'images', letterbox);
    const to = join(dir, 'detections.json');
    await call('run.exportResult', { runId: run.runId, task: { kind: 'detection' }, what: 'json', to });
    const json = JSON.parse(await readFile(to, 'utf8'));
    expect(json).toMatchObject({
      format: 'onnx-workbench/result',
      task: 'detection',
      image: photo,
      imageWidth: 128,
      imageHeight: 64,
    });
    expect(json.model).toBe(model('detect.onnx'));
    expect(json.detections).toHaveLength(2);
    expect(json.detections[0]).toMatchObject({ classId: 0, box: { x1: 44, y1: 22, x2: 84, y2: 42 } });
    expect(json.detections[0].score).toBeCloseTo(0.9, 4);
  });

  it('exports a segmentation mask, a cutout and JSON with the mask beside it', async () => {
    const run = await runImage(model('segment.onnx'), photo, 'images', letterbox);
    const task = { kind: 'segmentation', mode: 'binary' };
    const [seg] = (await call('run.interpret', { runId: run.runId, task })).results;
    if (seg.kind !== 'segmentation') throw new Error(seg.kind);
    expect(seg).toMatchObject({ mode: 'binary', imageWidth: 128, imageHeight: 64 });
    expect(seg.mask).toMatchObject({ width: 128, height: 64, png: expect.stringMatching(/^data:image\/png;base64,/) });

    const mask = join(dir, 'seg.mask.png');
    await call('run.exportResult', { runId: run.runId, task, what: 'mask', to: mask });
    expect(await sharp(mask).metadata()).toMatchObject({ width: 128, height: 64, channels: 1 });
    expect((await pixel(mask, 10, 32))[0]).toBe(255);
    expect((await pixel(mask, 100, 32))[0]).toBe(0);

    const cutout = join(dir, 'cutout.png');
    await call('run.exportResult', { runId: run.runId, task, what: 'cutout', to: cutout });
    expect(await sharp(cutout).metadata()).toMatchObject({ width: 128, height: 64, channels: 4 });
    expect(await pixel(cutout, 10, 32)).toEqual([0, 0, 200, 255]);
    expect((await pixel(cutout, 100, 32))[3]).toBe(0);

    const drawn = join(dir, 'seg.png');
    await call('run.exportResult', { runId: run.runId, task, what: 'image', to: drawn, maskOpacity: 1 });
    expect((await pixel(drawn, 100, 32)).slice(0, 3)).toEqual([0, 0, 200]);
    expect((await pixel(drawn, 10, 32)).slice(0, 3)).not.toEqual([0, 0, 200]);

    const json = join(dir, 'seg-result.json');
    await call('run.exportResult', { runId: run.runId, task, what: 'json', to: json });
    const record = JSON.parse(await readFile(json, 'utf8'));
    expect(record).toMatchObject({ task: 'segmentation', mode: 'binary', mask: 'seg-result.mask.png' });
    expect((await readFile(join(dir, 'seg-result.mask.png'))).equals(await readFile(mask))).toBe(true);
    // seg.mask.png exists (the mask export above): a JSON export to seg.json says so and writes nothing.
    const clash = await failure('run.exportResult', { runId: run.runId, task, what: 'json', to: join(dir, 'seg.json') });
    expect(clash.message).toContain(`${mask} already exists`);
    expect(await readdir(dir)).not.toContain('seg.json');
  });

  it('exports an output picture at its own size', async () => {
    const run = await runImage(model('enhance.onnx'), photo, 'images', letterbox);
    const to = join(dir, 'enhanced.png');
    await call('run.exportResult', {
      runId: run.runId,
      task: { kind: 'image-to-image', denormalize: 'unit' },
      what: 'image',
      to,
    });
    expect(await sharp(to).metadata()).toMatchObject({ width: 16, height: 16 });
    expect((await pixel(to, 8, 8)).slice(0, 3)).toEqual([128, 128, 128]);
  });

  it('refuses a mask for a result that is not a segmentation, and a drawing without an image input', async () => {
    const run = await runImage(model('detect.onnx'), photo, 'images', letterbox);
    const error = await failure('run.exportResult', {
      runId: run.runId,
      task: { kind: 'detection' },
      what: 'mask',
      to: join(dir, 'm.png'),
    });
    expect(error).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/segmentation/) });
    const tensorRun = await call('model.run', {
      path: model('three.onnx'),
      inputs: { x: { kind: 'generate', generator: 'zeros', dims: [1, 3, 8, 8] } },
    });
    const interp = await call('run.interpret', { runId: tensorRun.runId, task: { kind: 'classification' } });
    expect(interp.images).toEqual([]);
    const noImage = await failure('run.exportResult', {
      runId: tensorRun.runId,
      task: { kind: 'classification' },
      what: 'image',
      to: join(dir, 'none.png'),
    });
    expect(noImage.message).toMatch(/no image input/);
  });
});

describe('output views and text files', () => {
  it('decodes float16 and widens 64-bit integers for the postprocessors', () => {
    // 0x3c00 = 1.0, 0xc000 = -2.0 in IEEE half precision.
    const half = outputView('h', { dtype: 'float16', dims: [2], data: new Uint16Array([0x3c00, 0xc000]) });
    expect(half?.data).toBeInstanceOf(Float32Array);
    expect(Array.from(half!.data)).toEqual([1, -2]);
    const ids = outputView('i', { dtype: 'int64', dims: [1, 2], data: new BigInt64Array([7n, -1n]) });
    expect(ids).toEqual({ name: 'i', dtype: 'int64', dims: [1, 2], data: new Float64Array([7, -1]) });
    expect(outputView('s', { dtype: 'string', dims: [1], data: ['a'] })).toBeNull();
  });

  it('keeps a charset line that is a space, and reads CRLF files', () => {
    expect(textLines('a\r\n \r\nb\r\n')).toEqual(['a', ' ', 'b']);
    expect(textLines('\uFEFFx\ny')).toEqual(['x', 'y']);
  });
});

describe('task.suggest', () => {
  it('suggests detection for a YOLOv8-shaped output, readable', async () => {
    const s = await call('task.suggest', { path: model('detect.onnx') });
    expect(s.settings.kind).toBe('detection');
    expect(s.reason.length).toBeGreaterThan(0);
    expect(s.readable.ok).toBe(true);
  });

  it('suggests text recognition for PaddleOCR rec with the charset file found beside the model', async () => {
    const s = await call('task.suggest', { path: MODELS.ocrRec });
    expect(s.settings).toMatchObject({
      kind: 'text-recognition',
      charset: { kind: 'file', path: join(dirname(MODELS.ocrRec), 'ppocr_keys_v1.txt') },
    });
    expect(s.reason).toContain('ppocr_keys_v1.txt found beside the model');
    expect(s.readable.ok).toBe(true);
  });
});

describe('onnx-workbench run --task', () => {
  function cli(...args: string[]) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'electron/cli/index.ts'), ...args], {
      encoding: 'utf8',
      cwd: ROOT,
      env: { ...process.env, OWB_ENGINE_SOURCE: '1', OWB_DATA_DIR: join(dir, 'cli-data') },
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }
  const args = (out: string) => [
    'run',
    model('detect.onnx'),
    '--input',
    photo,
    '--recipe',
    join(dir, 'letterbox.json'),
    '--task',
    'detection',
    '--labels',
    join(dir, 'det-labels.txt'),
    '--conf',
    '0.5',
    '--out',
    out,
  ];

  it('prints the boxes, writes result.json and the drawn image, and refuses to overwrite them', async () => {
    const out = join(dir, 'cli-out');
    const r = cli(...args(out));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Detection: 2 objects/);
    expect(r.stdout).toMatch(/person\s+0\.900\s+\(44, 22\) – \(84, 42\)/);
    expect(r.stdout).toMatch(/car\s+0\.800/);
    expect((await readdir(out)).sort()).toEqual(['output0.npy', 'photo.result.png', 'result.json']);
    const saved = JSON.parse(await readFile(join(out, 'result.json'), 'utf8'));
    expect(saved.task).toMatchObject({ kind: 'detection', confidence: 0.5, labels: { kind: 'file' } });
    expect(saved.result.detections.map((d: { label: string }) => d.label)).toEqual(['person', 'car']);
    expect(await sharp(join(out, 'photo.result.png')).metadata()).toMatchObject({ width: 128, height: 64 });
    const before = (await stat(join(out, 'photo.result.png'))).mtimeMs;

    const again = cli(...args(out));
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists.*nothing was written/);
    expect((await stat(join(out, 'photo.result.png'))).mtimeMs).toBe(before);
  });

  it('adds the result to --json and names unknown tasks', () => {
    const r = cli(
      'run',
      model('three.onnx'),
      '--input',
      photo,
      '--recipe',
      join(dir, 'stretch8.json'),
      '--task',
      'classification',
      '--top',
      '2',
      '--json',
    );
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.task).toMatchObject({ kind: 'classification', topK: 2 });
    expect(json.result.top.map((c: { classId: number }) => c.classId)).toEqual([1, 2]);

    const bad = cli('run', model('three.onnx'), '--input', photo, '--task', 'clasification');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown task "clasification" \(one of: auto, classification, detection, segmentation/);
    const stray = cli('run', model('three.onnx'), '--input', photo, '--task', 'classification', '--conf', '0.5');
    expect(stray.code).toBe(2);
    expect(stray.stderr).toMatch(/--conf applies to detection, not to classification/);
  });
});
