// What onnxruntime really did on each node of one profiled run (issue #13): the profile command,
// the Run view's Profile panel and the Graph tab's overlays all read these shapes.
import { z } from 'zod';
import type { ProviderChoice } from './providers';
import { runRequestSchema } from './run';

/** A profile request: a run's request, plus how many measured runs follow the one warm-up run. */
export const profileRequestSchema = runRequestSchema.extend({
  runs: z.number().int().min(1).max(1000).default(10),
  /** The slowest nodes kept when the model has more (default 20,000: enough for the overlays, bounded for the UI). */
  maxNodes: z.number().int().min(1).max(10_000_000).optional(),
});

export interface ProfileProgress {
  stage: string;
  /** Runs done and in all (the warm-up included), while running. */
  done?: number;
  total?: number;
}

/** One output tensor of a node as the profile saw it. */
export interface ProfiledOutput {
  name: string;
  shape: number[];
  bytes: number;
  /** The element type as onnxruntime's profile names it ("float", "int64"). */
  dtype?: string;
}

/** One node of the executed graph (after onnxruntime's optimisations at the chosen level). */
export interface NodeProfile {
  /** The node's name as onnxruntime reports it (the model's own name at `--optimization disabled`). */
  name: string;
  op: string;
  /** The execution provider that ran it, e.g. `CPUExecutionProvider`. */
  provider: string;
  /** Mean time per run, in milliseconds. */
  ms: number;
  /** Multiply-accumulates from the concrete shapes (Conv, ConvTranspose, Gemm, MatMul), else null. */
  macs: number | null;
  outputs: ProfiledOutput[];
  /** For a node onnxruntime made by fusing others: the original nodes it replaces, where known. */
  fusedFrom?: string[];
}

export interface OpProfile {
  op: string;
  count: number;
  /** Total time of this op type per run, in milliseconds. */
  ms: number;
  /** Mean time of one node of this type per run, in milliseconds. */
  meanMs?: number;
  /** Share of the summed node time, 0..1. */
  share?: number;
  macs?: number;
}

export interface ProviderProfile {
  provider: string;
  nodes: number;
  ms: number;
  /** Share of the nodes and of the summed node time, 0..1. */
  nodeShare?: number;
  timeShare?: number;
}

/** Where another provider than the CPU was asked for: what did not run on it. */
export interface ProviderFallback {
  /** onnxruntime's name of the provider asked for, e.g. `CUDAExecutionProvider`. */
  requested: string;
  /** Nodes (other than copies) that ran on the CPU instead. */
  cpuNodes: string[];
  /** Those nodes counted by op type. */
  cpuOps: Record<string, number>;
  /** MemcpyToHost / MemcpyFromHost nodes: data moved between the devices. */
  copies: number;
  copyMs: number;
  /** The requested provider's share of the non-copy nodes and of their time, 0..1. */
  nodeShare: number;
  timeShare: number;
  /** In plain words, when the provider took only a small part of the graph. */
  warning?: string;
}

export interface ProfileSummary {
  total_ms: number;
  macs: number;
  nodes: NodeProfile[];
  ops: OpProfile[];
  providers: ProviderProfile[];
  /** The node times summed (total_ms is the mean wall time of a run, which includes overheads). */
  node_ms?: number;
  /** Runs measured, and warm-up runs left out. */
  runs?: number;
  warmup_runs?: number;
  /** Nodes in the profile; more than `nodes.length` when the list was cut for the UI. */
  nodes_total?: number;
  fallback?: ProviderFallback;
  /** Plain-words warnings (a GPU provider that took little of the graph, a fallback to the CPU). */
  warnings?: string[];
  model?: string;
  /** Provider asked for and used, in the app's ids (`cuda`, `cpu`). */
  provider?: ProviderChoice;
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /** onnxruntime's own profile file (chrome://tracing, ui.perfetto.dev). */
  profile_path?: string;
  /** Why fused nodes are not matched to the nodes they replace, when they are not. */
  fusion_note?: string;
}

/** Multiply-accumulates in words: 4.09 G, 231 M. */
export function formatMacs(macs: number): string {
  if (macs >= 1e9) return `${(macs / 1e9).toFixed(2)} G`;
  if (macs >= 1e6) return `${(macs / 1e6).toFixed(macs >= 1e8 ? 0 : 1)} M`;
  if (macs >= 1e3) return `${(macs / 1e3).toFixed(1)} K`;
  return String(macs);
}

/** "CUDAExecutionProvider" → "CUDA". */
export function providerWords(provider: string): string {
  return provider.replace(/ExecutionProvider$/, '') || provider;
}
