import { describe, expect, it } from 'vitest';
import { tensorPlane } from '../../electron/engine/tensors/plane';
import type { Tensor } from '../../electron/engine/tensors/tensor';

const tensor = (dims: number[], f: (k: number) => number): Tensor => {
  const n = dims.reduce((a, b) => a * b, 1);
  return { dtype: 'float32', dims, data: Float32Array.from({ length: n }, (_, k) => f(k)) } as Tensor;
};

describe('tensorPlane', () => {
  it('averages blocks of a 1024×1024 plane down to 256×256 and keeps the whole range', () => {
    // Value = column index: the bottom-right corner (1023) lies outside a 256×256 crop.
    const t = tensor([1024, 1024], (k) => k % 1024);
    const p = tensorPlane(t, [], 256, 'map');
    expect([p.rows, p.cols, p.width, p.height]).toEqual([1024, 1024, 256, 256]);
    expect(p.values).toHaveLength(256 * 256);
    expect(p.values[0]).toBeCloseTo((0 + 1 + 2 + 3) / 4);
    expect(p.values[255]).toBeCloseTo((1020 + 1021 + 1022 + 1023) / 4);
    expect([p.min, p.max, p.planeMin, p.planeMax]).toEqual([0, 1023, 0, 1023]);
  });

  it('picks a slice and channel of a 4-D tensor, with the range of every plane', () => {
    const t = tensor([2, 3, 4, 5], (k) => k);
    const p = tensorPlane(t, [1, 2], 64, 'x');
    const first = (1 * 3 + 2) * 20;
    expect(p.values).toEqual(Array.from({ length: 20 }, (_, k) => first + k));
    expect([p.min, p.max, p.planeMin, p.planeMax]).toEqual([0, 119, first, first + 19]);
  });

  it('leaves out non-finite values and says null for a block with none', () => {
    const t = tensor([2, 2], (k) => [NaN, 1, Infinity, 3][k]);
    const p = tensorPlane(t, [], 2, 'x');
    expect(p.values).toEqual([null, 1, null, 3]);
    expect([p.min, p.max]).toEqual([1, 3]);
  });

  it('refuses a wrong or out-of-range index by name', () => {
    const t = tensor([2, 3, 4], () => 0);
    expect(() => tensorPlane(t, [], 8, 'probs')).toThrow("'probs' [2, 3, 4] needs 1 leading index(es), got 0.");
    expect(() => tensorPlane(t, [2], 8, 'probs')).toThrow("Index 2 is out of range for dim 0 (size 2) of 'probs'.");
    expect(() =>
      tensorPlane(
        tensor([4], () => 0),
        [],
        8,
        'v',
      ),
    ).toThrow('a heatmap needs 2 or more');
  });
});
