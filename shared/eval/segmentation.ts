// Semantic segmentation metrics from a confusion matrix accumulated over label maps:
// IoU per class, mean IoU over the classes that occur, pixel accuracy.

export const IGNORE_LABEL = 255;

export class SegmentationTally {
  /** confusion[truth * classes + predicted] */
  readonly confusion: Float64Array;
  constructor(readonly classes: number) {
    this.confusion = new Float64Array(classes * classes);
  }

  /** Adds one image: both maps hold a class index per pixel; `ignore` pixels of the truth are skipped. */
  add(truth: ArrayLike<number>, predicted: ArrayLike<number>, ignore = IGNORE_LABEL): void {
    if (truth.length !== predicted.length)
      throw new Error(`truth has ${truth.length} pixels, the prediction ${predicted.length}`);
    const k = this.classes;
    for (let i = 0; i < truth.length; i++) {
      const t = truth[i];
      if (t === ignore || t < 0 || t >= k) continue;
      const p = predicted[i];
      if (p < 0 || p >= k) continue;
      this.confusion[t * k + p] += 1;
    }
  }
}

export interface SegmentationClassMetrics {
  index: number;
  name: string;
  /** null when the class occurs in neither the truth nor the predictions. */
  iou: number | null;
  pixels: number;
}

export interface SegmentationMetrics {
  miou: number;
  pixelAccuracy: number;
  perClass: SegmentationClassMetrics[];
}

export function segmentationMetrics(tally: SegmentationTally, classNames: readonly string[]): SegmentationMetrics {
  const k = tally.classes;
  const c = tally.confusion;
  let diag = 0;
  let total = 0;
  const perClass: SegmentationClassMetrics[] = [];
  let iouSum = 0;
  let iouCount = 0;
  for (let i = 0; i < k; i++) {
    let row = 0;
    let col = 0;
    for (let j = 0; j < k; j++) {
      row += c[i * k + j];
      col += c[j * k + i];
    }
    const tp = c[i * k + i];
    diag += tp;
    total += row;
    const union = row + col - tp;
    const iou = union > 0 ? tp / union : null;
    if (iou !== null) {
      iouSum += iou;
      iouCount += 1;
    }
    perClass.push({ index: i, name: classNames[i] ?? String(i), iou, pixels: row });
  }
  return { miou: iouCount ? iouSum / iouCount : 0, pixelAccuracy: total ? diag / total : 0, perClass };
}
