// GraphProto, NodeProto, AttributeProto and FunctionProto handlers. One walk collects what
// every public call needs: counts, op histogram, nodes (optionally) and initializer headers.

import type { NodeInfo, ValueInfo } from '../../../shared/model-info';
import {
  SKIP,
  bigI64,
  corrupt,
  forEachPackedVarint,
  i64,
  isSafeU64,
  text,
  type DecodeContext,
  type LenAction,
  type MessageHandler,
} from './protobuf';
import { AttributeProto, FunctionProto, GraphProto, NodeProto, OperatorSetIdProto, SparseTensorProto } from './onnx-proto';
import { TensorHandler, dtypeFromOnnx, type TensorHeader } from './tensor-proto';
import { TypeHandler, ValueInfoHandler } from './value-info';

const G = GraphProto.field;
const N = NodeProto.field;
const A = AttributeProto.field;
const FN = FunctionProto.field;
const OpsetProto = OperatorSetIdProto.field;
const SP = SparseTensorProto.field;

/** Subgraphs (If/Loop/Scan bodies) may nest at most this deep. */
export const MAX_GRAPH_DEPTH = 64;

export interface WalkOptions {
  /** Build NodeInfo rows (with attribute summaries). */
  nodes: boolean;
  /** Also keep every graph's inputs, outputs and value_info, and who owns each subgraph (the Graph tab). */
  graphs?: boolean;
}

/** One graph met during the walk (with `graphs`): the main graph, a subgraph or a local function. */
export interface GraphRecord {
  kind: 'main' | 'subgraph' | 'function';
  label: Path;
  /** The node whose attribute holds this subgraph. */
  owner: NodeInfo | null;
  /** The attribute's name (`then_branch`, `body`), or the function's `domain::name`. */
  attr: () => string;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  valueInfo: ValueInfo[];
  /** A function's formal inputs and outputs (names only). */
  formalInputs: string[];
  formalOutputs: string[];
}

export interface InitializerEntry {
  header: TensorHeader;
  graph: string;
  /** For sparse initializers: the indices tensor. */
  indices?: TensorHeader;
}

type Path = () => string;

export class Collector {
  nodeCount = 0;
  ops: Record<string, number> = {};
  subgraphs = 0;
  functions: string[] = [];
  initializers: InitializerEntry[] = [];
  /** Tensors held in Constant nodes: some exporters (Paddle2ONNX) keep every weight there. */
  constants: TensorHeader[] = [];
  private pendingNodes: { info: NodeInfo; graph: Path }[] = [];
  /** With `graphs`: every graph in the order met (the main graph first). */
  readonly graphs: GraphRecord[] = [];
  constructor(
    readonly ctx: DecodeContext,
    readonly opts: WalkOptions,
  ) {}

  /** Called when a node starts, so rows keep file order (a parent before its subgraph's nodes). */
  startNode(info: NodeInfo, graph: Path): void {
    if (this.opts.nodes) this.pendingNodes.push({ info, graph });
  }

  /** Called when a node ends, once its op type and domain are known. */
  endNode(info: NodeInfo): void {
    this.nodeCount++;
    const key = info.domain && info.domain !== 'ai.onnx' ? `${info.domain}::${info.opType}` : info.opType;
    this.ops[key] = (this.ops[key] ?? 0) + 1;
  }

  /**
   * Nodes with their graph labels resolved (labels may depend on fields that came later): the
   * objects the walk filled (GraphRecord.owner points at them), not copies of 100k rows.
   */
  nodes(): NodeInfo[] {
    return this.pendingNodes.map(({ info, graph }) => {
      info.graph = graph();
      return info;
    });
  }
}

/** GraphProto. The main graph also keeps its inputs and outputs. */
export class GraphHandler implements MessageHandler {
  readonly proto = GraphProto;
  name = '';
  inputs: ValueInfo[] = [];
  outputs: ValueInfo[] = [];
  /** Direct nodes of this graph. */
  nodeCount = 0;
  private readonly record: GraphRecord | null = null;
  constructor(
    private readonly c: Collector,
    private readonly path: Path,
    private readonly depth: number,
    private readonly isMain: boolean,
    owner: { node: NodeInfo; attr: () => string } | null = null,
  ) {
    if (c.opts.graphs) {
      this.record = {
        kind: isMain ? 'main' : 'subgraph',
        label: path,
        owner: owner?.node ?? null,
        attr: owner?.attr ?? (() => ''),
        inputs: this.inputs,
        outputs: this.outputs,
        valueInfo: [],
        formalInputs: [],
        formalOutputs: [],
      };
      c.graphs.push(this.record);
    }
  }

  len(field: number): LenAction {
    switch (field) {
      case G.node:
        return { kind: 'message', handler: new NodeHandler(this.c, this.path, this.nodeCount++, this.depth) };
      case G.name:
        return {
          kind: 'bytes',
          accept: (d) => {
            this.name = text(d);
          },
        };
      case G.initializer:
        return {
          kind: 'message',
          handler: new TensorHandler(this.c.ctx, (t) => this.c.initializers.push({ header: t, graph: this.path() })),
        };
      case G.sparse_initializer:
        return {
          kind: 'message',
          handler: new SparseTensorHandler(this.c.ctx, (e) => this.c.initializers.push({ ...e, graph: this.path() })),
        };
      case G.input:
        return this.isMain || this.record ? { kind: 'message', handler: new ValueInfoHandler((v) => this.inputs.push(v)) } : SKIP;
      case G.output:
        return this.isMain || this.record
          ? { kind: 'message', handler: new ValueInfoHandler((v) => this.outputs.push(v)) }
          : SKIP;
      case G.value_info: {
        const record = this.record;
        return record ? { kind: 'message', handler: new ValueInfoHandler((v) => record.valueInfo.push(v)) } : SKIP;
      }
      default:
        return SKIP;
    }
  }
}

class SparseTensorHandler implements MessageHandler {
  readonly proto = SparseTensorProto;
  private values: TensorHeader | null = null;
  private indices: TensorHeader | null = null;
  private dims: number[] = [];
  constructor(
    private readonly ctx: DecodeContext,
    private readonly onEnd: (e: { header: TensorHeader; indices?: TensorHeader }) => void,
  ) {}
  varint(field: number, lo: number, hi: number): void {
    if (field === SP.dims) this.dims.push(i64(lo, hi));
  }
  len(field: number): LenAction {
    if (field === SP.values)
      return {
        kind: 'message',
        handler: new TensorHandler(this.ctx, (t) => {
          this.values = t;
        }),
      };
    if (field === SP.indices)
      return {
        kind: 'message',
        handler: new TensorHandler(this.ctx, (t) => {
          this.indices = t;
        }),
      };
    if (field === SP.dims)
      return { kind: 'bytes', accept: (d, a) => forEachPackedVarint(d, a, this.ctx, (lo, hi) => this.dims.push(i64(lo, hi))) };
    return SKIP;
  }
  end(): void {
    if (!this.values) return;
    // The dense shape is what a user thinks of; the stored values keep their own dims.
    const header = { ...this.values, dims: this.values.dims };
    this.onEnd(this.indices ? { header, indices: this.indices } : { header });
  }
}

/** NodeProto. */
export class NodeHandler implements MessageHandler {
  readonly proto = NodeProto;
  readonly info: NodeInfo = { graph: '', name: '', opType: '', domain: '', inputs: [], outputs: [], attributes: {} };
  /** Tensor-valued attributes seen, kept until the op type is known to be Constant. */
  readonly tensors: TensorHeader[] = [];
  constructor(
    private readonly c: Collector,
    private readonly graph: Path,
    private readonly index: number,
    private readonly depth: number,
  ) {
    c.startNode(this.info, graph);
  }

  /** Label for subgraphs of this node: "If_3/then_branch" under the parent graph's label. */
  label(): string {
    const own = this.info.name || `${this.info.opType}_${this.index}`;
    const parent = this.graph();
    return parent ? `${parent}/${own}` : own;
  }

  len(field: number): LenAction {
    const n = this.info;
    switch (field) {
      case N.input:
        return {
          kind: 'bytes',
          accept: (d) => {
            n.inputs.push(text(d));
          },
        };
      case N.output:
        return {
          kind: 'bytes',
          accept: (d) => {
            n.outputs.push(text(d));
          },
        };
      case N.name:
        return {
          kind: 'bytes',
          accept: (d) => {
            n.name = text(d);
          },
        };
      case N.op_type:
        return {
          kind: 'bytes',
          accept: (d) => {
            n.opType = text(d);
          },
        };
      case N.domain:
        return {
          kind: 'bytes',
          accept: (d) => {
            n.domain = text(d);
          },
        };
      case N.attribute:
        return { kind: 'message', handler: new AttributeHandler(this.c, this, this.depth) };
      default:
        return SKIP;
    }
  }

  end(): void {
    if (this.info.opType === 'Constant' && (this.info.domain === '' || this.info.domain === 'ai.onnx')) {
      this.c.constants.push(...this.tensors);
    }
    this.c.endNode(this.info);
  }
}

const MAX_LIST = 16;
const MAX_TEXT = 80;

function cutList(items: string[], total: number): string {
  const more = total > items.length ? `, … +${total - items.length} more` : '';
  return `[${items.join(', ')}${more}]`;
}

function fmtFloat(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(7))) : String(x);
}

function fmtInt(lo: number, hi: number): string {
  const n = i64(lo, hi);
  return Number.isSafeInteger(n) ? String(n) : bigI64(lo, hi).toString();
}

function fmtString(d: Uint8Array): string {
  const s = text(d);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000e-\u001f\ufffd]/.test(s)) return `<${d.length} bytes>`;
  return JSON.stringify(s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}…` : s);
}

/** AttributeProto: walks graph attributes as subgraphs; summarises values when nodes are wanted. */
class AttributeHandler implements MessageHandler {
  readonly proto = AttributeProto;
  private name = '';
  private value = '';
  private list: string[] = [];
  private listTotal = 0;
  private listKind = '';
  private graphs = 0;
  private lastGraph: GraphHandler | null = null;
  private typeHandler: TypeHandler | null = null;
  private readonly want: boolean;
  constructor(
    private readonly c: Collector,
    private readonly node: NodeHandler,
    private readonly depth: number,
  ) {
    this.want = c.opts.nodes;
  }

  private push(kind: string, item: () => string): void {
    this.listKind = kind;
    this.listTotal++;
    if (this.list.length < MAX_LIST) this.list.push(item());
  }

  varint(field: number, lo: number, hi: number): void {
    if (!this.want) return;
    if (field === A.i) this.value = fmtInt(lo, hi);
    else if (field === A.ints) this.push('ints', () => fmtInt(lo, hi));
  }

  fixed32(field: number, d: Uint8Array): void {
    if (!this.want) return;
    const x = new DataView(d.buffer, d.byteOffset, 4).getFloat32(0, true);
    if (field === A.f) this.value = fmtFloat(x);
    else if (field === A.floats) this.push('floats', () => fmtFloat(x));
  }

  /** A graph attribute: `g` (listIndex null) or one entry of `graphs`. */
  private subgraph(at: number, listIndex: number | null): LenAction {
    if (this.depth + 1 > MAX_GRAPH_DEPTH) {
      throw corrupt(this.c.ctx, `is corrupt: subgraphs nest deeper than ${MAX_GRAPH_DEPTH} levels at byte ${at}`);
    }
    this.c.subgraphs++;
    const node = this.node;
    const attr = () => `${this.name}${listIndex === null ? '' : `[${listIndex}]`}`;
    const path: Path = () => `${node.label()}/${attr()}`;
    this.lastGraph = new GraphHandler(this.c, path, this.depth + 1, false, { node: node.info, attr });
    return { kind: 'message', handler: this.lastGraph };
  }

  len(field: number, length: number, at: number): LenAction {
    switch (field) {
      case A.name:
        return {
          kind: 'bytes',
          accept: (d) => {
            this.name = text(d);
          },
        };
      case A.g:
        return this.subgraph(at, null);
      case A.graphs:
        this.listKind = 'graphs';
        return this.subgraph(at, this.graphs++);
    }
    if (field === A.t) {
      // Header only (its data is skipped by seeking): it may be a Constant node's weight.
      return {
        kind: 'message',
        handler: new TensorHandler(this.c.ctx, (t) => {
          this.node.tensors.push(t);
          if (this.want) this.value = `tensor ${dtypeFromOnnx(t.dataType) ?? 'unknown'}[${t.dims.join(',')}]`;
        }),
      };
    }
    if (!this.want) return SKIP;
    switch (field) {
      case A.s:
        return {
          kind: 'bytes',
          accept: (d) => {
            this.value = fmtString(d);
          },
        };
      case A.ref_attr_name:
        return {
          kind: 'bytes',
          accept: (d) => {
            this.value = `ref(${text(d)})`;
          },
        };
      case A.strings:
        return { kind: 'bytes', accept: (d) => this.push('strings', () => fmtString(d)) };
      case A.floats: {
        // Packed floats: decode only the first few.
        this.listKind = 'floats';
        const total = length >> 2;
        return {
          kind: 'bytes',
          accept: (d) => {
            const dv = new DataView(d.buffer, d.byteOffset, d.length);
            for (let k = 0; k < Math.min(total, MAX_LIST - this.list.length); k++)
              this.list.push(fmtFloat(dv.getFloat32(k * 4, true)));
            this.listTotal += total;
          },
        };
      }
      case A.ints:
        this.listKind = 'ints';
        return {
          kind: 'bytes',
          accept: (d, a) => forEachPackedVarint(d, a, this.c.ctx, (lo, hi) => this.push('ints', () => fmtInt(lo, hi))),
        };
      case A.tensors:
        this.listKind = 'tensors';
        this.listTotal++;
        return SKIP;
      case A.sparse_tensor:
        this.value = 'sparse tensor';
        return SKIP;
      case A.sparse_tensors:
        this.listKind = 'sparse tensors';
        this.listTotal++;
        return SKIP;
      case A.tp:
        this.typeHandler = new TypeHandler();
        return { kind: 'message', handler: this.typeHandler };
      case A.type_protos:
        this.listKind = 'type protos';
        this.listTotal++;
        return SKIP;
      default:
        return SKIP;
    }
  }

  end(): void {
    if (!this.want) return;
    let v = this.value;
    if (this.typeHandler) v = this.typeHandler.result().label;
    else if (this.listKind === 'graphs') v = `${this.graphs} graphs`;
    else if (this.lastGraph) v = `graph ${JSON.stringify(this.lastGraph.name)} (${this.lastGraph.nodeCount} nodes)`;
    else if (this.listKind === 'ints' || this.listKind === 'floats' || this.listKind === 'strings')
      v = cutList(this.list, this.listTotal);
    else if (this.listKind) v = `${this.listTotal} ${this.listKind}`;
    this.node.info.attributes[this.name] = v;
  }
}

/** FunctionProto: its nodes count like any others, labelled "fn:domain::name". */
export class FunctionHandler implements MessageHandler {
  readonly proto = FunctionProto;
  private name = '';
  private domain = '';
  private nodes = 0;
  private readonly record: GraphRecord | null = null;
  constructor(private readonly c: Collector) {
    if (c.opts.graphs) {
      const label = () => `fn:${this.domain}::${this.name}`;
      this.record = {
        kind: 'function',
        label,
        owner: null,
        attr: () => `${this.domain}::${this.name}`,
        inputs: [],
        outputs: [],
        valueInfo: [],
        formalInputs: [],
        formalOutputs: [],
      };
      c.graphs.push(this.record);
    }
  }
  len(field: number): LenAction {
    const record = this.record;
    if (record && (field === FN.input || field === FN.output)) {
      const list = field === FN.input ? record.formalInputs : record.formalOutputs;
      return { kind: 'bytes', accept: (d) => void list.push(text(d)) };
    }
    if (record && field === FN.value_info)
      return { kind: 'message', handler: new ValueInfoHandler((v) => record.valueInfo.push(v)) };
    if (field === FN.name)
      return {
        kind: 'bytes',
        accept: (d) => {
          this.name = text(d);
        },
      };
    if (field === FN.domain)
      return {
        kind: 'bytes',
        accept: (d) => {
          this.domain = text(d);
        },
      };
    if (field === FN.node)
      return { kind: 'message', handler: new NodeHandler(this.c, () => `fn:${this.domain}::${this.name}`, this.nodes++, 0) };
    return SKIP;
  }
  end(): void {
    this.c.functions.push(`${this.domain}::${this.name}`);
  }
}

export class OpsetHandler implements MessageHandler {
  readonly proto = OperatorSetIdProto;
  private domain = '';
  private version = 0;
  constructor(
    private readonly ctx: DecodeContext,
    private readonly onEnd: (o: { domain: string; version: number }) => void,
  ) {}
  varint(field: number, lo: number, hi: number, at: number): void {
    if (field !== OpsetProto.version) return;
    if (!isSafeU64(hi)) throw corrupt(this.ctx, `is corrupt: opset version at byte ${at} is out of range`);
    this.version = i64(lo, hi);
  }
  len(field: number): LenAction {
    if (field === OpsetProto.domain)
      return {
        kind: 'bytes',
        accept: (d) => {
          this.domain = text(d);
        },
      };
    return SKIP;
  }
  end(): void {
    this.onEnd({ domain: this.domain, version: this.version });
  }
}
