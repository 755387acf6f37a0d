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
      /Operator Foo \(opset 7, node "n"\) has no implementation in this onnxruntime for the types this node uses/,
    ],
    [
      'Fatal error: custom:FusedThing(-1) is not a registered function/op. No Op registered for FusedThing with domain_version of 1',
      /^Operator FusedThing of domain custom is not implemented by this onnxruntime: it is a custom operator/,
    ],
    ['std::bad_alloc', /Out of memory/],
  ])('%s', (message, expected) => {
    expect(explainRuntimeError(message)).toMatch(expected);
  });
});

describe('explainRuntimeError with what the model says (onnxruntime 1.30 messages)', () => {
  const ctx = {
    ortVersion: '1.30.0',
    opsets: [
      { domain: '', version: 17 },
      { domain: 'com.example', version: 1 },
    ],
  };
  it.each([
    [
      'Load model from /m.onnx failed:Fatal error: com.example:FancyOp(-1) is not a registered function/op',
      'Operator FancyOp of domain com.example is not implemented by onnxruntime 1.30 (the model imports com.example at opset 1): it is a custom operator, which needs the library that implements it.',
    ],
    [
      'Load model from /m.onnx failed:Fatal error: com.microsoft:NoSuchMsOp(-1) is not a registered function/op',
      'Operator NoSuchMsOp of domain com.microsoft is not implemented by onnxruntime 1.30.',
    ],
    [
      'Load model from /m.onnx failed:This is an invalid model. In Node, ("f", FancyOp, "", -1) : ("x": tensor(float),) -> ("y": tensor(float),) , Error No Op registered for FancyOp with domain_version of 17',
      'Operator FancyOp of domain ai.onnx is not implemented by onnxruntime 1.30 (opset 17, node "f").',
    ],
    [
      'Load model from /m.onnx failed:/onnxruntime_src/onnxruntime/core/graph/model_load_utils.h:46 void onnxruntime::model_load_utils::ValidateOpsetForDomain(…) ONNX Runtime only *guarantees* support for models stamped with official released onnx opset versions. Opset 40 is under development and support for this is limited. Current official support for domain ai.onnx is till opset 26.',
      'The model uses opset 40 of ai.onnx, newer than onnxruntime 1.30 supports (up to opset 26).',
    ],
    [
      'Load model from /m.onnx failed:Unsupported model IR version: 13, max supported IR version: 11',
      "The model's IR version 13 is newer than onnxruntime 1.30 supports (up to 11).",
    ],
    ['Load model from /m.onnx failed:Something nobody has seen before\nmore', 'Something nobody has seen before'],
  ])('%s', (message, sentence) => {
    expect(explainRuntimeError(message, ctx)).toBe(sentence);
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
    const version = (await import('onnxruntime-node')).env.versions.node!.split('.').slice(0, 2).join('.');
    expect(result.problem?.summary).toBe(
      `Operator Mystery of domain com.example is not implemented by onnxruntime ${version} (the model imports com.example at opset 1): it is a custom operator, which needs the library that implements it.`,
    );
    expect(result.problem?.detail).toMatch(/com\.example:Mystery\(-1\) is not a registered function\/op/);
  });
});
