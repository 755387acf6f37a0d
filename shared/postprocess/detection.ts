// Object detection: YOLOv5 [B,N,5+C], YOLOv8/11 [B,4+C,N] (with -seg mask coefficients, -pose
// keypoints or an -obb angle after the classes), RT-DETR [B,N,4+C], end-to-end [B,N,6|7] and
// SSD/TF multi-output models → boxes on the original image. Candidates live in flat typed arrays until
// NMS has picked the few that become objects: a [1,84,8400] output reads in a few milliseconds.
import { toImageCoords, type ImageTransform } from '../recipe';
import type {
  Detection,
  DetectionLayout,
  DetectionResult,
  Keypoint,
  NumericArray,
  OutputTensor,
  Readable,
  TaskSettingsOf,
} from '../tasks';
import type { PostprocessContext } from './context';
import { instanceMasks, type InstanceBox } from './instances';
import { labelOf, metadataLabels, resolveLabels } from './labels';
import { nms, orderByScore } from './nms';
import { COCO_SKELETON, DOTA_V1_LABELS, parseKptShape } from './pose';
import { regularAngle, rotatedCorners, rotatedIou } from './rotated';
import { allIntegers, cannotRead, describeOutput, describeOutputs, elementCount, known, type OutputShape } from './outputs';

type Settings = TaskSettingsOf<'detection'>;
type Format = Exclude<Settings['boxFormat'], 'auto'>;

/** What a YOLOv8-layout head carries after its class scores, and whether it needs NMS. */
export type Head =
  | { kind: 'boxes'; nms: boolean }
  /** -seg: nm mask coefficients, read against the prototype masks output [B, nm, H/4, W/4]. */
  | { kind: 'seg'; protos: string; nm: number }
  /** -pose: keypoints × (x, y[, visibility]). */
  | { kind: 'pose'; keypoints: number; values: 2 | 3 }
  /** -obb: one rotation angle (radians). */
  | { kind: 'obb' };

const BOXES: Head = { kind: 'boxes', nms: true };

/** How the outputs are read. Features are per candidate: box (4), [objectness], class scores, then the head's extras. */
export type DetectionPlan =
  | {
      layout: 'yolov5' | 'yolov8';
      output: string;
      /** Candidates along dim 1 ([B,N,F]); false: features along dim 1 ([B,F,N]). */
      rows: boolean;
      batch: number;
      candidates: number;
      features: number;
      classes: number;
      head: Head;
    }
  | { layout: 'end-to-end'; output: string; batch: number; candidates: number; columns: 6 | 7; batchColumn: boolean }
  | {
      layout: 'ssd';
      boxes: string;
      scores: string;
      classes: string | null;
      count: string | null;
      /** TF Object Detection API naming (detection_boxes …): boxes are y1 x1 y2 x2. */
      tf: boolean;
    };

type SinglePlan = Exclude<DetectionPlan, { layout: 'ssd' }>;

export const DETECTION_NEED =
  'detection needs an output shaped [1, N, 5+C] (YOLOv5), [1, 4+C, N] (YOLOv8), [1, N, 6] (end-to-end) or separate boxes [1, N, 4] and scores outputs (SSD)';

const LAYOUT_NAMES: Record<Exclude<DetectionLayout, 'auto'>, string> = {
  yolov5: 'YOLOv5',
  yolov8: 'YOLOv8',
  'yolov8-seg': 'YOLOv8-seg',
  'yolov8-pose': 'YOLOv8-pose',
  'yolov8-obb': 'YOLOv8-obb',
  detr: 'RT-DETR',
  'end-to-end': 'end-to-end',
  ssd: 'SSD',
};

/** What the model's metadata and its other outputs tell about the head (Ultralytics writes task and kpt_shape). */
export interface HeadHints {
  /** Metadata "task", lower case. */
  task: string;
  /** Metadata "kpt_shape". */
  kpt: [number, number] | null;
  outputs: OutputShape[];
}

export function headHints(metadata: Record<string, string>, outputs: OutputShape[]): HeadHints {
  return { task: (metadata.task ?? '').trim().toLowerCase(), kpt: parseKptShape(metadata.kpt_shape), outputs };
}

/** A prototype-masks output [B, nm, h, w] (not the one being read). */
const protosOf = (outputs: OutputShape[], not: string): OutputShape | undefined =>
  outputs.find((o) => o.name !== not && o.dims.length === 4 && known(o.dims[1]) && o.dims[1] >= 1 && o.dims[1] <= 256);

/**
 * A YOLOv8-seg signature with no metadata to say so: exactly two outputs, this [B, 4+C+nm, N] head
 * and prototypes [B, nm, h, w] with 8 ≤ nm ≤ 64 (Ultralytics: 32), more features than box + nm.
 * Two outputs only: a plain detector's head beside some other 4-D output stays plain boxes.
 */
function segSignature(o: OutputShape, protos: OutputShape | undefined, hints: HeadHints): boolean {
  if (!protos || hints.outputs.filter((x) => x.dtype !== 'string').length !== 2 || o.dims.length !== 3) return false;
  const nm = protos.dims[1];
  const [, f, n] = o.dims;
  return nm >= 8 && nm <= 64 && known(f) && f > 4 + nm && lt(f, n);
}

/**
 * The head a layout names; auto: the one the metadata names, else a -seg signature (head +
 * prototypes), else plain boxes. A string says why it cannot be.
 */
function headFor(layout: Settings['layout'], o: OutputShape, hints: HeadHints): Head | string {
  const protos = protosOf(hints.outputs, o.name);
  // Without kpt_shape the keypoint count is worked out from the features (0: not known yet).
  const kpt = hints.kpt ?? [0, 3];
  const seg = (): Head | string =>
    protos
      ? { kind: 'seg', protos: protos.name, nm: protos.dims[1] }
      : 'has no prototype masks output [1, nm, H/4, W/4] beside it (YOLOv8-seg)';
  switch (layout) {
    case 'yolov8-seg':
      return seg();
    case 'yolov8-pose':
      return { kind: 'pose', keypoints: kpt[0], values: kpt[1] === 2 ? 2 : 3 };
    case 'yolov8-obb':
      return { kind: 'obb' };
    case 'detr':
      return { kind: 'boxes', nms: false };
    case 'auto':
      if (hints.task === 'segment' && protos) return seg();
      if (hints.task === 'pose' || hints.kpt) return { kind: 'pose', keypoints: kpt[0], values: kpt[1] === 2 ? 2 : 3 };
      if (hints.task === 'obb') return { kind: 'obb' };
      if (!hints.task && segSignature(o, protos, hints)) return seg();
      return BOXES;
    default:
      return BOXES;
  }
}

const extraValues = (h: Head): number =>
  h.kind === 'seg' ? h.nm : h.kind === 'pose' ? h.keypoints * h.values : h.kind === 'obb' ? 1 : 0;

const HEAD_WORDS = { seg: 'mask coefficients', pose: 'keypoint values', obb: 'angle' } as const;

/** A YOLOv8-layout plan for a head with extras after the classes (or RT-DETR rows), or why not. */
function headPlan(o: OutputShape, layout: Settings['layout'], hint: number | null, given: Head): SinglePlan | string {
  const d = o.dims;
  if (d.length !== 3) return `has rank ${d.length}, not 3`;
  const [batch, a, k] = d;
  // RT-DETR: queries along dim 1; YOLOv8 heads: features along the shorter dim.
  const rows = layout === 'detr' ? true : known(a) && known(k) && a > k;
  const [features, candidates] = rows ? [k, a] : [a, k];
  let head = given;
  if (head.kind === 'pose' && head.keypoints === 0) {
    // Pose models have one class (person) unless the metadata names more: 4 + classes + K × 3.
    const kpts = (features - 4 - (hint ?? 1)) / 3;
    if (!Number.isInteger(kpts) || kpts < 1)
      return `has ${known(features) ? features : 'an unknown number of'} values per candidate, which is not 4 box values + ${hint ?? 1} class + keypoints × 3`;
    head = { kind: 'pose', keypoints: kpts, values: 3 };
  }
  const extra = extraValues(head);
  if (!known(features) || features < 4 + extra + 1) {
    const what = head.kind === 'boxes' ? '' : ` + ${extra} ${HEAD_WORDS[head.kind]}`;
    return `has ${known(features) ? features : 'an unknown number of'} values per candidate, too few for 4 box values + classes${what}`;
  }
  const classes = hint !== null && 4 + hint + extra === features ? hint : features - 4 - extra;
  return { layout: 'yolov8', output: o.name, rows, batch, candidates, features, classes, head };
}

type Planned = { ok: true; plan: DetectionPlan } | { ok: false; reason: string };

const lt = (a: number, b: number): boolean => !known(a) || !known(b) || a < b;

/** A plan for one output, or why it does not fit `layout`. `hint`: the class count from the model's metadata. */
function singlePlan(o: OutputShape, layout: Settings['layout'], hint: number | null, hints?: HeadHints): SinglePlan | string {
  const head = headFor(layout, o, hints ?? { task: '', kpt: null, outputs: [] });
  if (typeof head === 'string') return head;
  if (head !== BOXES) return headPlan(o, layout, hint, head);
  const d = o.dims;
  if (d.length === 2 && (layout === 'auto' || layout === 'end-to-end') && (d[1] === 6 || d[1] === 7)) {
    // [N, 7]: ONNX NMS exports (YOLOv7 end2end) put the batch index first.
    return { layout: 'end-to-end', output: o.name, batch: 1, candidates: d[0], columns: d[1], batchColumn: d[1] === 7 };
  }
  if (d.length !== 3) return `has rank ${d.length}, not 3`;
  const [batch, a, k] = d;
  if ((layout === 'auto' || layout === 'end-to-end') && (k === 6 || k === 7))
    return { layout: 'end-to-end', output: o.name, batch, candidates: a, columns: k, batchColumn: k === 7 };
  if (layout === 'end-to-end') return 'does not end in 6 or 7 values per detection';
  const classesFrom = (features: number, box: number): number =>
    hint !== null && box + hint <= features ? hint : features - box;
  // [1, N, 4+C] rows with a class count from metadata that fits exactly: YOLOv8 exported transposed.
  if (layout === 'auto' && hint !== null && known(k) && k === 4 + hint && lt(k, a))
    return { layout: 'yolov8', output: o.name, rows: true, batch, candidates: a, features: k, classes: hint, head };
  // Features sit along the shorter of dims 1 and 2 (there are far more candidates than values per
  // candidate); when told the layout, a dim too short for the features settles it too.
  const colsV8 = known(a) && a >= 5 && (lt(a, k) || (layout === 'yolov8' && known(k) && k < 5));
  if ((layout === 'auto' || layout === 'yolov8') && colsV8)
    return { layout: 'yolov8', output: o.name, rows: false, batch, candidates: k, features: a, classes: classesFrom(a, 4), head };
  if (layout === 'yolov8' && known(k) && k >= 5)
    return { layout: 'yolov8', output: o.name, rows: true, batch, candidates: a, features: k, classes: classesFrom(k, 4), head };
  const colsV5 = layout === 'yolov5' && known(a) && a >= 6 && known(k) && (a < k || k < 6);
  if ((layout === 'auto' || layout === 'yolov5') && known(k) && k >= 6 && !colsV5 && (layout === 'yolov5' || lt(k, a)))
    return { layout: 'yolov5', output: o.name, rows: true, batch, candidates: a, features: k, classes: classesFrom(k, 5), head };
  if (colsV5)
    return { layout: 'yolov5', output: o.name, rows: false, batch, candidates: k, features: a, classes: classesFrom(a, 5), head };
  return 'is not shaped like that';
}

const boxesShape = (o: OutputShape): boolean => o.dims.length >= 2 && o.dims.length <= 4 && o.dims[o.dims.length - 1] === 4;
const scoresShape = (o: OutputShape): boolean => o.dims.length >= 1 && o.dims.length <= 3 && !boxesShape(o);

/** Separate boxes/scores(/classes/count) outputs, by the names in the settings, else by name and shape. */
function ssdPlan(outputs: OutputShape[], names: Settings['outputs'], explicit: boolean): DetectionPlan | string {
  const byName = (n: string | undefined, what: string): OutputShape | string | null => {
    if (n === undefined) return null;
    return outputs.find((o) => o.name === n) ?? `there is no ${what} output named "${n}" (outputs: ${describeOutputs(outputs)})`;
  };
  const taken = new Set<string>();
  const find = (
    n: string | undefined,
    what: string,
    nameRe: RegExp,
    shape: (o: OutputShape) => boolean,
  ): OutputShape | string | null => {
    const named = byName(n, what);
    if (named !== null) return named;
    const free = outputs.filter((o) => !taken.has(o.name));
    return free.find((o) => nameRe.test(o.name) && shape(o)) ?? null;
  };
  const boxes = find(names?.boxes, 'boxes', /box/i, boxesShape) ?? outputs.find(boxesShape) ?? null;
  if (typeof boxes === 'string') return boxes;
  if (!boxes) return 'no output ends in 4 box coordinates';
  taken.add(boxes.name);
  const n = boxes.dims.length === 2 ? boxes.dims[0] : boxes.dims[1];
  const matchesBoxes = (o: OutputShape): boolean =>
    scoresShape(o) && (o.dims.length === 1 ? o.dims[0] === n : o.dims[1] === n || (o.dims.length === 3 && o.dims[2] === n));
  const scores =
    find(names?.scores, 'scores', /score|conf|prob/i, scoresShape) ??
    outputs.find((o) => !taken.has(o.name) && matchesBoxes(o)) ??
    null;
  if (typeof scores === 'string') return scores;
  if (!scores) return `found boxes ${describeOutput(boxes)} but no scores output`;
  taken.add(scores.name);
  const classes = find(names?.classes, 'classes', /class|label/i, (o) => o.dims.length >= 1 && o.dims.length <= 2);
  if (typeof classes === 'string') return classes;
  if (classes) taken.add(classes.name);
  const count = find(names?.count, 'count', /num|count/i, (o) => elementCount(o.dims) === 1 || o.dims.length <= 1);
  if (typeof count === 'string') return count;
  if (!explicit && outputs.length < 2) return 'has one output';
  return {
    layout: 'ssd',
    boxes: boxes.name,
    scores: scores.name,
    classes: classes?.name ?? null,
    count: count?.name ?? null,
    tf: count !== null || /^detection_/.test(boxes.name),
  };
}

/** Detectors name at most a few thousand classes (LVIS: 1203, Objects365: 365). */
const MAX_DETECTOR_CLASSES = 2000;

export function planDetection(
  settings: Settings,
  outputs: OutputShape[],
  hint: number | null = null,
  hints: HeadHints = { task: '', kpt: null, outputs },
): Planned {
  const numeric = outputs.filter((o) => o.dtype !== 'string');
  const multi = settings.layout === 'ssd' || settings.outputs !== undefined;
  if (multi || (settings.layout === 'auto' && hints.task !== 'segment')) {
    const p = ssdPlan(numeric, settings.outputs, multi);
    if (typeof p !== 'string') return { ok: true, plan: p };
    if (multi) return { ok: false, reason: `${DETECTION_NEED}; ${p}` };
  }
  for (const o of numeric) {
    const p = singlePlan(o, settings.layout, hint, hints);
    // More "classes" than any detector has: a text recogniser's characters ([N, T, 6625]), not boxes.
    if (typeof p !== 'string' && !('classes' in p && p.classes > MAX_DETECTOR_CLASSES)) return { ok: true, plan: p };
    if (typeof p === 'string' && settings.layout !== 'auto' && settings.layout !== 'ssd' && numeric.length === 1)
      return {
        ok: false,
        reason: `${DETECTION_NEED} (layout ${LAYOUT_NAMES[settings.layout]}); output ${describeOutput(o)} ${p}`,
      };
  }
  const as = settings.layout === 'auto' ? '' : ` (layout ${LAYOUT_NAMES[settings.layout]})`;
  return { ok: false, reason: `${DETECTION_NEED}${as}; this model has ${describeOutputs(outputs)}` };
}

/**
 * The layout the outputs are read with: `settings.layout` resolved against the outputs and the
 * metadata (auto → yolov8-seg for a -seg model, yolov8-pose / -obb where the metadata says so),
 * or null when detection cannot read them. What a batch job may write follows from it.
 */
export function resolvedLayout(
  settings: Settings,
  outputs: OutputShape[],
  metadata: Record<string, string> = {},
): Exclude<DetectionLayout, 'auto'> | null {
  const p = planDetection(
    settings,
    outputs,
    metadataLabels({ metadata, metadataParsed: {} })?.length || null,
    headHints(metadata, outputs),
  );
  if (!p.ok) return null;
  const plan = p.plan;
  if (plan.layout !== 'yolov5' && plan.layout !== 'yolov8') return plan.layout;
  const h = plan.head;
  if (h.kind === 'boxes') return h.nms ? plan.layout : 'detr';
  return `yolov8-${h.kind}`;
}

export function canReadDetection(settings: Settings, outputs: OutputShape[]): Readable {
  const p = planDetection(settings, outputs);
  if (!p.ok) return p;
  const plan = p.plan;
  const used =
    plan.layout === 'ssd'
      ? [plan.boxes, plan.scores, plan.classes, plan.count]
      : [plan.output, plan.layout !== 'end-to-end' && plan.head.kind === 'seg' ? plan.head.protos : null];
  return { ok: true, outputs: used.filter((n): n is string => n !== null) };
}

// ---- Candidates -----------------------------------------------------------------------------

/** Growable flat arrays: four box values, score and class per candidate. */
class Candidates {
  boxes = new Float32Array(256 * 4);
  scores = new Float32Array(256);
  classes = new Int32Array(256);
  /** The candidate's index in the output (to read a head's extras after NMS). */
  src = new Int32Array(256);
  count = 0;

  push(a: number, b: number, c: number, d: number, score: number, cls: number, src = -1): void {
    if (this.count === this.scores.length) this.grow();
    const i = this.count++;
    this.src[i] = src;
    this.boxes[i * 4] = a;
    this.boxes[i * 4 + 1] = b;
    this.boxes[i * 4 + 2] = c;
    this.boxes[i * 4 + 3] = d;
    this.scores[i] = score;
    this.classes[i] = cls;
  }

  private grow(): void {
    const n = this.scores.length * 2;
    const boxes = new Float32Array(n * 4);
    boxes.set(this.boxes);
    const scores = new Float32Array(n);
    scores.set(this.scores);
    const classes = new Int32Array(n);
    classes.set(this.classes);
    const src = new Int32Array(n);
    src.set(this.src);
    [this.boxes, this.scores, this.classes, this.src] = [boxes, scores, classes, src];
  }
}

/** YOLOv5/v8 candidates of batch image b above the confidence threshold. */
function readYolo(
  plan: Extract<DetectionPlan, { layout: 'yolov5' | 'yolov8' }>,
  data: NumericArray,
  b: number,
  conf: number,
): Candidates {
  const out = new Candidates();
  const { candidates: n, features: f, classes: c } = plan;
  const first = plan.layout === 'yolov5' ? 5 : 4;
  const base = b * n * f;
  if (plan.rows) {
    for (let j = 0; j < n; j++) {
      const row = base + j * f;
      const obj = plan.layout === 'yolov5' ? data[row + 4] : 1;
      // Class scores are at most 1, so a low objectness rules the row out before its classes are read.
      if (obj <= conf) continue;
      let best = -Infinity;
      let cls = 0;
      for (let k = 0; k < c; k++) {
        const v = data[row + first + k];
        if (v > best) {
          best = v;
          cls = k;
        }
      }
      const score = c === 0 ? obj : obj * best;
      if (score > conf) out.push(data[row], data[row + 1], data[row + 2], data[row + 3], score, cls, j);
    }
    return out;
  }
  // Features along dim 1: walk each class's contiguous row, keeping the best per candidate (cache-friendly).
  const best = new Float32Array(n).fill(-Infinity);
  const cls = new Int32Array(n);
  for (let k = 0; k < c; k++) {
    const off = base + (first + k) * n;
    for (let j = 0; j < n; j++) {
      const v = data[off + j];
      if (v > best[j]) {
        best[j] = v;
        cls[j] = k;
      }
    }
  }
  for (let j = 0; j < n; j++) {
    const obj = plan.layout === 'yolov5' ? data[base + 4 * n + j] : 1;
    const score = c === 0 ? obj : obj * best[j];
    if (score > conf)
      out.push(data[base + j], data[base + n + j], data[base + 2 * n + j], data[base + 3 * n + j], score, cls[j], j);
  }
  return out;
}

/** Which end-to-end columns hold the score and the class: the class column holds whole numbers. */
function endToEndColumns(plan: Extract<DetectionPlan, { layout: 'end-to-end' }>, data: NumericArray): [number, number] {
  const { columns: w } = plan;
  const rows = Math.floor(data.length / w);
  const [p, q] = w === 7 ? [6, 5] : [4, 5]; // YOLOv7 NMS export: …, class, score; Ultralytics: …, score, class
  const pInt = allIntegers(data, p, rows * w, w);
  const qInt = allIntegers(data, q, rows * w, w);
  return qInt || !pInt ? [p, q] : [q, p];
}

function readEndToEnd(
  plan: Extract<DetectionPlan, { layout: 'end-to-end' }>,
  data: NumericArray,
  b: number,
  conf: number,
): Candidates {
  const out = new Candidates();
  const [s, c] = endToEndColumns(plan, data);
  const w = plan.columns;
  const x = plan.batchColumn ? 1 : 0;
  const rows = plan.batchColumn ? Math.floor(data.length / w) : plan.candidates;
  const base = plan.batchColumn ? 0 : b * plan.candidates * w;
  for (let j = 0; j < rows; j++) {
    const row = base + j * w;
    if (plan.batchColumn && data[row] !== b) continue;
    const score = data[row + s];
    if (score > conf)
      out.push(data[row + x], data[row + x + 1], data[row + x + 2], data[row + x + 3], score, Math.round(data[row + c]));
  }
  return out;
}

interface SsdTensors {
  boxes: OutputTensor;
  scores: OutputTensor;
  classes: OutputTensor | null;
  count: OutputTensor | null;
}

/** Candidates per batch image and classes per candidate score row of SSD-style outputs. */
function ssdGeometry(t: SsdTensors): { n: number; perClass: number; scoresByClass: boolean } {
  const bd = t.boxes.dims;
  const n = bd.length === 2 ? bd[0] : bd[1];
  const sd = t.scores.dims;
  if (sd.length === 3 && sd[1] === n) return { n, perClass: sd[2], scoresByClass: false };
  if (sd.length === 3 && sd[2] === n) return { n, perClass: sd[1], scoresByClass: true };
  if (elementCount(sd) % n === 0) return { n, perClass: 1, scoresByClass: false };
  return cannotRead(`scores ${describeOutput(t.scores)} do not match the ${n} boxes of ${describeOutput(t.boxes)}`);
}

function readSsd(t: SsdTensors, b: number, conf: number): Candidates {
  const out = new Candidates();
  const { n, perClass: c, scoresByClass } = ssdGeometry(t);
  const limit = t.count ? Math.min(n, Math.max(0, Math.round(t.count.data[Math.min(b, t.count.data.length - 1)]))) : n;
  const boxes = t.boxes.data;
  const scores = t.scores.data;
  const sBase = b * n * c;
  for (let j = 0; j < limit; j++) {
    let best = -Infinity;
    let cls = 0;
    for (let k = 0; k < c; k++) {
      const v = scoresByClass ? scores[sBase + k * n + j] : scores[sBase + j * c + k];
      if (v > best) {
        best = v;
        cls = k;
      }
    }
    if (t.classes) cls = Math.round(t.classes.data[b * n + j]);
    const r = (b * n + j) * 4;
    if (best > conf) out.push(boxes[r], boxes[r + 1], boxes[r + 2], boxes[r + 3], best, cls);
  }
  return out;
}

// ---- From candidates to boxes on the image ----------------------------------------------------

/** Rewrites the candidates' boxes as x1 y1 x2 y2 in tensor pixels. */
function toCorners(c: Candidates, format: Format, sx: number, sy: number): void {
  const b = c.boxes;
  for (let i = 0; i < c.count * 4; i += 4) {
    const p = b[i];
    const q = b[i + 1];
    const r = b[i + 2];
    const s = b[i + 3];
    if (format === 'cxcywh') {
      b[i] = (p - r / 2) * sx;
      b[i + 1] = (q - s / 2) * sy;
      b[i + 2] = (p + r / 2) * sx;
      b[i + 3] = (q + s / 2) * sy;
    } else if (format === 'xywh') {
      b[i] = p * sx;
      b[i + 1] = q * sy;
      b[i + 2] = (p + r) * sx;
      b[i + 3] = (q + s) * sy;
    } else if (format === 'yxyx') {
      b[i] = q * sx;
      b[i + 1] = p * sy;
      b[i + 2] = s * sx;
      b[i + 3] = r * sy;
    } else {
      b[i] = p * sx;
      b[i + 1] = q * sy;
      b[i + 2] = r * sx;
      b[i + 3] = s * sy;
    }
  }
}

/** Coordinates no larger than ~1.5 are fractions of the tensor size (boxes may overhang the edge a little). */
function looksNormalized(c: Candidates): boolean {
  if (c.count === 0) return false;
  for (let i = 0; i < c.count * 4; i++) if (Math.abs(c.boxes[i]) > 1.5) return false;
  return true;
}

const FORMAT_WORDS: Record<Format, string> = {
  cxcywh: 'cxcywh (centre, size)',
  xyxy: 'xyxy (corners)',
  xywh: 'xywh (corner, size)',
  yxyx: 'yxyx (corners, y first)',
};

function defaultFormat(plan: DetectionPlan): Format {
  if (plan.layout === 'yolov5' || plan.layout === 'yolov8') return 'cxcywh';
  if (plan.layout === 'ssd' && plan.tf) return 'yxyx';
  return 'xyxy';
}

function tensorOf(ctx: PostprocessContext, name: string): OutputTensor {
  const t = ctx.outputs.find((o) => o.name === name);
  if (!t) return cannotRead(`there is no output named "${name}"`);
  if (t.data.length < elementCount(t.dims))
    cannotRead(`output ${describeOutput(t)} has ${t.data.length} values, fewer than its shape needs`);
  return t;
}

function describePlan(plan: DetectionPlan, ctx: PostprocessContext): string {
  const d = (name: string): string => describeOutput(tensorOf(ctx, name));
  switch (plan.layout) {
    case 'yolov5':
    case 'yolov8': {
      const h = plan.head;
      const extra = plan.features - plan.classes - (plan.layout === 'yolov5' ? 5 : 4) - extraValues(h);
      const rest = extra > 0 ? ` + ${extra} extra values ignored` : '';
      const what =
        h.kind === 'seg'
          ? ` + ${h.nm} mask coefficients against prototypes ${d(h.protos)}`
          : h.kind === 'pose'
            ? ` + ${h.keypoints} keypoints × ${h.values}`
            : h.kind === 'obb'
              ? ' + a rotation angle'
              : '';
      const name =
        h.kind === 'boxes' && !h.nms ? 'RT-DETR' : `${LAYOUT_NAMES[plan.layout]}${h.kind === 'boxes' ? '' : `-${h.kind}`}`;
      const unit = h.kind === 'boxes' && !h.nms ? 'queries' : 'candidates';
      return `${name} ${d(plan.output)}: ${plan.candidates} ${unit}, ${plan.classes} classes${what}${rest}`;
    }
    case 'end-to-end':
      return `end-to-end ${d(plan.output)}: ${plan.batchColumn ? 'batch, ' : ''}box, score and class per detection`;
    case 'ssd': {
      const parts = [`boxes ${d(plan.boxes)}`, `scores ${d(plan.scores)}`];
      if (plan.classes) parts.push(`classes ${d(plan.classes)}`);
      if (plan.count) parts.push(`count ${d(plan.count)}`);
      return `SSD outputs ${parts.join(', ')}`;
    }
  }
}

export function readDetection(settings: Settings, ctx: PostprocessContext): DetectionResult[] {
  const meta = metadataLabels(ctx);
  const planned = planDetection(settings, ctx.outputs, meta?.length || null, headHints(ctx.metadata, ctx.outputs));
  if (!planned.ok) cannotRead(planned.reason);
  let plan = planned.plan;
  let data: NumericArray = [];
  let ssd: SsdTensors | null = null;
  let images: number;
  if (plan.layout === 'ssd') {
    ssd = {
      boxes: tensorOf(ctx, plan.boxes),
      scores: tensorOf(ctx, plan.scores),
      classes: plan.classes ? tensorOf(ctx, plan.classes) : null,
      count: plan.count ? tensorOf(ctx, plan.count) : null,
    };
    images = ssd.boxes.dims.length === 2 ? 1 : ssd.boxes.dims[0];
  } else {
    let single: SinglePlan = plan;
    const t = tensorOf(ctx, single.output);
    data = t.data;
    // YOLOv5 with one or two classes also has 6 or 7 values per row; there the class (and batch)
    // columns hold scores, not whole numbers.
    if (single.layout === 'end-to-end' && settings.layout === 'auto' && t.dims.length === 3) {
      const w = single.columns;
      const c = endToEndColumns(single, data)[1];
      const ids = allIntegers(data, c, data.length, w) && (!single.batchColumn || allIntegers(data, 0, data.length, w));
      const again = ids ? null : singlePlan(t, 'yolov5', meta?.length || null);
      if (again !== null && typeof again !== 'string') single = again;
    }
    if (single.layout === 'end-to-end' && single.batchColumn) {
      let maxBatch = 0;
      for (let i = 0; i < data.length; i += single.columns) maxBatch = Math.max(maxBatch, data[i]);
      images = Math.max(1, ctx.transforms.length, data.length >= single.columns ? maxBatch + 1 : 1);
    } else images = single.batch;
    plan = single;
  }
  const format = settings.boxFormat === 'auto' ? defaultFormat(plan) : settings.boxFormat;
  const head: Head = plan.layout === 'yolov5' || plan.layout === 'yolov8' ? plan.head : BOXES;
  const modelDidNms =
    plan.layout === 'end-to-end' || (plan.layout === 'ssd' && plan.classes !== null) || (head.kind === 'boxes' && !head.nms);
  const planWords = describePlan(plan, ctx);

  const results: DetectionResult[] = [];
  let classCount = plan.layout === 'yolov5' || plan.layout === 'yolov8' ? plan.classes : 0;
  const perImage: Candidates[] = [];
  for (let b = 0; b < images; b++) {
    const c =
      plan.layout === 'ssd'
        ? readSsd(ssd!, b, settings.confidence)
        : plan.layout === 'end-to-end'
          ? readEndToEnd(plan, data, b, settings.confidence)
          : readYolo(plan, data, b, settings.confidence);
    perImage.push(c);
    if (plan.layout === 'ssd' || plan.layout === 'end-to-end')
      for (let i = 0; i < c.count; i++) classCount = Math.max(classCount, c.classes[i] + 1);
  }
  if (plan.layout === 'ssd' && ssd && ssdGeometry(ssd).perClass > 1) classCount = ssdGeometry(ssd).perClass;
  const dota = head.kind === 'obb' && classCount === DOTA_V1_LABELS.length && settings.labels.kind === 'auto';
  const labels = resolveLabels(settings.labels, ctx, classCount) ?? (dota ? DOTA_V1_LABELS : null);
  const yolo = plan.layout === 'yolov5' || plan.layout === 'yolov8' ? plan : null;
  /** Feature f of candidate j of batch image b (a head's extras sit after the classes). */
  const feature = (b: number, j: number, f: number): number => {
    const { candidates: n, features: k } = yolo!;
    return yolo!.rows ? data[(b * n + j) * k + f] : data[b * n * k + f * n + j];
  };
  const firstExtra = yolo ? (yolo.layout === 'yolov5' ? 5 : 4) + yolo.classes : 0;

  for (let b = 0; b < images; b++) {
    const c = perImage[b];
    const t: ImageTransform | null = ctx.transforms[b] ?? ctx.transforms[0] ?? null;
    const normalized = settings.normalized === 'auto' ? looksNormalized(c) : settings.normalized === 'yes';
    const tw = t?.tensorWidth ?? ctx.recipe?.resize.width ?? null;
    const th = t?.tensorHeight ?? ctx.recipe?.resize.height ?? null;
    const [sx, sy] = normalized ? [tw ?? 1, th ?? 1] : [1, 1];
    // Rotated boxes keep centre, size and angle (tensor pixels) for rotated NMS and their corners.
    const rotated = head.kind === 'obb' ? rotatedBoxes(c, (i) => feature(b, c.src[i], firstExtra), sx, sy) : null;
    toCorners(c, format, sx, sy);
    const nmsOptions = { iou: settings.iou, maxDetections: settings.maxDetections, classAgnostic: settings.classAgnostic };
    const kept = modelDidNms
      ? Array.from(orderByScore(c.scores, c.count).subarray(0, settings.maxDetections))
      : rotated
        ? nms(rotated, c.scores, c.classes, c.count, { ...nmsOptions, overlap: rotatedIou })
        : nms(c.boxes, c.scores, c.classes, c.count, nmsOptions);
    const width = t?.originalWidth ?? tw ?? maxCoord(c, kept, 0);
    const height = t?.originalHeight ?? th ?? maxCoord(c, kept, 1);
    const detections: Detection[] = [];
    const masked: InstanceBox[] = [];
    for (const i of kept) {
      const corners = rotated ? placeCorners(rotated, i, t) : null;
      const box = corners ? cornerBounds(corners, width, height) : placeBox(c.boxes, i, t, width, height);
      if (!box) continue;
      const classId = c.classes[i];
      const d: Detection = { classId, label: labelOf(labels, classId), score: c.scores[i], ...box };
      if (rotated && corners) {
        d.polygon = corners;
        d.angle = regularAngle(rotated[i * 5 + 2], rotated[i * 5 + 3], rotated[i * 5 + 4]).angle;
      }
      if (head.kind === 'pose') d.keypoints = keypointsOf(head, (f) => feature(b, c.src[i], firstExtra + f), t);
      if (head.kind === 'seg') {
        const coefficients = new Float32Array(head.nm);
        for (let m = 0; m < head.nm; m++) coefficients[m] = feature(b, c.src[i], firstExtra + m);
        masked.push({ ...box, coefficients, classId });
      }
      detections.push(d);
    }
    let instances: DetectionResult['instances'];
    if (head.kind === 'seg') {
      const p = tensorOf(ctx, head.protos);
      const [nm, mh, mw] = [p.dims[1], p.dims[2], p.dims[3]];
      const m = instanceMasks({ data: p.data, offset: b * nm * mh * mw, nm, mh, mw }, masked, t, width, height);
      detections.forEach((d, k) => {
        d.polygon = m.outlines[k];
        d.maskArea = width * height ? m.areas[k] / (width * height) : 0;
      });
      instances = { mask: m.mask, overlay: m.overlay, rles: m.rles };
    }
    const nmsWords = modelDidNms
      ? head.kind === 'boxes' && !head.nms
        ? 'no NMS (one box per query)'
        : 'NMS done by the model'
      : `${rotated ? 'rotated ' : ''}NMS ${settings.classAgnostic ? 'across classes' : 'per class'}`;
    results.push({
      kind: 'detection',
      layout: `${planWords}; ${FORMAT_WORDS[format]} ${normalized ? 'normalised (0..1)' : 'in pixels'}; ${nmsWords}`,
      candidates: c.count,
      detections,
      imageWidth: width,
      imageHeight: height,
      image: b,
      ...(instances ? { instances } : {}),
      ...(head.kind === 'pose' && head.keypoints === 17 ? { skeleton: COCO_SKELETON } : {}),
    });
  }
  return results;
}

/** cx, cy, w, h, angle per candidate in tensor pixels, from the raw cxcywh boxes and the angle feature. */
function rotatedBoxes(c: Candidates, angleOf: (i: number) => number, sx: number, sy: number): Float32Array {
  const r = new Float32Array(c.count * 5);
  for (let i = 0; i < c.count; i++) {
    r[i * 5] = c.boxes[i * 4] * sx;
    r[i * 5 + 1] = c.boxes[i * 4 + 1] * sy;
    r[i * 5 + 2] = c.boxes[i * 4 + 2] * sx;
    r[i * 5 + 3] = c.boxes[i * 4 + 3] * sy;
    r[i * 5 + 4] = angleOf(i);
  }
  return r;
}

/** A rotated box's corners on the original image. */
function placeCorners(r: Float32Array, i: number, t: ImageTransform | null): [number, number][] {
  const corners = rotatedCorners(r[i * 5], r[i * 5 + 1], r[i * 5 + 2], r[i * 5 + 3], r[i * 5 + 4]);
  return corners.map(([x, y]): [number, number] => {
    const p = t ? toImageCoords({ x, y }, t) : { x, y };
    return [p.x, p.y];
  });
}

/** The corners' bounds clipped to the image; null when nothing of them is on it. */
function cornerBounds(corners: [number, number][], width: number, height: number) {
  const xs = corners.map((p) => p[0]);
  const ys = corners.map((p) => p[1]);
  const clip = (v: number, hi: number): number => Math.min(hi, Math.max(0, v));
  const box = {
    x1: clip(Math.min(...xs), width),
    y1: clip(Math.min(...ys), height),
    x2: clip(Math.max(...xs), width),
    y2: clip(Math.max(...ys), height),
  };
  return box.x2 > box.x1 && box.y2 > box.y1 ? box : null;
}

/** A pose head's keypoints of one candidate, on the original image. `value(f)`: its f-th extra. */
function keypointsOf(head: Extract<Head, { kind: 'pose' }>, value: (f: number) => number, t: ImageTransform | null): Keypoint[] {
  const out: Keypoint[] = [];
  for (let k = 0; k < head.keypoints; k++) {
    const x = value(k * head.values);
    const y = value(k * head.values + 1);
    const p = t ? toImageCoords({ x, y }, t) : { x, y };
    out.push({ x: p.x, y: p.y, score: head.values === 3 ? value(k * head.values + 2) : 1 });
  }
  return out;
}

/** Without a transform the image is the tensor; its size is at least the boxes' extent. */
function maxCoord(c: Candidates, kept: number[], axis: 0 | 1): number {
  let m = 1;
  for (const i of kept) m = Math.max(m, c.boxes[i * 4 + 2 + axis]);
  return Math.ceil(m);
}

/** A box from tensor pixels onto the original image, clipped to it; null when nothing of it is on the image. */
function placeBox(
  boxes: Float32Array,
  i: number,
  t: ImageTransform | null,
  width: number,
  height: number,
): { x1: number; y1: number; x2: number; y2: number } | null {
  let p1 = { x: boxes[i * 4], y: boxes[i * 4 + 1] };
  let p2 = { x: boxes[i * 4 + 2], y: boxes[i * 4 + 3] };
  if (t) [p1, p2] = [toImageCoords(p1, t), toImageCoords(p2, t)];
  const clip = (v: number, hi: number): number => Math.min(hi, Math.max(0, v));
  const x1 = clip(Math.min(p1.x, p2.x), width);
  const x2 = clip(Math.max(p1.x, p2.x), width);
  const y1 = clip(Math.min(p1.y, p2.y), height);
  const y2 = clip(Math.max(p1.y, p2.y), height);
  return x2 > x1 && y2 > y1 ? { x1, y1, x2, y2 } : null;
}
