// What the postprocess tests read: a run's outputs, with no transforms and no model metadata unless given.
import type { PostprocessContext } from '../../shared/postprocess/index';
import type { OutputTensor } from '../../shared/tasks';

export const ctxOf = (outputs: OutputTensor[], extra: Partial<PostprocessContext> = {}): PostprocessContext => ({
  outputs,
  transforms: [],
  metadata: {},
  metadataParsed: {},
  ...extra,
});
