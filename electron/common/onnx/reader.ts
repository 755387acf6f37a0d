// Reads an ONNX model's structure lazily: one streaming pass over ModelProto that skips weight
// bytes by seeking. Public API: readModelInfo, readNodes, readInitializers, readInitializerData.

import { realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import type {
  DType,
  ExternalDataFile,
  InitializerInfo,
  InitializerSummary,
  ModelInfo,
  NodeInfo,
  OpsetImport,
} from '../../../shared/model-info';
import { type GraphData, type RawGraph, compactGraph } from '../../../shared/graph/data';
import { WorkbenchError } from '../../../shared/result';
import { fsError } from '../fs';
import { guessTask } from '../../../shared/task-guess';
import { Collector, FunctionHandler, GraphHandler, OpsetHandler, type InitializerEntry, type WalkOptions } from './graph';
import {
  BufferSource,
  FileSource,
  SKIP,
  i64,
  peekTag,
  text,
  walkSource,
  type DecodeContext,
  type LenAction,
  type MessageHandler,
  type WindowedSource,
} from './protobuf';
import { ModelProto } from './onnx-proto';
import { parseMetadataValue } from './python-literal';
import { readRegularFile } from '../regular-file';
import { decodeRaw, decodeTyped, type TensorData } from './tensor-data';
import { StringEntryHandler, dtypeFromOnnx, elementCount, isExternal, tensorBytes, type TensorHeader } from './tensor-proto';

export type { TensorData } from './tensor-data';

/** Sub-messages up to this size are read whole and decoded in memory; bigger ones are streamed. */
const INLINE_LIMIT = 1024 * 1024;

const M = ModelProto.field;

class ModelHandler implements MessageHandler {
  readonly proto = ModelProto;
  irVersion: number | null = null;
  modelVersion = 0;
  producer = { name: '', version: '' };
  domain = '';
  docString = '';
  opsets: OpsetImport[] = [];
  metadata: Record<string, string> = {};
  graph: GraphHandler | null = null;
  constructor(private readonly c: Collector) {}

  varint(field: number, lo: number, hi: number): void {
    if (field === M.ir_version) this.irVersion = i64(lo, hi);
    else if (field === M.model_version) this.modelVersion = i64(lo, hi);
  }
  len(field: number): LenAction {
    const str = (set: (s: string) => void): LenAction => ({ kind: 'bytes', accept: (d) => set(text(d)) });
    switch (field) {
      case M.producer_name:
        return str((s) => {
          this.producer.name = s;
        });
      case M.producer_version:
        return str((s) => {
          this.producer.version = s;
        });
      case M.domain:
        return str((s) => {
          this.domain = s;
        });
      case M.doc_string:
        return str((s) => {
          this.docString = s;
        });
      case M.graph:
        this.graph = new GraphHandler(this.c, () => '', 0, true);
        return { kind: 'message', handler: this.graph };
      case M.opset_import:
        return { kind: 'message', handler: new OpsetHandler(this.c.ctx, (o) => this.opsets.push(o)) };
      case M.metadata_props:
        return {
          kind: 'message',
          handler: new StringEntryHandler((k, v) => {
            this.metadata[k] = v;
          }),
        };
      case M.functions:
        return { kind: 'message', handler: new FunctionHandler(this.c) };
      default:
        return SKIP;
    }
  }
}

/** Benchmarks' baseline: the whole file read into memory first, then decoded there. */
class WholeFileSource extends BufferSource {
  static async open(path: string): Promise<WholeFileSource> {
    return new WholeFileSource(await readRegularFile(path, 'an ONNX model'));
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}
type ModelSource = WindowedSource & { close(): Promise<void> };

interface Walk {
  model: ModelHandler;
  graph: GraphHandler;
  collector: Collector;
  src: ModelSource;
  ctx: DecodeContext;
}

function notOnnx(label: string, reason: string): WorkbenchError {
  return new WorkbenchError('NOT_ONNX', `${label} ${reason}`);
}

const SIGNATURES: [number[], string][] = [
  [[0x89, 0x50, 0x4e, 0x47], 'starts like a PNG image'],
  [[0xff, 0xd8, 0xff], 'starts like a JPEG image'],
  [[0x47, 0x49, 0x46, 0x38], 'starts like a GIF image'],
  [[0x25, 0x50, 0x44, 0x46], 'starts like a PDF document'],
  [[0x50, 0x4b, 0x03, 0x04], 'starts like a ZIP archive (a PyTorch checkpoint or .npz?)'],
  [[0x1f, 0x8b], 'starts like a gzip archive'],
  [[0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59], 'starts like a NumPy .npy array'],
  [[0x47, 0x47, 0x55, 0x46], 'starts like a GGUF model'],
  [[0x89, 0x48, 0x44, 0x46], 'starts like an HDF5 (Keras) file'],
];

/** Cheap checks on the first bytes so the common wrong files get a plain reason. */
function sniff(label: string, head: Uint8Array): void {
  for (const [sig, reason] of SIGNATURES) {
    if (sig.every((b, k) => head[k] === b)) throw notOnnx(label, `is not an ONNX model: it ${reason}`);
  }
  if (head.length >= 8 && String.fromCharCode(...head.subarray(4, 8)) === 'TFL3') {
    throw notOnnx(label, 'is not an ONNX model: it starts like a TensorFlow Lite model');
  }
  // ONNX never starts with a printable byte (its first tag is 0x08 or similar); text does.
  if (head.every((b) => b >= 0x20 || b === 0x09 || b === 0x0a || b === 0x0d)) {
    throw notOnnx(label, 'is not an ONNX model: it looks like a text file');
  }
  const tag = peekTag(head);
  if (!tag || tag.field === 0) throw notOnnx(label, 'is not a protobuf message: no valid field tag at byte 0');
  if (tag.wire === 3 || tag.wire === 4 || tag.wire > 5) {
    throw notOnnx(label, `is not a protobuf message: invalid wire type ${tag.wire} at byte 0`);
  }
  if (!ModelProto.accepts(tag.field, tag.wire)) {
    throw notOnnx(
      label,
      `is not an ONNX model: it starts with field ${tag.field} (wire type ${tag.wire}), which an ONNX ModelProto does not have`,
    );
  }
}

const ioError = (path: string, e: unknown) => fsError(e, path, { what: 'file' });

/** Opens the model and walks it once; the caller closes `src`. */
async function walkModel(path: string, opts: WalkOptions & { wholeFile?: boolean }): Promise<Walk> {
  let src: ModelSource;
  try {
    src = opts.wholeFile ? await WholeFileSource.open(path) : await FileSource.open(path);
  } catch (e) {
    throw ioError(path, e);
  }
  // The full path: users keep many files called model.onnx.
  const label = path;
  const ctx: DecodeContext = { label, fileSize: src.size };
  try {
    if (src.size === 0) throw notOnnx(label, 'is empty (0 bytes)');
    sniff(label, await src.read(0, Math.min(512, src.size)));
    const collector = new Collector(ctx, opts);
    const model = new ModelHandler(collector);
    try {
      await walkSource(src, 0, src.size, model, ctx, INLINE_LIMIT);
    } catch (e) {
      // Bytes that broke before showing an IR version or a graph were never an ONNX model.
      if (e instanceof WorkbenchError && e.code === 'CORRUPT_MODEL' && model.irVersion === null && !model.graph) {
        throw notOnnx(label, `is not an ONNX model: ${e.message.slice(label.length + 1)}`);
      }
      throw e;
    }
    if (!model.graph) {
      if (model.irVersion === null) throw notOnnx(label, 'is not an ONNX model: it has neither a graph nor an IR version');
      throw new WorkbenchError('CORRUPT_MODEL', `${label} has no graph (is the file truncated? it is ${src.size} bytes)`);
    }
    checkDeclaredSizes(label, collector, src.size);
    return { model, graph: model.graph, collector, src, ctx };
  } catch (e) {
    await src.close();
    if (e instanceof WorkbenchError) throw e;
    throw ioError(path, e);
  }
}

async function withWalk<T>(
  path: string,
  opts: WalkOptions & { wholeFile?: boolean },
  fn: (w: Walk) => Promise<T> | T,
): Promise<T> {
  const w = await walkModel(path, opts);
  try {
    return await fn(w);
  } finally {
    await w.src.close();
  }
}

function initializerInfo(e: InitializerEntry): InitializerInfo {
  const t = e.header;
  const elements = elementCount(t.dims);
  const bytes = tensorBytes(t) + (e.indices ? tensorBytes(e.indices) : 0);
  const location: InitializerInfo['location'] = isExternal(t)
    ? { kind: 'external', file: t.external.location ?? '' }
    : { kind: 'inline' };
  return { name: t.name, dtype: dtypeFromOnnx(t.dataType), shape: [...t.dims], elements, bytes, location };
}

/**
 * Where a tensor's external data may live: onnxruntime's rule, a relative path inside the
 * model's folder (subfolders allowed), never absolute, never through "..".
 */
export function externalDataPath(modelPath: string, location: string): string | null {
  if (!location || location.includes('\0') || isAbsolute(location) || /^[\\/]|^[A-Za-z]:/.test(location)) return null;
  if (location.split(/[\\/]/).some((part) => part === '..')) return null;
  return resolve(dirname(resolve(modelPath)), location);
}

/** The external file's real path when it is inside the model's real folder (links may not lead out). */
async function externalInside(modelPath: string, location: string): Promise<string | null> {
  const path = externalDataPath(modelPath, location);
  if (!path) return null;
  const [folder, target] = await Promise.all([realpath(dirname(resolve(modelPath))), realpath(path)]);
  return target.startsWith(folder.endsWith(sep) ? folder : folder + sep) ? target : null;
}

async function externalFiles(modelPath: string, entries: InitializerEntry[]): Promise<ExternalDataFile[]> {
  const byLocation = new Map<string, number>();
  for (const e of entries) {
    if (!isExternal(e.header)) continue;
    const loc = e.header.external.location ?? '';
    const len = e.header.external.length !== undefined ? Number(e.header.external.length) : tensorBytes(e.header);
    byLocation.set(loc, (byLocation.get(loc) ?? 0) + (Number.isFinite(len) ? len : 0));
  }
  const dir = dirname(resolve(modelPath));
  return Promise.all(
    [...byLocation].map(async ([location, referencedBytes]) => {
      // A location outside the model's folder is never looked at: not even whether it exists.
      const inside = await externalInside(modelPath, location).catch(() => null);
      // stat only: inspecting must never read external weights.
      const size = inside
        ? await stat(inside).then(
            (s) => (s.isFile() ? s.size : null),
            () => null,
          )
        : null;
      return {
        location,
        path: externalDataPath(modelPath, location) ?? join(dir, '(outside the model folder)'),
        size,
        referencedBytes,
      };
    }),
  );
}

/**
 * A tensor that declares more bytes than the file could hold (dims of 2^40 × 2^40) is a broken
 * model, named as such, before anything is summed, allocated or read.
 */
function checkDeclaredSizes(label: string, collector: Collector, fileSize: number): void {
  const check = (t: TensorHeader, external: boolean) => {
    const bytes = tensorBytes(t);
    const badDims = t.dims.some((d) => !Number.isSafeInteger(d) || d < 0);
    if (badDims || !Number.isSafeInteger(bytes) || bytes < 0 || (!external && bytes > fileSize)) {
      throw new WorkbenchError(
        'CORRUPT_MODEL',
        `${label}: tensor "${t.name}" declares dims [${t.dims.join(', ')}], more data than the file can hold (${fileSize} bytes)`,
      );
    }
  };
  for (const e of collector.initializers) {
    check(e.header, isExternal(e.header));
    if (e.indices) check(e.indices, isExternal(e.indices));
  }
  for (const t of collector.constants) check(t, isExternal(t));
}

function summarize(entries: InitializerEntry[], constants: TensorHeader[]): InitializerSummary {
  const s: InitializerSummary = {
    count: 0,
    parameters: 0,
    bytes: 0,
    bytesByDtype: {},
    constants: { count: 0, parameters: 0, bytes: 0 },
  };
  for (const t of constants) {
    s.constants.count++;
    s.constants.parameters += elementCount(t.dims);
    s.constants.bytes += tensorBytes(t);
  }
  for (const e of entries) {
    const info = initializerInfo(e);
    s.count++;
    s.parameters += info.elements;
    s.bytes += info.bytes;
    if (info.dtype) s.bytesByDtype[info.dtype] = (s.bytesByDtype[info.dtype] ?? 0) + info.bytes;
  }
  return s;
}

export interface ReadOptions {
  /** Read the whole file into memory before decoding (a baseline for benchmarks; never faster). */
  wholeFile?: boolean;
}

/** Everything the inspector shows about a model, without reading weights or external files. */
export async function readModelInfo(path: string, options: ReadOptions = {}): Promise<ModelInfo> {
  return withWalk(path, { nodes: false, wholeFile: options.wholeFile }, async ({ model, graph, collector, src }) => {
    const mainInits = new Set(collector.initializers.filter((e) => e.graph === '').map((e) => e.header.name));
    const metadataParsed: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(model.metadata)) {
      const parsed = parseMetadataValue(v);
      if (parsed !== undefined) metadataParsed[k] = parsed;
    }
    const info: Omit<ModelInfo, 'task'> = {
      file: { path: resolve(path), size: src.size, externalData: await externalFiles(path, collector.initializers) },
      irVersion: model.irVersion ?? 0,
      opsets: model.opsets,
      producer: model.producer,
      modelVersion: model.modelVersion,
      domain: model.domain,
      docString: model.docString,
      graphName: graph.name,
      metadata: model.metadata,
      metadataParsed,
      inputs: graph.inputs.filter((v) => !mainInits.has(v.name)),
      optionalInputs: graph.inputs.filter((v) => mainInits.has(v.name)),
      outputs: graph.outputs,
      initializers: summarize(collector.initializers, collector.constants),
      nodes: collector.nodeCount,
      ops: collector.ops,
      subgraphs: collector.subgraphs,
      functions: collector.functions,
    };
    return { ...info, task: guessTask(info) };
  });
}

/** Every node of the main graph, its subgraphs and local functions. */
export async function readNodes(path: string): Promise<NodeInfo[]> {
  return withWalk(path, { nodes: true }, ({ collector }) => collector.nodes());
}

/** The whole graph structure for the Graph tab: nodes (in readNodes order), tensors, scopes. */
export async function readGraph(path: string): Promise<GraphData> {
  return withWalk(path, { nodes: true, graphs: true }, ({ collector }) => {
    const nodes = collector.nodes();
    const index = new Map(nodes.map((n, i) => [n, i]));
    const byLabel = new Map<string, RawGraph['initializers']>();
    for (const e of collector.initializers) {
      const list = byLabel.get(e.graph) ?? [];
      list.push({ name: e.header.name, dtype: dtypeFromOnnx(e.header.dataType), shape: [...e.header.dims] });
      byLabel.set(e.graph, list);
    }
    // The main graph first (functions may come before it in the file).
    const ordered = [...collector.graphs].sort((a, b) => Number(a.kind !== 'main') - Number(b.kind !== 'main'));
    const graphs: RawGraph[] = ordered.map((g) => {
      const label = g.label();
      return {
        kind: g.kind,
        label,
        owner: g.owner ? (index.get(g.owner) ?? -1) : -1,
        attr: g.attr(),
        inputs: g.inputs,
        outputs: g.outputs,
        valueInfo: g.valueInfo,
        initializers: byLabel.get(label) ?? [],
        formalInputs: g.formalInputs,
        formalOutputs: g.formalOutputs,
      };
    });
    return compactGraph(graphs, nodes);
  });
}

/** Every initializer (main graph first, then subgraphs), without values. */
export async function readInitializers(path: string): Promise<InitializerInfo[]> {
  return withWalk(path, { nodes: false }, ({ collector }) => collector.initializers.map(initializerInfo));
}

async function readExternal(modelPath: string, label: string, t: TensorHeader, expected: number): Promise<Uint8Array> {
  const location = t.external.location ?? '';
  const offset = Number(t.external.offset ?? 0);
  const length = t.external.length !== undefined ? Number(t.external.length) : expected;
  if (!location) throw new WorkbenchError('EXTERNAL_DATA', `${label}: tensor "${t.name}" is marked external but names no file`);
  const file = externalDataPath(modelPath, location);
  if (!file) {
    throw new WorkbenchError(
      'EXTERNAL_DATA',
      `${label}: tensor "${t.name}" stores its data in "${location}", outside the model's folder; external data must be a file in the model's folder (as onnxruntime requires)`,
    );
  }
  const what = `${label}: tensor "${t.name}" stores its data in "${location}" (${file})`;
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new WorkbenchError(
      'EXTERNAL_DATA',
      `${what} with an invalid offset/length (${t.external.offset}/${t.external.length})`,
    );
  }
  if (length !== expected) {
    throw new WorkbenchError('CORRUPT_MODEL', `${what} as ${length} bytes, but its dims [${t.dims.join(', ')}] need ${expected}`);
  }
  let ext: FileSource;
  try {
    const inside = await externalInside(modelPath, location);
    if (!inside) {
      throw new WorkbenchError('EXTERNAL_DATA', `${what}, which is a link that leads out of the model's folder`);
    }
    // The real path, opened without following a link swapped in since.
    ext = await FileSource.open(inside, undefined, { what: 'an external data file', noFollow: true });
  } catch (e) {
    if (e instanceof WorkbenchError) {
      throw e.code === 'EXTERNAL_DATA' ? e : new WorkbenchError('EXTERNAL_DATA', `${what}: ${e.message}`);
    }
    const code = (e as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new WorkbenchError('EXTERNAL_DATA', `${what}, which does not exist`);
    throw new WorkbenchError('EXTERNAL_DATA', `${what}, which cannot be read: ${(e as Error).message}`);
  }
  try {
    if (ext.size < offset + length) {
      throw new WorkbenchError(
        'EXTERNAL_DATA',
        `${what} at bytes ${offset}..${offset + length}, but that file is only ${ext.size} bytes`,
      );
    }
    return await ext.read(offset, length);
  } finally {
    await ext.close();
  }
}

/** One initializer's values; float16/bfloat16 come back as Float32Array. */
export async function readInitializerData(path: string, name: string): Promise<{ info: InitializerInfo; data: TensorData }> {
  return withWalk(path, { nodes: false }, async ({ collector, src, ctx }) => {
    const entry = collector.initializers.find((e) => e.header.name === name);
    if (!entry) throw new WorkbenchError('NOT_FOUND', `${ctx.label} has no initializer named "${name}"`);
    const info = initializerInfo(entry);
    const t = entry.header;
    const dtype: DType | null = info.dtype;
    if (!dtype)
      throw new WorkbenchError('CORRUPT_MODEL', `${ctx.label}: initializer "${name}" has unknown data type ${t.dataType}`);
    const expected = tensorBytes(t);
    const checkRaw = (bytes: Uint8Array, where: string): Uint8Array => {
      if (bytes.length !== expected) {
        throw new WorkbenchError(
          'CORRUPT_MODEL',
          `${ctx.label} is inconsistent: tensor "${name}" has ${bytes.length} bytes ${where} but its dims [${t.dims.join(', ')}] × ${dtype} need ${expected}`,
        );
      }
      return bytes;
    };
    if (isExternal(t)) {
      const bytes = await readExternal(path, ctx.label, t, expected);
      return { info, data: decodeRaw(dtype, checkRaw(bytes, 'of external data'), info.elements) };
    }
    if (t.raw) {
      const bytes = await src.read(t.raw.offset, t.raw.length);
      return { info, data: decodeRaw(dtype, checkRaw(bytes, `of raw_data at byte ${t.raw.offset}`), info.elements) };
    }
    return { info, data: await decodeTyped(t, dtype, info.elements, src, ctx) };
  });
}
