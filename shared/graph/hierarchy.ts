// Groups a model's nodes for the Graph tab: by name scope (`/encoder/layer.3/attn/MatMul` →
// encoder › layer.3 › attn), by subgraph (If/Loop/Scan bodies, beside the node that owns them) and by
// local function; any group with too many children is cut into runs of the file's (topological)
// order, so that every level, and the first view, stays a readable number of boxes.
import type { GraphModel } from './model';

export type GroupKind = 'root' | 'scope' | 'run' | 'subgraph' | 'function';

export interface Group {
  id: number;
  kind: GroupKind;
  /** Short name shown on the box ("layer.3", "If_2 › then_branch", "nodes 401–800"). */
  label: string;
  /** Full path from the root, for tooltips and exports. */
  title: string;
  parent: number;
  children: number[];
  /** Nodes anywhere inside. */
  nodeCount: number;
}

export interface IoItem {
  kind: 'input' | 'output';
  tensor: number;
}

/** At most this many children per group; more are cut into runs. */
export const MAX_CHILDREN = 40;
/** The first view expands groups while at most this many boxes show. */
export const OVERVIEW_BUDGET = 150;

/**
 * Item ids: node i is item i; the main graph's inputs and outputs follow (IoItem); then groups.
 * Every item has one parent group; the root's parent is -1.
 */
export class GraphHierarchy {
  readonly nodeCount: number;
  readonly io: IoItem[] = [];
  readonly groups: Group[] = [];
  readonly root: number;
  /** Parent group of every item (nodes, io, groups), -1 for the root. */
  parent: number[] = [];
  /** Item-level edges: tensor connections (tensor -1: a subgraph beside its owner node). */
  readonly edges: { from: number[]; to: number[]; tensor: number[] } = { from: [], to: [], tensor: [] };
  private readonly ioOfTensor = new Map<number, number[]>();

  constructor(readonly model: GraphModel) {
    this.nodeCount = model.nodeCount;
    const data = model.data;
    const main = data.graphs[0];
    if (main) {
      for (const t of main.inputs) this.addIo('input', t);
      for (const t of main.outputs) this.addIo('output', t);
    }
    this.parent = new Array(this.nodeCount + this.io.length).fill(-1);
    this.root = this.newGroup('root', data.graphs[0]?.label || 'graph', -1);

    // One container per graph: the root, a group per subgraph, a group per function.
    const containers = data.graphs.map((g, gi) => {
      if (gi === 0) return this.root;
      if (g.kind === 'function') return this.newGroup('function', `function ${g.attr}`, -1);
      const owner = g.owner >= 0 ? model.opType(g.owner) + (model.name(g.owner) ? ` ${model.name(g.owner)}` : '') : g.label;
      return this.newGroup('subgraph', `${owner} › ${g.attr}`, -1);
    });
    const subgraphsOf = new Map<number, number[]>();
    data.graphs.forEach((g, gi) => {
      if (gi > 0 && g.kind === 'subgraph' && g.owner >= 0) {
        subgraphsOf.set(g.owner, [...(subgraphsOf.get(g.owner) ?? []), containers[gi]]);
      }
    });

    const rootGroup = this.group(this.root);
    for (let k = 0; k < this.io.length; k++) if (this.io[k].kind === 'input') this.attach(this.nodeCount + k, rootGroup);
    const constant = data.ops.indexOf('Constant');
    // Scope groups by (container, name prefix): one lookup per node, as scopeOf splits the name.
    const scopes = new Map<number, Map<string, number>>();
    const scopeGroup = (container: number, prefix: string): number => {
      let byPrefix = scopes.get(container);
      if (!byPrefix) scopes.set(container, (byPrefix = new Map()));
      let g = byPrefix.get(prefix);
      if (g !== undefined) return g;
      const cut = prefix.lastIndexOf('/');
      const parent = cut < 0 ? container : scopeGroup(container, prefix.slice(0, cut));
      const part = prefix.slice(cut + 1);
      if (part === '') g = parent;
      else {
        g = this.newGroup('scope', part, -1);
        this.attach(g, this.group(parent));
      }
      byPrefix.set(prefix, g);
      return g;
    };
    for (let i = 0; i < this.nodeCount; i++) {
      // Constant nodes are drawn as what they are, weights: listed on the nodes that read them.
      if (data.node.op[i] === constant && model.inputCount(i) === 0) continue;
      const container = containers[model.graphOf(i)] ?? this.root;
      let name = model.name(i);
      let end = name.length;
      while (end > 0 && name.charCodeAt(end - 1) === 47) end--; // trailing "/": scopeOf ignores them
      if (end < name.length) name = name.slice(0, end);
      const cut = name.lastIndexOf('/');
      const at = this.group(cut < 0 ? container : scopeGroup(container, name.slice(0, cut)));
      this.attach(i, at);
      for (const sub of subgraphsOf.get(i) ?? []) this.attach(sub, at);
    }
    data.graphs.forEach((g, gi) => {
      const c = containers[gi];
      if (gi > 0 && this.parent[c] === -1 && c !== this.root) this.attach(c, rootGroup);
    });
    for (let k = 0; k < this.io.length; k++) if (this.io[k].kind === 'output') this.attach(this.nodeCount + k, rootGroup);

    this.simplify(this.root);
    this.cutRuns(this.root);
    this.count(this.root);
    this.titles(this.root, '');
    this.depth = new Int32Array(this.parent.length).fill(-1);
    this.childIndex = new Int32Array(this.parent.length).fill(-1);
    this.depths(this.root, 0);
    this.buildEdges(subgraphsOf);
  }

  /** Depth of every item below the root (0), -1 for items outside the tree (Constant nodes). */
  readonly depth: Int32Array;

  /** Position of every item in its parent's children (-1 outside the tree). */
  readonly childIndex: Int32Array;

  private depths(g: number, d: number): void {
    this.depth[g] = d;
    const children = this.group(g).children;
    for (let k = 0; k < children.length; k++) {
      const c = children[k];
      this.childIndex[c] = k;
      if (this.isGroup(c)) this.depths(c, d + 1);
      else this.depth[c] = d + 1;
    }
  }

  private addIo(kind: IoItem['kind'], tensor: number): void {
    const id = this.io.length;
    this.io.push({ kind, tensor });
    this.ioOfTensor.set(tensor, [...(this.ioOfTensor.get(tensor) ?? []), id]);
  }

  private newGroup(kind: GroupKind, label: string, parent: number): number {
    const id = this.nodeCount + this.io.length + this.groups.length;
    this.groups.push({ id, kind, label, title: label, parent, children: [], nodeCount: 0 });
    this.parent[id] = parent;
    return id;
  }

  private attach(item: number, g: Group): void {
    g.children.push(item);
    this.parent[item] = g.id;
    if (this.isGroup(item)) this.group(item).parent = g.id;
  }

  /** A Constant node (no box of its own; its consumers list it as an input): the one node outside the tree. */
  isHidden(item: number): boolean {
    return this.isNode(item) && this.parent[item] === -1;
  }

  isGroup(item: number): boolean {
    return item >= this.nodeCount + this.io.length;
  }
  isNode(item: number): boolean {
    return item >= 0 && item < this.nodeCount;
  }
  ioItem(item: number): IoItem | null {
    return item >= this.nodeCount && item < this.nodeCount + this.io.length ? this.io[item - this.nodeCount] : null;
  }
  group(item: number): Group {
    return this.groups[item - this.nodeCount - this.io.length];
  }
  /** The io items (as item ids) of a tensor that is a graph input or output. */
  ioItemsOf(tensor: number): number[] {
    return (this.ioOfTensor.get(tensor) ?? []).map((k) => this.nodeCount + k);
  }

  /** Groups from the root down to the item's parent. */
  ancestors(item: number): number[] {
    const out: number[] = [];
    for (let g = this.parent[item]; g >= 0; g = this.parent[g]) out.push(g);
    return out.reverse();
  }

  /** The child of group g that holds item, or -1 when item is not inside g. */
  childOf(g: number, item: number): number {
    let at = item;
    while (at >= 0 && this.parent[at] !== g) at = this.parent[at];
    return at;
  }

  /** A scope with one child is that child ("a › b" when both are scopes); subgraphs and functions stay. */
  private simplify(g: number): number {
    const group = this.group(g);
    group.children = group.children.map((c) => (this.isGroup(c) ? this.simplify(c) : c));
    for (const c of group.children) this.parent[c] = g;
    for (const c of group.children) if (this.isGroup(c)) this.group(c).parent = g;
    if (group.kind !== 'scope' || group.children.length !== 1) return g;
    const only = group.children[0];
    if (this.isGroup(only) && this.group(only).kind === 'scope')
      this.group(only).label = `${group.label} › ${this.group(only).label}`;
    return only;
  }

  /** Cuts long child lists into runs (in file order), recursively, so no group has more than MAX_CHILDREN. */
  private cutRuns(g: number): void {
    const group = this.group(g);
    for (const c of group.children) if (this.isGroup(c)) this.cutRuns(c);
    const io = group.children.filter((c) => this.ioItem(c));
    let items = group.children.filter((c) => !this.ioItem(c));
    if (items.length > MAX_CHILDREN) {
      // Few runs of similar size when that fits (63 → 2 × 32), else MAX_CHILDREN runs cut again.
      const runs0 = Math.ceil(items.length / MAX_CHILDREN);
      const size = runs0 <= MAX_CHILDREN ? Math.ceil(items.length / runs0) : Math.ceil(items.length / MAX_CHILDREN);
      const runs: number[] = [];
      for (let k = 0; k < items.length; k += size) {
        const run = this.newGroup('run', '', g);
        for (const c of items.slice(k, k + size)) this.attach(c, this.group(run));
        runs.push(run);
      }
      for (const run of runs) this.cutRuns(run);
      items = runs;
    }
    const inputs = io.filter((c) => this.ioItem(c)!.kind === 'input');
    const outputs = io.filter((c) => this.ioItem(c)!.kind === 'output');
    group.children = [...inputs, ...items, ...outputs];
    for (const c of group.children) {
      this.parent[c] = g;
      if (this.isGroup(c)) this.group(c).parent = g;
    }
  }

  private firstNode = new Map<number, number>();
  private lastNode = new Map<number, number>();

  private count(g: number): void {
    const group = this.group(g);
    let n = 0;
    let first = Infinity;
    let last = -1;
    for (const c of group.children) {
      if (this.isGroup(c)) {
        this.count(c);
        n += this.group(c).nodeCount;
        first = Math.min(first, this.firstNode.get(c) ?? Infinity);
        last = Math.max(last, this.lastNode.get(c) ?? -1);
      } else if (this.isNode(c)) {
        n++;
        first = Math.min(first, c);
        last = Math.max(last, c);
      }
    }
    group.nodeCount = n;
    this.firstNode.set(g, first);
    this.lastNode.set(g, last);
    if (group.kind === 'run') group.label = n ? `nodes ${first + 1}–${last + 1}` : 'nodes';
  }

  private titles(g: number, prefix: string): void {
    const group = this.group(g);
    group.title = group.kind === 'root' ? group.label : prefix ? `${prefix} › ${group.label}` : group.label;
    for (const c of group.children) if (this.isGroup(c)) this.titles(c, group.kind === 'root' ? '' : group.title);
  }

  private buildEdges(subgraphsOf: Map<number, number[]>): void {
    const m = this.model;
    const e = this.edges;
    const add = (from: number, to: number, tensor: number) => {
      e.from.push(from);
      e.to.push(to);
      e.tensor.push(tensor);
    };
    for (let t = 0; t < m.tensorCount; t++) {
      const p = m.producer[t];
      if (p >= 0 && this.isHidden(p)) continue;
      const io = this.ioOfTensor.has(t) ? this.ioItemsOf(t) : [];
      const sources = p >= 0 ? [p] : io.filter((k) => this.ioItem(k)!.kind === 'input');
      if (sources.length === 0) continue;
      const sinks = m.consumers(t);
      for (const k of io) if (this.ioItem(k)!.kind === 'output') sinks.push(k);
      for (const s of sources) for (const c of sinks) if (c !== s) add(s, c, t);
    }
    for (const [owner, subs] of subgraphsOf) for (const s of subs) add(owner, s, -1);
  }

  private readonly opCountsOf = new Map<number, Map<string, number>>();

  /** Op type → count of the nodes inside a group (kept: every box of the group asks again). */
  private opCounts(g: number): Map<string, number> {
    let counts = this.opCountsOf.get(g);
    if (counts) return counts;
    counts = new Map();
    for (const c of this.group(g).children) {
      if (this.isNode(c)) {
        const op = this.model.opType(c);
        counts.set(op, (counts.get(op) ?? 0) + 1);
      } else if (this.isGroup(c)) for (const [op, n] of this.opCounts(c)) counts.set(op, (counts.get(op) ?? 0) + n);
    }
    this.opCountsOf.set(g, counts);
    return counts;
  }

  /** Op types inside a group, most frequent first. */
  opSummary(g: number, top = 3): { op: string; count: number }[] {
    return [...this.opCounts(g)]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([op, count]) => ({ op, count }));
  }

  /** The groups expanded in the first view: the widest levels that fit in `budget` boxes. */
  overview(budget = OVERVIEW_BUDGET): Set<number> {
    const expanded = new Set([this.root]);
    let visible = this.group(this.root).children.length;
    const queue = this.group(this.root).children.filter((c) => this.isGroup(c));
    while (queue.length) {
      const g = queue.shift()!;
      const kids = this.group(g).children;
      if (visible - 1 + kids.length > budget) continue;
      expanded.add(g);
      visible += kids.length - 1;
      for (const c of kids) if (this.isGroup(c)) queue.push(c);
    }
    return expanded;
  }

  /** Every group down to `depth` levels below the root expanded (depth Infinity: all). */
  expandedTo(depth: number): Set<number> {
    const out = new Set<number>();
    const walk = (g: number, d: number) => {
      if (d > depth) return;
      out.add(g);
      for (const c of this.group(g).children) if (this.isGroup(c)) walk(c, d + 1);
    };
    walk(this.root, 0);
    return out;
  }
}
