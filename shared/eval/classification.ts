// Classification metrics over a labelled set: top-1/top-5 accuracy, per-class precision,
// recall and support, and the confusion matrix (rows: true class, columns: predicted top-1).

export interface ClassificationSample {
  /** Index of the true class. */
  truth: number;
  /** Class indices by descending score (at least the top 5 when there are that many classes). */
  ranked: readonly number[];
}

export interface ClassMetrics {
  index: number;
  name: string;
  precision: number | null;
  recall: number | null;
  support: number;
}

export interface ClassificationMetrics {
  samples: number;
  top1: number;
  top5: number;
  perClass: ClassMetrics[];
  /** confusion[truth][predicted], counts of top-1 predictions. */
  confusion: number[][];
}

export function classificationMetrics(
  samples: readonly ClassificationSample[],
  classNames: readonly string[],
): ClassificationMetrics {
  const k = classNames.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let top1 = 0;
  let top5 = 0;
  // Files per true class, counting those whose top-1 is outside the classes (not in the matrix).
  const truths = new Array<number>(k).fill(0);
  for (const s of samples) {
    if (s.truth >= 0 && s.truth < k) truths[s.truth] += 1;
    const predicted = s.ranked[0];
    if (predicted === s.truth) top1 += 1;
    if (s.ranked.slice(0, 5).includes(s.truth)) top5 += 1;
    if (s.truth >= 0 && s.truth < k && predicted !== undefined && predicted >= 0 && predicted < k)
      confusion[s.truth][predicted] += 1;
  }
  const perClass = classNames.map((name, c) => {
    const tp = confusion[c][c];
    const support = truths[c];
    const predicted = confusion.reduce((a, row) => a + row[c], 0);
    return {
      index: c,
      name,
      precision: predicted ? tp / predicted : null,
      recall: support ? tp / support : null,
      support,
    };
  });
  const n = samples.length;
  return { samples: n, top1: n ? top1 / n : 0, top5: n ? top5 / n : 0, perClass, confusion };
}
