// onnxruntime's profile events folded into what a user asks of them: per node, per op type and
// per provider, the time of a run (warm-up left out), the shapes the run saw, the MACs, and
// which nodes left the provider that was asked for.
import type { NodeInfo } from '../../../shared/model-info';
import {
  type NodeProfile,
  type OpProfile,
  type ProfileSummary,
  type ProfiledOutput,
  type ProviderProfile,
  type ProviderFallback,
  providerWords,
} from '../../../shared/profile';
import type { ProfileEvent } from './events';
import { profileName } from './fusion';
import { nodeMacs } from './macs';

const KERNEL = '_kernel_time';
const CPU = 'CPUExecutionProvider';
const COPY_OPS = new Set(['MemcpyToHost', 'MemcpyFromHost']);
/** Below this share of the nodes, a GPU provider "took only a small part of the graph". */
const SMALL_SHARE = 0.5;

/** Bytes per element of the type names onnxruntime's profile writes. */
const ELEMENT_BYTES: Record<string, number> = {
  float: 4,
  float32: 4,
  double: 8,
  float64: 8,
  int64: 8,
  uint64: 8,
  int32: 4,
  uint32: 4,
  int16: 2,
  uint16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
  mlfloat16: 2,
  float16: 2,
  bfloat16: 2,
};

function elementBytes(type: string): number | null {
  const key = type
    .toLowerCase()
    .replace(/^std::/, '')
    .replace(/_t$/, '');
  return ELEMENT_BYTES[key] ?? null;
}

interface TypedShape {
  type: string;
  shape: number[];
}

/** `[{"float":[1,3,224,224]}, …]` → typed shapes (anything else is left out). */
function typedShapes(value: unknown): TypedShape[] {
  if (!Array.isArray(value)) return [];
  const out: TypedShape[] = [];
  for (const entry of value) {
    if (!entry || typeof entry !== 'object') continue;
    const [type, shape] = Object.entries(entry as Record<string, unknown>)[0] ?? [];
    if (typeof type === 'string' && Array.isArray(shape) && shape.every((d) => typeof d === 'number'))
      out.push({ type, shape: shape as number[] });
  }
  return out;
}

interface NodeTotals {
  order: number;
  op: string;
  provider: string;
  /** Microseconds summed over every run, and over the measured ones (warm-up left out). */
  allUs: number;
  measuredUs: number;
  inputs: TypedShape[];
  outputs: TypedShape[];
  outputSize: number | null;
}

/** What the summary needs besides the events. */
export interface SummaryContext {
  /** The executed graph's nodes (the model's own at optimisation "disabled"), for output names. */
  graphNodes: readonly NodeInfo[];
  /** Executed node → the original nodes it replaces. */
  fused?: ReadonlyMap<string, string[]>;
  /** onnxruntime's name of the provider that was asked for (e.g. CUDAExecutionProvider). */
  requestedProvider?: string;
}

/** Accumulates events one at a time (so that a profile is never held whole). */
export class ProfileAccumulator {
  private readonly nodes = new Map<string, NodeTotals>();
  private readonly runUs: number[] = [];

  /** warmupCutoff: the runs at the start left out of the times (when there are more runs than these). */
  constructor(private readonly warmupCutoff: number) {}

  add(event: ProfileEvent): void {
    if (event.cat === 'Session' && event.name === 'model_run') {
      this.runUs.push(event.dur);
      return;
    }
    if (event.cat !== 'Node' || !event.name.endsWith(KERNEL)) return;
    const name = event.name.slice(0, -KERNEL.length);
    const measured = this.runUs.length;
    let n = this.nodes.get(name);
    if (!n) {
      n = {
        order: this.nodes.size,
        op: typeof event.args.op_name === 'string' ? event.args.op_name : '?',
        provider: typeof event.args.provider === 'string' ? event.args.provider : 'unknown',
        allUs: 0,
        measuredUs: 0,
        inputs: [],
        outputs: [],
        outputSize: null,
      };
      this.nodes.set(name, n);
    }
    n.allUs += event.dur;
    // Warm-up runs are the first model_run events; a node's event comes before its run's.
    n.measuredUs += measured >= this.warmupCutoff ? event.dur : 0;
    n.inputs = typedShapes(event.args.input_type_shape);
    n.outputs = typedShapes(event.args.output_type_shape);
    const size = Number(event.args.output_size);
    n.outputSize = Number.isFinite(size) ? size : null;
  }

  summary(ctx: SummaryContext): ProfileSummary {
    const runs = this.runUs.length;
    const measuredRuns = runs > this.warmupCutoff ? runs - this.warmupCutoff : runs;
    const useAll = runs <= this.warmupCutoff;
    const perRun = (n: NodeTotals) => (useAll ? n.allUs : n.measuredUs) / 1000 / Math.max(1, measuredRuns);
    const runMs = (useAll ? this.runUs : this.runUs.slice(this.warmupCutoff)).map((us) => us / 1000);

    const outputsByNode = new Map<string, string[]>();
    ctx.graphNodes.forEach((g, i) => {
      if (g.graph === '') outputsByNode.set(profileName(g, i), g.outputs);
    });

    const nodes: NodeProfile[] = [...this.nodes].map(([name, n]) => {
      const names = outputsByNode.get(name) ?? [];
      const outputs: ProfiledOutput[] = n.outputs.map((o, i) => {
        const per = elementBytes(o.type);
        const count = o.shape.reduce((a, b) => a * b, 1);
        const bytes = per !== null ? per * count : n.outputs.length === 1 && n.outputSize !== null ? n.outputSize : 0;
        return { name: names[i] || `output ${i}`, shape: o.shape, bytes, dtype: o.type };
      });
      const node: NodeProfile = {
        name,
        op: n.op,
        provider: n.provider,
        ms: perRun(n),
        macs: nodeMacs(
          n.op,
          n.inputs.map((s) => s.shape),
          n.outputs.map((s) => s.shape),
        ),
        outputs,
      };
      const fusedFrom = ctx.fused?.get(name);
      if (fusedFrom?.length) node.fusedFrom = fusedFrom;
      return node;
    });

    const nodeMs = nodes.reduce((s, n) => s + n.ms, 0);
    const share = (ms: number) => (nodeMs > 0 ? ms / nodeMs : 0);

    const ops = new Map<string, OpProfile>();
    for (const n of nodes) {
      const o = ops.get(n.op) ?? { op: n.op, count: 0, ms: 0, meanMs: 0, share: 0, macs: 0 };
      o.count++;
      o.ms += n.ms;
      o.macs = (o.macs ?? 0) + (n.macs ?? 0);
      ops.set(n.op, o);
    }
    for (const o of ops.values()) {
      o.meanMs = o.ms / o.count;
      o.share = share(o.ms);
    }

    const providers = new Map<string, ProviderProfile>();
    for (const n of nodes) {
      const p = providers.get(n.provider) ?? { provider: n.provider, nodes: 0, ms: 0, nodeShare: 0, timeShare: 0 };
      p.nodes++;
      p.ms += n.ms;
      providers.set(n.provider, p);
    }
    for (const p of providers.values()) {
      p.nodeShare = nodes.length ? p.nodes / nodes.length : 0;
      p.timeShare = share(p.ms);
    }

    const fallback = fallbackReport(nodes, ctx.requestedProvider);
    const summary: ProfileSummary = {
      total_ms: runMs.length ? runMs.reduce((a, b) => a + b, 0) / runMs.length : nodeMs,
      macs: nodes.reduce((s, n) => s + (n.macs ?? 0), 0),
      nodes,
      ops: [...ops.values()].sort((a, b) => b.ms - a.ms),
      providers: [...providers.values()].sort((a, b) => b.nodes - a.nodes),
      node_ms: nodeMs,
      runs: measuredRuns,
      warmup_runs: useAll ? 0 : this.warmupCutoff,
      nodes_total: nodes.length,
      warnings: fallback?.warning ? [fallback.warning] : [],
    };
    if (fallback) summary.fallback = fallback;
    return summary;
  }
}

const pct = (x: number) => `${x < 0.1 && x > 0 ? (x * 100).toFixed(1) : Math.round(x * 100)}%`;

/** The nodes that ran on the CPU although another provider was asked for, and the copies between devices. */
export function fallbackReport(nodes: readonly NodeProfile[], requested: string | undefined): ProviderFallback | undefined {
  if (!requested || requested === CPU) return undefined;
  const copies = nodes.filter((n) => COPY_OPS.has(n.op));
  const compute = nodes.filter((n) => !COPY_OPS.has(n.op));
  const onCpu = compute.filter((n) => n.provider === CPU);
  const onRequested = compute.filter((n) => n.provider === requested);
  const computeMs = compute.reduce((s, n) => s + n.ms, 0);
  const requestedMs = onRequested.reduce((s, n) => s + n.ms, 0);
  const nodeShare = compute.length ? onRequested.length / compute.length : 0;
  const timeShare = computeMs > 0 ? requestedMs / computeMs : 0;
  const report: ProviderFallback = {
    requested,
    cpuNodes: onCpu.map((n) => n.name),
    cpuOps: countBy(onCpu.map((n) => n.op)),
    copies: copies.length,
    copyMs: copies.reduce((s, n) => s + n.ms, 0),
    nodeShare,
    timeShare,
  };
  const who = providerWords(requested);
  if (onRequested.length === 0) {
    report.warning = `${who} was asked for but ran none of the ${compute.length} nodes: the whole model ran on the CPU.`;
  } else if (nodeShare < SMALL_SHARE) {
    const ops = Object.entries(report.cpuOps)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 4)
      .map(([op, k]) => `${k} ${op}`)
      .join(', ');
    report.warning =
      `${who} ran only ${onRequested.length} of ${compute.length} nodes (${pct(timeShare)} of the node time); ` +
      `${onCpu.length} fell back to the CPU (${ops})` +
      (copies.length ? `, and ${copies.length} copies moved data between the devices.` : '.');
  }
  return report;
}

function countBy(items: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of items) out[x] = (out[x] ?? 0) + 1;
  return out;
}
