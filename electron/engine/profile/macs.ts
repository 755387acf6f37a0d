// Multiply-accumulates of the heavy operators, from the concrete shapes a run saw. The weight
// tensor's dims carry the kernel size and the channels per group, so no attribute is needed:
//   Conv           out elements × (weight elements / output channels)
//   ConvTranspose  input elements × (weight elements / input channels)
//   Gemm           M × N × K, with K = elements of A / M
//   MatMul         out elements × K, K the last dim of A (broadcast batch dims included)
// onnxruntime's fused variants (FusedConv, NCHWc Conv, FusedGemm, FusedMatMul) count the same way.

const product = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

const CONV = new Set(['Conv', 'FusedConv', 'NhwcFusedConv', 'QLinearConv', 'ConvInteger']);
const CONV_TRANSPOSE = new Set(['ConvTranspose']);
const GEMM = new Set(['Gemm', 'FusedGemm']);
const MATMUL = new Set(['MatMul', 'FusedMatMul', 'MatMulInteger', 'QLinearMatMul']);

export function hasMacs(op: string): boolean {
  return CONV.has(op) || CONV_TRANSPOSE.has(op) || GEMM.has(op) || MATMUL.has(op);
}

/** Input and weight positions differ for the quantised forms (QLinear* carry scales and zero points). */
function operands(
  op: string,
  inputs: readonly (readonly number[])[],
): [readonly number[] | undefined, readonly number[] | undefined] {
  if (op === 'QLinearConv' || op === 'QLinearMatMul') return [inputs[0], inputs[3]];
  return [inputs[0], inputs[1]];
}

/** MACs of one node, or null when the op has none or the shapes are not all known. */
export function nodeMacs(
  op: string,
  inputs: readonly (readonly number[])[],
  outputs: readonly (readonly number[])[],
): number | null {
  if (!hasMacs(op)) return null;
  const [a, b] = operands(op, inputs);
  const y = outputs[0];
  if (!a || !b || !y) return null;
  if (CONV.has(op)) {
    if (b.length < 3 || y.length < 3 || b[0] === 0) return null;
    return product(y) * (product(b) / b[0]);
  }
  if (CONV_TRANSPOSE.has(op)) {
    if (b.length < 3 || b[0] === 0) return null;
    return product(a) * (product(b) / b[0]);
  }
  if (GEMM.has(op)) {
    if (y.length !== 2 || y[0] === 0) return null;
    return product(y) * (product(a) / y[0]);
  }
  // MatMul: a 1-D A is a row vector [K].
  const k = a[a.length - 1];
  if (k === undefined) return null;
  return product(y) * k;
}
