// What a model's outputs mean: the task a user picks (with its settings), and the interpreted
// result each postprocessor gives. Pure and shared: the engine interprets runs and batch items,
// the renderer shows and redraws, the CLI writes result.json.
//
// Results come in two forms. Postprocessors return rasters (masks, output images) as pixels
// (`Raster`); before a result crosses to a renderer the engine encodes each raster as a PNG data
// URL (`EncodedRaster`). Every other field is the same in both.
import { z } from 'zod';
import { absolutePath } from './paths';

export const TASK_KINDS = [
  'classification',
  'detection',
  'segmentation',
  'image-to-image',
  'text-detection',
  'text-recognition',
  'generic',
] as const;
export type TaskKindId = (typeof TASK_KINDS)[number];

const unit = z.number().min(0).max(1);
const outputName = z.string().min(1).max(1000);

/** Where class names come from. */
export const labelsSourceSchema = z.discriminatedUnion('kind', [
  /** The model's metadata (Ultralytics `names`, `labels`, `classes`), else ImageNet-1k for 1000/1001 classes. */
  z.strictObject({ kind: z.literal('auto') }),
  /** `.txt` one label per line, `.json` list or {index: name} map. */
  z.strictObject({ kind: z.literal('file'), path: absolutePath }),
  z.strictObject({ kind: z.literal('list'), labels: z.array(z.string().max(1000)).max(100_000) }),
  z.strictObject({ kind: z.literal('imagenet') }),
  z.strictObject({ kind: z.literal('none') }),
]);
export type LabelsSource = z.infer<typeof labelsSourceSchema>;
const labels = labelsSourceSchema.default({ kind: 'auto' });

/**
 * yolov8-seg/-pose/-obb: Ultralytics heads with mask coefficients (and a prototype output),
 * keypoints, or a rotation angle after the class scores; detr: RT-DETR rows [1, N, 4+C] of
 * normalised cxcywh boxes and class scores, read without NMS.
 */
export const DETECTION_LAYOUTS = [
  'auto',
  'yolov5',
  'yolov8',
  'yolov8-seg',
  'yolov8-pose',
  'yolov8-obb',
  'detr',
  'end-to-end',
  'ssd',
] as const;
export type DetectionLayout = (typeof DETECTION_LAYOUTS)[number];
export const BOX_FORMATS = ['auto', 'cxcywh', 'xyxy', 'xywh', 'yxyx'] as const;
export const COLORMAPS = ['gray', 'viridis', 'inferno', 'turbo'] as const;
export const SEGMENTATION_ACTIVATIONS = ['auto', 'sigmoid', 'none', 'minmax', 'sigmoid-minmax'] as const;

export const taskSettingsSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('classification'),
    /** Output to read; default: the first one the postprocessor can read. */
    output: outputName.optional(),
    topK: z.number().int().min(1).max(1000).default(5),
    /** auto: softmax only when the values are not already a distribution. */
    softmax: z.enum(['auto', 'always', 'never']).default('auto'),
    labels,
  }),
  z.strictObject({
    kind: z.literal('detection'),
    layout: z.enum(DETECTION_LAYOUTS).default('auto'),
    boxFormat: z.enum(BOX_FORMATS).default('auto'),
    /** Box coordinates are 0..1 of the tensor size; auto: decided from the values. */
    normalized: z.enum(['auto', 'yes', 'no']).default('auto'),
    confidence: unit.default(0.25),
    iou: unit.default(0.45),
    maxDetections: z.number().int().min(1).max(10_000).default(300),
    /** NMS across classes instead of per class. */
    classAgnostic: z.boolean().default(false),
    /** SSD/TF-style multi-output models: which output holds what (default: by name and shape). */
    outputs: z
      .strictObject({
        boxes: outputName.optional(),
        scores: outputName.optional(),
        classes: outputName.optional(),
        count: outputName.optional(),
      })
      .optional(),
    labels,
  }),
  z.strictObject({
    kind: z.literal('segmentation'),
    output: outputName.optional(),
    /** semantic: [1,C,H,W] argmax; binary: [1,1,H,W] foreground (matting with soft). */
    mode: z.enum(['auto', 'semantic', 'binary']).default('auto'),
    /**
     * auto: sigmoid when values fall outside 0..1. minmax: stretch the map's own range to 0..1
     * (rembg's ISNet and U²-Net); sigmoid-minmax: sigmoid, then that stretch (rembg's BiRefNet).
     */
    activation: z.enum(SEGMENTATION_ACTIVATIONS).default('auto'),
    threshold: unit.default(0.5),
    /** binary only: keep the soft alpha (matting) instead of a hard threshold. */
    soft: z.boolean().default(false),
    labels,
  }),
  z.strictObject({
    kind: z.literal('image-to-image'),
    output: outputName.optional(),
    /** recipe: undo the input recipe's scale/mean/std; unit: 0..1; byte: 0..255; minmax: stretch to the values' range. */
    denormalize: z.enum(['auto', 'recipe', 'unit', 'byte', 'minmax']).default('auto'),
    /** One-channel outputs (depth maps): the colour map. */
    colormap: z.enum(COLORMAPS).default('inferno'),
  }),
  z.strictObject({
    kind: z.literal('text-detection'),
    output: outputName.optional(),
    /** Probability above which a pixel is text (DB "thresh"). */
    threshold: unit.default(0.3),
    /** Mean probability a region needs to be kept (DB "box_thresh"). */
    boxThreshold: unit.default(0.6),
    /** How much a region's box is grown (DB "unclip_ratio"). */
    unclipRatio: z.number().min(0).max(10).default(1.5),
    minSize: z.number().min(0).max(10_000).default(3),
    maxCandidates: z.number().int().min(1).max(100_000).default(1000),
  }),
  z.strictObject({
    kind: z.literal('text-recognition'),
    output: outputName.optional(),
    /** ppocr_keys_v1.txt and the like: one character per line. */
    charset: z.discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('file'), path: absolutePath }),
      z.strictObject({ kind: z.literal('list'), chars: z.array(z.string().max(64)).max(100_000) }),
    ]),
    /** Index of the CTC blank (PaddleOCR: 0, the charset starts at 1). */
    blankIndex: z.number().int().min(0).default(0),
    /** Append a space as the last character (PaddleOCR's use_space_char). */
    spaceChar: z.boolean().default(true),
  }),
  z.strictObject({
    kind: z.literal('generic'),
    output: outputName.optional(),
    colormap: z.enum(COLORMAPS).default('viridis'),
  }),
]);
export type TaskSettings = z.output<typeof taskSettingsSchema>;
export type TaskSettingsInput = z.input<typeof taskSettingsSchema>;
export type TaskSettingsOf<K extends TaskKindId> = Extract<TaskSettings, { kind: K }>;

// ---- Values the postprocessors read ----------------------------------------------------------

/** Numbers of an output tensor (int64 outputs as Float64Array or number[]). */
export type NumericArray = ArrayLike<number>;

export interface OutputTensor {
  name: string;
  dtype: string;
  dims: number[];
  data: NumericArray;
}

/** Pixels, row-major, channels interleaved (1 gray/label, 3 RGB, 4 RGBA). */
export interface Raster {
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  data: Uint8Array | Uint8ClampedArray;
}

/** A raster as it crosses processes. */
export interface EncodedRaster {
  width: number;
  height: number;
  /** data:image/png;base64,… */
  png: string;
}

// ---- Results --------------------------------------------------------------------------------

export interface ClassScore {
  classId: number;
  label: string;
  score: number;
}

export interface ClassificationResult {
  kind: 'classification';
  output: string;
  classes: number;
  /** Softmax was applied (the values were not a distribution, or the user asked). */
  softmaxApplied: boolean;
  top: ClassScore[];
  /** Which batch image (index into the batch). */
  image: number;
}

/** A keypoint in original-image pixels with its visibility score (0..1). */
export interface Keypoint {
  x: number;
  y: number;
  score: number;
}

/** Coordinates in original-image pixels (continuous: 0 = left edge). */
export interface Detection extends ClassScore {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  /**
   * The object's outline, original-image pixels: the four corners of a rotated box (OBB,
   * x1..y2 are then its bounds) or the outer contour of an instance mask (-seg).
   */
  polygon?: [number, number][];
  /** Rotated boxes: the angle in radians, clockwise in image coordinates (Ultralytics' r). */
  angle?: number;
  /** Pose models: keypoints in the model's order (COCO's 17 for people). */
  keypoints?: Keypoint[];
  /** Instance masks: pixels of the mask (at original-image size), 0..1 of the image. */
  maskArea?: number;
}

export interface DetectionResult<R = Raster> {
  kind: 'detection';
  /** What the postprocessor read the outputs as, in words ("YOLOv8 [1, 84, 8400], cxcywh pixels"). */
  layout: string;
  /** Candidates above the confidence threshold, before NMS. */
  candidates: number;
  detections: Detection[];
  imageWidth: number;
  imageHeight: number;
  image: number;
  /**
   * Instance masks (-seg models): `mask` holds detection index + 1 per pixel (0: none; past 255
   * instances the rest share 255), 1 channel; `overlay` the same coloured by class, RGBA.
   */
  instances?: {
    mask: R;
    overlay: R;
    /** Per detection: its whole mask (overlaps with others included) as COCO's uncompressed RLE counts. */
    rles?: number[][];
  };
  /** Pose models: which keypoints the skeleton joins (0-based index pairs). */
  skeleton?: [number, number][];
}

export interface SegmentClass {
  classId: number;
  label: string;
  /** Share of the image's pixels, 0..1. */
  area: number;
  /** RGB of the palette. */
  color: [number, number, number];
}

export interface SegmentationResult<R = Raster> {
  kind: 'segmentation';
  mode: 'semantic' | 'binary';
  output: string;
  activation: 'sigmoid' | 'none' | 'softmax' | 'minmax' | 'sigmoid-minmax';
  /** Classes present, by area, largest first (binary: one class "foreground"). */
  classes: SegmentClass[];
  /** Class index per pixel (semantic) or 0/255 or soft alpha (binary), at original-image size, 1 channel. */
  mask: R;
  /** The mask coloured with the palette, RGBA, at original-image size (the overlay). */
  overlay: R;
  imageWidth: number;
  imageHeight: number;
  image: number;
}

export interface ImageOutputResult<R = Raster> {
  kind: 'image-to-image';
  output: string;
  /** How values were turned into pixels, in words. */
  mapping: string;
  /** The output as pixels (RGB, or a colour-mapped single channel). */
  picture: R;
  image: number;
}

export interface TextRegion {
  /** Four corners, clockwise from top-left, original-image pixels. */
  points: [number, number][];
  score: number;
  /** Filled in when a recognition step read the region (pipelines). */
  text?: string;
  textScore?: number;
}

export interface TextDetectionResult {
  kind: 'text-detection';
  output: string;
  regions: TextRegion[];
  imageWidth: number;
  imageHeight: number;
  image: number;
}

export interface TextLine {
  text: string;
  /** Mean probability of the kept characters. */
  score: number;
}

export interface TextRecognitionResult {
  kind: 'text-recognition';
  output: string;
  /** One line per batch image. */
  lines: TextLine[];
}

export interface GenericResult<R = Raster> {
  kind: 'generic';
  output: string;
  dims: number[];
  /** heatmap: 2-D; grid: channels of a 3-D/4-D tensor side by side; plot: 1-D values. */
  view: 'heatmap' | 'grid' | 'plot' | 'none';
  picture?: R;
  /** 1-D only: the values (at most 4096, evenly sampled). */
  series?: number[];
  min: number;
  max: number;
}

export type TaskResult<R = Raster> =
  | ClassificationResult
  | DetectionResult<R>
  | SegmentationResult<R>
  | ImageOutputResult<R>
  | TextDetectionResult
  | TextRecognitionResult
  | GenericResult<R>;

/** "I can read this output": yes, or why not, in words. */
export type Readable = { ok: true; outputs: string[] } | { ok: false; reason: string };
