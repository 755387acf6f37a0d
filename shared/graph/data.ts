// The Graph tab's wire format: every node and tensor of a model as compact columns (a 100k-node
// model is a few arrays, not 100k objects), with each tensor reference resolved to its graph.
import type { DType, Dim, NodeInfo, ValueInfo } from '../model-info';

export type GraphKind = 'main' | 'subgraph' | 'function';

export interface GraphScope {
  kind: GraphKind;
  /** As in NodeInfo.graph: "" for the main graph, "If_3/then_branch", "fn:domain::name". */
  label: string;
  /** For a subgraph: the node (index) whose attribute holds it; else -1. */
  owner: number;
  /** The attribute's name (`then_branch`, `body`), or a function's `domain::name`. */
  attr: string;
  /** The enclosing graph (a subgraph sees its names); -1 for the main graph and functions. */
  parent: number;
  /** Tensor ids of the graph's inputs (without weights) and outputs; a function's formal ones. */
  inputs: number[];
  outputs: number[];
}

export interface GraphData {
  graphs: GraphScope[];
  /** Op types; other domains as "domain::Op" (as ModelInfo.ops). */
  ops: string[];
  /** Nodes in NodeInfo order (model.nodes): node i here is row i of the Nodes table. */
  node: {
    name: string[];
    op: number[];
    graph: number[];
    /** Inputs of node i: ins[inStart[i] .. inStart[i + 1]]; -1 for an empty (skipped) optional input. */
    inStart: number[];
    ins: number[];
    outStart: number[];
    outs: number[];
    attrs: Record<string, string>[];
  };
  tensor: {
    name: string[];
    graph: number[];
    dtype: (DType | null)[];
    shape: (Dim[] | null)[];
    /** 1 for an initializer (weight). */
    weight: number[];
  };
}

/** One graph as the reader met it. */
export interface RawGraph {
  kind: GraphKind;
  label: string;
  /** Index of the owner node in the node list, or -1. */
  owner: number;
  attr: string;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  valueInfo: ValueInfo[];
  initializers: { name: string; dtype: DType | null; shape: number[] }[];
  formalInputs: string[];
  formalOutputs: string[];
}

const opKey = (n: NodeInfo) => (n.domain && n.domain !== 'ai.onnx' ? `${n.domain}::${n.opType}` : n.opType);

/**
 * Resolves every name to a tensor of the graph that defines it: its own graph first, then the
 * enclosing graphs (a subgraph reads outer names); a name defined nowhere becomes a tensor of the
 * graph that uses it.
 */
export function compactGraph(graphs: RawGraph[], nodes: NodeInfo[]): GraphData {
  const graphIndex = new Map(graphs.map((g, i) => [g.label, i]));
  const nodeGraph = nodes.map((n) => graphIndex.get(n.graph) ?? 0);
  const parent = graphs.map((g) => (g.kind === 'subgraph' && g.owner >= 0 ? nodeGraph[g.owner] : -1));
  const data: GraphData = {
    graphs: [],
    ops: [],
    node: { name: [], op: [], graph: nodeGraph, inStart: [0], ins: [], outStart: [0], outs: [], attrs: [] },
    tensor: { name: [], graph: [], dtype: [], shape: [], weight: [] },
  };
  const t = data.tensor;
  const scopes = graphs.map(() => new Map<string, number>());
  const define = (g: number, name: string): number => {
    let id = scopes[g].get(name);
    if (id === undefined) {
      id = t.name.length;
      scopes[g].set(name, id);
      t.name.push(name);
      t.graph.push(g);
      t.dtype.push(null);
      t.shape.push(null);
      t.weight.push(0);
    }
    return id;
  };
  const lookup = (g: number, name: string): number => {
    for (let s = g; s >= 0; s = parent[s]) {
      const id = scopes[s].get(name);
      if (id !== undefined) return id;
    }
    return define(g, name);
  };

  const describe = (g: number, v: { name: string; dtype: DType | null; shape: Dim[] | null }, outer = false) => {
    const id = outer ? lookup(g, v.name) : define(g, v.name);
    if (v.dtype) t.dtype[id] = v.dtype;
    if (v.shape) t.shape[id] = v.shape;
    return id;
  };
  graphs.forEach((g, gi) => {
    for (const w of g.initializers) t.weight[describe(gi, w)] = 1;
    for (const name of g.formalInputs) define(gi, name);
    for (const v of g.inputs) describe(gi, v);
  });
  nodes.forEach((n, i) => {
    for (const o of n.outputs) if (o) define(nodeGraph[i], o);
  });
  graphs.forEach((g, gi) => {
    for (const v of [...g.valueInfo, ...g.outputs]) describe(gi, v, true);
  });

  const opIndex = new Map<string, number>();
  nodes.forEach((n, i) => {
    const key = opKey(n);
    let op = opIndex.get(key);
    if (op === undefined) {
      op = data.ops.length;
      opIndex.set(key, op);
      data.ops.push(key);
    }
    const d = data.node;
    d.name.push(n.name);
    d.op.push(op);
    d.attrs.push(n.attributes);
    for (const name of n.inputs) d.ins.push(name ? lookup(nodeGraph[i], name) : -1);
    d.inStart.push(d.ins.length);
    for (const name of n.outputs) d.outs.push(name ? lookup(nodeGraph[i], name) : -1);
    d.outStart.push(d.outs.length);
  });

  data.graphs = graphs.map((g, gi) => {
    const weights = new Set(g.initializers.map((w) => w.name));
    const inputs = g.kind === 'function' ? g.formalInputs : g.inputs.map((v) => v.name).filter((n) => !weights.has(n));
    const outputs = g.kind === 'function' ? g.formalOutputs : g.outputs.map((v) => v.name);
    return {
      kind: g.kind,
      label: g.label,
      owner: g.owner,
      attr: g.attr,
      parent: parent[gi],
      inputs: inputs.map((n) => lookup(gi, n)),
      outputs: outputs.map((n) => lookup(gi, n)),
    };
  });
  return data;
}
