// Turns the user's input choices (files, generators, audio, images) into onnxruntime feeds,
// checking each against what the model expects before anything runs.
import type * as Ort from 'onnxruntime-node';
import type { ModelInfo, ValueInfo } from '../../../shared/model-info';
import type { ImageTransform } from '../../../shared/recipe';
import { WorkbenchError } from '../../../shared/result';
import type { RunInputSource } from '../../../shared/run';
import type { TensorSummary } from '../../../shared/tensor';
import { loadTensorSource } from '../tensors/io';
import { describeMismatch } from '../tensors/match';
import { summarizeTensor } from '../tensors/summary';
import { type LoadedTensor, toOrtTensor } from '../tensors/tensor';

export interface PreparedInputs {
  feeds: Record<string, Ort.Tensor>;
  summaries: TensorSummary[];
  /** Per image input: how each original image maps to the tensor (for postprocessing). */
  transforms: Record<string, ImageTransform[]>;
}

/** Loads one source; images are handed to `loadImage` (the image pipeline). */
export type ImageLoader = (
  source: Extract<RunInputSource, { kind: 'image' }>,
  input: ValueInfo,
) => Promise<LoadedTensor & { transforms: ImageTransform[] }>;

export async function prepareInputs(
  ort: typeof Ort,
  info: ModelInfo,
  sources: Record<string, RunInputSource>,
  options: { dimOverrides?: Record<string, number>; loadImage?: ImageLoader; signal?: AbortSignal },
): Promise<PreparedInputs> {
  const known = new Map([...info.inputs, ...info.optionalInputs].map((v) => [v.name, v]));
  for (const name of Object.keys(sources)) {
    if (!known.has(name)) {
      const names = info.inputs.map((v) => `'${v.name}'`).join(', ');
      throw new WorkbenchError('INVALID_INPUT', `The model has no input '${name}'; its inputs are ${names}.`);
    }
  }
  const missing = info.inputs.filter((v) => !(v.name in sources)).map((v) => `'${v.name}'`);
  if (missing.length) {
    throw new WorkbenchError(
      'INVALID_INPUT',
      `No value given for input ${missing.join(', ')}: choose a file, an image or a generator.`,
    );
  }
  const feeds: Record<string, Ort.Tensor> = {};
  const summaries: TensorSummary[] = [];
  const transforms: Record<string, ImageTransform[]> = {};
  for (const [name, source] of Object.entries(sources)) {
    if (options.signal?.aborted) throw new WorkbenchError('CANCELLED', 'Cancelled.');
    const input = known.get(name)!;
    let loaded: LoadedTensor & { transforms?: ImageTransform[] };
    if (source.kind === 'image') {
      if (!options.loadImage) throw new WorkbenchError('UNSUPPORTED', 'Image inputs are not available here.');
      loaded = await options.loadImage(source, input);
    } else {
      loaded = await loadTensorSource(source, input, { dimOverrides: options.dimOverrides });
    }
    const holder =
      source.kind === 'generate'
        ? 'the generated tensor'
        : source.kind === 'image'
          ? 'the prepared image'
          : `${'path' in source ? source.path : 'the file'}`;
    const mismatch = describeMismatch(input, loaded.tensor, holder);
    if (mismatch) throw new WorkbenchError('INVALID_INPUT', mismatch);
    feeds[name] = toOrtTensor(ort, loaded.tensor);
    summaries.push(summarizeTensor(name, loaded.tensor, loaded.notes));
    if (loaded.transforms) transforms[name] = loaded.transforms;
  }
  return { feeds, summaries, transforms };
}
