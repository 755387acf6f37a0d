// Postprocessors: raw output tensors → a result people can read. Pure (no Node/DOM): the engine
// runs them on stored runs and batch items, the renderer and the CLI read their results.
// The signatures below are the contract other parts code against.
import type { ModelInfo } from '../model-info';
import type { ImageTransform, PreprocessRecipe } from '../recipe';
import { taskSettingsSchema, type OutputTensor, type Readable, type TaskResult, type TaskSettings } from '../tasks';
import { canReadClassification, readClassification } from './classification';
import { canReadDetection, readDetection } from './detection';
import { canReadGeneric, readGeneric } from './generic';
import { canReadImage, readImage } from './image';
import { canReadSegmentation, readSegmentation, segmentationModeFor } from './segmentation';
import { canReadText, readTextDetection, readTextRecognition } from './text';
import { cannotRead, type OutputShape } from './outputs';

export { parseLabelsFile, resolveLabels, labelOf } from './labels';
export { nms, boxIou, type NmsOptions } from './nms';
export { paletteColor, colormapLut } from './colormap';

export interface PostprocessContext {
  outputs: OutputTensor[];
  /** Per batch image: how the original image maps into the input tensor (empty: inputs were not images). */
  transforms: ImageTransform[];
  /** The image input's recipe (image-to-image "recipe" denormalisation). */
  recipe?: PreprocessRecipe;
  metadata: Record<string, string>;
  metadataParsed: Record<string, unknown>;
  /** Labels read by the engine from the user's labels file (settings.labels.kind === 'file'). */
  labels?: string[];
  /** Characters read by the engine from the charset file (text-recognition, charset.kind === 'file'). */
  charset?: string[];
  /** The ImageNet-1k list from resources/ (the engine reads it when asked). */
  imagenetLabels?: string[];
}

/**
 * Whether a task's postprocessor can read these outputs (shapes and dtypes only). Dims of a
 * model's declared outputs that are not fixed may be given as -1: they fit any size.
 */
export function canRead(settings: TaskSettings, outputs: OutputShape[]): Readable {
  switch (settings.kind) {
    case 'classification':
      return canReadClassification(settings, outputs);
    case 'detection':
      return canReadDetection(settings, outputs);
    case 'segmentation':
      return canReadSegmentation(settings, outputs);
    case 'image-to-image':
      return canReadImage(settings, outputs);
    case 'text-detection':
    case 'text-recognition':
      return canReadText(settings, outputs);
    case 'generic':
      return canReadGeneric(settings, outputs);
  }
}

/** One result per batch image (text-recognition: one result with a line per image). Throws WorkbenchError('INVALID_INPUT', …) in words when it cannot read the outputs. */
export function postprocess(settings: TaskSettings, ctx: PostprocessContext): TaskResult[] {
  switch (settings.kind) {
    case 'classification':
      return readClassification(settings, ctx);
    case 'detection':
      return readDetection(settings, ctx);
    case 'segmentation':
      return readSegmentation(settings, ctx);
    case 'image-to-image':
      return readImage(settings, ctx);
    case 'text-detection':
    case 'text-recognition': {
      const r = canReadText(settings, ctx.outputs);
      if (!r.ok) cannotRead(r.reason);
      return settings.kind === 'text-detection' ? readTextDetection(settings, ctx) : [readTextRecognition(settings, ctx)];
    }
    case 'generic':
      return readGeneric(settings, ctx);
  }
}

/** A model's declared outputs as canRead sees them: symbolic dims become -1. */
function declaredShapes(info: Pick<ModelInfo, 'outputs'>): OutputShape[] {
  return info.outputs
    .filter((v) => v.kind === 'tensor')
    .map((v) => ({
      name: v.name,
      dtype: v.dtype ?? 'float32',
      dims: (v.shape ?? []).map((d) => (typeof d === 'number' ? d : -1)),
    }));
}

/** OCR detection gives a one-channel map; recognition gives scores per step and character [N, T, K]. */
function textKind(shapes: OutputShape[]): 'text-detection' | 'text-recognition' {
  const map = shapes.some((o) => (o.dims.length === 4 && o.dims[1] === 1) || (o.dims.length === 4 && o.dims[3] === 1));
  if (map) return 'text-detection';
  return shapes.some((o) => o.dims.length === 3) ? 'text-recognition' : 'text-detection';
}

/** The task settings suggested for a model, with the reason shown to the user. */
export function suggestTask(info: ModelInfo): { settings: TaskSettings; reason: string } {
  const shapes = declaredShapes(info);
  const guess = info.task;
  let settings: TaskSettings;
  let reason = guess.reason;
  const instanceSegmentation = info.metadata.task?.trim().toLowerCase() === 'segment';
  switch (guess.kind) {
    case 'classification':
      settings = taskSettingsSchema.parse({ kind: 'classification' });
      break;
    case 'detection':
      settings = taskSettingsSchema.parse({ kind: 'detection' });
      break;
    case 'segmentation':
      if (instanceSegmentation) {
        // Ultralytics -seg models: boxes plus mask coefficients; the boxes read as detection.
        settings = taskSettingsSchema.parse({ kind: 'detection' });
        reason += '; read as detection (boxes): instance masks are not drawn';
        break;
      }
      settings = taskSettingsSchema.parse({ kind: 'segmentation', mode: segmentationModeFor(shapes) });
      break;
    case 'image-to-image':
      settings = taskSettingsSchema.parse({ kind: 'image-to-image' });
      break;
    case 'text':
      if (textKind(shapes) === 'text-detection') settings = taskSettingsSchema.parse({ kind: 'text-detection' });
      else {
        settings = taskSettingsSchema.parse({ kind: 'text-recognition', charset: { kind: 'list', chars: [] } });
        reason += "; choose the model's charset file (one character per line, e.g. ppocr_keys_v1.txt) to read the text";
      }
      break;
    default:
      return { settings: taskSettingsSchema.parse({ kind: 'generic' }), reason: `${reason}: showing the raw outputs` };
  }
  const readable = canRead(settings, shapes);
  if (!readable.ok)
    return {
      settings: taskSettingsSchema.parse({ kind: 'generic' }),
      reason: `${reason}, but ${readable.reason}: showing the raw outputs`,
    };
  return { settings, reason };
}
