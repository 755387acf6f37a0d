// Postprocessors: raw output tensors → a result people can read. Pure (no Node/DOM): the engine
// runs them on stored runs and batch items, the renderer and the CLI read their results.
// One registry lists, per task, whether it can read outputs, how it reads them, and its JSON:
// `satisfies` makes a task without an entry a compile error, and there is no second switch.
import { familyById } from '../families';
import type { ModelInfo } from '../model-info';
import { signatureRefuses } from '../task-guess';
import {
  type TaskKindId,
  type TaskResult,
  type TaskSettings,
  type TaskSettingsOf,
  type Readable,
  taskSettingsSchema,
} from '../tasks';
import { canReadClassification, readClassification } from './classification';
import type { PostprocessContext } from './context';
import { canReadDetection, readDetection } from './detection';
import { canReadGeneric, readGeneric } from './generic';
import { canReadImage, readImage } from './image';
import {
  type JsonBody,
  type ResultExtra,
  type ResultFiles,
  classificationJson,
  detectionJson,
  genericJson,
  imageJson,
  resultHead,
  segmentationJson,
  textDetectionJson,
  textRecognitionJson,
} from './json';
import { cannotRead, type OutputShape } from './outputs';
import { canReadSegmentation, readSegmentation, segmentationModeFor } from './segmentation';
import { canReadText, readTextDetection, readTextRecognition } from './text';

export type { PostprocessContext } from './context';
export { RESULT_FORMAT, resultRasters, type ResultExtra, type ResultFiles } from './json';
export { parseLabelsFile, resolveLabels, labelOf, metadataLabels } from './labels';
export { nms, boxIou, type NmsOptions } from './nms';
export { paletteColor, colormapLut } from './colormap';

/** A task's postprocessor (properties, not methods, so that each entry's parameters are checked strictly). */
export interface Postprocessor<K extends TaskKindId> {
  /**
   * Whether it can read these outputs (shapes and dtypes only). Dims of a model's declared
   * outputs that are not fixed may be given as -1: they fit any size.
   */
  canRead: (settings: TaskSettingsOf<K>, outputs: OutputShape[]) => Readable;
  /** One result per batch image (text-recognition: one result with a line per image). Throws WorkbenchError('INVALID_INPUT', …) in words when it cannot read the outputs. */
  read: (settings: TaskSettingsOf<K>, ctx: PostprocessContext) => TaskResult[];
  /** The task's part of the result JSON (rasters only by file name). */
  toJson: (result: Extract<TaskResult<unknown>, { kind: K }>, files: ResultFiles) => JsonBody;
}

/** Text needs its outputs checked before reading (the others check as they read). */
function readable<K extends TaskKindId>(
  check: Postprocessor<K>['canRead'],
  read: Postprocessor<K>['read'],
): Postprocessor<K>['read'] {
  return (settings, ctx) => {
    const r = check(settings, ctx.outputs);
    if (!r.ok) cannotRead(r.reason);
    return read(settings, ctx);
  };
}

export const POSTPROCESSORS = {
  classification: { canRead: canReadClassification, read: readClassification, toJson: classificationJson },
  detection: { canRead: canReadDetection, read: readDetection, toJson: detectionJson },
  segmentation: { canRead: canReadSegmentation, read: readSegmentation, toJson: segmentationJson },
  'image-to-image': { canRead: canReadImage, read: readImage, toJson: imageJson },
  'text-detection': {
    canRead: canReadText,
    read: readable<'text-detection'>(canReadText, readTextDetection),
    toJson: textDetectionJson,
  },
  'text-recognition': {
    canRead: canReadText,
    read: readable<'text-recognition'>(canReadText, (settings, ctx) => [readTextRecognition(settings, ctx)]),
    toJson: textRecognitionJson,
  },
  generic: { canRead: canReadGeneric, read: readGeneric, toJson: genericJson },
} satisfies { [K in TaskKindId]: Postprocessor<K> };

/**
 * The postprocessor of a task kind. The one cast in this file: TypeScript checks each entry
 * against its own kind above, but cannot follow a kind taken from a union to its entry.
 */
function postprocessorOf<K extends TaskKindId>(kind: K): Postprocessor<K> {
  return POSTPROCESSORS[kind] as unknown as Postprocessor<K>;
}

/** Whether a task's postprocessor can read these outputs (see Postprocessor.canRead). */
export function canRead(settings: TaskSettings, outputs: OutputShape[]): Readable {
  return postprocessorOf(settings.kind).canRead(settings, outputs);
}

/** One result per batch image (see Postprocessor.read). */
export function postprocess(settings: TaskSettings, ctx: PostprocessContext): TaskResult[] {
  return postprocessorOf(settings.kind).read(settings, ctx);
}

/** The JSON record of one result (rasters only by file name). */
export function resultJson<R>(result: TaskResult<R>, extra: ResultExtra = {}): JsonBody {
  return { ...resultHead(result, extra), ...postprocessorOf(result.kind).toJson(result, extra.files ?? {}) };
}

/** A model's declared outputs as canRead sees them: symbolic dims become -1. */
export function declaredShapes(info: Pick<ModelInfo, 'outputs'>): OutputShape[] {
  return info.outputs
    .filter((v) => v.kind === 'tensor')
    .map((v) => ({
      name: v.name,
      dtype: v.dtype ?? 'float32',
      dims: (v.shape ?? []).map((d) => (typeof d === 'number' ? d : -1)),
    }));
}

/**
 * Whether a task can read a model's outputs as it declares them, checked before anything runs
 * (`run`/`batch --task`). An output of unknown rank could be anything: then the run decides.
 */
export function canReadModel(
  settings: TaskSettings,
  info: Pick<ModelInfo, 'outputs'> & Partial<Pick<ModelInfo, 'inputs'>>,
): Readable {
  if (info.outputs.some((v) => v.kind === 'tensor' && v.shape === null)) return { ok: true, outputs: [] };
  const readable = canRead(settings, declaredShapes(info));
  // Shapes that parse as the task may still be another task's outputs (a recogniser's [N, T, 97]).
  const settled =
    readable.ok && info.inputs ? signatureRefuses(settings.kind, { inputs: info.inputs, outputs: info.outputs }) : null;
  return settled ? { ok: false, reason: settled } : readable;
}

/** OCR detection gives a one-channel map; recognition gives scores per step and character [N, T, K]. */
function textKind(shapes: OutputShape[]): 'text-detection' | 'text-recognition' {
  const map = shapes.some((o) => (o.dims.length === 4 && o.dims[1] === 1) || (o.dims.length === 4 && o.dims[3] === 1));
  if (map) return 'text-detection';
  return shapes.some((o) => o.dims.length === 3) ? 'text-recognition' : 'text-detection';
}

/**
 * The task settings suggested for a model, with the reason shown to the user: a recognised
 * family's preset (shared/families.ts), else settings that fit the guessed task. `family` names
 * the preset it came from.
 */
export function suggestTask(info: ModelInfo): { settings: TaskSettings; reason: string; family?: string } {
  const shapes = declaredShapes(info);
  const guess = info.task;
  const family = familyById(guess.family?.id);
  let settings: TaskSettings;
  let reason = guess.reason;
  if (family?.settings) {
    settings = taskSettingsSchema.parse(family.settings);
    reason += `; preset: ${family.sets}`;
  } else
    switch (guess.kind) {
      case 'classification':
        settings = taskSettingsSchema.parse({ kind: 'classification' });
        break;
      case 'detection':
        settings = taskSettingsSchema.parse({ kind: 'detection' });
        break;
      case 'segmentation':
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
        return {
          settings: taskSettingsSchema.parse({ kind: 'generic' }),
          reason: `${reason}: showing the raw outputs`,
          ...(family ? { family: family.id } : {}),
        };
    }
  const readable = canRead(settings, shapes);
  if (!readable.ok)
    return {
      settings: taskSettingsSchema.parse({ kind: 'generic' }),
      reason: `${reason}, but ${readable.reason}: showing the raw outputs`,
    };
  return { settings, reason, ...(family ? { family: family.id } : {}) };
}
