// What onnxruntime really did on each node of one profiled run (issue #13): the profile command,
// the Run view's Profile panel and the Graph tab's overlays all read these shapes.

/** One output tensor of a node as the profile saw it. */
export interface ProfiledOutput {
  name: string;
  shape: number[];
  bytes: number;
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
}

export interface ProviderProfile {
  provider: string;
  nodes: number;
  ms: number;
}

export interface ProfileSummary {
  total_ms: number;
  macs: number;
  nodes: NodeProfile[];
  ops: OpProfile[];
  providers: ProviderProfile[];
}
