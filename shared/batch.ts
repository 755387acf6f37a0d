// Batch jobs: a folder of images through a model, with a journal in the output folder so that a
// job survives bad files, crashes and restarts. Pure and shared: the engine runs jobs, the Node
// side keeps the list of past jobs, the renderer and the CLI show progress and results.
import { groupDigits } from './format';
import { z } from 'zod';
import { type SpeechSegment, speechSettingsSchema } from './audio/speech';
import type { ModelInfo } from './model-info';
import { modelRecipeSchema } from './model-recipe';
import { absolutePath } from './paths';
import { declaredShapes } from './postprocess';
import { resolvedLayout } from './postprocess/detection';
import { maskRle, rleToString } from './postprocess/instances';
import type { ProviderChoice } from './providers';
import type { PipelineRegionJson } from './pipeline';
import type { WorkbenchErrorInfo } from './result';
import { sessionOptionsSchema } from './run';
import { MAX_SHARDS } from './shard';
import { tileSettingsSchema } from './tiles';
import {
  type ClassScore,
  type Detection,
  type Raster,
  type TaskKindId,
  type TaskResult,
  type TaskSettings,
  type TextLine,
  taskSettingsSchema,
} from './tasks';

export const BATCH_JOB_FORMAT = 'onnx-workbench/batch-job';
/** A job's own files in its output folder: this folder, with the journal in it. */
export const BATCH_STATE_DIR = '.onnx-workbench';
export const BATCH_JOURNAL_FILE = 'journal.jsonl';

/** File extensions (lower case, no dot) a job may read; sharp decodes each of them. */
export const IMAGE_TYPES = ['jpg', 'jpeg', 'png', 'webp', 'tiff', 'tif', 'gif', 'avif', 'bmp'] as const;
export type ImageType = (typeof IMAGE_TYPES)[number];

/**
 * What a job writes. csv, jsonl and coco are whole-job files rebuilt from the journal; the
 * others are one file per image, under a folder of that name mirroring the input tree.
 */
export const BATCH_OUTPUTS = ['csv', 'jsonl', 'coco', 'images', 'masks', 'cutouts', 'tensors'] as const;
export type BatchOutputKind = (typeof BATCH_OUTPUTS)[number];
/** The kinds written once per image (they are part of what "the same job" means on resume). */
export const PER_IMAGE_OUTPUTS = ['images', 'masks', 'cutouts', 'tensors'] as const satisfies readonly BatchOutputKind[];

/**
 * Why an output kind cannot be written for a task (null: it can), in words that finish "COCO JSON …".
 * The Batch form greys the kind with this reason; the engine refuses a job that asks for it anyway.
 */
export function outputUnavailable(
  kind: BatchOutputKind,
  task: TaskKindId | typeof SPEECH_ACTIVITY | typeof PIPELINE_JOB | undefined,
  /** A detection task's layout: YOLOv8-seg detectors write instance masks and cut-outs. */
  layout?: string,
): string | null {
  if (task === SPEECH_ACTIVITY && kind !== 'csv' && kind !== 'jsonl') return 'audio jobs write CSV and JSON lines';
  if (task === PIPELINE_JOB && kind !== 'csv' && kind !== 'jsonl' && kind !== 'images')
    return 'pipeline jobs write CSV, JSON lines and annotated images';
  const instances = task === 'detection' && layout === 'yolov8-seg';
  if ((kind === 'masks' || kind === 'cutouts') && task !== 'segmentation' && !instances)
    return 'needs a segmentation task (or a YOLOv8-seg detector)';
  if (kind === 'coco' && task !== 'detection') return 'needs a detection task';
  if (kind === 'images' && !task) return 'needs a task in the recipe';
  return null;
}

/**
 * The layout a detection task reads the model with: its own, or on auto the one the model's
 * outputs and metadata resolve to (a YOLOv8-seg signature reads as yolov8-seg, so its instance
 * masks can be written with no layout chosen). Without the model: the task's own.
 */
export function effectiveLayout(
  task: TaskSettings | undefined,
  model?: Pick<ModelInfo, 'outputs' | 'metadata'>,
): string | undefined {
  if (task?.kind !== 'detection') return undefined;
  if (task.layout !== 'auto' || !model) return task.layout;
  return resolvedLayout(task, declaredShapes(model), model.metadata) ?? task.layout;
}

/** outputUnavailable for a task's settings (a detection's layout, resolved against the model, decides about instance masks). */
export function outputUnavailableFor(
  kind: BatchOutputKind,
  task: TaskSettings | undefined,
  model?: Pick<ModelInfo, 'outputs' | 'metadata'>,
): string | null {
  return outputUnavailable(kind, task?.kind, effectiveLayout(task, model));
}

/** The task of audio jobs: .wav files through a voice-activity model (Silero VAD), speech segments per file. */
export const SPEECH_ACTIVITY = 'speech-activity';

/** The "task" of pipeline jobs: each image through a pipeline file's steps, its regions and text per file. */
export const PIPELINE_JOB = 'pipeline';

/** 100 megapixels: a 10000×10000 scan passes; a 30000×30000 one is refused before decoding. */
export const DEFAULT_MAX_PIXELS = 100_000_000;
export const MAX_BATCH_SIZE = 64;

const glob = z.string().min(1).max(1000);

/** Session options for one-off sessions only (shared/run.ts): never a batch job's. */
export const ONE_OFF_OPTIONS = ['profiling', 'saveOptimizedModel'] as const;

/** A job's session options without the one-off ones (the schema refuses them; a recipe's may still carry them). */
export function cachedSessionOptions<T extends object>(options: T): T {
  const o = { ...options } as Record<string, unknown>;
  for (const key of ONE_OFF_OPTIONS) delete o[key];
  return o as T;
}

const batchJobFields = z.strictObject({
  format: z.literal(BATCH_JOB_FORMAT).default(BATCH_JOB_FORMAT),
  version: z.literal(1).default(1),
  name: z.string().max(200).optional(),
  model: absolutePath,
  /** Image input recipe(s), task and its settings; an empty recipe is guessed from the model. */
  recipe: modelRecipeSchema.prefault({}),
  input: z.strictObject({
    folder: absolutePath,
    recursive: z.boolean().default(true),
    /** Globs on the path relative to the input folder ("**\/*.jpg", "2024/**"); empty: every file. */
    include: z.array(glob).max(100).default([]),
    exclude: z.array(glob).max(100).default([]),
    types: z
      .array(z.enum(IMAGE_TYPES))
      .min(1)
      .default([...IMAGE_TYPES]),
    /** The inputs are the paths in this file (one per line, relative to the folder or absolute inside it), not the folder's listing. */
    list: absolutePath.optional(),
  }),
  output: z.strictObject({
    folder: absolutePath,
    write: z.array(z.enum(BATCH_OUTPUTS)).max(BATCH_OUTPUTS.length).default(['csv', 'jsonl']),
    /**
     * Instance masks in coco.json: COCO polygons (the outline of each mask's largest region), or
     * COCO's compressed RLE of the whole mask ({"size": [h, w], "counts": "…"}, as pycocotools writes it).
     */
    cocoMasks: z.enum(['polygon', 'rle']).default('polygon'),
    /** Replace files already in the output folder that this job's journal did not write. */
    overwrite: z.boolean().default(false),
    /** Allow the output folder inside the input folder (it is then left out of the listing). */
    allowInsideInput: z.boolean().default(false),
  }),
  /**
   * Session options; they override the recipe's. A job runs on the cached sessions that runs share:
   * profiling and saving the optimised model (one-off sessions, a file written) are refused.
   */
  options: sessionOptionsSchema
    .partial()
    .superRefine((o, ctx) => {
      for (const key of ONE_OFF_OPTIONS)
        if (o[key])
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: 'a batch job runs on cached sessions: profiling and saving the optimised model are for single runs',
          });
    })
    .optional(),
  /** Tiles for this job's images (see PreprocessRecipe.tile); they override the recipe's; 'off': whole images. */
  tile: z.union([tileSettingsSchema, z.literal('off')]).optional(),
  /** Images per run; auto: 1 when the model's batch dim is fixed, else 8 (4 for big inputs); 1 with tiles. */
  batchSize: z.union([z.literal('auto'), z.number().int().min(1).max(MAX_BATCH_SIZE)]).default('auto'),
  /** Images with more pixels are refused from their header, before any decoding. */
  maxPixels: z
    .number()
    .int()
    .min(1)
    .max(2 ** 40)
    .default(DEFAULT_MAX_PIXELS),
  /** On resume, run the files that failed before again (by default they are kept as failed). */
  retryFailed: z.boolean().default(false),
  /** This job is shard `index` of `count`: it takes the files whose path hash falls in its share (shared/shard.ts). */
  shard: z
    .strictObject({ index: z.number().int().min(0), count: z.number().int().min(1).max(MAX_SHARDS) })
    .refine((s) => s.index < s.count, { message: 'the shard index must be below the shard count' })
    .optional(),
  /**
   * An audio job: the folder's .wav files through a voice-activity model (task speech-activity),
   * chunk by chunk with its state carried over; each file's speech segments go to results.csv/jsonl.
   */
  speech: z
    .strictObject({
      settings: speechSettingsSchema.prefault({}),
      sampleRate: z.union([z.literal(16000), z.literal(8000)]).default(16000),
    })
    .optional(),
  /**
   * A pipeline job: `model` is then a pipeline file (shared/pipeline.ts), whose steps each image
   * goes through; each file's regions and text go to results.csv/jsonl, its annotated image to images/.
   */
  pipeline: z
    .strictObject({
      /**
       * Tasks of the steps the file names none for, by step id: filled in by the app from each
       * model's saved recipe (or the suggested task) when the job starts.
       */
      tasks: z.record(z.string().max(64), taskSettingsSchema).default({}),
    })
    .optional(),
  /** More failed files than this stop the job (state failed, error TOO_MANY_FAILURES): a count, or a share of the files. */
  maxFailures: z
    .union([z.strictObject({ count: z.number().int().min(0) }), z.strictObject({ percent: z.number().min(0).max(100) })])
    .optional(),
});
export const batchJobSchema = batchJobFields.superRefine((job, ctx) => {
  // A pipeline's steps each have their own image size and run one image (or region) at a time.
  if (!job.pipeline) return;
  const refuse = (key: string, what: string) =>
    ctx.addIssue({ code: 'custom', path: [key], message: `a pipeline job takes no ${what}: its steps run one image at a time` });
  if (job.tile !== undefined) refuse('tile', 'tiles');
  if (job.batchSize !== 'auto') refuse('batchSize', 'batch size');
});
export type BatchJob = z.output<typeof batchJobSchema>;
export type BatchJobInput = z.input<typeof batchJobSchema>;

export const BATCH_ACTIONS = ['pause', 'resume'] as const;
export type BatchAction = (typeof BATCH_ACTIONS)[number];

/** Job ids travel in file names and events: short and plain. */
export const batchJobIdSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9_-]+$/, { message: 'letters, digits, - and _ only' });

// ---- Results of one image ------------------------------------------------------------------

/** What a task found in one image, small enough for a journal line (no pixels). */
export interface BatchResultSummary {
  /** 'outputs': no task was chosen; the raw outputs are summarised. */
  task: TaskKindId | 'outputs' | typeof SPEECH_ACTIVITY | typeof PIPELINE_JOB;
  /** One line for people: "tabby cat 0.91", "3 boxes: person ×2, car", "road 41%, sky 20%". */
  text: string;
  /** classification: the top-k classes. */
  top?: ClassScore[];
  /** detection: every box, in original-image pixels; with instance masks and `cocoMasks: 'rle'`, each mask as COCO's compressed RLE string. */
  detections?: (Detection & { rle?: string })[];
  /** detection: boxes per class, most first. */
  classes?: { label: string; count: number }[];
  /** segmentation: classes present by area (share of the image), largest first. */
  segments?: { classId: number; label: string; area: number }[];
  /** segmentation: share of the pixels that are not background (class 0; binary: foreground). */
  maskArea?: number;
  /** text-detection: regions found. */
  regions?: number;
  /** text-recognition: the line read. */
  lines?: TextLine[];
  /** image-to-image and generic: size of the picture made. */
  picture?: { width: number; height: number };
  /** speech-activity: the speech segments (seconds), the audio's length and the share that is speech. */
  speech?: { segments: SpeechSegment[]; duration: number; speechShare: number };
  /** pipeline: everything read, in reading order, and the regions found (as the pipeline's result.json, without children). */
  pipeline?: { text: string; regions: PipelineRegionJson[] };
  /** No task: each output's dims and value range. */
  outputs?: { name: string; dims: number[]; min: number; max: number; mean: number }[];
}

const round = (x: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

const pct = (x: number): string => `${Math.round(x * 1000) / 10}%`;

/** Counts by label, most first (ties by label). */
function countLabels(detections: readonly Detection[]): { label: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const d of detections) counts.set(d.label, (counts.get(d.label) ?? 0) + 1);
  return [...counts]
    .map(([label, count]) => ({ label, count }))
    .sort((a, b) => b.count - a.count || (a.label < b.label ? -1 : 1));
}

/** Options of the journal's summary: instance masks as COCO RLE strings (coco.json is built from the journal). */
export interface SummaryOptions {
  rle?: boolean;
}

/**
 * Each detection's whole instance mask as a compressed COCO RLE string: from its own counts (an
 * instance map gives a pixel to one instance only, so a horse behind its rider would lose the
 * rider's shape), else from the map for a result that has no counts.
 */
function instanceRles(r: TaskResult<unknown>): (string | undefined)[] {
  if (r.kind !== 'detection' || !r.instances) return [];
  const own = r.instances.rles;
  if (own) return r.detections.map((_, k) => (own[k] ? rleToString(own[k]) : undefined));
  const m = r.instances.mask as Partial<Raster>;
  if (!m.data || !m.width || !m.height) return [];
  const { data, width, height } = m as Raster;
  // The map holds index + 1 up to 255: later detections share 255 and have no mask of their own.
  return r.detections.map((_, k) => (k + 1 < 255 ? rleToString(maskRle(data, width, height, k + 1).counts) : undefined));
}

/** One image's task results (pixels left out) as the journal's summary. */
export function summarizeResults(results: readonly TaskResult<unknown>[], options: SummaryOptions = {}): BatchResultSummary {
  const first = results[0];
  if (!first) return { task: 'outputs', text: 'no result' };
  switch (first.kind) {
    case 'classification': {
      const top = first.top.map((c) => ({ classId: c.classId, label: c.label, score: round(c.score, 6) }));
      const best = top[0];
      return { task: 'classification', text: best ? `${best.label} ${best.score.toFixed(3)}` : 'no class', top };
    }
    case 'detection': {
      const rles = options.rle ? instanceRles(first) : [];
      const detections = first.detections.map((d, k) => ({
        classId: d.classId,
        label: d.label,
        score: round(d.score, 5),
        x1: round(d.x1, 2),
        y1: round(d.y1, 2),
        x2: round(d.x2, 2),
        y2: round(d.y2, 2),
        // Outlines of instance masks and rotated boxes (COCO polygons), keypoints of pose models.
        ...(d.polygon ? { polygon: d.polygon.map(([x, y]): [number, number] => [round(x, 2), round(y, 2)]) } : {}),
        ...(d.angle !== undefined ? { angle: round(d.angle, 5) } : {}),
        ...(d.keypoints
          ? { keypoints: d.keypoints.map((p) => ({ x: round(p.x, 2), y: round(p.y, 2), score: round(p.score, 4) })) }
          : {}),
        ...(rles[k] !== undefined ? { rle: rles[k] } : {}),
      }));
      const classes = countLabels(detections);
      const list = classes.map((c) => (c.count > 1 ? `${c.label} ×${c.count}` : c.label)).join(', ');
      const n = detections.length;
      return { task: 'detection', text: n ? `${n} ${n === 1 ? 'box' : 'boxes'}: ${list}` : 'no boxes', detections, classes };
    }
    case 'segmentation': {
      const segments = first.classes.map((c) => ({ classId: c.classId, label: c.label, area: round(c.area, 6) }));
      const maskArea = round(
        first.mode === 'binary'
          ? (segments[0]?.area ?? 0)
          : segments.filter((s) => s.classId !== 0).reduce((sum, s) => sum + s.area, 0),
        6,
      );
      const text = segments.length
        ? segments
            .slice(0, 4)
            .map((s) => `${s.label} ${pct(s.area)}`)
            .join(', ')
        : 'nothing found';
      return { task: 'segmentation', text, segments, maskArea };
    }
    case 'text-detection':
      return {
        task: 'text-detection',
        text: `${first.regions.length} text ${first.regions.length === 1 ? 'region' : 'regions'}`,
        regions: first.regions.length,
      };
    case 'text-recognition': {
      const lines = first.lines.map((l) => ({ text: l.text, score: round(l.score, 5) }));
      return { task: 'text-recognition', text: lines.map((l) => l.text).join(' / '), lines };
    }
    case 'image-to-image': {
      const p = first.picture as { width?: number; height?: number } | undefined;
      const picture = { width: p?.width ?? 0, height: p?.height ?? 0 };
      return { task: 'image-to-image', text: `${picture.width}×${picture.height} image (${first.mapping})`, picture };
    }
    case 'generic':
      return {
        task: 'generic',
        text: `${first.output} [${first.dims.join(',')}] ${round(first.min, 4)}..${round(first.max, 4)}`,
        outputs: [{ name: first.output, dims: first.dims, min: first.min, max: first.max, mean: NaN }],
      };
  }
}

// ---- Journal ------------------------------------------------------------------------------

export type BatchItemStatus = 'ok' | 'failed';

/**
 * Where one file's time went, in milliseconds, each measured around that work alone. The model's
 * runs hold the engine's thread (onnxruntime-node runs synchronously), so the time they overlap
 * asynchronous work (decoding, writing) is counted as waiting, not as that work. Journals written
 * before these fields existed have only decode, run and post.
 */
export interface BatchItemTimings {
  /** Reading, decoding and resizing the image (sharp, one pipeline). */
  decode: number;
  /** Packing the resized pixels into the input tensor (layout, scale, mean/std, dtype). */
  preprocess?: number;
  /** This file's share of its batched run: the run's time over the images in it. */
  run: number;
  /** Reading the outputs as the task (top-k, boxes, masks…). */
  post: number;
  /** Drawing and writing the per-image files (images, masks, cut-outs, tensors). */
  write?: number;
  /** Waiting: in the queue for a run, for postprocessing, and while model runs held the thread. */
  wait?: number;
}

/** One finished file: a line of the journal in the output folder. */
export interface BatchItemRecord {
  type: 'item';
  /** Path relative to the input folder, with '/' separators. */
  file: string;
  status: BatchItemStatus;
  error?: WorkbenchErrorInfo;
  /** Original size, after the EXIF orientation (absent when the header could not be read). */
  width?: number;
  height?: number;
  ms: BatchItemTimings;
  result?: BatchResultSummary;
  /** The model and recipe this record was made with: resume skips only records of the same key. */
  key: string;
  /** Per-image files written, relative to the output folder. */
  outputs?: string[];
  at: string;
}

/** Written before a run: if the engine dies, these files were in flight. */
export interface BatchStartedRecord {
  type: 'started';
  files: string[];
  key: string;
  at: string;
}

/** Written when a run of the job starts (first run or resume). */
export interface BatchRunRecord {
  type: 'run';
  jobId: string;
  key: string;
  model: string;
  at: string;
}

export type BatchJournalRecord = BatchItemRecord | BatchStartedRecord | BatchRunRecord;

// ---- Progress and outcome ----------------------------------------------------------------

export type BatchState = 'counting' | 'running' | 'paused' | 'finished' | 'cancelled' | 'failed';

export interface BatchItemBrief {
  file: string;
  status: BatchItemStatus;
  /** The result in words, or the error message. */
  text: string;
  /** Per-image files written (drawn result, mask, cut-out…), relative to the output folder: the thumbnails are made from them. */
  outputs?: string[];
}

export interface BatchFailure {
  file: string;
  error: string;
}

/**
 * Counts describe the job's files, earlier runs included: done = ok + failed; skipped is the part
 * of done that an earlier run of the same job already did (not run again this time).
 */
export interface BatchProgress {
  jobId: string;
  state: BatchState;
  done: number;
  /** total − done; null while the files are still being counted. */
  left: number | null;
  ok: number;
  failed: number;
  skipped: number;
  /** Files run in this run (not skipped). */
  processed: number;
  /** Files the job will handle; null while they are still being counted. */
  total: number | null;
  /** Files per second of running time (pauses left out) over the last 64 files this run finished. */
  imagesPerSecond: number;
  /** CPU time (all the engine's threads) per file over the same window; null before the first file. */
  cpuMsPerImage?: number | null;
  /**
   * The most the job's cores could do at that CPU cost (cores × 1000 ÷ cpuMsPerImage): the
   * achieved rate far below it means the cores sat idle or other programs took them.
   */
  boundImagesPerSecond?: number | null;
  /**
   * The stage that held the job back over the window: 'decode' when the model waited for images
   * longer than the decoders waited for room, else 'inference'; null before the first file.
   */
  limitedBy?: 'decode' | 'inference' | null;
  /** left ÷ imagesPerSecond; null while counting, while paused and before the first file finishes. */
  etaSeconds: number | null;
  /** The file being run (or the last one), relative to the input folder. */
  current: string | null;
  /** The last few finished files, newest last. */
  latest: BatchItemBrief[];
  /** The last failures, newest last. */
  failures: BatchFailure[];
}

export interface BatchSummary {
  jobId: string;
  name?: string;
  state: 'finished' | 'cancelled' | 'failed';
  total: number;
  done: number;
  ok: number;
  failed: number;
  skipped: number;
  /** Files run in this run (not skipped). */
  processed: number;
  elapsedMs: number;
  /** Part of elapsedMs the job was paused. */
  pausedMs?: number;
  /** processed ÷ (elapsedMs − pausedMs). */
  imagesPerSecond: number;
  outputFolder: string;
  /** Whole-job files written, relative to the output folder (results.csv, …). */
  written: string[];
  failures: BatchFailure[];
  provider?: ProviderChoice;
  /**
   * The job gave its model fewer threads after measuring its first runs (the user chose none):
   * `to` of `from`, after `after` images had run, from the CPU ms per image the model and the rest (decoding) took.
   */
  modelThreads?: {
    from: number;
    to: number;
    after: number;
    inferenceMs: number;
    otherMs: number;
    /** Images per run from then on, where that changed too (the batch size was the job's choice, `auto`). */
    batchSize?: number;
  };
  /** Times the engine process died during the job and the job went on. */
  restarts?: number;
  error?: WorkbenchErrorInfo;
}

/** How one shard of a job stood when `batch merge` read it. */
export type MergedShardState = 'finished' | 'running' | 'cancelled' | 'failed' | 'missing' | 'other-job';

/** What `batch merge` put together from the shards of a job in one output folder. */
export interface BatchMergeReport {
  outputFolder: string;
  /** How many shards the job was split into. */
  count: number;
  shards: { index: number; state: MergedShardState; ok?: number; failed?: number }[];
  /** Input files in the merged results, and how they ended. */
  files: number;
  ok: number;
  failed: number;
  /** Whole-job files written at the top of the output folder. */
  written: string[];
  /** One line per shard that is missing or unfinished ("shard 1 of 2 has not run"); empty: complete. */
  problems: string[];
}

export interface BatchCount {
  files: number;
  /** The first few files, in the order the job takes them. */
  sample: string[];
}

/** A job in the app's list of past jobs. */
export interface BatchJobRecord {
  id: string;
  name: string;
  model: string;
  inputFolder: string;
  outputFolder: string;
  /** interrupted: the app stopped while the job ran (resume it). */
  state: BatchState | 'interrupted';
  total: number | null;
  done: number;
  ok: number;
  failed: number;
  skipped: number;
  startedAt: string;
  updatedAt: string;
  error?: string;
}

/** "1,234 files: 1,200 ok, 34 failed (1,000 skipped: done before)". */
export function describeCounts(c: { total: number | null; ok: number; failed: number; skipped: number }): string {
  const n = groupDigits;
  const total = c.total === null ? '' : `${n(c.total)} files: `;
  const skipped = c.skipped ? ` (${n(c.skipped)} skipped: done before)` : '';
  return `${total}${n(c.ok)} ok, ${n(c.failed)} failed${skipped}`;
}

/**
 * "61.0 img/s of ~70 possible, decode-bound": the speed, the most the cores allow at the CPU an
 * image costs, and the stage that holds the job back (each part once it is known).
 */
export function describeSpeed(p: Pick<BatchProgress, 'imagesPerSecond' | 'boundImagesPerSecond' | 'limitedBy'>): string {
  const bound = p.boundImagesPerSecond ? ` of ~${p.boundImagesPerSecond.toFixed(0)} possible` : '';
  const limit = p.limitedBy ? `, ${p.limitedBy}-bound` : '';
  return `${p.imagesPerSecond.toFixed(1)} img/s${bound}${limit}`;
}
