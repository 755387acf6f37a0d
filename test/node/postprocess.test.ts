// Postprocessors with known answers on hand-made tensors: classification (softmax or not, top-k,
// labels), detection in every layout and box format (letterbox undone, NMS), segmentation
// (argmax resized back, sigmoid masks), image outputs (recipe undone), generic views, the
// "can I read this" test and task suggestions.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { DType, ModelInfo, ValueInfo } from '../../shared/model-info';
import { canRead, postprocess, suggestTask, type PostprocessContext } from '../../shared/postprocess/index';
import { paletteColor } from '../../shared/postprocess/colormap';
import { labelOf, parseLabelsFile, resolveLabels } from '../../shared/postprocess/labels';
import { boxIou, nms, orderByScore, topByScore } from '../../shared/postprocess/nms';
import { planResize, preprocessRecipeSchema, resizeSchema, type ImageTransform } from '../../shared/recipe';
import { WorkbenchError } from '../../shared/result';
import { guessTask } from '../../shared/task-guess';
import {
  taskSettingsSchema,
  type ClassificationResult,
  type DetectionResult,
  type GenericResult,
  type ImageOutputResult,
  type OutputTensor,
  type SegmentationResult,
  type TaskSettingsInput,
} from '../../shared/tasks';
import { ctxOf } from './postprocess-fixtures';

const out = (name: string, dims: number[], data: ArrayLike<number>, dtype = 'float32'): OutputTensor => ({
  name,
  dims,
  dtype,
  data: Float32Array.from(data),
});
const run = <R>(settings: TaskSettingsInput, ctx: PostprocessContext): R[] =>
  postprocess(taskSettingsSchema.parse(settings), ctx) as R[];
const stretch = (ow: number, oh: number, tw: number, th: number): ImageTransform =>
  planResize(ow, oh, resizeSchema.parse({ mode: 'stretch', width: tw, height: th }));
const IMAGENET = readFileSync('resources/imagenet-labels.txt', 'utf8').split('\n').slice(0, 1000);

function thrown(f: () => unknown): WorkbenchError {
  try {
    f();
  } catch (e) {
    return e as WorkbenchError;
  }
  throw new Error('expected an error');
}

describe('classification', () => {
  it('applies softmax to logits and ranks the top k', () => {
    const [r] = run<ClassificationResult>(
      { kind: 'classification', topK: 3, labels: { kind: 'none' } },
      ctxOf([out('logits', [1, 4], [1, 3, 2, 0])]),
    );
    const e = [1, 3, 2, 0].map((v) => Math.exp(v));
    const sum = e.reduce((a, b) => a + b);
    expect(r.softmaxApplied).toBe(true);
    expect(r.classes).toBe(4);
    expect(r.top.map((t) => t.classId)).toEqual([1, 2, 0]);
    expect(r.top[0].score).toBeCloseTo(e[1] / sum, 6);
    expect(r.top[2].score).toBeCloseTo(e[0] / sum, 6);
    expect(r.top[0].label).toBe('class 1');
  });

  it('keeps values that already are a distribution, one result per batch row', () => {
    const rs = run<ClassificationResult>(
      { kind: 'classification', topK: 2 },
      ctxOf([out('prob', [2, 3], [0.2, 0.7, 0.1, 0.5, 0.1, 0.4])]),
    );
    expect(rs.map((r) => r.image)).toEqual([0, 1]);
    expect(rs[0].softmaxApplied).toBe(false);
    expect(rs[0].top.map((t) => [t.classId, +t.score.toFixed(4)])).toEqual([
      [1, 0.7],
      [0, 0.2],
    ]);
    expect(rs[1].top.map((t) => t.classId)).toEqual([0, 2]);
  });

  it('follows softmax always/never and reads [N, C, 1, 1] and [C]', () => {
    const [never] = run<ClassificationResult>(
      { kind: 'classification', softmax: 'never', topK: 1 },
      ctxOf([out('logits', [1, 3, 1, 1], [5, -1, 2])]),
    );
    expect(never.softmaxApplied).toBe(false);
    expect(never.top[0]).toMatchObject({ classId: 0, score: 5 });
    const [always] = run<ClassificationResult>(
      { kind: 'classification', softmax: 'always', topK: 1 },
      ctxOf([out('p', [2], [0.5, 0.5])]),
    );
    expect(always.softmaxApplied).toBe(true);
    expect(always.top[0].score).toBeCloseTo(0.5, 6);
  });

  it('names classes from Ultralytics metadata, parsed or as raw Python text', () => {
    const probs = out('output0', [1, 3], [0.1, 0.2, 0.7]);
    const [parsed] = run<ClassificationResult>(
      { kind: 'classification', topK: 1 },
      ctxOf([probs], { metadataParsed: { names: { 0: 'cat', 1: 'dog', 2: "o'possum" } } }),
    );
    expect(parsed.top[0].label).toBe("o'possum");
    const [raw] = run<ClassificationResult>(
      { kind: 'classification', topK: 1 },
      ctxOf([probs], { metadata: { names: "{0: 'cat', 1: 'dog', 2: 'ferret'}" } }),
    );
    expect(raw.top[0].label).toBe('ferret');
  });

  it('uses ImageNet for 1000 classes and shifts by "background" for 1001', () => {
    expect(IMAGENET).toHaveLength(1000);
    expect([IMAGENET[0], IMAGENET[1], IMAGENET[281], IMAGENET[409], IMAGENET[999]]).toEqual([
      'tench',
      'goldfish',
      'tabby',
      'analog clock',
      'toilet tissue',
    ]);
    const logits1001 = new Float32Array(1001);
    logits1001[282] = 10; // index 282 in a 1001-class model is ImageNet class 281
    const [r] = run<ClassificationResult>(
      { kind: 'classification', topK: 1 },
      ctxOf([out('logits', [1, 1001], logits1001)], { imagenetLabels: IMAGENET }),
    );
    expect(r.top[0]).toMatchObject({ classId: 282, label: 'tabby' });
    expect(resolveLabels({ kind: 'auto' }, ctxOf([], { imagenetLabels: IMAGENET }), 1001)?.[0]).toBe('background');
    expect(resolveLabels({ kind: 'auto' }, ctxOf([], { imagenetLabels: IMAGENET }), 1000)?.[409]).toBe('analog clock');
    expect(resolveLabels({ kind: 'auto' }, ctxOf([], { imagenetLabels: IMAGENET }), 10)).toBeNull();
    expect(labelOf(null, 17)).toBe('class 17');
  });

  it('parses labels files: lines, indexed lines, JSON lists and maps, with clear errors', () => {
    expect(parseLabelsFile('\uFEFFcat\r\ndog\n\n', 'a.txt')).toEqual(['cat', 'dog']);
    expect(parseLabelsFile('0: person\n2: car\n', 'coco.txt')).toEqual(['person', '', 'car']);
    expect(parseLabelsFile('["a", "b"]', 'l.json')).toEqual(['a', 'b']);
    expect(parseLabelsFile('{"1": "b", "0": "a"}', 'l.json')).toEqual(['a', 'b']);
    expect(parseLabelsFile('{"names": {"0": "x"}}', 'l.json')).toEqual(['x']);
    const bad = thrown(() => parseLabelsFile('{oops', '/tmp/l.json'));
    expect(bad.code).toBe('INVALID_INPUT');
    expect(bad.message).toContain('/tmp/l.json is not valid JSON');
    expect(thrown(() => parseLabelsFile('{"a": 1}', 'm.json')).message).toContain('map from class index to name');
    expect(thrown(() => parseLabelsFile('\n\n', 'e.txt')).message).toContain('e.txt is empty');
  });
});

// ---- Detection ------------------------------------------------------------------------------

/** [1, 4+C, N] from candidate rows (box…, class scores…), padded with empty candidates to at least 16 (N > 4+C, as in real models). */
function yolov8(rows: number[][]): OutputTensor {
  const f = rows[0].length;
  const n = Math.max(16, rows.length);
  const data = new Float32Array(f * n);
  rows.forEach((r, j) => r.forEach((v, k) => (data[k * n + j] = v)));
  return out('output0', [1, f, n], data);
}

const boxOf = (d: { x1: number; y1: number; x2: number; y2: number }): number[] =>
  [d.x1, d.y1, d.x2, d.y2].map((v) => +v.toFixed(3));
const identity640 = stretch(640, 640, 640, 640);

describe('detection', () => {
  const rows = [
    [100, 100, 50, 50, 0.9, 0.0], // class 0
    [102, 101, 50, 50, 0.8, 0.1], // class 0, overlaps the first: suppressed
    [101, 100, 50, 50, 0.05, 0.7], // class 1, same place: kept unless NMS is class-agnostic
    [400, 400, 20, 20, 0.1, 0.2], // below the confidence threshold
  ];

  it('reads YOLOv8 [1, 4+C, N] (cxcywh pixels) with per-class NMS', () => {
    const [r] = run<DetectionResult>(
      { kind: 'detection', labels: { kind: 'list', labels: ['cat', 'dog'] } },
      ctxOf([yolov8(rows)], { transforms: [identity640] }),
    );
    expect(r.layout).toContain('YOLOv8');
    expect(r.layout).toContain('cxcywh');
    expect(r.candidates).toBe(3);
    expect(r.detections.map((d) => [d.label, +d.score.toFixed(2)])).toEqual([
      ['cat', 0.9],
      ['dog', 0.7],
    ]);
    expect(boxOf(r.detections[0])).toEqual([75, 75, 125, 125]);
    expect([r.imageWidth, r.imageHeight]).toEqual([640, 640]);
  });

  it('suppresses across classes when class-agnostic, and keeps maxDetections', () => {
    const ctx = ctxOf([yolov8(rows)], { transforms: [identity640] });
    expect(run<DetectionResult>({ kind: 'detection', classAgnostic: true }, ctx)[0].detections).toHaveLength(1);
    const loose = run<DetectionResult>({ kind: 'detection', confidence: 0.01, maxDetections: 1 }, ctx)[0];
    expect(loose.candidates).toBe(4);
    expect(loose.detections).toHaveLength(1);
  });

  it('reads YOLOv5 [1, N, 5+C] as objectness × class score', () => {
    const data = [
      [100, 100, 40, 40, 0.9, 0.2, 0.8], // 0.72 class 1
      [300, 300, 40, 40, 0.2, 0.9, 0.1], // objectness too low
      ...Array.from({ length: 8 }, () => [0, 0, 0, 0, 0.01, 0.5, 0.5]),
    ].flat();
    const [r] = run<DetectionResult>(
      { kind: 'detection' },
      ctxOf([out('output', [1, 10, 7], data)], { transforms: [identity640] }),
    );
    expect(r.layout).toContain('YOLOv5');
    expect(r.detections).toHaveLength(1);
    expect(r.detections[0]).toMatchObject({ classId: 1, label: 'class 1' });
    expect(r.detections[0].score).toBeCloseTo(0.72, 5);
    expect(boxOf(r.detections[0])).toEqual([80, 80, 120, 120]);
  });

  it('reads a one-class YOLOv5 [1, N, 6] as YOLOv5, not as end-to-end', () => {
    const data = [10, 10, 4, 4, 0.9, 0.95, 30, 30, 4, 4, 0.8, 0.9].concat(Array(6 * 8).fill(0.01));
    const [r] = run<DetectionResult>(
      { kind: 'detection' },
      ctxOf([out('output', [1, 10, 6], data)], { transforms: [identity640] }),
    );
    expect(r.layout).toContain('YOLOv5');
    expect(r.detections.map(boxOf)).toEqual([
      [8, 8, 12, 12],
      [28, 28, 32, 32],
    ]);
  });

  it('reads end-to-end [1, N, 6] (x1 y1 x2 y2 score class) without NMS of its own', () => {
    const data = [10, 20, 110, 220, 0.9, 3, 12, 22, 112, 222, 0.8, 3, 0, 0, 0, 0, 0, 0];
    const [r] = run<DetectionResult>(
      { kind: 'detection' },
      ctxOf([out('output0', [1, 3, 6], data)], { transforms: [identity640] }),
    );
    expect(r.layout).toContain('end-to-end');
    expect(r.layout).toContain('NMS done by the model');
    expect(r.detections.map((d) => [d.classId, ...boxOf(d)])).toEqual([
      [3, 10, 20, 110, 220],
      [3, 12, 22, 112, 222],
    ]);
  });

  it('reads [N, 7] NMS exports with the batch index first, one result per image', () => {
    // batch, x1, y1, x2, y2, class, score (YOLOv7 end2end)
    const data = [0, 10, 10, 50, 50, 2, 0.9, 1, 20, 20, 60, 60, 5, 0.8];
    const rs = run<DetectionResult>(
      { kind: 'detection' },
      ctxOf([out('dets', [2, 7], data)], { transforms: [identity640, identity640] }),
    );
    expect(rs).toHaveLength(2);
    expect(rs[0].detections.map((d) => [d.classId, +d.score.toFixed(2), ...boxOf(d)])).toEqual([[2, 0.9, 10, 10, 50, 50]]);
    expect(rs[1].detections.map((d) => [d.classId, ...boxOf(d)])).toEqual([[5, 20, 20, 60, 60]]);
  });

  it('reads SSD/TF outputs: yxyx normalised boxes, scores, classes and count', () => {
    const t = stretch(600, 400, 300, 300);
    const outputs = [
      out('detection_boxes', [1, 3, 4], [0.25, 0.1, 0.75, 0.5, 0, 0, 1, 1, 0.1, 0.1, 0.2, 0.2]),
      out('detection_scores', [1, 3], [0.9, 0.6, 0.5]),
      out('detection_classes', [1, 3], [1, 18, 3]),
      out('num_detections', [1], [2]),
    ];
    const [r] = run<DetectionResult>({ kind: 'detection' }, ctxOf(outputs, { transforms: [t] }));
    expect(r.layout).toContain('SSD');
    expect(r.layout).toContain('yxyx');
    expect(r.layout).toContain('normalised');
    expect(r.detections.map((d) => [d.classId, ...boxOf(d)])).toEqual([
      [1, 60, 100, 300, 300],
      [18, 0, 0, 600, 400],
    ]);
    expect(canRead(taskSettingsSchema.parse({ kind: 'detection' }), outputs)).toEqual({
      ok: true,
      outputs: ['detection_boxes', 'detection_scores', 'detection_classes', 'num_detections'],
    });
  });

  it('reads boxes [1, N, 4] with per-class scores [1, N, C] and runs NMS', () => {
    const outputs = [
      out('boxes', [1, 3, 4], [10, 10, 50, 50, 11, 11, 51, 51, 100, 100, 150, 150]),
      out('confs', [1, 3, 2], [0.1, 0.9, 0.2, 0.8, 0.7, 0.1]),
    ];
    const [r] = run<DetectionResult>({ kind: 'detection' }, ctxOf(outputs, { transforms: [identity640] }));
    expect(r.layout).toContain('xyxy');
    expect(r.detections.map((d) => [d.classId, ...boxOf(d)])).toEqual([
      [1, 10, 10, 50, 50],
      [0, 100, 100, 150, 150],
    ]);
  });

  it('reads each box format and normalised coordinates as told', () => {
    const one = (box: number[], extra: Partial<TaskSettingsInput>): number[] => {
      const [r] = run<DetectionResult>(
        { kind: 'detection', layout: 'yolov8', ...extra } as TaskSettingsInput,
        ctxOf([yolov8([[...box, 0.9]])], { transforms: [identity640] }),
      );
      return boxOf(r.detections[0]);
    };
    const want = [100, 200, 300, 260];
    expect(one([200, 230, 200, 60], { boxFormat: 'cxcywh' })).toEqual(want);
    expect(one([100, 200, 300, 260], { boxFormat: 'xyxy' })).toEqual(want);
    expect(one([100, 200, 200, 60], { boxFormat: 'xywh' })).toEqual(want);
    expect(one([200, 100, 260, 300], { boxFormat: 'yxyx' })).toEqual(want);
    expect(one([100 / 640, 200 / 640, 300 / 640, 260 / 640], { boxFormat: 'xyxy' })).toEqual(want);
    expect(one([0.5, 0.5, 1, 1], { boxFormat: 'xyxy', normalized: 'no' })).toEqual([0.5, 0.5, 1, 1]);
  });

  it('undoes a letterbox: a 640×480 image in a 640×640 tensor, y 80..560 → 0..480', () => {
    const t = planResize(640, 480, resizeSchema.parse({ mode: 'letterbox', width: 640, height: 640 }));
    expect(t.padTop).toBe(80);
    const [r] = run<DetectionResult>(
      { kind: 'detection' },
      ctxOf(
        [
          yolov8([
            [320, 320, 640, 480, 0.9],
            [100, 40, 40, 40, 0.8],
          ]),
        ],
        { transforms: [t] },
      ),
    );
    expect([r.imageWidth, r.imageHeight]).toEqual([640, 480]);
    expect(r.detections.map(boxOf)).toEqual([[0, 0, 640, 480]]); // the second box lies in the padding
  });

  it('uses the metadata class count for Ultralytics outputs with extra values (pose, masks)', () => {
    // 4 box values, 1 class, 3 keypoint values
    const [r] = run<DetectionResult>(
      { kind: 'detection' },
      ctxOf([yolov8([[50, 50, 20, 20, 0.9, 7, 8, 9]])], {
        transforms: [identity640],
        metadataParsed: { names: { 0: 'person' } },
      }),
    );
    expect(r.layout).toContain('1 classes + 3 extra values ignored');
    expect(r.detections.map((d) => [d.label, d.score])).toEqual([['person', expect.closeTo(0.9, 5)]]);
  });

  it('reads [1, 84, 8400] in a few milliseconds', () => {
    const n = 8400;
    const data = new Float32Array(84 * n);
    for (let j = 0; j < n; j++) {
      data[j] = (j % 80) * 8;
      data[n + j] = Math.floor(j / 80) * 6;
      data[2 * n + j] = 20;
      data[3 * n + j] = 20;
      for (let c = 0; c < 80; c++) data[(4 + c) * n + j] = ((j * 31 + c * 17) % 97) / 400; // ≤ 0.24
    }
    for (let j = 0; j < 300; j++) data[(4 + (j % 80)) * n + j * 28] = 0.9;
    const ctx = ctxOf([out('output0', [1, 84, n], data)], { transforms: [identity640] });
    const settings = taskSettingsSchema.parse({ kind: 'detection' });
    // Batch jobs call this per image: time it once the JIT has compiled it, best of a few.
    let ms = Infinity;
    let r = postprocess(settings, ctx)[0] as DetectionResult;
    for (let k = 0; k < 8; k++) {
      const start = performance.now();
      r = postprocess(settings, ctx)[0] as DetectionResult;
      ms = Math.min(ms, performance.now() - start);
    }
    expect(r.candidates).toBe(300);
    expect(r.detections).toHaveLength(300);
    expect(ms).toBeLessThan(15);
  });
});

describe('nms', () => {
  it('drops overlapping boxes of a class, keeps other classes unless class-agnostic', () => {
    const boxes = Float32Array.from([0, 0, 10, 10, 1, 1, 11, 11, 0, 0, 10, 10, 20, 20, 30, 30]);
    const scores = [0.9, 0.8, 0.7, 0.6];
    const classes = [0, 0, 1, 0];
    expect(boxIou(boxes, 0, 1)).toBeCloseTo(81 / 119, 6);
    const o = { iou: 0.5, maxDetections: 10, classAgnostic: false };
    expect(nms(boxes, scores, classes, 4, o)).toEqual([0, 2, 3]);
    expect(nms(boxes, scores, classes, 4, { ...o, classAgnostic: true })).toEqual([0, 3]);
    expect(nms(boxes, scores, classes, 4, { ...o, iou: 0.9 })).toEqual([0, 1, 2, 3]);
    expect(nms(boxes, scores, null, 4, { ...o, maxDetections: 1 })).toEqual([0]);
  });

  it('orders by score, ties in index order and NaN last; the top k are the first k of the sort', () => {
    expect([...orderByScore([0.5, NaN, 0.9, 0.5, -1], 5)]).toEqual([2, 0, 3, 4, 1]);
    expect([...topByScore([0.5, NaN, 0.9, 0.5, -1], 5, 3)]).toEqual([2, 0, 3]);
    // Many classes, few kept (the selection, not the sort), with ties among the best and NaNs.
    let seed = 11;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (const count of [1, 7, 100, 1000]) {
      const scores = Array.from({ length: count }, (_, i) => (i % 97 === 5 ? NaN : Math.round(rand() * 50) / 50));
      for (const k of [0, 1, 5, 20, count, count + 3]) {
        const sorted = [...orderByScore(scores, count)].slice(0, k);
        expect([...topByScore(scores, count, k)]).toEqual(sorted);
      }
    }
    // The sort itself against a plain description of the order.
    const scores = [3, 1, 3, NaN, 2];
    const expected = [0, 1, 2, 3, 4].sort((a, b) => {
      const v = (i: number) => (Number.isNaN(scores[i]) ? -Infinity : scores[i]);
      return v(b) - v(a) || a - b;
    });
    expect([...orderByScore(scores, 5)]).toEqual(expected);
    expect(expected).toEqual([0, 2, 4, 1, 3]);
  });
});

// ---- Segmentation ---------------------------------------------------------------------------

describe('segmentation', () => {
  // Class maps over 2×2 cells: argmax [[0, 1], [2, 1]].
  const maps = out('out', [1, 3, 2, 2], [5, 0, 0, 0, 1, 9, 0, 9, 0, 0, 7, 0]);

  it('takes the argmax per cell and resizes it to the original (nearest), with area shares', () => {
    const [r] = run<SegmentationResult>(
      { kind: 'segmentation', labels: { kind: 'list', labels: ['bg', 'cat', 'dog'] } },
      ctxOf([maps], { transforms: [stretch(4, 4, 2, 2)] }),
    );
    expect(r.mode).toBe('semantic');
    expect([r.mask.width, r.mask.height, r.mask.channels]).toEqual([4, 4, 1]);
    expect(Array.from(r.mask.data)).toEqual([0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 1, 1, 2, 2, 1, 1]);
    expect(r.classes.map((c) => [c.label, c.area])).toEqual([
      ['cat', 0.5],
      ['bg', 0.25],
      ['dog', 0.25],
    ]);
    expect(r.classes[0].color).toEqual([128, 0, 0]);
    expect(Array.from(r.overlay.data.subarray(0, 4))).toEqual([0, 0, 0, 0]); // background: clear
    expect(Array.from(r.overlay.data.subarray(8, 12))).toEqual([128, 0, 0, 255]); // class 1
    expect(Array.from(r.overlay.data.subarray(32, 36))).toEqual([...paletteColor(2), 255]);
  });

  it('leaves the letterbox padding out: only the image part of the map comes back', () => {
    // A 4×2 image letterboxed into a 4×4 tensor sits in rows 1..2; the map has one cell per tensor pixel.
    const t = planResize(4, 2, resizeSchema.parse({ mode: 'letterbox', width: 4, height: 4 }));
    const rowsOf = (v: number[]): number[] => v.flatMap((x) => [x, x, x, x]);
    const labelMap = out('labels', [1, 4, 4], rowsOf([9, 1, 2, 9]), 'int32');
    const [r] = run<SegmentationResult>({ kind: 'segmentation' }, ctxOf([labelMap], { transforms: [t] }));
    expect([r.imageWidth, r.imageHeight]).toEqual([4, 2]);
    expect(Array.from(r.mask.data)).toEqual([1, 1, 1, 1, 2, 2, 2, 2]);
  });

  it('applies a sigmoid to binary logits and thresholds, or keeps soft alpha', () => {
    const logits = out('mask', [1, 1, 2, 2], [-10, 10, 10, -10]);
    const [hard] = run<SegmentationResult>({ kind: 'segmentation' }, ctxOf([logits]));
    expect(hard.mode).toBe('binary');
    expect(hard.activation).toBe('sigmoid');
    expect(Array.from(hard.mask.data)).toEqual([0, 255, 255, 0]);
    expect(hard.classes).toEqual([{ classId: 1, label: 'foreground', area: 0.5, color: paletteColor(1) }]);
    expect(hard.overlay.data[3]).toBe(0);
    expect(hard.overlay.data[7]).toBe(255);
    const alpha = out('alpha', [1, 1, 2, 2], [0, 0.25, 0.5, 1]);
    const [soft] = run<SegmentationResult>({ kind: 'segmentation', soft: true }, ctxOf([alpha]));
    expect(soft.activation).toBe('none');
    expect(Array.from(soft.mask.data)).toEqual([0, 64, 128, 255]);
  });

  it('resizes soft alpha bilinearly', () => {
    const alpha = out('alpha', [1, 1, 1, 2], [0, 1]);
    const [r] = run<SegmentationResult>(
      { kind: 'segmentation', mode: 'binary', soft: true },
      ctxOf([alpha], { transforms: [stretch(4, 1, 2, 1)] }),
    );
    // Pixel centres 0.5..3.5 fall at cells -0.25, 0.25, 0.75, 1.25 → 0, 0.25, 0.75, 1.
    expect(Array.from(r.mask.data)).toEqual([0, 64, 191, 255]);
  });
});

// ---- Image outputs and generic views ----------------------------------------------------------

describe('image-to-image', () => {
  it('undoes the recipe (mean/std, BGR) back to the original bytes', () => {
    const recipe = preprocessRecipeSchema.parse({
      resize: { mode: 'stretch', width: 2, height: 1 },
      channels: 'BGR',
      mean: [0.406, 0.456, 0.485],
      std: [0.225, 0.224, 0.229],
    });
    const rgb = [
      [10, 200, 30],
      [255, 0, 128],
    ];
    // NCHW, BGR channel order, normalised as the recipe does it.
    const data: number[] = [];
    for (let c = 0; c < 3; c++) for (const px of rgb) data.push((px[2 - c] * recipe.scale - recipe.mean[c]) / recipe.std[c]);
    const [r] = run<ImageOutputResult>({ kind: 'image-to-image' }, ctxOf([out('out', [1, 3, 1, 2], data)], { recipe }));
    expect(r.mapping).toContain('undid the input recipe');
    expect(r.mapping).toContain('BGR → RGB');
    expect(Array.from(r.picture.data)).toEqual(rgb.flat());
  });

  it('picks 0..1, 0..255 or min–max from the values when there is no recipe', () => {
    const unit = run<ImageOutputResult>({ kind: 'image-to-image' }, ctxOf([out('o', [1, 1, 2, 3], [0, 0.5, 1, 0, 0.5, 1])]))[0];
    expect(unit.mapping).toContain('0..1');
    const bytes = [0, 128, 255, 10, 20, 30, 1, 2, 3, 4, 5, 6];
    const hwc = run<ImageOutputResult>({ kind: 'image-to-image' }, ctxOf([out('o', [1, 2, 2, 3], bytes)]))[0];
    expect(hwc.mapping).toContain('0..255');
    expect([hwc.picture.width, hwc.picture.height]).toEqual([2, 2]);
    expect(Array.from(hwc.picture.data)).toEqual(bytes);
    const depth = run<ImageOutputResult>(
      { kind: 'image-to-image', colormap: 'gray' },
      ctxOf([out('depth', [1, 1, 1, 3], [2, 7, 12])]),
    )[0];
    expect(depth.mapping).toContain('stretched');
    expect(depth.mapping).toContain('gray');
    expect(Array.from(depth.picture.data)).toEqual([0, 0, 0, 128, 128, 128, 255, 255, 255]);
  });
});

describe('generic', () => {
  it('shows 2-D outputs as a heatmap with the value range', () => {
    const [r] = run<GenericResult>({ kind: 'generic', colormap: 'gray' }, ctxOf([out('o', [1, 2, 3], [-1, 0, 1, 2, 3, 4])]));
    expect(r).toMatchObject({ view: 'heatmap', min: -1, max: 4, dims: [1, 2, 3] });
    expect([r.picture!.width, r.picture!.height]).toEqual([3, 2]);
    expect(Array.from(r.picture!.data.subarray(0, 3))).toEqual([0, 0, 0]);
    expect(Array.from(r.picture!.data.subarray(15, 18))).toEqual([255, 255, 255]);
  });

  it('shows channels side by side with 1-pixel gaps, and 1-D values as a sampled series', () => {
    const [grid] = run<GenericResult>(
      { kind: 'generic' },
      ctxOf([
        out(
          'f',
          [1, 4, 2, 2],
          Array.from({ length: 16 }, (_, i) => i),
        ),
      ]),
    );
    expect(grid.view).toBe('grid');
    expect([grid.picture!.width, grid.picture!.height]).toEqual([5, 5]);
    const long = Array.from({ length: 10_000 }, (_, i) => i);
    const [plot] = run<GenericResult>({ kind: 'generic' }, ctxOf([out('v', [1, 10_000], long)]));
    expect(plot.view).toBe('plot');
    expect(plot.series).toHaveLength(4096);
    expect([plot.series![0], plot.series![4095], plot.max]).toEqual([0, 9999, 9999]);
  });
});

// ---- Can read, suggestions ----------------------------------------------------------------------

describe('canRead', () => {
  const logits = [{ name: 'logits', dims: [1, 1000], dtype: 'float32' }];
  const yolo = [{ name: 'output0', dims: [1, 84, 8400], dtype: 'float32' }];
  const can = (s: TaskSettingsInput, o: typeof logits) => canRead(taskSettingsSchema.parse(s), o);

  it('says in words why a task cannot read an output', () => {
    const det = can({ kind: 'detection' }, logits);
    expect(det.ok).toBe(false);
    if (!det.ok) {
      expect(det.reason).toContain('[1, N, 5+C]');
      expect(det.reason).toContain('"logits" [1, 1000]');
    }
    const cls = can({ kind: 'classification' }, yolo);
    expect(cls).toEqual({
      ok: false,
      reason:
        'classification needs an output of class scores shaped [N, C], [N, C, 1, 1] or [C]; this model has "output0" [1, 84, 8400]',
    });
    expect(can({ kind: 'segmentation' }, logits).ok).toBe(false);
    expect(can({ kind: 'image-to-image' }, logits).ok).toBe(false);
    const named = can({ kind: 'classification', output: 'probs' }, logits);
    expect(named.ok || named.reason).toContain('no output named "probs"');
    expect(can({ kind: 'detection', layout: 'end-to-end' }, yolo).ok).toBe(false);
  });

  it('accepts readable shapes, symbolic dims included', () => {
    expect(can({ kind: 'classification' }, logits)).toEqual({ ok: true, outputs: ['logits'] });
    expect(can({ kind: 'detection' }, yolo)).toEqual({ ok: true, outputs: ['output0'] });
    expect(can({ kind: 'detection' }, [{ name: 'o', dims: [-1, 84, -1], dtype: 'float32' }]).ok).toBe(true);
    expect(can({ kind: 'segmentation' }, [{ name: 'o', dims: [1, 21, -1, -1], dtype: 'float32' }]).ok).toBe(true);
    expect(can({ kind: 'generic' }, logits).ok).toBe(true);
  });

  it('postprocess refuses with INVALID_INPUT', () => {
    const e = thrown(() => run({ kind: 'detection' }, ctxOf([out('logits', [1, 3], [1, 2, 3])])));
    expect(e).toBeInstanceOf(WorkbenchError);
    expect(e.code).toBe('INVALID_INPUT');
  });
});

describe('suggestTask', () => {
  const v = (name: string, shape: (number | string)[], dtype: DType = 'float32'): ValueInfo => ({
    name,
    kind: 'tensor',
    dtype,
    shape,
  });
  const model = (inputs: ValueInfo[], outputs: ValueInfo[], metadata: Record<string, string> = {}): ModelInfo => {
    const base = {
      file: { path: '/m.onnx', size: 1, externalData: [] },
      irVersion: 8,
      opsets: [{ domain: '', version: 17 }],
      producer: { name: 'pytorch', version: '2' },
      modelVersion: 0,
      domain: '',
      docString: '',
      graphName: 'g',
      metadata,
      metadataParsed: {},
      inputs,
      optionalInputs: [],
      outputs,
      initializers: { count: 0, parameters: 0, bytes: 0, bytesByDtype: {}, constants: { count: 0, parameters: 0, bytes: 0 } },
      nodes: 1,
      ops: {},
      subgraphs: 0,
      functions: [],
    };
    return { ...base, task: guessTask(base) };
  };
  const image = v('images', [1, 3, 640, 640]);

  it('suggests the task of the guess, with its settings filled in', () => {
    const det = suggestTask(model([image], [v('output0', [1, 84, 8400])]));
    expect(det.settings).toMatchObject({ kind: 'detection', confidence: 0.25, iou: 0.45, layout: 'auto' });
    expect(det.reason).toContain('YOLOv8');
    expect(suggestTask(model([v('x', [1, 3, 224, 224])], [v('logits', [1, 1000])])).settings).toMatchObject({
      kind: 'classification',
      topK: 5,
    });
    const seg = suggestTask(model([v('x', [1, 3, 512, 512])], [v('out', [1, 21, 512, 512])]));
    expect(seg.settings).toMatchObject({ kind: 'segmentation', mode: 'semantic' });
    const matte = suggestTask(model([v('x', [1, 3, 320, 320])], [v('alpha', [1, 1, 320, 320])]));
    expect(matte.settings).toMatchObject({ kind: 'segmentation', mode: 'binary' });
    const sr = suggestTask(model([v('x', [1, 3, 'h', 'w'])], [v('y', [1, 3, 'h2', 'w2'])]));
    expect(sr.settings.kind).toBe('image-to-image');
  });

  it('tells OCR detection from recognition, and asks for a charset', () => {
    const det = suggestTask(
      model(
        [v('x', [1, 3, 'p2o.DynamicDimension.0', 'p2o.DynamicDimension.1'])],
        [v('sigmoid_0.tmp_0', [1, 1, 'p2o.DynamicDimension.0', 'p2o.DynamicDimension.1'])],
      ),
    );
    expect(det.settings.kind).toBe('text-detection');
    const rec = suggestTask(model([v('x', ['n', 3, 48, 'w'])], [v('softmax', ['n', 't', 6625])]));
    expect(rec.settings).toMatchObject({ kind: 'text-recognition', charset: { kind: 'list', chars: [] } });
    expect(rec.reason).toContain('charset file');
  });

  it('reads Ultralytics instance segmentation as boxes with masks, and unknown models as generic', () => {
    const seg = suggestTask(model([image], [v('output0', [1, 116, 8400]), v('output1', [1, 32, 160, 160])], { task: 'segment' }));
    expect(seg.settings).toMatchObject({ kind: 'detection', layout: 'yolov8-seg', iou: 0.7 });
    expect(seg.family).toBe('ultralytics-seg');
    expect(seg.reason).toContain('instance masks (coefficients × prototypes');
    const other = suggestTask(model([v('tokens', [1, 128], 'int64')], [v('hidden', [1, 128, 768])]));
    expect(other.settings.kind).toBe('generic');
    expect(other.reason).toContain('no rule matched');
  });
});
