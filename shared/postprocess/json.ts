// A result as JSON that programs can read (labels and scores, boxes and regions in original-image
// pixels, decoded text), with rasters named by file: one function per task, listed in the
// registry (index.ts) beside the task's canRead and read. Pure, so the engine (the UI's "Export
// JSON") and the CLI (its result.json, from a result it received) build the same record.
import type {
  ClassificationResult,
  DetectionResult,
  GenericResult,
  ImageOutputResult,
  Raster,
  SegmentationResult,
  TaskResult,
  TaskSettings,
  TextDetectionResult,
  TextRecognitionResult,
} from '../tasks';

export const RESULT_FORMAT = 'onnx-workbench/result';

/** File names (relative to the JSON) of the rasters written beside it; a raster without one is left out. */
export interface ResultFiles {
  mask?: string;
  picture?: string;
}

export interface ResultExtra {
  files?: ResultFiles;
  model?: string;
  /** The original image's path. */
  image?: string;
  settings?: TaskSettings;
}

/** The part of a result's JSON that depends on its task (the head, format and task, is common). */
export type JsonBody = Record<string, unknown>;

const r2 = (v: number): number => Math.round(v * 100) / 100;
const r4 = (v: number): number => Math.round(v * 10_000) / 10_000;

export function classificationJson(result: ClassificationResult): JsonBody {
  return {
    output: result.output,
    batchImage: result.image,
    classes: result.classes,
    softmaxApplied: result.softmaxApplied,
    top: result.top.map((c) => ({ classId: c.classId, label: c.label, score: r4(c.score) })),
  };
}

export function detectionJson(result: DetectionResult<unknown>, files: ResultFiles): JsonBody {
  return {
    layout: result.layout,
    batchImage: result.image,
    imageWidth: result.imageWidth,
    imageHeight: result.imageHeight,
    candidates: result.candidates,
    detections: result.detections.map((d) => ({
      classId: d.classId,
      label: d.label,
      score: r4(d.score),
      box: { x1: r2(d.x1), y1: r2(d.y1), x2: r2(d.x2), y2: r2(d.y2) },
      ...(d.polygon ? { polygon: d.polygon.map(([x, y]) => [r2(x), r2(y)]) } : {}),
      ...(d.angle !== undefined ? { angle: r4(d.angle) } : {}),
      ...(d.maskArea !== undefined ? { maskArea: r4(d.maskArea) } : {}),
      ...(d.keypoints ? { keypoints: d.keypoints.map((k) => ({ x: r2(k.x), y: r2(k.y), score: r4(k.score) })) } : {}),
    })),
    ...(result.skeleton ? { skeleton: result.skeleton } : {}),
    ...(files.mask && result.instances ? { mask: files.mask } : {}),
  };
}

export function segmentationJson(result: SegmentationResult<unknown>, files: ResultFiles): JsonBody {
  return {
    output: result.output,
    batchImage: result.image,
    mode: result.mode,
    activation: result.activation,
    imageWidth: result.imageWidth,
    imageHeight: result.imageHeight,
    classes: result.classes.map((c) => ({ ...c, area: r4(c.area) })),
    ...(files.mask ? { mask: files.mask } : {}),
  };
}

export function imageJson(result: ImageOutputResult<unknown>, files: ResultFiles): JsonBody {
  return {
    output: result.output,
    batchImage: result.image,
    mapping: result.mapping,
    ...(files.picture ? { picture: files.picture } : {}),
  };
}

export function textDetectionJson(result: TextDetectionResult): JsonBody {
  return {
    output: result.output,
    batchImage: result.image,
    imageWidth: result.imageWidth,
    imageHeight: result.imageHeight,
    regions: result.regions.map((r) => ({
      points: r.points.map(([x, y]) => [r2(x), r2(y)]),
      score: r4(r.score),
      ...(r.text !== undefined ? { text: r.text } : {}),
      ...(r.textScore !== undefined ? { textScore: r4(r.textScore) } : {}),
    })),
  };
}

export function textRecognitionJson(result: TextRecognitionResult): JsonBody {
  return { output: result.output, lines: result.lines.map((l) => ({ text: l.text, score: r4(l.score) })) };
}

export function genericJson(result: GenericResult<unknown>, files: ResultFiles): JsonBody {
  return {
    output: result.output,
    dims: result.dims,
    view: result.view,
    min: result.min,
    max: result.max,
    ...(result.series ? { series: result.series } : {}),
    ...(files.picture && result.picture ? { picture: files.picture } : {}),
  };
}

/** The head every result's JSON starts with. */
export function resultHead(result: TaskResult<unknown>, extra: ResultExtra): JsonBody {
  const head: JsonBody = { format: RESULT_FORMAT, version: 1, task: result.kind };
  if (extra.model !== undefined) head.model = extra.model;
  if (extra.image !== undefined) head.image = extra.image;
  if (extra.settings !== undefined) head.settings = extra.settings;
  return head;
}

/** The rasters a result file keeps beside the JSON: `<stem>.mask.png`, `<stem>.picture.png`. */
export function resultRasters(result: TaskResult<Raster>, stem: string): { files: ResultFiles; rasters: [string, Raster][] } {
  if (result.kind === 'segmentation')
    return { files: { mask: `${stem}.mask.png` }, rasters: [[`${stem}.mask.png`, result.mask]] };
  if (result.kind === 'detection' && result.instances)
    return { files: { mask: `${stem}.mask.png` }, rasters: [[`${stem}.mask.png`, result.instances.mask]] };
  if ((result.kind === 'image-to-image' || result.kind === 'generic') && result.picture)
    return { files: { picture: `${stem}.picture.png` }, rasters: [[`${stem}.picture.png`, result.picture]] };
  return { files: {}, rasters: [] };
}
