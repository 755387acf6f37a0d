// "Can ONNX Runtime run this here?": onnxruntime's errors in plain words, and a real check of
// models built to fail in each way.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkRuntime, explainRuntimeError } from '../../electron/engine/runtime-check';
import { buildModel } from '../fixtures/onnx-builder';
import { MODELS } from '../helpers';

const quiet = { emit: () => {} };

describe('explainRuntimeError', () => {
  it.each([
    [
      'Load model from /m.onnx failed:Node (n1) Op (MatMul) [ShapeInferenceError] Incompatible dimensions for matrix multiplication',
      /does not type-check \(Incompatible dimensions/,
    ],
    [
      'Load model from /m.onnx failed:Type Error: Type (tensor(float16)) of input parameter (b) of operator (MatMul) in node () is invalid.',
      /does not type-check \(Type \(tensor\(float16\)\)/,
    ],
    ['Load model from /m.onnx failed:Protobuf parsing failed.', /could not parse/],
    [
      "Could not find an implementation for Foo(7) node with name 'n'",
      /Operator Foo \(opset 7, node "n"\) has no implementation/,
    ],
    [
      'Fatal error: custom:FusedThing(-1) is not a registered function/op. No Op registered for FusedThing with domain_version of 1',
      /Unsupported operator FusedThing/,
    ],
    ['std::bad_alloc', /Out of memory/],
  ])('%s', (message, expected) => {
    expect(explainRuntimeError(message)).toMatch(expected);
  });
});

describe('checkRuntime', () => {
  it('loads a real model and reports its own inputs and load time', async () => {
    const result = await checkRuntime(MODELS.vadV5, quiet);
    expect(result.ok).toBe(true);
    expect(result.inputs.map((i) => i.name)).toEqual(['input', 'state', 'sr']);
    expect(result.inputs[0].shape).toEqual([null, null]);
    expect(result.loadMs).toBeGreaterThan(0);
  });

  it('explains a model with an operator of an unknown domain', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'owb-rt-'));
    const path = join(dir, 'custom.onnx');
    await writeFile(
      path,
      buildModel({
        opsets: [
          { domain: '', version: 17 },
          { domain: 'com.example', version: 1 },
        ],
        inputs: [{ name: 'x', dtype: 'float32', shape: [1] }],
        outputs: [{ name: 'y', dtype: 'float32', shape: [1] }],
        nodes: [{ op: 'Mystery', domain: 'com.example', inputs: ['x'], outputs: ['y'] }],
      }),
    );
    const result = await checkRuntime(path, quiet);
    expect(result.ok).toBe(false);
    expect(result.problem?.summary).toMatch(/Mystery/);
    expect(result.problem?.detail).toBeTruthy();
  });
});
