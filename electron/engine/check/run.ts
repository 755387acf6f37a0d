// Running ONNX test cases, as onnxruntime's onnx_test_runner does: load each model once, feed
// every data set's inputs (by the TensorProto's name, else by position), compare every output.
// A broken case or set fails with a reason and the run goes on; only cancelling stops it.
import { basename } from 'node:path';
import type * as Ort from 'onnxruntime-node';
import {
  DEFAULT_ATOL,
  DEFAULT_RTOL,
  compareTensors,
  type CheckCaseResult,
  type CheckOutputResult,
  type CheckProgress,
  type CheckReport,
  type CheckSetResult,
} from '../../../shared/compare';
import type { ValueInfo } from '../../../shared/model-info';
import { WorkbenchError, toErrorInfo } from '../../../shared/result';
import { readModelInfo } from '../../common/onnx/reader';
import { loadOrt } from '../ort';
import { probeProviders } from '../providers/probe';
import { PROVIDER_NAMES, type ProviderStatus, isProviderId } from '../../../shared/providers';
import { readTensorFile } from '../tensors/io';
import { describeMismatch } from '../tensors/match';
import { fromOrtTensor, toOrtTensor, type LoadedTensor } from '../tensors/tensor';
import type { TestCase, TestDataSet } from './find';

export interface RunCheckOptions {
  /** onnxruntime execution provider, e.g. "cpu" (default) or "webgpu". */
  provider?: string;
  atol?: number;
  rtol?: number;
  signal?: AbortSignal;
  onProgress?: (p: CheckProgress) => void;
  /** The providers' readiness (default: probed once per engine). */
  providerStatuses?: () => Promise<ProviderStatus[]>;
}

const message = (e: unknown): string => toErrorInfo(e).message;

function throwIfCancelled(signal?: AbortSignal): void {
  if (signal?.aborted) throw new WorkbenchError('CANCELLED', 'Check cancelled.');
}

/** Which model value each file feeds or checks: its stored name when the model has it, else its position. */
function assign(files: LoadedTensor[], names: readonly string[], paths: string[], what: 'input' | 'output'): string[] {
  if (files.length > names.length) {
    throw new Error(`the set has ${files.length} ${what} files but the model has ${names.length} ${what}s`);
  }
  return files.map((f, k) => {
    if (f.name && names.includes(f.name)) return f.name;
    if (f.name && what === 'input')
      throw new Error(
        `${basename(paths[k])} is for input '${f.name}', which the model does not have (it has ${names.join(', ')})`,
      );
    return names[k];
  });
}

/**
 * Sequence, map and optional values (by the model's own types, file by file in order) cannot be
 * fed to or read from onnxruntime-node: said by name instead of misreading the file as a tensor.
 */
function refuseNonTensors(paths: string[], names: readonly string[], values: Map<string, ValueInfo>, what: string) {
  paths.forEach((p, k) => {
    const v = values.get(names[k]);
    if (v && v.kind !== 'tensor')
      throw new Error(
        `unsupported: ${v.kind} value in ${basename(p)} (${what} '${v.name}'); onnxruntime-node feeds and returns tensors only`,
      );
  });
}

async function runSet(
  ort: typeof Ort,
  session: Ort.InferenceSession,
  values: { inputs: Map<string, ValueInfo>; outputs: Map<string, ValueInfo> },
  set: TestDataSet,
  tol: { atol: number; rtol: number },
): Promise<CheckSetResult> {
  const started = performance.now();
  const result: CheckSetResult = { name: set.name, dir: set.dir, pass: false, outputs: [], durationMs: 0 };
  const { inputs } = values;
  try {
    if (set.outputs.length === 0) throw new Error('it has no output_N.pb files to compare with');
    refuseNonTensors(set.inputs, session.inputNames, inputs, 'input');
    refuseNonTensors(set.outputs, session.outputNames, values.outputs, 'output');
    const fed = await Promise.all(set.inputs.map((p) => readTensorFile(p)));
    const feedNames = assign(fed, session.inputNames, set.inputs, 'input');
    const feeds: Record<string, Ort.Tensor> = {};
    fed.forEach((f, k) => {
      const info = inputs.get(feedNames[k]);
      const problem = info && describeMismatch(info, f.tensor, basename(set.inputs[k]));
      if (problem) throw new Error(problem);
      feeds[feedNames[k]] = toOrtTensor(ort, f.tensor);
    });
    const expected = await Promise.all(set.outputs.map((p) => readTensorFile(p)));
    const outNames = assign(expected, session.outputNames, set.outputs, 'output');
    const got = await session.run(feeds);
    expected.forEach((e, k) => {
      const name = outNames[k];
      const file = set.outputs[k];
      const base: Omit<CheckOutputResult, 'pass' | 'maxAbsError' | 'maxRelError' | 'mismatches'> = { name, file };
      try {
        const actual = fromOrtTensor(got[name], `output '${name}'`);
        const c = compareTensors(e.tensor, actual, tol);
        result.outputs.push({
          ...base,
          pass: c.pass,
          maxAbsError: c.maxAbsError,
          maxRelError: c.maxRelError,
          mismatches: c.mismatches,
          reason: c.reason,
        });
      } catch (err) {
        result.outputs.push({ ...base, pass: false, maxAbsError: 0, maxRelError: 0, mismatches: 0, reason: message(err) });
      }
    });
    result.pass = result.outputs.every((o) => o.pass);
    if (!result.pass)
      result.reason = result.outputs
        .filter((o) => !o.pass)
        .map((o) => `output '${o.name}': ${o.reason}`)
        .join('; ');
  } catch (e) {
    result.reason = message(e);
  }
  result.durationMs = performance.now() - started;
  return result;
}

async function runCase(
  ort: typeof Ort,
  c: TestCase,
  options: RunCheckOptions,
  tol: { atol: number; rtol: number },
  onSet: (set: string, pass: boolean) => void,
): Promise<CheckCaseResult> {
  const result: CheckCaseResult = { name: c.name, dir: c.dir, model: c.model ?? '', pass: false, sets: [] };
  const failAll = (reason: string): CheckCaseResult => {
    result.reason = reason;
    for (const s of c.sets) onSet(s.name, false);
    return result;
  };
  if (c.problem) return failAll(c.problem);
  if (!c.model) return failAll('the folder has test_data_set_* folders but no .onnx model');
  if (c.sets.length === 0) return failAll('the folder has a model but no test_data_set_* folders');
  let session: Ort.InferenceSession;
  let values: { inputs: Map<string, ValueInfo>; outputs: Map<string, ValueInfo> };
  try {
    const info = await readModelInfo(c.model);
    values = {
      inputs: new Map([...info.inputs, ...info.optionalInputs].map((v) => [v.name, v])),
      outputs: new Map(info.outputs.map((v) => [v.name, v])),
    };
    session = await ort.InferenceSession.create(c.model, { executionProviders: [options.provider ?? 'cpu'] });
  } catch (e) {
    return failAll(`${basename(c.model)} does not load: ${message(e)}`);
  }
  try {
    for (const set of c.sets) {
      throwIfCancelled(options.signal);
      const r = await runSet(ort, session, values, set, tol);
      result.sets.push(r);
      onSet(set.name, r.pass);
    }
  } finally {
    await session.release();
  }
  result.pass = result.sets.every((s) => s.pass);
  return result;
}

export async function runCheck(cases: readonly TestCase[], options: RunCheckOptions = {}): Promise<CheckReport> {
  const ort = await loadOrt();
  // A provider asked for that is not ready would fail every case with ORT's words: say it once.
  const id = options.provider;
  if (id && id !== 'cpu') {
    const status = (await (options.providerStatuses ?? probeProviders)()).find((s) => s.id === id);
    if (status?.status !== 'ready')
      throw new WorkbenchError(
        'PROVIDER_UNAVAILABLE',
        `${isProviderId(id) ? PROVIDER_NAMES[id] : id} is not ready here: ${status?.reason ?? 'it was not probed on this machine'}`,
      );
  }
  const tol = { atol: options.atol ?? DEFAULT_ATOL, rtol: options.rtol ?? DEFAULT_RTOL };
  const total = cases.reduce((s, c) => s + Math.max(1, c.sets.length), 0);
  let done = 0;
  const report: CheckReport = {
    provider: options.provider ?? 'cpu',
    ...tol,
    cases: [],
    summary: { cases: cases.length, sets: 0, passed: 0, failed: 0 },
  };
  for (const c of cases) {
    throwIfCancelled(options.signal);
    const onSet = (set: string, pass: boolean): void => {
      done++;
      options.onProgress?.({ done, total, case: c.name, set, pass });
    };
    const r = await runCase(ort, c, options, tol, onSet);
    // A case with no data sets still counts once, so a broken folder is never silently "all passed".
    if (c.sets.length === 0) onSet('', false);
    report.cases.push(r);
  }
  for (const r of report.cases) {
    const sets = cases.find((c) => c.dir === r.dir)?.sets.length ?? 0;
    report.summary.sets += sets;
    const passed = r.sets.filter((s) => s.pass).length;
    report.summary.passed += passed;
    report.summary.failed += Math.max(1, sets) - passed;
  }
  return report;
}
