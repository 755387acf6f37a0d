// The smallest useful ONNX model, written in code: y = x + x over float32[4].
// Probing a provider needs a session, and test fixtures are not shipped with the app.
import { addModel } from '../../common/onnx/writer';

export function tinyAddModel(): Uint8Array {
  return addModel({ a: 'x', b: 'x', sum: 'y', length: 4, graphName: 'provider-probe' });
}
