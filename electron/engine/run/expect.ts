// A kept run's outputs against reference tensors saved earlier (`run --expect DIR`): for each
// output, NAME.npy / NAME.pb / NAME.json (the name as saved by *Save* or `run --out`), else the
// ONNX test-data layout's output_N.pb matched by the name stored inside, else by position.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DEFAULT_ATOL,
  DEFAULT_RTOL,
  compareTensors,
  type ExpectedOutputResult,
  type RunExpectation,
} from '../../../shared/compare';
import { WorkbenchError } from '../../../shared/result';
import { fsError } from '../../common/fs';
import { safeName } from '../batch/outputs';
import { readTensorFile } from '../tensors/io';
import type { Tensor } from '../tensors/tensor';

const EXTENSIONS = ['.npy', '.pb', '.json'];

export async function expectOutputs(
  runId: string,
  outputs: ReadonlyMap<string, Tensor>,
  dir: string,
  tolerance: { atol?: number; rtol?: number },
): Promise<RunExpectation> {
  const atol = tolerance.atol ?? DEFAULT_ATOL;
  const rtol = tolerance.rtol ?? DEFAULT_RTOL;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw fsError(error, dir, { what: 'reference folder', folder: true });
  }
  const present = new Set(names);
  const order = [...outputs.keys()];
  // output_N.pb files, by the name stored inside (else their position).
  const numbered = new Map<string, string>();
  const layout = names.filter((n) => /^output_\d+\.pb$/.test(n)).sort((a, b) => Number(a.slice(7, -3)) - Number(b.slice(7, -3)));
  for (const [k, file] of layout.entries()) {
    const loaded = await readTensorFile(join(dir, file));
    const name = loaded.name && outputs.has(loaded.name) ? loaded.name : order[k];
    if (name) numbered.set(name, file);
  }
  const results: ExpectedOutputResult[] = [];
  for (const [name, actual] of outputs) {
    const file =
      [name, safeName(name)].flatMap((stem) => EXTENSIONS.map((e) => `${stem}${e}`)).find((f) => present.has(f)) ??
      numbered.get(name) ??
      null;
    if (!file) {
      results.push({
        name,
        file: null,
        pass: true,
        maxAbsError: 0,
        maxRelError: 0,
        mismatches: 0,
        firstMismatch: null,
        reason: `no reference file for output "${name}" in ${dir}`,
      });
      continue;
    }
    const expected = (await readTensorFile(join(dir, file))).tensor;
    results.push({ name, file, ...compareTensors(expected, actual, { atol, rtol }) });
  }
  if (!results.some((r) => r.file))
    throw new WorkbenchError(
      'INVALID_INPUT',
      `${dir} has no reference file for any output (${order.join(', ')}): expected NAME.npy, NAME.pb, NAME.json or output_N.pb`,
    );
  return { runId, dir, atol, rtol, pass: results.every((r) => r.pass), outputs: results };
}
