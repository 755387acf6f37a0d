// Ultralytics heads with known answers: YOLOv8-seg (coefficients × prototypes → instance masks
// and their outlines), -pose (keypoints through the letterbox), -obb (rotated boxes, rotated NMS
// with overlaps worked out by hand, DOTA names), RT-DETR rows without NMS; and the geometry
// under them (rotated IoU, contour tracing).
import { describe, expect, it } from 'vitest';
import { postprocess, resultJson, type PostprocessContext } from '../../shared/postprocess/index';
import { outline } from '../../shared/postprocess/instances';
import { nms } from '../../shared/postprocess/nms';
import { COCO_SKELETON, DOTA_V1_LABELS } from '../../shared/postprocess/pose';
import { polygonIou, rotatedCorners, rotatedIou } from '../../shared/postprocess/rotated';
import { identityTransform, planResize, resizeSchema } from '../../shared/recipe';
import { drawResult, drawingToSvg } from '../../shared/drawing';
import {
  taskSettingsSchema,
  type DetectionResult,
  type EncodedRaster,
  type OutputTensor,
  type TaskSettingsInput,
} from '../../shared/tasks';

const tensor = (name: string, dims: number[], data: ArrayLike<number>): OutputTensor => ({
  name,
  dims,
  dtype: 'float32',
  data: Float32Array.from(data),
});
const ctxOf = (outputs: OutputTensor[], extra: Partial<PostprocessContext> = {}): PostprocessContext => ({
  outputs,
  transforms: [identityTransform(64, 64)],
  metadata: {},
  metadataParsed: {},
  ...extra,
});
/** The result without its rasters, as the drawing code takes it (outlines only). */
const vectors = (r: DetectionResult): DetectionResult<EncodedRaster> => ({ ...r, instances: undefined });
const detect = (settings: TaskSettingsInput, ctx: PostprocessContext): DetectionResult =>
  postprocess(taskSettingsSchema.parse(settings), ctx)[0] as DetectionResult;

/** A [1, F, N] head (features along dim 1) from candidate rows of F values; the rest zero. */
function head(name: string, features: number, n: number, rows: number[][]): OutputTensor {
  const data = new Float32Array(features * n);
  rows.forEach((r, j) => r.forEach((v, f) => (data[f * n + j] = v)));
  return tensor(name, [1, features, n], data);
}

describe('YOLOv8-seg', () => {
  // Prototypes at a quarter of the 64×64 input: mask 0 is the left half, mask 1 the top half.
  const protos = new Float32Array(2 * 16 * 16);
  for (let v = 0; v < 16; v++)
    for (let u = 0; u < 16; u++) {
      protos[v * 16 + u] = u < 8 ? 5 : -5;
      protos[256 + v * 16 + u] = v < 8 ? 5 : -5;
    }
  // 4 box values, 1 class, 2 coefficients.
  const output0 = head('output0', 7, 8, [
    [32, 32, 48, 48, 0.9, 1, 0], // x 8..56, y 8..56, left half → x 8..31
    [32, 32, 16, 16, 0.8, 0, 1], // x 24..40, y 24..40, top half → y 24..31
    [10, 10, 4, 4, 0.1, 1, 1], // below the confidence threshold
  ]);
  const ctx = ctxOf([output0, tensor('output1', [1, 2, 16, 16], protos)], { metadata: { task: 'segment' } });

  it('reads coefficients × prototypes, cropped to the box, into instance masks at image size', () => {
    const r = detect({ kind: 'detection', layout: 'yolov8-seg', iou: 0.7 }, ctx);
    expect(r.layout).toContain('2 mask coefficients against prototypes "output1" [1, 2, 16, 16]');
    expect(r.detections).toHaveLength(2);
    const [a, b] = r.detections;
    expect(a.maskArea! * 64 * 64).toBe(24 * 48);
    expect(b.maskArea! * 64 * 64).toBe(16 * 8);
    const mask = r.instances!.mask;
    expect([mask.width, mask.height, mask.channels]).toEqual([64, 64, 1]);
    const at = (x: number, y: number): number => mask.data[y * 64 + x];
    expect([at(10, 10), at(31, 55), at(32, 20), at(35, 28), at(28, 28), at(35, 33), at(60, 60)]).toEqual([1, 1, 0, 2, 1, 0, 0]);
    // Coloured by class where there is a mask, clear elsewhere.
    expect(r.instances!.overlay.data[(10 * 64 + 10) * 4 + 3]).toBe(255);
    expect(r.instances!.overlay.data[(60 * 64 + 60) * 4 + 3]).toBe(0);
    // The outline of the left-half rectangle: its four corner pixels' centres.
    expect([...a.polygon!].sort()).toEqual(
      [
        [8.5, 8.5],
        [31.5, 8.5],
        [31.5, 55.5],
        [8.5, 55.5],
      ].sort(),
    );
  });

  it('is read with masks under "auto" when the metadata says segment, and writes polygons and the mask file in JSON', () => {
    const r = detect({ kind: 'detection' }, ctx);
    expect(r.instances).toBeDefined();
    const json = resultJson(r, { files: { mask: 'a.mask.png' } }) as { mask: string; detections: { polygon: number[][] }[] };
    expect(json.mask).toBe('a.mask.png');
    expect(json.detections[0].polygon).toHaveLength(4);
    const svg = drawingToSvg(drawResult(vectors(r), { maskOpacity: 0.5, showLabels: true }));
    expect(svg).toContain('class="box"');
  });

  it('says what is missing when a -seg layout has no prototypes', () => {
    expect(() => detect({ kind: 'detection', layout: 'yolov8-seg' }, ctxOf([output0]))).toThrow(/no prototype masks output/);
  });
});

describe('YOLOv8-pose', () => {
  // A 128×64 image letterboxed into 64×64: scale 0.5, 16 px of padding on top.
  const letterbox = planResize(128, 64, resizeSchema.parse({ mode: 'letterbox', width: 64, height: 64 }));

  it('puts keypoints back on the original image, with their visibility', () => {
    const output0 = head('output0', 4 + 1 + 3 * 3, 20, [[32, 32, 20, 20, 0.9, 10, 20, 0.9, 20, 30, 0.2, 30, 40, 0.95]]);
    const ctx = ctxOf([output0], { transforms: [letterbox], metadata: { kpt_shape: '[3, 3]' } });
    const r = detect({ kind: 'detection' }, ctx);
    expect(r.detections).toHaveLength(1);
    const kp = r.detections[0].keypoints!.map((k) => [k.x, k.y, +k.score.toFixed(2)]);
    expect(kp).toEqual([
      [20, 8, 0.9],
      [40, 28, 0.2],
      [60, 48, 0.95],
    ]);
    expect(r.detections[0]).toMatchObject({ x1: 44, y1: 12, x2: 84, y2: 52 });
    expect(r.skeleton).toBeUndefined();
    // Without kpt_shape the layout works the keypoint count out from the features.
    const told = detect({ kind: 'detection', layout: 'yolov8-pose' }, ctxOf([output0], { transforms: [letterbox] }));
    expect(told.detections[0].keypoints).toHaveLength(3);
  });

  it('draws 17 COCO keypoints with the skeleton, leaving out those it cannot see', () => {
    const values = Array.from({ length: 17 }, (_, k) => [10 + k, 10 + 2 * k, k === 3 ? 0.1 : 0.9]).flat();
    const r = detect(
      { kind: 'detection', layout: 'yolov8-pose' },
      ctxOf([head('output0', 56, 60, [[32, 32, 40, 40, 0.8, ...values]])]),
    );
    expect(r.detections[0].keypoints).toHaveLength(17);
    expect(r.skeleton).toEqual(COCO_SKELETON);
    const svg = drawingToSvg(drawResult(vectors(r), { maskOpacity: 0.5, showLabels: false }));
    expect(svg.match(/<circle /g)).toHaveLength(16);
    // Edges touching the hidden keypoint 3 ([1, 3], [3, 5]) are not drawn.
    expect(svg.match(/<line /g)).toHaveLength(COCO_SKELETON.length - 2);
  });
});

describe('rotated boxes', () => {
  const square = (cx: number, cy: number, side: number, angle: number) => rotatedCorners(cx, cy, side, side, angle);

  it('measures overlaps exactly: shifted squares 1/3, a square and itself turned 45° 1/√2, a cross 1/7', () => {
    expect(polygonIou(square(0, 0, 2, 0), square(1, 0, 2, 0))).toBeCloseTo(1 / 3, 9);
    expect(polygonIou(square(0, 0, 2, 0), square(0, 0, 2, Math.PI / 4))).toBeCloseTo(Math.SQRT1_2, 9);
    expect(polygonIou(rotatedCorners(0, 0, 40, 10, 0), rotatedCorners(0, 0, 40, 10, Math.PI / 2))).toBeCloseTo(1 / 7, 9);
    expect(polygonIou(square(0, 0, 2, 0), square(5, 5, 2, 0.3))).toBe(0);
    expect(rotatedIou([0, 0, 2, 2, 0, 1, 0, 2, 2, 0], 0, 1)).toBeCloseTo(1 / 3, 9);
  });

  it('suppresses by rotated overlap, which axis-aligned bounds would not', () => {
    // Two 20-px squares on one centre, one turned 45°: rotated IoU 0.707, their bounds' IoU only 0.5.
    const boxes = [32, 32, 20, 20, 0, 32, 32, 20, 20, Math.PI / 4, 42, 32, 20, 20, 0];
    const opts = (iou: number) => ({ iou, maxDetections: 10, classAgnostic: false, overlap: rotatedIou });
    expect(nms(boxes, [0.9, 0.8, 0.7], null, 3, opts(0.7))).toEqual([0, 2]);
    expect(nms(boxes, [0.9, 0.8, 0.7], null, 3, opts(0.75))).toEqual([0, 1, 2]);
  });

  it('reads YOLOv8-obb: corners on the image, rotated NMS, regular angles and DOTA names', () => {
    const cls = (k: number, score: number): number[] => Array.from({ length: 15 }, (_, i) => (i === k ? score : 0));
    const output0 = head('output0', 4 + 15 + 1, 24, [
      [32, 32, 20, 20, ...cls(0, 0.9), 0],
      [32, 32, 20, 20, ...cls(0, 0.8), Math.PI / 4], // suppressed: rotated IoU 0.707 > 0.7
      [42, 32, 20, 20, ...cls(0, 0.7), 0], // kept: 1/3
      [50, 50, 10, 40, ...cls(9, 0.6), 0], // tall: read as 40 wide, turned 90°
    ]);
    const r = detect({ kind: 'detection', layout: 'yolov8-obb', iou: 0.7 }, ctxOf([output0]));
    expect(r.layout).toContain('rotated NMS per class');
    expect(r.detections.map((d) => [d.label, +d.score.toFixed(2)])).toEqual([
      ['plane', 0.9],
      ['plane', 0.7],
      ['large vehicle', 0.6],
    ]);
    const [a, , c] = r.detections;
    expect(a.polygon!.map(([x, y]) => [Math.round(x), Math.round(y)]).sort()).toEqual(
      [
        [22, 22],
        [22, 42],
        [42, 22],
        [42, 42],
      ].sort(),
    );
    expect(a.angle).toBe(0);
    expect(c.angle).toBeCloseTo(Math.PI / 2, 6);
    // Bounds clipped to the 64×64 image.
    expect(c).toMatchObject({ x1: 45, y1: 30, x2: 55, y2: 64 });
    const svg = drawingToSvg(drawResult(vectors(r), { maskOpacity: 0.5, showLabels: true }));
    expect(svg.match(/<polygon /g)).toHaveLength(3);
    // A label sits over the box's top corner, whatever order the corners come in.
    const diamond = drawingToSvg({
      width: 64,
      height: 64,
      layers: [
        {
          type: 'polygon',
          id: 0,
          points: [
            [32, 60],
            [4, 32],
            [32, 4],
            [60, 32],
          ],
          color: [255, 0, 0],
          label: 'x',
        },
      ],
    });
    expect(diamond).toMatch(/<rect class="label-bg" x="32" y="4"/);
  });
});

describe('RT-DETR', () => {
  it('reads queries [1, N, 4+C] as normalised cxcywh boxes without NMS', () => {
    const rows = [
      [0.5, 0.5, 0.5, 0.5, 0.1, 0.9, 0.0],
      [0.5, 0.5, 0.5, 0.48, 0.0, 0.8, 0.1], // the same object again: kept, the model does not repeat itself after training
      [0.2, 0.2, 0.1, 0.1, 0.05, 0.1, 0.2], // below the threshold
    ];
    const data = Array.from({ length: 10 }, (_, j) => rows[j] ?? [0, 0, 0, 0, 0, 0, 0]).flat();
    const r = detect(
      { kind: 'detection', layout: 'detr', boxFormat: 'cxcywh', normalized: 'yes' },
      ctxOf([tensor('output0', [1, 10, 7], data)]),
    );
    expect(r.layout).toMatch(/^RT-DETR "output0" \[1, 10, 7\]: 10 queries, 3 classes.*no NMS/);
    expect(r.detections.map((d) => [d.classId, ...[d.x1, d.y1, d.x2, d.y2].map((v) => +v.toFixed(3))])).toEqual([
      [1, 16, 16, 48, 48],
      [1, 16, 16.64, 48, 47.36],
    ]);
  });
});

describe('outline', () => {
  it('traces the outer contour of the largest region, corners only', () => {
    // A thick L (4×2 bar over a 2×2 stem), plus a lone pixel elsewhere.
    const w = 7;
    const mask = new Uint8Array(w * 5);
    for (let y = 0; y < 4; y++) for (let x = 0; x < (y < 2 ? 4 : 2); x++) mask[y * w + x] = 1;
    mask[4 * w + 6] = 1;
    const corners = [
      [0, 0],
      [3, 0],
      [3, 1],
      [2, 1],
      [1, 2],
      [1, 3],
      [0, 3],
    ];
    expect(outline(mask, w, 5)).toEqual(corners.map(([x, y]) => [x + 0.5, y + 0.5]));
    expect(DOTA_V1_LABELS).toHaveLength(15);
  });
});
