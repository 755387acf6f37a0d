// Read access to a GraphData: who produces and who consumes each tensor, and node fields by index.
import type { DType, Dim } from '../model-info';
import type { GraphData } from './data';

export class GraphModel {
  readonly nodeCount: number;
  readonly tensorCount: number;
  /** Producer node of each tensor, -1 for graph inputs, weights and dangling names. */
  readonly producer: Int32Array;
  /** Consumers of tensor t: consumers[consStart[t] .. consStart[t + 1]]. */
  private readonly consStart: Int32Array;
  private readonly cons: Int32Array;
  /** Op types without their domain, by op index (asked for per box, per search, per group summary). */
  private readonly opTypes: string[];

  constructor(readonly data: GraphData) {
    const n = data.node;
    this.opTypes = data.ops.map((op) => {
      const cut = op.lastIndexOf('::');
      return cut < 0 ? op : op.slice(cut + 2);
    });
    this.nodeCount = n.name.length;
    this.tensorCount = data.tensor.name.length;
    this.producer = new Int32Array(this.tensorCount).fill(-1);
    for (let i = 0; i < this.nodeCount; i++) {
      for (let k = n.outStart[i]; k < n.outStart[i + 1]; k++) if (n.outs[k] >= 0) this.producer[n.outs[k]] = i;
    }
    const counts = new Int32Array(this.tensorCount + 1);
    for (const t of n.ins) if (t >= 0) counts[t + 1]++;
    for (let t = 0; t < this.tensorCount; t++) counts[t + 1] += counts[t];
    this.consStart = counts;
    this.cons = new Int32Array(counts[this.tensorCount]);
    const fill = counts.slice(0, this.tensorCount);
    const last = new Int32Array(this.tensorCount).fill(-1);
    for (let i = 0; i < this.nodeCount; i++) {
      for (let k = n.inStart[i]; k < n.inStart[i + 1]; k++) {
        const t = n.ins[k];
        // A node reading one tensor twice (Mul x x) is one consumer.
        if (t >= 0 && last[t] !== i) {
          last[t] = i;
          this.cons[fill[t]++] = i;
        }
      }
    }
    // Duplicates skipped above leave trailing slots: mark them unused.
    for (let t = 0; t < this.tensorCount; t++) for (let k = fill[t]; k < counts[t + 1]; k++) this.cons[k] = -1;
  }

  name(i: number): string {
    return this.data.node.name[i];
  }
  op(i: number): string {
    return this.data.ops[this.data.node.op[i]];
  }
  /** The op type without its domain. */
  opType(i: number): string {
    return this.opTypes[this.data.node.op[i]];
  }
  /** Number of inputs (empty optional ones included) without copying them. */
  inputCount(i: number): number {
    const n = this.data.node;
    return n.inStart[i + 1] - n.inStart[i];
  }
  domain(i: number): string {
    const op = this.op(i);
    const cut = op.lastIndexOf('::');
    return cut < 0 ? '' : op.slice(0, cut);
  }
  graphOf(i: number): number {
    return this.data.node.graph[i];
  }
  attrs(i: number): Record<string, string> {
    return this.data.node.attrs[i];
  }
  inputs(i: number): number[] {
    const n = this.data.node;
    return n.ins.slice(n.inStart[i], n.inStart[i + 1]);
  }
  outputs(i: number): number[] {
    const n = this.data.node;
    return n.outs.slice(n.outStart[i], n.outStart[i + 1]);
  }
  consumers(t: number): number[] {
    const out: number[] = [];
    for (let k = this.consStart[t]; k < this.consStart[t + 1]; k++) if (this.cons[k] >= 0) out.push(this.cons[k]);
    return out;
  }
  tensorName(t: number): string {
    return this.data.tensor.name[t];
  }
  dtype(t: number): DType | null {
    return this.data.tensor.dtype[t];
  }
  shape(t: number): Dim[] | null {
    return this.data.tensor.shape[t];
  }
  isWeight(t: number): boolean {
    return this.data.tensor.weight[t] === 1;
  }
  /** Tensors of a name (several graphs may use one name). */
  tensorsNamed(name: string): number[] {
    const out: number[] = [];
    this.data.tensor.name.forEach((n, t) => {
      if (n === name) out.push(t);
    });
    return out;
  }
}
