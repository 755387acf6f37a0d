// Greedy non-maximum suppression over flat typed arrays (no object per box), per class or across
// classes. Pure; exported for any caller that has boxes and scores.

export interface NmsOptions {
  /** Boxes overlapping a kept box by more than this IoU are dropped. */
  iou: number;
  maxDetections: number;
  /** Suppress across classes instead of only within a class. */
  classAgnostic: boolean;
  /** Only the best this many candidates enter NMS (Ultralytics' max_nms); default 30000. */
  maxCandidates?: number;
  /** How much candidates i and j overlap (default: boxIou over `boxes`; rotated boxes: rotatedIou). */
  overlap?: (boxes: ArrayLike<number>, i: number, j: number) => number;
}

/** Intersection over union of boxes i and j in a flat x1,y1,x2,y2 array. */
export function boxIou(boxes: ArrayLike<number>, i: number, j: number): number {
  const a = i * 4;
  const b = j * 4;
  const w = Math.min(boxes[a + 2], boxes[b + 2]) - Math.max(boxes[a], boxes[b]);
  const h = Math.min(boxes[a + 3], boxes[b + 3]) - Math.max(boxes[a + 1], boxes[b + 1]);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  const areaA = Math.max(0, boxes[a + 2] - boxes[a]) * Math.max(0, boxes[a + 3] - boxes[a + 1]);
  const areaB = Math.max(0, boxes[b + 2] - boxes[b]) * Math.max(0, boxes[b + 3] - boxes[b + 1]);
  const union = areaA + areaB - inter;
  return union > 0 ? inter / union : 0;
}

/** A score to order by: NaN as the worst. */
const orderValue = (x: number): number => (x === x ? x : -Infinity);

/** Indices of `count` candidates sorted by score, best first (ties keep their order; NaN last). */
export function orderByScore(scores: ArrayLike<number>, count: number): Uint32Array {
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  return order.sort((a, b) => orderValue(scores[b]) - orderValue(scores[a]) || a - b);
}

/**
 * The `k` best of `count` candidates, best first, as `orderByScore(scores, count).subarray(0, k)`
 * (ties in index order; NaN last) without sorting them all: a classifier's top 5 of 1,000 classes
 * for every image of a batch job.
 */
export function topByScore(scores: ArrayLike<number>, count: number, k: number): Uint32Array {
  k = Math.max(0, Math.min(k, count));
  if (k * 8 > count) return orderByScore(scores, count).slice(0, k);
  // i only grows: an equal score never goes above one seen before it.
  const better = (i: number, j: number) => orderValue(scores[i]) > orderValue(scores[j]);
  const top = new Uint32Array(k);
  let n = 0;
  for (let i = 0; i < count; i++) {
    if (n === k && !better(i, top[k - 1])) continue;
    let p = n < k ? n++ : k - 1;
    while (p > 0 && better(i, top[p - 1])) {
      top[p] = top[p - 1];
      p--;
    }
    top[p] = i;
  }
  return top;
}

/**
 * Greedy NMS. `boxes` holds x1,y1,x2,y2 per candidate (or what `overlap` reads); `classes` may be null (one class).
 * Returns the indices kept, best score first, at most maxDetections.
 */
export function nms(
  boxes: ArrayLike<number>,
  scores: ArrayLike<number>,
  classes: ArrayLike<number> | null,
  count: number,
  options: NmsOptions,
): number[] {
  const order = orderByScore(scores, count);
  const n = Math.min(count, options.maxCandidates ?? 30_000);
  const suppressed = new Uint8Array(count);
  const kept: number[] = [];
  const overlap = options.overlap ?? boxIou;
  for (let p = 0; p < n && kept.length < options.maxDetections; p++) {
    const i = order[p];
    if (suppressed[i]) continue;
    kept.push(i);
    for (let q = p + 1; q < n; q++) {
      const j = order[q];
      if (suppressed[j]) continue;
      if (!options.classAgnostic && classes && classes[i] !== classes[j]) continue;
      if (overlap(boxes, i, j) > options.iou) suppressed[j] = 1;
    }
  }
  return kept;
}
