// Layout of the visible graph, one group at a time: each expanded group's children (boxes, or
// expanded groups of a known size) are placed by dagre, and the results compose into a scene.
// The same code runs in the renderer's Web Worker and in the engine (export, CLI).
import { groupDigits } from '../format';
import dagre from '@dagrejs/dagre';
import { formatShape } from './format';
import type { GraphHierarchy } from './hierarchy';

/**
 * One group to lay out: its children with their sizes, and the edges between them. Node ids are
 * the children's positions in the group, so groups of the same shape (the layers of a
 * transformer, the blocks of a ResNet) share one request and one layout.
 */
export interface LayoutRequest {
  key: string;
  nodes: { id: number; w: number; h: number }[];
  edges: [number, number][];
}

export interface GroupLayout {
  key: string;
  width: number;
  height: number;
  /** Centre of each requested node (by id), relative to the group's inner top-left. */
  pos: Record<number, [number, number]>;
  /** Edge routes between children, keyed "a>b" by ids, as flat [x0, y0, x1, y1, …]. */
  routes: Record<string, number[]>;
}

export type LayoutMessage = { requests: LayoutRequest[] };
export type LayoutReply = { layouts: GroupLayout[] };

export function layoutGroup(req: LayoutRequest): GroupLayout {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'TB', nodesep: 18, ranksep: 30, edgesep: 8, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of req.nodes) g.setNode(String(n.id), { width: n.w, height: n.h });
  for (const [a, b] of req.edges) g.setEdge(String(a), String(b));
  dagre.layout(g);
  const pos: GroupLayout['pos'] = {};
  for (const n of req.nodes) {
    const d = g.node(String(n.id));
    pos[n.id] = [d.x ?? 0, d.y ?? 0];
  }
  const routes: GroupLayout['routes'] = {};
  for (const e of g.edges()) {
    const pts = g.edge(e).points ?? [];
    routes[`${e.v}>${e.w}`] = pts.flatMap((p: { x: number; y: number }) => [p.x, p.y]);
  }
  const info = g.graph();
  let width = info.width ?? 0;
  let height = info.height ?? 0;
  if (req.nodes.length === 0) width = height = 0;
  return { key: req.key, width, height, pos, routes };
}

/** The layout worker's message handler (the worker file only wires it to postMessage). */
export function handleLayoutMessage(msg: LayoutMessage): LayoutReply {
  if (!msg || !Array.isArray(msg.requests)) return { layouts: [] };
  return { layouts: msg.requests.map(layoutGroup) };
}

// ---- sizes ----

export const NODE_H = 30;
export const IO_H = 32;
export const GROUP_H = 46;
export const HEADER = 26;
export const PAD = 14;
const CHAR = 7;

export type BoxKind = 'node' | 'input' | 'output' | 'group' | 'container';

export interface SceneBox {
  id: number;
  kind: BoxKind;
  x: number;
  y: number;
  w: number;
  h: number;
  depth: number;
  /** Main text (op type, tensor name, group label) and the second line. */
  label: string;
  sub: string;
}

export interface SceneEdge {
  from: number;
  to: number;
  /** One tensor carried (for the label), -1 for the owner → subgraph link. */
  tensor: number;
  /** Tensors carried between these two boxes. */
  count: number;
  points: number[];
  label: string;
}

export interface Scene {
  boxes: SceneBox[];
  edges: SceneEdge[];
  width: number;
  height: number;
  /** Item id → index in boxes. */
  index: Map<number, number>;
}

function clampWidth(text: string, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.round(text.length * CHAR + 24)));
}

export function boxText(h: GraphHierarchy, id: number): { kind: BoxKind; label: string; sub: string } {
  if (h.isNode(id)) {
    const attrs = h.model.attrs(id);
    return { kind: 'node', label: h.model.opType(id), sub: nodeSub(h.model.opType(id), attrs) };
  }
  const io = h.ioItem(id);
  if (io) {
    const shape = h.model.shape(io.tensor);
    return { kind: io.kind, label: h.model.tensorName(io.tensor), sub: shape ? formatShape(shape) : '' };
  }
  const g = h.group(id);
  const ops = h
    .opSummary(id, 2)
    .map((o) => `${o.op}×${o.count}`)
    .join(' ');
  return { kind: 'group', label: g.label, sub: `${groupDigits(g.nodeCount)} nodes${ops ? ` · ${ops}` : ''}` };
}

/** A short second line for common ops (kernel of a Conv, axis of a Concat). */
function nodeSub(op: string, attrs: Record<string, string>): string {
  if ((op === 'Conv' || op === 'ConvTranspose' || op.endsWith('Pool')) && attrs.kernel_shape)
    return `k ${attrs.kernel_shape.replace(/[[\]\s]/g, '').replace(/,/g, '×')}`;
  if (attrs.axis !== undefined && (op === 'Concat' || op === 'Softmax' || op === 'Gather')) return `axis ${attrs.axis}`;
  return '';
}

function boxSize(h: GraphHierarchy, id: number): { w: number; h: number } {
  const t = boxText(h, id);
  if (t.kind === 'node') return { w: clampWidth(t.label, 64, 200), h: NODE_H };
  // Inputs and outputs are as wide as their name or their shape (10 px text, about 6 px a char).
  if (t.kind === 'input' || t.kind === 'output')
    return { w: Math.max(clampWidth(t.label, 56, 220), Math.min(260, Math.round(t.sub.length * 6 + 20))), h: IO_H };
  return { w: clampWidth(t.label.length > t.sub.length ? t.label : t.sub, 120, 280), h: GROUP_H };
}

// ---- edges lifted to groups ----

/** For every item-level edge: the lowest group holding both ends, and its two children. */
export class EdgeIndex {
  /** Group id → unique child pairs "a>b" with one tensor each. */
  readonly byGroup = new Map<number, Map<number, [number, number]>>();
  constructor(h: GraphHierarchy) {
    const e = h.edges;
    const items = h.parent.length;
    for (let k = 0; k < e.from.length; k++) {
      const [g, a, b] = commonChildren(h, e.from[k], e.to[k]);
      if (g < 0 || a === b) continue;
      let pairs = this.byGroup.get(g);
      if (!pairs) this.byGroup.set(g, (pairs = new Map()));
      const key = a * items + b;
      if (!pairs.has(key)) pairs.set(key, [a, b]);
    }
  }
}

// ---- the scene ----

export type LayoutRunner = (requests: LayoutRequest[]) => Promise<GroupLayout[]>;

/** Layouts computed so far, by request key (the sizes of a group's children and their edges). */
export class LayoutCache {
  readonly byKey = new Map<string, GroupLayout>();
  readonly edges: EdgeIndex;
  constructor(readonly h: GraphHierarchy) {
    this.edges = new EdgeIndex(h);
  }
}

/** Is the item shown: every group above it expanded. */
function visibleGroups(h: GraphHierarchy, expanded: Set<number>): number[][] {
  // Expanded groups reachable from the root, by height (leaves' parents first).
  const heightOf = new Map<number, number>();
  const walk = (g: number): number => {
    let height = 0;
    for (const c of h.group(g).children) if (h.isGroup(c) && expanded.has(c)) height = Math.max(height, walk(c) + 1);
    heightOf.set(g, height);
    return height;
  };
  walk(h.root);
  const levels: number[][] = [];
  for (const [g, height] of heightOf) (levels[height] ??= []).push(g);
  return levels.map((l) => l ?? []);
}

/** Lays out (what the cache lacks) and composes the scene of the graph with these groups expanded. */
export async function layoutScene(
  h: GraphHierarchy,
  expanded: Set<number>,
  cache: LayoutCache,
  run: LayoutRunner,
): Promise<Scene> {
  expanded.add(h.root);
  const size = new Map<number, { w: number; h: number }>();
  const keyOf = new Map<number, string>();
  const sizeOf = (id: number) => size.get(id) ?? boxSize(h, id);
  for (const level of visibleGroups(h, expanded)) {
    const requests: LayoutRequest[] = [];
    const asked = new Set<string>();
    for (const g of level) {
      const kids = h.group(g).children;
      const nodes = kids.map((id, k) => ({ id: k, ...sizeOf(id) }));
      const pairs = cache.edges.byGroup.get(g);
      const edges: [number, number][] = pairs ? [...pairs.values()].map(([a, b]) => [h.childIndex[a], h.childIndex[b]]) : [];
      const key = `${nodes.map((n) => `${n.w}x${n.h}`).join(',')}|${edges.map(([a, b]) => `${a}>${b}`).join(',')}`;
      keyOf.set(g, key);
      if (!cache.byKey.has(key) && !asked.has(key)) {
        asked.add(key);
        requests.push({ key, nodes, edges });
      }
    }
    if (requests.length) for (const l of await run(requests)) cache.byKey.set(l.key, l);
    for (const g of level) {
      const l = cache.byKey.get(keyOf.get(g)!)!;
      size.set(g, { w: Math.max(l.width + 2 * PAD, clampWidth(h.group(g).title, 120, 480)), h: l.height + HEADER + PAD });
    }
  }
  return compose(h, expanded, cache, keyOf, sizeOf);
}

function compose(
  h: GraphHierarchy,
  expanded: Set<number>,
  cache: LayoutCache,
  keyOf: Map<number, string>,
  sizeOf: (id: number) => { w: number; h: number },
): Scene {
  const boxes: SceneBox[] = [];
  const index = new Map<number, number>();
  /** Inner origin of each expanded group. */
  const origin = new Map<number, [number, number]>();
  const place = (id: number, x: number, y: number, depth: number) => {
    const s = sizeOf(id);
    const isContainer = h.isGroup(id) && expanded.has(id);
    const t = boxText(h, id);
    index.set(id, boxes.length);
    boxes.push({ id, kind: isContainer ? 'container' : t.kind, x, y, w: s.w, h: s.h, depth, label: t.label, sub: t.sub });
    if (!isContainer) return;
    const l = cache.byKey.get(keyOf.get(id)!)!;
    const ox = id === h.root ? 0 : x + (s.w - l.width) / 2;
    const oy = id === h.root ? 0 : y + HEADER;
    origin.set(id, [ox, oy]);
    for (const c of h.group(id).children) {
      const cs = sizeOf(c);
      const [cx, cy] = l.pos[h.childIndex[c]];
      place(c, ox + cx - cs.w / 2, oy + cy - cs.h / 2, depth + 1);
    }
  };
  place(h.root, 0, 0, 0);
  const rootBox = boxes[0];
  boxes.shift();
  index.delete(h.root);
  for (const [k, v] of index) index.set(k, v - 1);

  // Visible ends of every edge: the topmost collapsed group above an item, else the item.
  const items = h.parent.length;
  const repCache = new Int32Array(items).fill(-2);
  const repOf = (item: number): number => {
    let r = repCache[item];
    if (r !== -2) return r;
    const g = h.parent[item];
    // Above a collapsed group nothing else matters; an open parent passes its own answer down.
    const above = g < 0 ? -1 : repOf(g);
    r = above >= 0 && above !== g ? above : g >= 0 && !expanded.has(g) ? g : item;
    repCache[item] = r;
    return r;
  };
  const edges = new Map<number, SceneEdge>();
  const e = h.edges;
  for (let k = 0; k < e.from.length; k++) {
    const a = repOf(e.from[k]);
    const b = repOf(e.to[k]);
    if (a === b || !index.has(a) || !index.has(b)) continue;
    const key = a * items + b;
    const have = edges.get(key);
    if (have) {
      if (e.tensor[k] >= 0 && e.tensor[k] !== have.tensor) have.count++;
      continue;
    }
    edges.set(key, { from: a, to: b, tensor: e.tensor[k], count: 1, points: [], label: '' });
  }
  for (const edge of edges.values()) {
    const A = boxes[index.get(edge.from)!];
    const B = boxes[index.get(edge.to)!];
    const start = [A.x + A.w / 2, A.y + A.h];
    const end = [B.x + B.w / 2, B.y];
    // Route through the lowest common group's layout when dagre routed that pair.
    const [g, ca, cb] = commonChildren(h, edge.from, edge.to);
    const route = g >= 0 ? cache.byKey.get(keyOf.get(g) ?? '')?.routes[`${h.childIndex[ca]}>${h.childIndex[cb]}`] : undefined;
    const o = origin.get(g);
    const mid: number[] = [];
    if (route && o && route.length > 4) {
      for (let k = 2; k < route.length - 2; k += 2) mid.push(route[k] + o[0], route[k + 1] + o[1]);
    }
    edge.points = [...start, ...mid, ...end];
  }
  return { boxes, edges: [...edges.values()], width: rootBox.w, height: rootBox.h, index };
}

/** The lowest group holding both items, and its children that hold each; -1s when none. */
export function commonChildren(h: GraphHierarchy, a: number, b: number): [number, number, number] {
  const { depth, parent } = h;
  if (depth[a] < 0 || depth[b] < 0) return [-1, -1, -1];
  // Climb the deeper end to the other's depth, then both until they share a parent.
  let x = a;
  let y = b;
  while (depth[x] > depth[y]) x = parent[x];
  while (depth[y] > depth[x]) y = parent[y];
  while (x !== y && parent[x] !== parent[y]) {
    x = parent[x];
    y = parent[y];
  }
  const g = parent[x];
  return g < 0 ? [-1, -1, -1] : [g, x, y];
}

/** Shape labels for the scene's edges: value_info first, else a profile's output shapes. */
export function labelEdges(scene: Scene, h: GraphHierarchy, profileShapes?: Map<string, number[]>): void {
  for (const e of scene.edges) {
    if (e.tensor < 0) continue;
    const shape = h.model.shape(e.tensor) ?? profileShapes?.get(h.model.tensorName(e.tensor)) ?? null;
    const base = shape ? formatShape(shape) : '';
    e.label = e.count > 1 ? `${e.count} tensors` : base;
  }
}

/** Synchronous runner for Node (engine export, tests). */
export const layoutInProcess: LayoutRunner = async (requests) => requests.map(layoutGroup);
