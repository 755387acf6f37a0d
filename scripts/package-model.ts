// The model the package check runs: sum = a + b over float32[2], written as ModelProto bytes
// here so the check needs no test fixtures and no model files.
import { addModel as writeAddModel } from '../electron/common/onnx/writer';

export function addModel(): Uint8Array {
  return writeAddModel({ a: 'a', b: 'b', sum: 'sum', length: 2, graphName: 'package-check' });
}
