// Images → tensors through an explicit recipe (shared/recipe.ts): one image, or N stacked into [N,…].
import {
  channelCount,
  preprocessRecipeSchema,
  tensorDims,
  type ImageTransform,
  type PreprocessRecipe,
  type PreprocessRecipeInput,
} from '../../../shared/recipe';
import { WorkbenchError } from '../../../shared/result';
import { decodeImage, type DecodeOptions, type DecodedImage, type ImageInput, type OriginalImage } from './decode';
import { allocateData, fillPadding, packPixels, type ImageTensor } from './pack';

export { DEFAULT_MAX_PIXELS, readHeader, type DecodeOptions, type ImageInput, type OriginalImage } from './decode';
export type { ImageTensor, ImageTensorData } from './pack';

export interface PreprocessedImage {
  tensor: ImageTensor;
  transform: ImageTransform;
  original: OriginalImage;
}

export interface PreprocessedBatch {
  tensor: ImageTensor;
  /** One per image, in input order. */
  images: { transform: ImageTransform; original: OriginalImage }[];
}

/** A recipe from outside (UI, CLI, JSON file) checked and completed with defaults. */
export function parseRecipe(value: PreprocessRecipeInput | unknown): PreprocessRecipe {
  const r = preprocessRecipeSchema.safeParse(value);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : 'recipe'}: ${i.message}`).join('; ');
  throw new WorkbenchError('INVALID_INPUT', `The preprocessing recipe is not valid: ${issues}`);
}

export async function preprocessImage(
  input: ImageInput,
  recipe: PreprocessRecipe,
  options: DecodeOptions = {},
): Promise<PreprocessedImage> {
  const r = parseRecipe(recipe);
  const img = await decodeImage(input, r, options);
  const { tensorWidth: w, tensorHeight: h } = img.transform;
  const c = channelCount(r);
  const data = allocateData(r.dtype, w * h * c);
  packPixels(img.pixels, img.channels, w, h, r, data, 0);
  fillPadding(data, 0, img.transform, r);
  return {
    tensor: { dtype: r.dtype, dims: tensorDims(r.layout, c, h, w), data },
    transform: img.transform,
    original: img.original,
  };
}

/** N images stacked into one [N,C,H,W] or [N,H,W,C] tensor; all must come out the same size. */
export async function preprocessBatch(
  inputs: readonly ImageInput[],
  recipe: PreprocessRecipe,
  options: DecodeOptions = {},
): Promise<PreprocessedBatch> {
  const r = parseRecipe(recipe);
  if (inputs.length === 0) throw new WorkbenchError('INVALID_INPUT', 'No images given to stack into a batch');
  if (inputs.length > 1 && (r.layout === 'CHW' || r.layout === 'HWC')) {
    throw new WorkbenchError(
      'INVALID_INPUT',
      `Layout ${r.layout} has no batch dim, so ${inputs.length} images cannot be stacked: choose N${r.layout}`,
    );
  }
  // Decoded one after another: sharp already uses the cores, and only small resized pixels are kept.
  const decoded: DecodedImage[] = [];
  for (const input of inputs) decoded.push(await decodeImage(input, r, options));
  const first = decoded[0];
  const { tensorWidth: w, tensorHeight: h } = first.transform;
  const odd = decoded.find((d) => d.transform.tensorWidth !== w || d.transform.tensorHeight !== h);
  if (odd) {
    throw new WorkbenchError(
      'INVALID_INPUT',
      `Images come out at different sizes with resize mode "${r.resize.mode}" (${first.label}: ${w}×${h}, ${odd.label}: ${odd.transform.tensorWidth}×${odd.transform.tensorHeight}), so they cannot be stacked; use stretch, letterbox or a crop for batches`,
    );
  }
  const c = channelCount(r);
  const per = w * h * c;
  const data = allocateData(r.dtype, per * decoded.length);
  decoded.forEach((d, n) => {
    packPixels(d.pixels, d.channels, w, h, r, data, n * per);
    fillPadding(data, n * per, d.transform, r);
  });
  return {
    tensor: { dtype: r.dtype, dims: tensorDims(r.layout, c, h, w, decoded.length), data },
    images: decoded.map((d) => ({ transform: d.transform, original: d.original })),
  };
}
