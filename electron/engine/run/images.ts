// Image inputs for runs and the recipe form: preprocessing through the recipe, the preview of
// the exact tensor, and the recipe a model most likely wants.
import type { ValueInfo } from '../../../shared/model-info';
import { guessModelRecipe, type PreprocessRecipe, type RecipeGuess } from '../../../shared/recipe';
import { WorkbenchError } from '../../../shared/result';
import type { ImagePreview, RunInputSource } from '../../../shared/run';
import { preprocessBatch, preprocessImage } from '../image/preprocess';
import { previewTensor } from '../image/preview';
import { readModelInfo } from '../../common/onnx/reader';
import type { ImageLoader } from './inputs';

/** Preprocesses a run's image input (one image or a batch) and keeps each image's transform. */
export const loadImageInput: ImageLoader = async (source: Extract<RunInputSource, { kind: 'image' }>, _input: ValueInfo) => {
  // Benchmarks and profiles of a tiled recipe measure one run at the tile's size (the recipe's resize).
  const { tile, ...recipe } = source.recipe;
  const batch = await preprocessBatch(source.paths, recipe);
  const notes = batch.images.map(
    (img, i) =>
      `${source.paths[i]}: ${img.original.width}×${img.original.height} ${img.original.format} → ${img.transform.tensorWidth}×${img.transform.tensorHeight}${tile ? ' (one tile-sized run: tiles are cut only in runs and batch jobs)' : ''}`,
  );
  return { tensor: batch.tensor, notes, transforms: batch.images.map((img) => img.transform) };
};

export async function imagePreview(path: string, recipe: PreprocessRecipe): Promise<ImagePreview> {
  const image = await preprocessImage(path, recipe);
  const preview = await previewTensor(image.tensor, recipe);
  return { ...preview, transform: image.transform, original: image.original };
}

export async function recipeFor(modelPath: string, inputName: string | undefined): Promise<RecipeGuess> {
  const info = await readModelInfo(modelPath);
  const input = inputName ? info.inputs.find((v) => v.name === inputName) : info.inputs[0];
  if (!input) throw new WorkbenchError('INVALID_INPUT', `${modelPath} has no input '${inputName ?? ''}'.`);
  return guessModelRecipe(info, input);
}
