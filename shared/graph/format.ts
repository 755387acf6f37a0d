// Short texts for graph boxes and labels.
import type { Dim } from '../model-info';

export function formatShape(shape: readonly (Dim | number)[]): string {
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join('×')}]`;
}
