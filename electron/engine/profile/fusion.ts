// Which original nodes a fused node replaces. onnxruntime's profile names only the executed
// nodes; the optimised graph it saves says what each executed node reads and writes. An original
// node that is gone from the optimised graph belongs to the executed node that now produces the
// tensor its chain of vanished nodes led to (Conv → Relu becomes one FusedConv writing Relu's
// output), or to the executed node that took its name with another op type.
import type { NodeInfo } from '../../../shared/model-info';

/** A node's name as onnxruntime's profile reports it: its own, else op type and index. */
export function profileName(node: Pick<NodeInfo, 'name' | 'opType'>, index: number): string {
  return node.name || `${node.opType}_${index}`;
}

/** Ops onnxruntime removes outright (their consumers read the input instead): not fused into anything. */
const ELIMINATED = new Set(['Identity', 'Dropout']);

export function fusedNodes(original: readonly NodeInfo[], optimized: readonly NodeInfo[]): Map<string, string[]> {
  const main = original.filter((n) => n.graph === '');
  const executed = optimized.filter((n) => n.graph === '');
  const keptKey = new Set(executed.filter((n) => n.name).map((n) => `${n.name}\u0000${n.opType}`));
  const byName = new Map(executed.filter((n) => n.name).map((n) => [n.name, n]));
  // Tensor → the executed node writing it; "X_nchwc" nodes write X in a blocked layout.
  const producer = new Map<string, string>();
  for (const n of executed) {
    if (!n.name) continue;
    for (const t of n.outputs) if (t) producer.set(t, n.name);
    if (n.name.endsWith('_nchwc')) producer.set(n.name.slice(0, -'_nchwc'.length), n.name);
  }
  const consumers = new Map<string, number[]>();
  main.forEach((n, i) => {
    for (const t of n.inputs) if (t) consumers.set(t, [...(consumers.get(t) ?? []), i]);
  });
  const vanished = (i: number) => !main[i].name || !keptKey.has(`${main[i].name}\u0000${main[i].opType}`);

  /** The executed node that a vanished node's outputs flow into, through other vanished nodes. */
  function owner(start: number): string | null {
    const seen = new Set<number>();
    const queue = [start];
    while (queue.length) {
      const i = queue.shift()!;
      if (seen.has(i)) continue;
      seen.add(i);
      const n = main[i];
      if (n.name && byName.has(n.name) && byName.get(n.name)!.opType !== n.opType) return n.name;
      for (const t of n.outputs) {
        const p = producer.get(t);
        if (p) return p;
        for (const c of consumers.get(t) ?? []) if (vanished(c) && seen.size < 64) queue.push(c);
      }
    }
    return null;
  }

  const result = new Map<string, string[]>();
  main.forEach((n, i) => {
    if (!vanished(i) || ELIMINATED.has(n.opType)) return;
    const to = owner(i);
    if (!to) return;
    result.set(to, [...(result.get(to) ?? []), profileName(n, i)]);
  });
  return result;
}
