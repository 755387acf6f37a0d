// Scoring a finished batch job against the dataset's truth: the job's results.jsonl (every file
// once, at its latest state) joined with the truth by relative path, through the pure metrics
// in shared/eval. Segmentation reads the job's mask PNGs and the truth masks with sharp.
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { BatchItemRecord } from '../../../shared/batch';
import { classificationMetrics, type ClassificationSample } from '../../../shared/eval/classification';
import { detectionMetrics, type GroundTruthBox, type PredictedBox } from '../../../shared/eval/detection';
import type { EvalFileResult, EvalMetrics } from '../../../shared/eval/report';
import { SegmentationTally, segmentationMetrics } from '../../../shared/eval/segmentation';
import { textMetrics } from '../../../shared/eval/text';
import { paletteColor } from '../../../shared/postprocess/colormap';
import { WorkbenchError } from '../../../shared/result';
import type { LoadedDataset, Truth } from './dataset';
import { loadSharp } from '../image/sharp';

export type ResultRow = Omit<BatchItemRecord, 'type' | 'key' | 'at'>;

/** The job's results.jsonl by file. */
export async function readResults(outputFolder: string): Promise<Map<string, ResultRow>> {
  const rows = new Map<string, ResultRow>();
  const path = join(outputFolder, 'results.jsonl');
  try {
    const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
    for await (const line of lines) {
      if (!line.trim()) continue;
      const r = JSON.parse(line) as ResultRow;
      rows.set(r.file, r);
    }
  } catch (error) {
    throw new WorkbenchError('INVALID_INPUT', `${path}: the batch job's results cannot be read (${(error as Error).message})`);
  }
  return rows;
}

const norm = (s: string) =>
  s
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, ' ');

export interface Scored {
  metrics: EvalMetrics;
  perFile: EvalFileResult[];
  failed: number;
  missing: number;
  warnings: string[];
}

/** Files of the truth, each with the job's row (or none), in path order. */
function join2<T>(truth: Map<string, T>, rows: Map<string, ResultRow>) {
  return [...truth.keys()].sort().map((file) => ({ file, truth: truth.get(file)!, row: rows.get(file) }));
}

/** Per-file results, with the files the job failed on or did not reach counted apart. */
class FileTally {
  readonly perFile: EvalFileResult[] = [];
  failed = 0;
  missing = 0;

  /** True (and recorded) when the job has no usable result for the file. */
  skip(file: string, row: ResultRow | undefined, truth?: string): boolean {
    if (row?.status === 'ok') return false;
    if (!row) this.missing += 1;
    else this.failed += 1;
    this.perFile.push({
      file,
      status: row ? 'failed' : 'missing',
      ...(row ? { error: row.error?.message ?? 'failed' } : {}),
      ...(truth !== undefined ? { truth } : {}),
    });
    return true;
  }
}

function scoreClassification(labels: Map<string, string>, rows: Map<string, ResultRow>): Scored {
  const names = [...new Set(labels.values())].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const index = new Map(names.map((n, i) => [norm(n), i]));
  const numeric = names.every((n) => /^\d+$/.test(n));
  const tally = new FileTally();
  const perFile = tally.perFile;
  const samples: ClassificationSample[] = [];
  const seen = new Set<string>();
  for (const { file, truth, row } of join2(labels, rows)) {
    if (tally.skip(file, row, truth)) continue;
    const top = row!.result?.top ?? [];
    // A prediction is a dataset class by name (case and separators aside), or by index when the classes are numbers.
    const ranked = top.map((c) => {
      const byName = index.get(norm(c.label));
      if (byName !== undefined) {
        seen.add(names[byName]);
        return byName;
      }
      if (numeric) {
        const i = names.indexOf(String(c.classId));
        if (i >= 0) seen.add(names[i]);
        return i;
      }
      return -1;
    });
    const t = index.get(norm(truth))!;
    samples.push({ truth: t, ranked });
    perFile.push({
      file,
      status: 'ok',
      truth,
      predicted: top[0] ? `${top[0].label} ${top[0].score.toFixed(3)}` : 'no class',
      correct: ranked[0] === t,
    });
  }
  const warnings: string[] = [];
  const never = names.filter((n) => !seen.has(n));
  if (samples.length && never.length === names.length)
    warnings.push(
      `none of the dataset's classes (${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}) is among the model's labels: give --labels FILE with the model's class names`,
    );
  return {
    metrics: { task: 'classification', classification: classificationMetrics(samples, names) },
    perFile,
    failed: tally.failed,
    missing: tally.missing,
    warnings,
  };
}

function scoreDetection(truth: Extract<Truth, { task: 'detection' }>, rows: Map<string, ResultRow>): Scored {
  const gts: GroundTruthBox[] = [];
  const dts: PredictedBox[] = [];
  const tally = new FileTally();
  const perFile = tally.perFile;
  const names = new Map<number, string>(truth.categories);
  // COCO ids are names' keys; a model's class index maps to the category of the same name, else
  // to the index-th category by id (the usual 80-of-91 COCO mapping).
  const byName = new Map([...truth.categories].map(([id, name]) => [norm(name), id]));
  const sortedIds = [...truth.categories.keys()].sort((a, b) => a - b);
  const files = truth.coco ?? truth.yolo!;
  for (const file of [...files.keys()].sort()) {
    const row = rows.get(file);
    if (tally.skip(file, row)) continue;
    if (truth.coco) gts.push(...truth.coco.get(file)!);
    else {
      const w = row!.width ?? 0;
      const h = row!.height ?? 0;
      for (const b of truth.yolo!.get(file)!)
        gts.push({ image: file, category: b.classId, bbox: [(b.cx - b.w / 2) * w, (b.cy - b.h / 2) * h, b.w * w, b.h * h] });
    }
    const found = row!.result?.detections ?? [];
    for (const d of found) {
      const category = truth.coco ? (byName.get(norm(d.label)) ?? sortedIds[d.classId] ?? -1 - d.classId) : d.classId;
      if (!truth.coco && !names.has(category)) names.set(category, d.label);
      dts.push({ image: file, category, bbox: [d.x1, d.y1, d.x2 - d.x1, d.y2 - d.y1], score: d.score });
    }
    perFile.push({ file, status: 'ok', predicted: row!.result?.text ?? `${found.length} boxes` });
  }
  return {
    metrics: { task: 'detection', detection: detectionMetrics(gts, dts, names) },
    perFile,
    failed: tally.failed,
    missing: tally.missing,
    warnings: [],
  };
}

/** A mask PNG as one class index per pixel: grey values as they are, VOC palette colours by their index. */
export async function readClassMask(path: string): Promise<{ width: number; height: number; data: Uint8Array }> {
  const sharp = await loadSharp();
  let raw;
  try {
    raw = await sharp(path).raw().toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new WorkbenchError('INVALID_INPUT', `${path}: the mask cannot be read (${(error as Error).message})`);
  }
  const { width, height, channels } = raw.info;
  const px = raw.data;
  const out = new Uint8Array(width * height);
  if (channels <= 2) {
    for (let i = 0; i < out.length; i++) out[i] = px[i * channels];
    return { width, height, data: out };
  }
  const palette = new Map<number, number>();
  for (let k = 0; k < 256; k++) {
    const [r, g, b] = paletteColor(k);
    palette.set((r << 16) | (g << 8) | b, k);
  }
  palette.set((224 << 16) | (224 << 8) | 192, 255); // VOC's boundary colour is its "ignore" label
  for (let i = 0; i < out.length; i++) {
    const r = px[i * channels];
    const g = px[i * channels + 1];
    const b = px[i * channels + 2];
    out[i] = r === g && g === b ? r : (palette.get((r << 16) | (g << 8) | b) ?? 255);
  }
  return { width, height, data: out };
}

async function scoreSegmentation(
  masks: Map<string, string>,
  rows: Map<string, ResultRow>,
  outputFolder: string,
  binary: boolean,
  ignore: number,
): Promise<Scored> {
  const tally = new FileTally();
  const perFile = tally.perFile;
  const pairs: { file: string; truth: Uint8Array; predicted: Uint8Array }[] = [];
  const names = new Map<number, string>();
  let classes = binary ? 2 : 0;
  for (const { file, truth, row } of join2(masks, rows)) {
    if (tally.skip(file, row)) continue;
    const predPath = row!.outputs?.find((o) => o.startsWith('masks/'));
    try {
      if (!predPath) throw new WorkbenchError('INVALID_INPUT', `the job wrote no mask for ${file}`);
      const [t, p] = await Promise.all([readClassMask(truth), readClassMask(join(outputFolder, ...predPath.split('/')))]);
      if (t.width !== p.width || t.height !== p.height)
        throw new WorkbenchError('INVALID_INPUT', `${truth} is ${t.width}×${t.height}, the image ${p.width}×${p.height}`);
      if (binary) {
        for (let i = 0; i < t.data.length; i++) {
          t.data[i] = t.data[i] > 127 ? 1 : 0;
          p.data[i] = p.data[i] > 127 ? 1 : 0;
        }
      } else {
        for (let i = 0; i < t.data.length; i++) {
          if (t.data[i] !== ignore && t.data[i] + 1 > classes) classes = t.data[i] + 1;
          if (p.data[i] + 1 > classes) classes = p.data[i] + 1;
        }
      }
      for (const s of row!.result?.segments ?? []) names.set(s.classId, s.label);
      pairs.push({ file, truth: t.data, predicted: p.data });
    } catch (error) {
      tally.failed += 1;
      perFile.push({ file, status: 'failed', error: (error as Error).message });
    }
  }
  const total = new SegmentationTally(Math.max(classes, 1));
  for (const pair of pairs) {
    total.add(pair.truth, pair.predicted, binary ? -1 : ignore);
    const one = new SegmentationTally(total.classes);
    one.add(pair.truth, pair.predicted, binary ? -1 : ignore);
    const m = segmentationMetrics(one, []);
    perFile.push({ file: pair.file, status: 'ok', score: m.miou, predicted: `mIoU ${m.miou.toFixed(3)}` });
  }
  perFile.sort((a, b) => (a.file < b.file ? -1 : 1));
  const classNames = Array.from({ length: total.classes }, (_, i) =>
    binary ? ['background', 'foreground'][i] : (names.get(i) ?? String(i)),
  );
  return {
    metrics: { task: 'segmentation', segmentation: segmentationMetrics(total, classNames) },
    perFile,
    failed: tally.failed,
    missing: tally.missing,
    warnings: [],
  };
}

function scoreText(texts: Map<string, string>, rows: Map<string, ResultRow>): Scored {
  const tally = new FileTally();
  const perFile = tally.perFile;
  const samples: { truth: string; predicted: string }[] = [];
  for (const { file, truth, row } of join2(texts, rows)) {
    if (tally.skip(file, row, truth)) continue;
    const predicted = (row!.result?.lines ?? []).map((l) => l.text).join(' ');
    samples.push({ truth, predicted });
    perFile.push({ file, status: 'ok', truth, predicted, correct: predicted === truth });
  }
  return {
    metrics: { task: 'text-recognition', text: textMetrics(samples) },
    perFile,
    failed: tally.failed,
    missing: tally.missing,
    warnings: [],
  };
}

export async function scoreJob(
  dataset: LoadedDataset,
  outputFolder: string,
  options: { binary: boolean; ignoreLabel: number },
): Promise<Scored> {
  const rows = await readResults(outputFolder);
  const t = dataset.truth;
  switch (t.task) {
    case 'classification':
      return scoreClassification(t.labels, rows);
    case 'detection':
      return scoreDetection(t, rows);
    case 'segmentation':
      return scoreSegmentation(t.masks, rows, outputFolder, options.binary, options.ignoreLabel);
    case 'text-recognition':
      return scoreText(t.texts, rows);
  }
}
