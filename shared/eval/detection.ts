// COCO-style detection metrics, computed the way pycocotools' COCOeval does: per image and
// category, detections sorted by score (at most maxDets) are matched greedily to the
// ground truth at each IoU threshold 0.50:0.05:0.95; crowd boxes and boxes outside the area
// range are ignored rather than counted; precision is made monotone and sampled at 101 recall
// points. AP is the mean of those samples; mAP the mean over categories that have ground truth.

/** [x, y, width, height] in pixels, as COCO stores boxes. */
export type CocoBox = readonly [number, number, number, number];

export interface GroundTruthBox {
  image: string | number;
  category: number;
  bbox: CocoBox;
  /** Crowd regions: detections inside them are neither true nor false positives. */
  iscrowd?: boolean;
  /** Segment area (COCO's `area`); default: the box area. */
  area?: number;
}

export interface PredictedBox {
  image: string | number;
  category: number;
  bbox: CocoBox;
  score: number;
}

export const IOU_THRESHOLDS = Array.from({ length: 10 }, (_, i) => Math.round((0.5 + 0.05 * i) * 100) / 100);
export const RECALL_POINTS = Array.from({ length: 101 }, (_, i) => i / 100);
export const AREA_RANGES = {
  all: [0, 1e10],
  small: [0, 32 ** 2],
  medium: [32 ** 2, 96 ** 2],
  large: [96 ** 2, 1e10],
} as const satisfies Record<string, readonly [number, number]>;
export type AreaRange = keyof typeof AREA_RANGES;

export interface CategoryAp {
  category: number;
  name: string;
  groundTruth: number;
  /** AP at IoU 0.5, at 0.75 and averaged over 0.5:0.95 (area all, 100 detections); null without ground truth. */
  ap50: number | null;
  ap75: number | null;
  ap: number | null;
  /** The precision/recall curve at IoU 0.5 (area all, 100 detections), at the 101 recall points. */
  pr50: number[] | null;
}

export interface DetectionMetrics {
  images: number;
  map50: number;
  map75: number;
  map50_95: number;
  /** mAP@0.5:0.95 by object size (null where no category has ground truth of that size). */
  mapByArea: Record<AreaRange, number | null>;
  /** Mean recall over IoU thresholds and categories, at most 100 detections per image. */
  mar100: number;
  perClass: CategoryAp[];
}

function iou(d: CocoBox, g: CocoBox, crowd: boolean): number {
  const w = Math.min(d[0] + d[2], g[0] + g[2]) - Math.max(d[0], g[0]);
  const h = Math.min(d[1] + d[3], g[1] + g[3]) - Math.max(d[1], g[1]);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  const union = crowd ? d[2] * d[3] : d[2] * d[3] + g[2] * g[3] - inter;
  return union > 0 ? inter / union : 0;
}

interface ImageEval {
  /** Per threshold, per detection: matched (true positive) or not. */
  matched: boolean[][];
  /** Per threshold, per detection: ignored. */
  ignored: boolean[][];
  scores: number[];
  /** Ground truth boxes that count (not crowd, inside the area range). */
  counted: number;
}

function evaluateImage(
  gts: readonly GroundTruthBox[],
  dts: readonly PredictedBox[],
  range: readonly [number, number],
  maxDets: number,
): ImageEval {
  const area = (g: GroundTruthBox) => g.area ?? g.bbox[2] * g.bbox[3];
  const gIgnore = gts.map((g) => Boolean(g.iscrowd) || area(g) < range[0] || area(g) > range[1]);
  // Counted ground truth first, as COCOeval sorts it, so a match prefers a counted box.
  const order = gts.map((_, i) => i).sort((a, b) => Number(gIgnore[a]) - Number(gIgnore[b]));
  const g = order.map((i) => gts[i]);
  const gi = order.map((i) => gIgnore[i]);
  const d = [...dts].sort((a, b) => b.score - a.score).slice(0, maxDets);
  const ious = d.map((dt) => g.map((gt) => iou(dt.bbox, gt.bbox, Boolean(gt.iscrowd))));
  const matched: boolean[][] = [];
  const ignored: boolean[][] = [];
  for (const t of IOU_THRESHOLDS) {
    const gtTaken = new Array<boolean>(g.length).fill(false);
    const m = new Array<boolean>(d.length).fill(false);
    const ig = new Array<boolean>(d.length).fill(false);
    d.forEach((dt, di) => {
      let best = Math.min(t, 1 - 1e-10);
      let match = -1;
      for (let gj = 0; gj < g.length; gj++) {
        if (gtTaken[gj] && !g[gj].iscrowd) continue;
        // Once matched to a counted box, stop at the ignored ones.
        if (match > -1 && !gi[match] && gi[gj]) break;
        if (ious[di][gj] < best) continue;
        best = ious[di][gj];
        match = gj;
      }
      if (match > -1) {
        m[di] = true;
        ig[di] = gi[match];
        gtTaken[match] = true;
      } else {
        const a = dt.bbox[2] * dt.bbox[3];
        ig[di] = a < range[0] || a > range[1];
      }
    });
    matched.push(m);
    ignored.push(ig);
  }
  return { matched, ignored, scores: d.map((x) => x.score), counted: gi.filter((x) => !x).length };
}

/** Precision at the 101 recall points (null: no counted ground truth) and the final recall. */
function accumulate(evals: readonly ImageEval[], t: number): { precision: number[] | null; recall: number } {
  const counted = evals.reduce((a, e) => a + e.counted, 0);
  if (counted === 0) return { precision: null, recall: -1 };
  const rows: { score: number; tp: boolean; ignored: boolean }[] = [];
  for (const e of evals) e.scores.forEach((score, i) => rows.push({ score, tp: e.matched[t][i], ignored: e.ignored[t][i] }));
  // Stable sort by score (COCOeval uses a mergesort), so ties keep image order.
  rows.sort((a, b) => b.score - a.score);
  const rc: number[] = [];
  const pr: number[] = [];
  let tp = 0;
  let fp = 0;
  for (const r of rows) {
    if (r.ignored) continue;
    if (r.tp) tp += 1;
    else fp += 1;
    rc.push(tp / counted);
    pr.push(tp / (tp + fp));
  }
  for (let i = pr.length - 1; i > 0; i--) if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
  const precision = RECALL_POINTS.map((r) => {
    // First index with recall ≥ r (numpy's searchsorted, side left).
    let lo = 0;
    let hi = rc.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (rc[mid] < r) lo = mid + 1;
      else hi = mid;
    }
    return lo < pr.length ? pr[lo] : 0;
  });
  return { precision, recall: rc.length ? rc[rc.length - 1] : 0 };
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export function detectionMetrics(
  groundTruth: readonly GroundTruthBox[],
  predictions: readonly PredictedBox[],
  categoryNames: ReadonlyMap<number, string> = new Map(),
  maxDets = 100,
): DetectionMetrics {
  const key = (image: string | number, category: number) => `${typeof image}:${image}\u0000${category}`;
  const gtBy = new Map<string, GroundTruthBox[]>();
  const dtBy = new Map<string, PredictedBox[]>();
  const images = new Set<string>();
  const categories = new Set<number>();
  for (const g of groundTruth) {
    const k = key(g.image, g.category);
    (gtBy.get(k) ?? gtBy.set(k, []).get(k)!).push(g);
    images.add(`${typeof g.image}:${g.image}`);
    categories.add(g.category);
  }
  for (const d of predictions) {
    const k = key(d.image, d.category);
    (dtBy.get(k) ?? dtBy.set(k, []).get(k)!).push(d);
    images.add(`${typeof d.image}:${d.image}`);
  }
  for (const c of categoryNames.keys()) categories.add(c);
  const cats = [...categories].sort((a, b) => a - b);
  const imageKeys = [...images];

  const evalsFor = (category: number, range: AreaRange) =>
    imageKeys.map((img) => {
      const k = `${img}\u0000${category}`;
      return evaluateImage(gtBy.get(k) ?? [], dtBy.get(k) ?? [], AREA_RANGES[range], maxDets);
    });

  const byArea = {} as Record<AreaRange, number | null>;
  const perClass: CategoryAp[] = [];
  const all: number[] = [];
  const at50: number[] = [];
  const at75: number[] = [];
  const recalls: number[] = [];
  for (const range of Object.keys(AREA_RANGES) as AreaRange[]) {
    const aps: number[] = [];
    for (const c of cats) {
      const evals = evalsFor(c, range);
      const perT = IOU_THRESHOLDS.map((_, t) => accumulate(evals, t));
      if (perT[0].precision === null) {
        if (range === 'all')
          perClass.push({
            category: c,
            name: categoryNames.get(c) ?? String(c),
            groundTruth: 0,
            ap50: null,
            ap75: null,
            ap: null,
            pr50: null,
          });
        continue;
      }
      const apT = perT.map((p) => mean(p.precision!));
      aps.push(...apT);
      if (range === 'all') {
        all.push(...apT);
        at50.push(apT[0]);
        at75.push(apT[5]);
        recalls.push(...perT.map((p) => p.recall));
        perClass.push({
          category: c,
          name: categoryNames.get(c) ?? String(c),
          groundTruth: evals.reduce((a, e) => a + e.counted, 0),
          ap50: apT[0],
          ap75: apT[5],
          ap: mean(apT),
          pr50: perT[0].precision,
        });
      }
    }
    byArea[range] = aps.length ? mean(aps) : null;
  }
  return {
    images: imageKeys.length,
    map50: at50.length ? mean(at50) : 0,
    map75: at75.length ? mean(at75) : 0,
    map50_95: all.length ? mean(all) : 0,
    mapByArea: byArea,
    mar100: recalls.length ? mean(recalls) : 0,
    perClass,
  };
}
