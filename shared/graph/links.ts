// Producer and readers of every tensor name, from the Nodes table's rows.
import type { NodeInfo } from '../model-info';

export interface TensorLinks {
  /** Tensor name → the row that produces it. */
  producer: Map<string, number>;
  /** Tensor name → the rows that read it. */
  consumers: Map<string, number[]>;
}

export function tensorLinks(nodes: readonly NodeInfo[]): TensorLinks {
  const producer = new Map<string, number>();
  const consumers = new Map<string, number[]>();
  nodes.forEach((n, i) => {
    for (const o of n.outputs) if (o && !producer.has(o)) producer.set(o, i);
    for (const name of new Set(n.inputs)) {
      if (!name) continue;
      const list = consumers.get(name);
      if (list) list.push(i);
      else consumers.set(name, [i]);
    }
  });
  return { producer, consumers };
}

/** Does a row match the search: its op type, name, domain, or one of its tensors' names. */
export function nodeMatches(n: NodeInfo, q: string): boolean {
  return (
    n.opType.toLowerCase().includes(q) ||
    n.name.toLowerCase().includes(q) ||
    (n.domain !== '' && n.domain.toLowerCase().includes(q)) ||
    n.inputs.some((t) => t.toLowerCase().includes(q)) ||
    n.outputs.some((t) => t.toLowerCase().includes(q))
  );
}
