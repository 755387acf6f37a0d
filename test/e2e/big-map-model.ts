// A model with a big 4-D output for the heatmap (screenshots and e2e): map = x + G, G
// [1, 2, 1024, 1024]: rings in channel 0 with a bright spot (value +4) near the bottom-right
// corner, which a top-left 256×256 crop would miss; a diagonal ramp 0..1 in channel 1.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildModel } from '../fixtures/onnx-builder';

export const BIG_MAP_SIZE = 1024;

export async function writeBigMapModel(dir: string): Promise<string> {
  const n = BIG_MAP_SIZE;
  const g = new Float32Array(2 * n * n);
  for (let r = 0; r < n; r++)
    for (let c = 0; c < n; c++) {
      const d = Math.hypot(r - n / 2, c - n / 2);
      g[r * n + c] = Math.sin(d / 24) + (Math.hypot(r - 900, c - 900) < 40 ? 4 : 0);
      g[n * n + r * n + c] = (r + c) / (2 * n);
    }
  const path = join(dir, 'big-map.onnx');
  await writeFile(
    path,
    buildModel({
      inputs: [{ name: 'x', dtype: 'float32', shape: [1, 2, n, n] }],
      outputs: [{ name: 'map', dtype: 'float32', shape: [1, 2, n, n] }],
      initializers: [{ name: 'G', dtype: 'float32', dims: [1, 2, n, n], data: g }],
      nodes: [{ op: 'Add', inputs: ['x', 'G'], outputs: ['map'] }],
    }),
  );
  return path;
}
