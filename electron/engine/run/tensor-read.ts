// "What is in this file?": a tensor source loaded and summarised, and checked against the model
// input it is meant for, so a mismatch is reported before any run.
import { WorkbenchError } from '../../../shared/result';
import type { TensorSource, TensorSummary } from '../../../shared/tensor';
import { readModelInfo } from '../../common/onnx/reader';
import { loadTensorSource } from '../tensors/io';
import { describeMismatch } from '../tensors/match';
import { summarizeTensor } from '../tensors/summary';

export async function readTensorForInput(params: {
  source: TensorSource;
  model?: { path: string; input: string };
  dimOverrides?: Record<string, number>;
}): Promise<{ summary: TensorSummary; mismatch: string | null }> {
  let input = null;
  if (params.model) {
    const info = await readModelInfo(params.model.path);
    input = [...info.inputs, ...info.optionalInputs].find((v) => v.name === params.model!.input) ?? null;
    if (!input) throw new WorkbenchError('INVALID_INPUT', `${params.model.path} has no input '${params.model.input}'.`);
  }
  const loaded = await loadTensorSource(params.source, input, { dimOverrides: params.dimOverrides });
  const label = params.source.kind === 'generate' ? 'the generated tensor' : params.source.path;
  return {
    summary: summarizeTensor(input?.name ?? label, loaded.tensor, loaded.notes),
    mismatch: input ? describeMismatch(input, loaded.tensor, label) : null,
  };
}
