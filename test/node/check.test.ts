import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareTensors, type CheckProgress, type ComparableTensor } from '../../shared/compare';
import { floatToHalf } from '../../shared/tensor';
import { findTestCases } from '../../electron/engine/check/find';
import { runCheck } from '../../electron/engine/check/run';
import { loadOrt } from '../../electron/engine/ort';
import { generateTensor } from '../../electron/engine/tensors/generate';
import { writeTensorFile } from '../../electron/engine/tensors/io';
import { fromOrtTensor, toOrtTensor, type Tensor } from '../../electron/engine/tensors/tensor';
import { Msg, tensorMsg, type ModelSpec } from '../fixtures/onnx-builder';
import { decodeTensorProto } from '../../electron/engine/tensors/pb';
import type { WorkbenchError } from '../../shared/result';
import { msgBytes, writeTestCase } from '../fixtures/tensor-files';
import { MODELS } from '../helpers';

const T = (dtype: string, dims: number[], data: ComparableTensor['data']): ComparableTensor => ({ dtype, dims, data });

describe('compareTensors', () => {
  it.each([
    { name: 'equal floats', e: T('float32', [2], [1, 2]), a: T('float32', [2], [1, 2]), pass: true },
    { name: 'NaN matches NaN', e: T('float32', [2], [NaN, 1]), a: T('float32', [2], Float32Array.of(NaN, 1)), pass: true },
    { name: 'NaN does not match a number', e: T('float32', [1], [NaN]), a: T('float32', [1], [0]), pass: false },
    { name: '+Inf matches +Inf', e: T('float64', [1], [Infinity]), a: T('float64', [1], [Infinity]), pass: true },
    { name: '+Inf does not match -Inf', e: T('float64', [1], [Infinity]), a: T('float64', [1], [-Infinity]), pass: false },
    { name: 'Inf does not match a big number', e: T('float64', [1], [Infinity]), a: T('float64', [1], [1e308]), pass: false },
    { name: '0-d', e: T('float32', [], [3]), a: T('float32', [], [3]), pass: true },
    { name: '0-d is not [1]', e: T('float32', [], [3]), a: T('float32', [1], [3]), pass: false },
    { name: 'zero-size', e: T('float32', [0, 3], []), a: T('float32', [0, 3], []), pass: true },
    { name: 'zero-size shapes differ', e: T('float32', [0, 3], []), a: T('float32', [3, 0], []), pass: false },
    // |a−e| ≤ atol + rtol·|e|: with atol 1e-5, rtol 1e-3 and e = 100, the bound is 0.10001.
    { name: 'just inside atol + rtol·|e|', e: T('float64', [1], [100]), a: T('float64', [1], [100.1]), pass: true },
    { name: 'just outside atol + rtol·|e|', e: T('float64', [1], [100]), a: T('float64', [1], [100.1001]), pass: false },
    { name: 'atol alone near zero', e: T('float64', [1], [0]), a: T('float64', [1], [0.00001]), pass: true },
    { name: 'beyond atol near zero', e: T('float64', [1], [0]), a: T('float64', [1], [0.000011]), pass: false },
    {
      name: 'ints exact',
      e: T('int64', [2], BigInt64Array.of(1n, 2n)),
      a: T('int64', [2], BigInt64Array.of(1n, 2n)),
      pass: true,
    },
    { name: 'ints off by one', e: T('int32', [1], [5]), a: T('int32', [1], [6]), pass: false },
    { name: 'bools', e: T('bool', [2], [true, false]), a: T('bool', [2], Uint8Array.of(1, 0)), pass: true },
    { name: 'strings', e: T('string', [2], ['a', 'b']), a: T('string', [2], ['a', 'c']), pass: false },
    {
      name: 'float16 bits decoded',
      e: T('float16', [1], Uint16Array.of(floatToHalf(1))),
      a: T('float16', [1], Uint16Array.of(floatToHalf(1.0005))),
      pass: true,
    },
    { name: 'dtypes differ', e: T('float32', [1], [1]), a: T('float64', [1], [1]), pass: false },
  ])('$name', ({ e, a, pass }) => {
    expect(compareTensors(e, a).pass).toBe(pass);
  });

  it('reports errors and the first mismatch', () => {
    const r = compareTensors(T('float32', [4], [1, 2, 4, 8]), T('float32', [4], [1, 2.5, 4, 4]), { atol: 0.1, rtol: 0 });
    expect(r).toEqual({
      pass: false,
      maxAbsError: 4,
      maxRelError: 0.5,
      mismatches: 2,
      firstMismatch: { index: 1, expected: 2, actual: 2.5 },
      reason: '2 of 4 values differ (atol 0.1, rtol 0); first at index 1: expected 2, got 2.5',
    });
  });

  it.each([
    {
      e: T('float32', [2, 3], new Array(6).fill(0)),
      a: T('float32', [3, 2], new Array(6).fill(0)),
      reason: 'expected float32 [2,3] but got float32 [3,2]: the shapes differ',
    },
    { e: T('int64', [1], [1]), a: T('int32', [1], [1]), reason: 'expected int64 [1] but got int32 [1]: the dtypes differ' },
    { e: T('float32', [2], [1]), a: T('float32', [2], [1, 2]), reason: 'the expected values hold 1 values but [2] needs 2' },
    {
      e: T('int64', [1], BigInt64Array.of(2n ** 60n)),
      a: T('int64', [1], BigInt64Array.of(1n)),
      reason: '1 of 1 values differ; first at index 0: expected 1152921504606846976, got 1',
    },
  ])('says why: $reason', ({ e, a, reason }) => {
    const r = compareTensors(e, a);
    expect(r.pass).toBe(false);
    expect(r.reason).toBe(reason);
  });
});

// ---- check runs ----

let root = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'owb-check-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const add: ModelSpec = {
  inputs: [
    { name: 'x', dtype: 'float32', shape: [2, 3] },
    { name: 'y', dtype: 'float32', shape: [2, 3] },
  ],
  outputs: [{ name: 'z', dtype: 'float32', shape: [2, 3] }],
  nodes: [{ op: 'Sub', inputs: ['x', 'y'], outputs: ['z'] }],
};
const cast16: ModelSpec = {
  inputs: [{ name: 'x', dtype: 'float32', shape: ['n'] }],
  outputs: [{ name: 'y', dtype: 'float16', shape: ['n'] }],
  nodes: [{ op: 'Cast', inputs: ['x'], outputs: ['y'], attrs: { to: 10 } }],
};
const identity = (dtype: 'int64' | 'string' | 'float16'): ModelSpec => ({
  inputs: [{ name: 'x', dtype, shape: [null] }],
  outputs: [{ name: 'y', dtype, shape: [null] }],
  nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }],
});

async function buildSuite(): Promise<string> {
  const suite = join(root, 'suite');
  const x = [1, 2, 3, 4, 5, 6];
  const y = [0.5, 0.5, 0.5, 1, 1, 1];
  const z = x.map((v, k) => v - y[k]);
  await writeTestCase(join(suite, 'node', 'test_sub'), {
    model: add,
    sets: [
      // By name, in reverse order: only names can get Sub right.
      {
        inputs: [
          { name: 'y', dtype: 'float32', dims: [2, 3], data: y },
          { name: 'x', dtype: 'float32', dims: [2, 3], data: x },
        ],
        outputs: [{ name: 'z', dtype: 'float32', dims: [2, 3], data: z }],
      },
      // No names: by position.
      {
        inputs: [
          { name: '', dtype: 'float32', dims: [2, 3], data: x },
          { name: '', dtype: 'float32', dims: [2, 3], data: y },
        ],
        outputs: [{ name: '', dtype: 'float32', dims: [2, 3], data: z, typed: true }],
      },
      // Wrong expected values.
      {
        inputs: [
          { name: 'x', dtype: 'float32', dims: [2, 3], data: x },
          { name: 'y', dtype: 'float32', dims: [2, 3], data: y },
        ],
        outputs: [{ name: 'z', dtype: 'float32', dims: [2, 3], data: [...z.slice(0, 5), 99] }],
      },
      // Input of the wrong dtype.
      {
        inputs: [
          { name: 'x', dtype: 'float64', dims: [2, 3], data: x },
          { name: 'y', dtype: 'float32', dims: [2, 3], data: y },
        ],
        outputs: [{ name: 'z', dtype: 'float32', dims: [2, 3], data: z }],
      },
    ],
  });
  await writeTestCase(join(suite, 'node', 'test_cast_float16'), {
    model: cast16,
    sets: [
      {
        inputs: [{ name: 'x', dtype: 'float32', dims: [3], data: [1.5, -2, 65504] }],
        outputs: [{ name: 'y', dtype: 'float16', dims: [3], data: [1.5, -2, 65504] }],
      },
    ],
  });
  await writeTestCase(join(suite, 'node', 'test_identity_int64'), {
    model: identity('int64'),
    sets: [
      {
        inputs: [{ name: 'x', dtype: 'int64', dims: [2], data: [2n ** 40n, -1n], typed: true }],
        outputs: [{ name: 'y', dtype: 'int64', dims: [2], data: [2n ** 40n, -1n] }],
      },
    ],
  });
  await writeTestCase(join(suite, 'more', 'deeper', 'test_identity_string'), {
    model: identity('string'),
    sets: [
      {
        inputs: [{ name: 'x', dtype: 'string', dims: [2], data: ['a', 'b'], typed: true }],
        outputs: [{ name: 'y', dtype: 'string', dims: [2], data: ['a', 'b'], typed: true }],
      },
    ],
  });
  await writeTestCase(join(suite, 'node', 'test_broken_model'), {
    model: new TextEncoder().encode('this is not a model'),
    sets: [{ inputs: [], outputs: [] }],
  });
  await writeTestCase(join(suite, 'node', 'test_no_model'), {
    sets: [{ inputs: [{ name: 'x', dtype: 'float32', dims: [1], data: [1] }], outputs: [] }],
  });
  await writeTestCase(join(suite, 'node', 'test_missing_output'), {
    model: identity('float16'),
    sets: [{ inputs: [{ name: 'x', dtype: 'float16', dims: [1], data: [1] }], outputs: [] }],
  });
  await writeTestCase(join(suite, 'node', 'test_bad_pb'), {
    model: identity('float16'),
    sets: [{ inputs: [new Uint8Array([0x0a, 0x05, 0x01])], outputs: [{ name: 'y', dtype: 'float16', dims: [1], data: [1] }] }],
  });
  return suite;
}

describe('findTestCases', () => {
  it('finds cases at any depth, in a stable order, with numbered files in order', async () => {
    const suite = await buildSuite();
    const cases = await findTestCases([suite]);
    expect(cases.map((c) => c.name)).toEqual([
      'test_identity_string',
      'test_bad_pb',
      'test_broken_model',
      'test_cast_float16',
      'test_identity_int64',
      'test_missing_output',
      'test_no_model',
      'test_sub',
    ]);
    const sub = cases.find((c) => c.name === 'test_sub')!;
    expect(sub.model).toBe(join(suite, 'node', 'test_sub', 'model.onnx'));
    expect(sub.sets.map((s) => s.name)).toEqual(['test_data_set_0', 'test_data_set_1', 'test_data_set_2', 'test_data_set_3']);
    expect(sub.sets[0].inputs.map((p) => p.slice(-11))).toEqual(['input_0.pb', 'input_1.pb'].map((s) => s.padStart(11, '/')));
    expect(cases.find((c) => c.name === 'test_no_model')!.model).toBeNull();
    // A single case folder works as well.
    expect((await findTestCases([join(suite, 'node', 'test_sub')])).map((c) => c.name)).toEqual(['test_sub']);
  });

  it('sorts input_10 after input_2', async () => {
    const d = join(root, 'many');
    await writeTestCase(d, {
      model: identity('int64'),
      sets: [{ inputs: new Array(11).fill({ name: '', dtype: 'int64', dims: [1], data: [1n] }), outputs: [] }],
    });
    const [c] = await findTestCases([d]);
    expect(c.sets[0].inputs.map((p) => p.split('/').pop())).toEqual(Array.from({ length: 11 }, (_, k) => `input_${k}.pb`));
  });

  it.each([
    { name: 'missing folder', path: () => join(root, 'nope'), message: 'nope: no such folder' },
    {
      name: 'empty folder',
      path: async () => {
        const p = join(root, 'empty');
        await mkdir(p, { recursive: true });
        return p;
      },
      message: 'empty: no test cases found',
    },
    {
      name: 'a file',
      path: async () => {
        const p = join(root, 'file.txt');
        await writeFile(p, 'x');
        return p;
      },
      message: 'file.txt is a file',
    },
  ])('$name: one failed entry, and the folders after it are still found', async ({ path, message }) => {
    const bad = await path();
    const cases = await findTestCases([bad, join(root, 'suite', 'node', 'test_sub')]);
    expect(cases.map((c) => [c.name, c.model === null, c.sets.length])).toEqual([
      [bad.split('/').pop(), true, 0],
      ['test_sub', false, 4],
    ]);
    expect(cases[0].problem).toContain(message);
  });
});

describe('runCheck', () => {
  it('runs every case, keeps going past broken ones and reports each set and output', async () => {
    const cases = await findTestCases([join(root, 'suite')]);
    const progress: CheckProgress[] = [];
    const report = await runCheck(cases, { onProgress: (p) => progress.push(p) });
    const byName = Object.fromEntries(report.cases.map((c) => [c.name, c]));

    const sub = byName.test_sub;
    expect(sub.sets.map((s) => s.pass)).toEqual([true, true, false, false]);
    expect(sub.sets[0].outputs[0]).toMatchObject({ name: 'z', pass: true, maxAbsError: 0, mismatches: 0 });
    expect(sub.sets[2].outputs[0]).toMatchObject({ name: 'z', pass: false, mismatches: 1, maxAbsError: 94 });
    expect(sub.sets[2].reason).toBe(
      "output 'z': 1 of 6 values differ (atol 0.00001, rtol 0.001); first at index 5: expected 99, got 5",
    );
    expect(sub.sets[3].reason).toBe(
      "input 'x' expects float32 [2,3]; input_0.pb holds float64 [2,3] (convert it to float32 or choose the dtype in the recipe)",
    );

    expect(byName.test_cast_float16.pass).toBe(true);
    expect(byName.test_identity_int64.pass).toBe(true);
    expect(byName.test_identity_string.pass).toBe(true);
    expect(byName.test_broken_model).toMatchObject({ pass: false, sets: [] });
    expect(byName.test_broken_model.reason).toMatch(/^model\.onnx does not load: /);
    expect(byName.test_no_model.reason).toBe('the folder has test_data_set_* folders but no .onnx model');
    expect(byName.test_missing_output.sets[0].reason).toBe('it has no output_N.pb files to compare with');
    expect(byName.test_bad_pb.sets[0].reason).toMatch(/^input_0\.pb is truncated/);

    expect(report.summary).toEqual({ cases: 8, sets: 11, passed: 5, failed: 6 });
    expect(progress).toHaveLength(11);
    expect(progress.at(-1)).toMatchObject({ done: 11, total: 11 });
    expect(progress.filter((p) => p.pass)).toHaveLength(5);
  });

  it('applies the tolerances it is given', async () => {
    const d = join(root, 'tol');
    await writeTestCase(d, {
      model: identity('float16'),
      sets: [
        {
          inputs: [{ name: 'x', dtype: 'float16', dims: [1], data: [1] }],
          outputs: [{ name: 'y', dtype: 'float16', dims: [1], data: [1.0009765625] }],
        },
      ],
    });
    const cases = await findTestCases([d]);
    expect((await runCheck(cases)).summary.passed).toBe(1);
    const strict = await runCheck(cases, { atol: 0, rtol: 0 });
    expect(strict.summary.failed).toBe(1);
    expect(strict.cases[0].sets[0].outputs[0].maxAbsError).toBeCloseTo(0.0009765625, 10);
  });

  it('stops when cancelled', async () => {
    const cases = await findTestCases([join(root, 'suite')]);
    const abort = new AbortController();
    const e = await runCheck(cases, { signal: abort.signal, onProgress: () => abort.abort() }).then(
      () => null,
      (x: unknown) => x,
    );
    expect((e as WorkbenchError).code).toBe('CANCELLED');
  });

  it('refuses a provider that is not ready up front, with its reason, instead of failing every case', async () => {
    const cases = await findTestCases([join(root, 'suite', 'node', 'test_sub')]);
    const providerStatuses = async () => [
      { id: 'cpu' as const, label: 'CPU', status: 'ready' as const, bundled: true, probeMs: 1 },
      {
        id: 'cuda' as const,
        label: 'CUDA',
        status: 'unavailable' as const,
        reason: 'no NVIDIA GPU found',
        bundled: false,
        probeMs: 1,
      },
    ];
    const e = await runCheck(cases, { provider: 'cuda', providerStatuses }).then(
      () => null,
      (x: unknown) => x as WorkbenchError,
    );
    expect(e).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', message: 'CUDA is not ready here: no NVIDIA GPU found' });
    expect((await runCheck(cases, { provider: 'cpu', providerStatuses })).cases[0].name).toBe('test_sub');
  });

  it('a missing folder fails as one entry and the other folders are checked', async () => {
    const cases = await findTestCases([join(root, 'gone'), join(root, 'suite', 'node', 'test_sub')]);
    const report = await runCheck(cases);
    expect(report.cases.map((c) => [c.name, c.pass])).toEqual([
      ['gone', false],
      ['test_sub', false],
    ]);
    expect(report.cases[0].reason).toMatch(/^gone: no such folder/);
    expect(report.cases[1].sets.map((x) => x.pass)).toEqual([true, true, false, false]);
    expect(report.summary).toEqual({ cases: 2, sets: 4, passed: 2, failed: 3 });
  });

  it('names sequence, optional and map values instead of reading them as tensors', async () => {
    const d = join(root, 'test_sequence_length');
    const seq = (name: string, n: number) => {
      const m = new Msg().string(1, name).varint(2, 1);
      for (let k = 0; k < n; k++) m.msg(3, tensorMsg({ name: '', dtype: 'float32', dims: [2], data: [k, k] }));
      return msgBytes(m);
    };
    await writeTestCase(d, {
      model: {
        inputs: [{ name: 'seq', kind: 'sequence', dtype: 'float32', shape: [2] }],
        outputs: [{ name: 'n', dtype: 'int64', shape: [] }],
        nodes: [{ op: 'SequenceLength', inputs: ['seq'], outputs: ['n'] }],
      },
      sets: [{ inputs: [seq('seq', 3)], outputs: [{ name: 'n', dtype: 'int64', dims: [], data: [3n] }] }],
    });
    const report = await runCheck(await findTestCases([d]));
    expect(report.cases[0].sets[0].reason).toBe(
      "unsupported: sequence value in input_0.pb (input 'seq'); onnxruntime-node feeds and returns tensors only",
    );

    // Read on its own (run --input), the file says what it is, by its name, not "dims [115,101,113]".
    const read = (bytes: Uint8Array) =>
      decodeTensorProto(bytes, 'output_0.pb').then(
        () => null,
        (x: unknown) => x as WorkbenchError,
      );
    expect(await read(seq('seq', 2))).toMatchObject({
      code: 'UNSUPPORTED',
      message:
        "unsupported: sequence value in output_0.pb ('seq', an ONNX SequenceProto, not a tensor); onnxruntime-node feeds and returns tensors only",
    });
    expect((await read(seq('opt', 1)))?.message).toMatch(
      /^unsupported: sequence or optional value in output_0\.pb \('opt', an ONNX SequenceProto or OptionalProto/,
    );
    const map = new Msg().string(1, 'm').varint(2, 7).varint(3, 1).varint(3, 2).msg(5, new Msg().varint(2, 1));
    expect((await read(msgBytes(map)))?.message).toMatch(/^unsupported: map value in output_0\.pb \('m', an ONNX MapProto/);
    // A real tensor still reads, and a broken one keeps its own error.
    const tensor = msgBytes(tensorMsg({ name: 'seq', dtype: 'float32', dims: [2], data: [1, 2] }));
    expect((await decodeTensorProto(tensor, 't.pb')).tensor.dims).toEqual([2]);
    expect((await read(tensor.subarray(0, tensor.length - 3)))?.code).toBe('INVALID_INPUT');
  });
});

describe('silero VAD v5', () => {
  it('runs on generated input, state and sr, and checks against its own reference', async () => {
    const ort = await loadOrt();
    const inputs: [string, Tensor][] = [
      ['input', generateTensor({ generator: 'normal', dtype: 'float32', dims: [1, 512], std: 0.1, seed: 1 })],
      ['state', generateTensor({ generator: 'zeros', dtype: 'float32', dims: [2, 1, 128] })],
      ['sr', generateTensor({ generator: 'constant', dtype: 'int64', dims: [], value: 16000 })],
    ];
    const session = await ort.InferenceSession.create(MODELS.vadV5);
    const out = await session.run(Object.fromEntries(inputs.map(([n, t]) => [n, toOrtTensor(ort, t)])));
    await session.release();
    const prob = fromOrtTensor(out.output, 'output');
    const state = fromOrtTensor(out.stateN, 'stateN');
    expect(prob.dims).toEqual([1, 1]);
    expect(prob.data[0]).toBeGreaterThanOrEqual(0);
    expect(prob.data[0]).toBeLessThanOrEqual(1);
    expect(state.dims).toEqual([2, 1, 128]);

    // The same values as an ONNX test case: written by our .pb writer, read back and compared.
    const d = join(root, 'silero');
    const set = join(d, 'test_data_set_0');
    await mkdir(set, { recursive: true });
    await copyFile(MODELS.vadV5, join(d, 'model.onnx'));
    // Inputs in a shuffled order: their names place them.
    await writeTensorFile(join(set, 'input_0.pb'), inputs[2][1], 'sr');
    await writeTensorFile(join(set, 'input_1.pb'), inputs[0][1], 'input');
    await writeTensorFile(join(set, 'input_2.pb'), inputs[1][1], 'state');
    await writeTensorFile(join(set, 'output_0.pb'), prob, 'output');
    await writeTensorFile(join(set, 'output_1.pb'), state, 'stateN');
    const report = await runCheck(await findTestCases([d]));
    expect(report.cases[0].sets[0].outputs.map((o) => [o.name, o.pass])).toEqual([
      ['output', true],
      ['stateN', true],
    ]);
    expect(report.summary).toEqual({ cases: 1, sets: 1, passed: 1, failed: 0 });
  });
});
