// The model the package check runs: sum = a + b over float32[2], written as ModelProto bytes
// here so the check needs no test fixtures and no model files.

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}
const int = (field: number, value: number): number[] => [...varint(field << 3), ...varint(value)];
const bytes = (field: number, body: number[]): number[] => [...varint((field << 3) | 2), ...varint(body.length), ...body];
const str = (field: number, text: string): number[] => bytes(field, [...new TextEncoder().encode(text)]);

const FLOAT32 = 1;

/** ValueInfoProto{name, type{tensor_type{elem_type, shape{dim{dim_value: 2}}}}}. */
function float32Pair(name: string): number[] {
  const shape = bytes(1, int(1, 2));
  return [...str(1, name), ...bytes(2, bytes(1, [...int(1, FLOAT32), ...bytes(2, shape)]))];
}

/** One Add node (opset 13, IR 7): inputs a, b; output sum. */
export function addModel(): Uint8Array {
  const node = [...str(1, 'a'), ...str(1, 'b'), ...str(2, 'sum'), ...str(3, 'add'), ...str(4, 'Add')];
  const graph = [
    ...bytes(1, node),
    ...str(2, 'package-check'),
    ...bytes(11, float32Pair('a')),
    ...bytes(11, float32Pair('b')),
    ...bytes(12, float32Pair('sum')),
  ];
  const model = [...int(1, 7), ...str(2, 'onnx-workbench'), ...bytes(7, graph), ...bytes(8, [...str(1, ''), ...int(2, 13)])];
  return Uint8Array.from(model);
}
