// A stored run read through a task: the requests (run.interpret, run.exportResult, task.suggest)
// and what comes back. Pure and shared: the engine answers them, the UI and the CLI ask.
import { z } from 'zod';
import { absolutePath } from './paths';
import { type EncodedRaster, type Readable, type TaskResult, type TaskSettings, taskSettingsSchema } from './tasks';

const runId = z.string().min(1).max(100);

export const interpretRequestSchema = z.strictObject({ runId, task: taskSettingsSchema });

export const EXPORT_KINDS = ['image', 'json', 'mask', 'cutout'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];

export const exportResultRequestSchema = z.strictObject({
  runId,
  task: taskSettingsSchema,
  /** Which image of the batch (default 0). */
  image: z.number().int().min(0).max(100_000).optional(),
  /**
   * image: the original with the result drawn on it (.png, .jpg, .jpeg);
   * json: the result as JSON, a segmentation mask or output picture as PNG files beside it;
   * mask: the segmentation mask as a 1-channel PNG (class index per pixel, or alpha);
   * cutout: the original with the segmentation mask as alpha (.png).
   */
  what: z.enum(EXPORT_KINDS),
  to: absolutePath,
  maskOpacity: z.number().min(0).max(1).optional(),
  showLabels: z.boolean().optional(),
});
export type ExportResultRequest = z.output<typeof exportResultRequestSchema>;

/** One original image of the run's first image input. */
export interface InterpretedImage {
  /** The model input it was fed to. */
  input: string;
  /** Index in that input's batch. */
  index: number;
  path: string;
  /** As shown, after the EXIF orientation. */
  width: number;
  height: number;
  /**
   * data:image/jpeg;base64,… of the original, EXIF-rotated, longest side at most 1600; '' past
   * the first PREVIEW_LIMIT images of a batch (a big batch would otherwise cost megabytes per call).
   */
  preview: string;
}

export const PREVIEW_LIMIT = 16;

/** A small preview of an image file (batch results), and the size of the image itself. */
export interface ImageThumbnail {
  /** data:image/webp;base64,… longest side at most the size asked for. */
  dataUrl: string;
  width: number;
  height: number;
}
export const THUMBNAIL_SIDE = 160;
export const THUMBNAIL_MAX_SIDE = 512;
export const PREVIEW_MAX_SIDE = 1600;

export interface Interpretation {
  task: TaskSettings;
  results: TaskResult<EncodedRaster>[];
  /** Empty when the run had no image input. */
  images: InterpretedImage[];
  /** Time the interpretation took (postprocessing, encoding, previews). */
  ms: number;
}

export interface TaskSuggestion {
  settings: TaskSettings;
  /** Why this task, in words. */
  reason: string;
  /** Whether the suggested task's postprocessor can read the model's outputs. */
  readable: Readable;
}
