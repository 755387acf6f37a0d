import { describe, expect, it } from 'vitest';
import {
  SegmentationTally,
  classificationMetrics,
  detectionMetrics,
  editDistance,
  segmentationMetrics,
  textMetrics,
  type GroundTruthBox,
  type PredictedBox,
} from '../../shared/eval';

const gt = (image: number, category: number, bbox: [number, number, number, number], iscrowd = false): GroundTruthBox => ({
  image,
  category,
  bbox,
  iscrowd,
});
const dt = (image: number, category: number, bbox: [number, number, number, number], score: number): PredictedBox => ({
  image,
  category,
  bbox,
  score,
});

describe('detection mAP (COCO rules)', () => {
  const A: [number, number, number, number] = [10, 10, 100, 100];
  const B: [number, number, number, number] = [300, 300, 120, 80];

  it('perfect predictions give AP 1 at every threshold', () => {
    const m = detectionMetrics([gt(1, 1, A), gt(1, 1, B)], [dt(1, 1, A, 0.9), dt(1, 1, B, 0.8)]);
    expect(m.map50).toBe(1);
    expect(m.map50_95).toBe(1);
    expect(m.mar100).toBe(1);
  });

  it('a missed box caps recall at 0.5: precision 1 at the 51 recall points up to 0.5, 0 after', () => {
    const m = detectionMetrics([gt(1, 1, A), gt(1, 1, B)], [dt(1, 1, A, 0.9)]);
    expect(m.map50).toBeCloseTo(51 / 101, 12);
    expect(m.perClass[0].pr50!.slice(0, 51).every((p) => p === 1)).toBe(true);
    expect(m.perClass[0].pr50!.slice(51).every((p) => p === 0)).toBe(true);
    expect(m.mar100).toBeCloseTo(0.5, 12);
  });

  it('a duplicate between two true boxes lowers precision after recall 0.5 to 2/3', () => {
    // Rows by score: TP (A), FP (duplicate of A), TP (B): precision 1, 1/2, 2/3 at recall .5, .5, 1;
    // made monotone: 1, 2/3, 2/3. Recall points 0..0.5 read 1 (51 points), 0.51..1 read 2/3 (50 points).
    const m = detectionMetrics(
      [gt(1, 1, A), gt(1, 1, B)],
      [dt(1, 1, A, 0.9), dt(1, 1, [12, 10, 100, 100], 0.8), dt(1, 1, B, 0.7)],
    );
    expect(m.map50).toBeCloseTo((51 + 50 * (2 / 3)) / 101, 12);
  });

  it('a duplicate with the lowest score costs nothing (COCO AP is a precision envelope)', () => {
    const m = detectionMetrics([gt(1, 1, A)], [dt(1, 1, A, 0.9), dt(1, 1, A, 0.5)]);
    expect(m.map50).toBe(1);
  });

  it('a box of the wrong class is a miss for the true class; classes without ground truth do not count', () => {
    const m = detectionMetrics([gt(1, 1, A)], [dt(1, 2, A, 0.9)]);
    expect(m.map50).toBe(0);
    const two = m.perClass.find((c) => c.category === 2);
    expect(m.perClass.find((c) => c.category === 1)!.ap50).toBe(0);
    expect(two).toBeUndefined();
  });

  it('a box with IoU 0.62 matches at 0.50, 0.55 and 0.60 only: mAP@0.5:0.95 = 3/10', () => {
    const m = detectionMetrics([gt(1, 1, [0, 0, 100, 100])], [dt(1, 1, [0, 0, 100, 62], 0.9)]);
    expect(m.map50).toBe(1);
    expect(m.map75).toBe(0);
    expect(m.map50_95).toBeCloseTo(0.3, 12);
  });

  it('detections inside a crowd region are ignored, not false positives', () => {
    const m = detectionMetrics(
      [gt(1, 1, A), gt(1, 1, [500, 500, 200, 200], true)],
      [dt(1, 1, [520, 520, 50, 50], 0.95), dt(1, 1, A, 0.9)],
    );
    expect(m.map50).toBe(1);
    expect(m.perClass[0].groundTruth).toBe(1);
  });

  it('averages over classes and images, and splits by object size', () => {
    const small: [number, number, number, number] = [0, 0, 20, 20];
    const m = detectionMetrics(
      [gt(1, 1, A), gt(2, 2, small)],
      [dt(1, 1, A, 0.9), dt(2, 2, [40, 40, 20, 20], 0.8)],
      new Map([
        [1, 'cat'],
        [2, 'dog'],
      ]),
    );
    expect(m.images).toBe(2);
    expect(m.map50).toBeCloseTo(0.5, 12); // cat 1, dog 0
    expect(m.perClass.map((c) => [c.name, c.ap50])).toEqual([
      ['cat', 1],
      ['dog', 0],
    ]);
    expect(m.mapByArea.small).toBe(0);
    expect(m.mapByArea.medium).toBeNull();
    expect(m.mapByArea.large).toBe(1);
  });
});

describe('classification metrics', () => {
  it('counts top-1, top-5, the confusion matrix and per-class precision/recall', () => {
    const names = ['red', 'green', 'blue'];
    const m = classificationMetrics(
      [
        { truth: 0, ranked: [0, 1, 2] },
        { truth: 0, ranked: [1, 0, 2] },
        { truth: 1, ranked: [1, 2, 0] },
        { truth: 2, ranked: [2, 1, 0] },
        { truth: 2, ranked: [0, 2, 1] },
      ],
      names,
    );
    expect(m.top1).toBeCloseTo(3 / 5, 12);
    expect(m.top5).toBe(1);
    expect(m.confusion).toEqual([
      [1, 1, 0],
      [0, 1, 0],
      [1, 0, 1],
    ]);
    expect(m.perClass.map((c) => [c.precision, c.recall, c.support])).toEqual([
      [0.5, 0.5, 2],
      [0.5, 1, 1],
      [1, 0.5, 2],
    ]);
  });

  it('has no precision for a class never predicted', () => {
    const m = classificationMetrics([{ truth: 1, ranked: [0] }], ['a', 'b']);
    expect(m.perClass[1].precision).toBeNull();
    expect(m.perClass[1].recall).toBe(0);
  });

  it('counts a file whose top-1 is outside the classes in its class support and recall', () => {
    // The model's class 7 is no class of the dataset: the file is wrong, not left out.
    const m = classificationMetrics(
      [
        { truth: 1, ranked: [1] },
        { truth: 1, ranked: [7] },
        { truth: 1, ranked: [7] },
        { truth: 0, ranked: [0] },
      ],
      ['a', 'b'],
    );
    expect(m.perClass[1].support).toBe(3);
    expect(m.perClass[1].recall).toBeCloseTo(1 / 3, 12);
    expect(m.confusion).toEqual([
      [1, 0],
      [0, 1],
    ]);
  });
});

describe('segmentation metrics', () => {
  it('accumulates IoU per class over images and skips ignored pixels', () => {
    const t = new SegmentationTally(3);
    // truth:     0 0 1 1 | 255 2
    // predicted: 0 1 1 1 | 2   2
    t.add([0, 0, 1, 1], [0, 1, 1, 1]);
    t.add([255, 2], [2, 2]);
    const m = segmentationMetrics(t, ['bg', 'cat', 'dog']);
    expect(m.perClass.map((c) => c.iou)).toEqual([1 / 2, 2 / 3, 1]);
    expect(m.miou).toBeCloseTo((1 / 2 + 2 / 3 + 1) / 3, 12);
    expect(m.pixelAccuracy).toBeCloseTo(4 / 5, 12);
  });

  it('leaves classes seen nowhere out of the mean', () => {
    const t = new SegmentationTally(4);
    t.add([0, 1], [0, 1]);
    const m = segmentationMetrics(t, []);
    expect(m.perClass[3].iou).toBeNull();
    expect(m.miou).toBe(1);
  });

  it('refuses maps of different sizes', () => {
    expect(() => new SegmentationTally(2).add([0, 1], [0])).toThrow(/2 pixels/);
  });
});

describe('text metrics', () => {
  it('edit distance', () => {
    expect(editDistance([...'kitten'], [...'sitting'])).toBe(3);
    expect(editDistance([], [...'abc'])).toBe(3);
    expect(editDistance([...'same'], [...'same'])).toBe(0);
  });

  it('CER and WER over the reference lengths', () => {
    const m = textMetrics([
      { truth: 'kitten', predicted: 'sitting' },
      { truth: 'hello world', predicted: 'hello word' },
      { truth: 'ok', predicted: 'ok' },
    ]);
    expect(m.chars).toBe(6 + 11 + 2);
    expect(m.cer).toBeCloseTo((3 + 1 + 0) / 19, 12);
    expect(m.wer).toBeCloseTo((1 + 1 + 0) / 4, 12);
    expect(m.exact).toBeCloseTo(1 / 3, 12);
  });
});
