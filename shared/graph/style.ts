// Colours of graph boxes by op family, shared by the canvas and the SVG export.

const FAMILIES: [RegExp, string][] = [
  [/^(Conv|ConvTranspose|ConvInteger|QLinearConv|DeformConv)$/, '#33609c'],
  [/^(Gemm|MatMul|MatMulInteger|QLinearMatMul|Einsum|Attention|MultiHeadAttention)$/, '#3d5a99'],
  [
    /^(Relu|LeakyRelu|PRelu|Sigmoid|Tanh|Gelu|Erf|Elu|Selu|HardSigmoid|HardSwish|Softplus|Mish|Clip|Softmax|LogSoftmax)$/,
    '#8c3b3b',
  ],
  [/Norm|^BatchNormalization$/, '#3b7350'],
  [/Pool$/, '#2f6f73'],
  [
    /^(Reshape|Transpose|Flatten|Squeeze|Unsqueeze|Concat|Split|Slice|Gather|GatherElements|GatherND|Shape|Expand|Tile|Pad|Cast|Identity|Constant|ConstantOfShape|Range)$/,
    '#5a5f6b',
  ],
  [/^(If|Loop|Scan)$/, '#7a5a99'],
];

export function opColor(op: string): string {
  for (const [re, color] of FAMILIES) if (re.test(op)) return color;
  return '#4b5566';
}

export const GRAPH_COLORS = {
  input: '#2c6e49',
  output: '#8a5a1c',
  group: '#2b3345',
  groupStroke: '#56627a',
  containerFill: 'rgba(120, 140, 180, 0.07)',
  containerStroke: 'rgba(120, 140, 180, 0.45)',
  edge: '#7a8699',
  hit: '#ffcc33',
  selected: '#6c9eff',
  text: '#f2f4f7',
  subText: '#c3cad6',
};
