// Search over the graph: node names, op types and tensor names (a tensor hit finds the nodes that
// produce it, or read it when nothing produces it: a graph input or a weight).
import type { GraphModel } from './model';

export interface GraphSearch {
  /** Matching nodes in file order. */
  nodes: number[];
  /** How many tensors matched by name. */
  tensors: number;
}

export function searchGraph(model: GraphModel, query: string): GraphSearch {
  const q = query.trim().toLowerCase();
  if (!q) return { nodes: [], tensors: 0 };
  const hit = new Uint8Array(model.nodeCount);
  const d = model.data;
  const opHit = d.ops.map((op) => op.toLowerCase().includes(q));
  for (let i = 0; i < model.nodeCount; i++) {
    if (opHit[d.node.op[i]] || d.node.name[i].toLowerCase().includes(q)) hit[i] = 1;
  }
  let tensors = 0;
  for (let t = 0; t < model.tensorCount; t++) {
    if (!d.tensor.name[t].toLowerCase().includes(q)) continue;
    tensors++;
    const p = model.producer[t];
    if (p >= 0) hit[p] = 1;
    else for (const c of model.consumers(t)) hit[c] = 1;
  }
  const nodes: number[] = [];
  for (let i = 0; i < model.nodeCount; i++) if (hit[i]) nodes.push(i);
  return { nodes, tensors };
}
