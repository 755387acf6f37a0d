// onnxruntime-node, loaded on first use so that starting the engine stays cheap.
import type * as OrtModule from 'onnxruntime-node';

type Ort = typeof OrtModule;

let ort: Promise<Ort> | null = null;

export function loadOrt(): Promise<Ort> {
  ort ??= import('onnxruntime-node').then((m) => ((m as { default?: Ort }).default ?? m) as Ort);
  return ort;
}
