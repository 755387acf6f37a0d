// An evaluation: what the user asks for (a model's batch job over a labelled dataset, optionally
// against a second model) and the report that comes back. Pure and shared: the engine runs it,
// the CLI prints it, the renderer draws it.
import { z } from 'zod';
import { type BatchProgress, batchJobSchema } from '../batch';
import { absolutePath } from '../paths';
import type { ClassificationMetrics } from './classification';
import type { DetectionMetrics } from './detection';
import type { SegmentationMetrics } from './segmentation';
import type { TextMetrics } from './text';

export const EVAL_TASKS = ['classification', 'detection', 'segmentation', 'text-recognition'] as const;
export type EvalTask = (typeof EVAL_TASKS)[number];

/**
 * Where the truth is. classification: `root` holds one folder per class (ImageNet layout), or
 * `list` is a CSV/TSV/JSONL of file,label. detection: `annotations` is COCO JSON, else YOLO
 * `.txt` labels beside the images (or under a parallel `labels/` folder). segmentation: mask PNGs
 * in `masks` (default: a `masks/` folder beside the images' folder, or `NAME_mask.png` beside each
 * image). text-recognition: `list` of file,text (PaddleOCR's `file<TAB>text` too).
 */
export const evalDatasetSchema = z.strictObject({
  task: z.enum(EVAL_TASKS),
  root: absolutePath,
  list: absolutePath.optional(),
  annotations: absolutePath.optional(),
  masks: absolutePath.optional(),
  /** Segmentation: the pixel value that marks "do not score" in the truth masks. */
  ignoreLabel: z.number().int().min(0).max(65535).default(255),
});
export type EvalDataset = z.output<typeof evalDatasetSchema>;

export const evalRequestSchema = z.strictObject({
  dataset: evalDatasetSchema,
  /** Where the report, the per-file results and the plots go (the jobs' folders may be inside it). */
  out: absolutePath,
  /** The model's batch job: its output folder keeps the journal, so an evaluation resumes. */
  job: batchJobSchema,
  /** A second model (A/B): its own job, over the same files. */
  against: batchJobSchema.optional(),
  /** A/B segmentation: masks whose IoU is below this disagree. */
  maskIou: z.number().min(0).max(1).default(0.9),
  /** A/B detection: boxes at or above this score count as "found". */
  boxScore: z.number().min(0).max(1).default(0.25),
});
export type EvalRequest = z.output<typeof evalRequestSchema>;
export type EvalRequestInput = z.input<typeof evalRequestSchema>;

/** Progress of an evaluation: model A's job, model B's, then scoring. */
export interface EvalProgress {
  phase: 'a' | 'b' | 'scoring';
  batch?: BatchProgress;
}

export type EvalMetrics =
  | { task: 'classification'; classification: ClassificationMetrics }
  | { task: 'detection'; detection: DetectionMetrics }
  | { task: 'segmentation'; segmentation: SegmentationMetrics }
  | { task: 'text-recognition'; text: TextMetrics };

/** One file's outcome, as written to per-file.jsonl. */
export interface EvalFileResult {
  file: string;
  status: 'ok' | 'failed' | 'unlabelled' | 'missing';
  /** What the model said, in words ("red 0.98", "3 boxes", "road 41%", the text). */
  predicted?: string;
  truth?: string;
  correct?: boolean;
  /** Segmentation: mean IoU of this image; detection: AP@0.5 of this image's boxes is not defined, so absent. */
  score?: number;
  error?: string;
}

export interface ModelEvaluation {
  model: string;
  outputFolder: string;
  files: number;
  failed: number;
  /** Files of the dataset the job did not reach (none after a full run). */
  missing: number;
  metrics: EvalMetrics;
}

export interface Disagreement {
  file: string;
  a: string;
  b: string;
  /** Segmentation: IoU between the two masks; detection: boxes found by one only. */
  measure?: number;
}

export interface OutputDifference {
  file: string;
  output: string;
  maxAbs: number;
}

export interface EvalReport {
  task: EvalTask;
  dataset: string;
  /** Labelled files scored. */
  files: number;
  failed: number;
  a: ModelEvaluation;
  b?: ModelEvaluation;
  disagreements?: Disagreement[];
  /** The largest output differences between A and B (raw tensors), largest first. */
  largestDifferences?: OutputDifference[];
  /** Files written under the output folder (report, per-file results, plots). */
  written: string[];
  /** Dataset problems that did not stop the evaluation (unmatched class folders, unreadable labels). */
  warnings: string[];
}

/** The flat metric names of `--json` (top1, map50, miou, cer, …) for one model. */
export function headlineMetrics(m: EvalMetrics): Record<string, number | null> {
  switch (m.task) {
    case 'classification':
      return { top1: m.classification.top1, top5: m.classification.top5 };
    case 'detection':
      return { map50: m.detection.map50, map50_95: m.detection.map50_95, map75: m.detection.map75, mar100: m.detection.mar100 };
    case 'segmentation':
      return { miou: m.segmentation.miou, pixel_accuracy: m.segmentation.pixelAccuracy };
    case 'text-recognition':
      return { cer: m.text.cer, wer: m.text.wer, exact: m.text.exact };
  }
}
