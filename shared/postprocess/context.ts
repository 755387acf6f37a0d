// What a postprocessor reads: the run's outputs and what is known about its inputs. Its own
// file, so that the postprocessors and the registry that lists them (index.ts) do not import
// each other.
import type { ImageTransform, PreprocessRecipe } from '../recipe';
import type { OutputTensor } from '../tasks';

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
