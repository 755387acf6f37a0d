// The one description of a model that every view, the CLI and the engine share.
// Produced by the engine's own ONNX reader (electron/common/onnx), never by loading weights.

/**
 * Element types, named as onnxruntime-node names them (plus the ONNX types it cannot feed), in the
 * order of ONNX's TensorProto.DataType numbers: DTYPES[n - 1] is data type n.
 */
export const DTYPES = [
  'float32',
  'uint8',
  'int8',
  'uint16',
  'int16',
  'int32',
  'int64',
  'string',
  'bool',
  'float16',
  'float64',
  'uint32',
  'uint64',
  'complex64',
  'complex128',
  'bfloat16',
  'float8e4m3fn',
  'float8e4m3fnuz',
  'float8e5m2',
  'float8e5m2fnuz',
  'uint4',
  'int4',
  'float4e2m1',
] as const;
export type DType = (typeof DTYPES)[number];

/** A dimension: a fixed size, a named symbolic dim ("batch"), or null when unnamed/unknown. */
export type Dim = number | string | null;

export type ValueKind = 'tensor' | 'sparse_tensor' | 'sequence' | 'map' | 'optional' | 'unknown';

export interface ValueInfo {
  name: string;
  kind: ValueKind;
  /** Element type of a tensor (or of the tensor inside a sequence/optional); null when not known. */
  dtype: DType | null;
  /** null when the rank itself is unknown. */
  shape: Dim[] | null;
  /** Readable type for non-tensor values, e.g. "seq(tensor(float))", "map(int64,float)". */
  typeLabel?: string;
  denotation?: string;
  docString?: string;
}

export interface ExternalDataFile {
  /** Location as written in the model (relative to the model's folder). */
  location: string;
  /** Resolved absolute path. */
  path: string;
  /** Size in bytes, or null when the file is missing. */
  size: number | null;
  /** Bytes the model's tensors reference in this file. */
  referencedBytes: number;
}

export interface OpsetImport {
  /** "" (or "ai.onnx") is the default ONNX domain. */
  domain: string;
  version: number;
}

export type TaskKind = 'classification' | 'detection' | 'segmentation' | 'image-to-image' | 'text' | 'audio' | 'unknown';

export interface TaskGuess {
  kind: TaskKind;
  reason: string;
  /** The model family recognised (shared/families.ts), whose preset the recipe and the task follow. */
  family?: { id: string; name: string };
}

export interface InitializerSummary {
  count: number;
  /** Total number of elements over all initializers. */
  parameters: number;
  bytes: number;
  bytesByDtype: Partial<Record<DType, number>>;
  /** Tensors held in Constant nodes instead of initializers (Paddle2ONNX stores every weight so). */
  constants: { count: number; parameters: number; bytes: number };
}

export interface ModelInfo {
  file: {
    path: string;
    size: number;
    externalData: ExternalDataFile[];
  };
  irVersion: number;
  opsets: OpsetImport[];
  producer: { name: string; version: string };
  modelVersion: number;
  domain: string;
  docString: string;
  graphName: string;
  /** All metadata_props as given. */
  metadata: Record<string, string>;
  /** The metadata values that parse as JSON or as a Python literal (dict/list), parsed. */
  metadataParsed: Record<string, unknown>;
  /** Inputs a user must feed (graph inputs without an initializer). */
  inputs: ValueInfo[];
  /** Graph inputs that have an initializer as default value: feeding them is optional. */
  optionalInputs: ValueInfo[];
  outputs: ValueInfo[];
  initializers: InitializerSummary;
  /** Node count over the main graph, its subgraphs and local functions. */
  nodes: number;
  /** Op type → count; ops of non-default domains as "domain::OpType". */
  ops: Record<string, number>;
  /** Number of subgraphs (If/Loop/Scan bodies and other graph attributes). */
  subgraphs: number;
  /** Local functions as "domain::name". */
  functions: string[];
  task: TaskGuess;
}

/** One node, for the nodes table. */
export interface NodeInfo {
  /** Where the node lives: "" for the main graph, else e.g. "Loop_3/body" or "fn:custom::MyFn". */
  graph: string;
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  /** Attribute name → short readable value (tensors and graphs summarised, long lists cut). */
  attributes: Record<string, string>;
}

/** One initializer (weight), without its values. */
export interface InitializerInfo {
  name: string;
  dtype: DType | null;
  shape: number[];
  elements: number;
  bytes: number;
  /** Where its bytes are: inside the model file or in an external file. */
  location: { kind: 'inline' } | { kind: 'external'; file: string };
}

/** Statistics of one initializer, computed only when asked for. */
export interface TensorStats {
  elements: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  std: number | null;
  zeros: number;
  /** Share of exact zeros, 0..1. */
  zeroShare: number;
  nan: number;
  inf: number;
}
