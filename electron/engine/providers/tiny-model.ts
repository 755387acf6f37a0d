// The smallest useful ONNX model, written in code: y = x + x over float32[4].
// Probing a provider needs a session, and test fixtures are not shipped with the app.

/** Protobuf field writers: just the three wire forms this model needs. */
function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}
const intField = (field: number, value: number): number[] => [...varint(field << 3), ...varint(value)];
const bytesField = (field: number, body: number[]): number[] => [...varint((field << 3) | 2), ...varint(body.length), ...body];
const strField = (field: number, text: string): number[] => bytesField(field, [...new TextEncoder().encode(text)]);

const FLOAT32 = 1;

/** ValueInfoProto{name, type: TypeProto{tensor_type{elem_type, shape{dim{dim_value}}}}}. */
function tensorValue(name: string, length: number): number[] {
  const shape = bytesField(1, intField(1, length));
  const tensorType = [...intField(1, FLOAT32), ...bytesField(2, shape)];
  return [...strField(1, name), ...bytesField(2, bytesField(1, tensorType))];
}

/** ModelProto bytes for one Add node at opset 13, IR version 7 (old enough for every ORT build we ship). */
export function tinyAddModel(): Uint8Array {
  const node = [...strField(1, 'x'), ...strField(1, 'x'), ...strField(2, 'y'), ...strField(3, 'add'), ...strField(4, 'Add')];
  const graph = [
    ...bytesField(1, node),
    ...strField(2, 'provider-probe'),
    ...bytesField(11, tensorValue('x', 4)),
    ...bytesField(12, tensorValue('y', 4)),
  ];
  const opset = [...strField(1, ''), ...intField(2, 13)];
  const model = [...intField(1, 7), ...strField(2, 'onnx-workbench'), ...bytesField(7, graph), ...bytesField(8, opset)];
  return Uint8Array.from(model);
}
