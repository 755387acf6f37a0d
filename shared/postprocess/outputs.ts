// Small helpers the postprocessors share: describing shapes in words, picking an output, value
// ranges and activations. Pure: no Node/DOM.
import { WorkbenchError } from '../result';
import type { NumericArray, OutputTensor } from '../tasks';

/** What canRead sees of an output; dims may hold -1 (or any non-positive number) for "not known yet". */
export type OutputShape = Pick<OutputTensor, 'name' | 'dims' | 'dtype'>;

/** A dim that is fixed (symbolic dims of a model's declared outputs arrive as -1). */
export const known = (d: number | undefined): d is number => typeof d === 'number' && Number.isInteger(d) && d > 0;

export const fmtDims = (dims: readonly number[]): string => `[${dims.map((d) => (known(d) ? String(d) : '?')).join(', ')}]`;

export const describeOutput = (o: OutputShape): string => `"${o.name}" ${fmtDims(o.dims)}`;

export const describeOutputs = (outputs: readonly OutputShape[]): string =>
  outputs.length === 0 ? 'no outputs' : outputs.map(describeOutput).join(', ');

/** Element types that hold numbers a postprocessor can read. */
export const isNumericDtype = (dtype: string): boolean => dtype !== 'string' && !dtype.startsWith('complex');

export function cannotRead(message: string): never {
  throw new WorkbenchError('INVALID_INPUT', message);
}

/** Element count of known dims (unknown dims count as 1). */
export const elementCount = (dims: readonly number[]): number => dims.reduce((n, d) => n * (known(d) ? d : 1), 1);

export type Picked<T> = { ok: true; output: T } | { ok: false; reason: string };

/**
 * The output a task reads: the one named in the settings, else the first whose shape `why` accepts
 * (`why` answers null for "readable", else why not). `need` says what the task needs, in words.
 */
export function pickOutput<T extends OutputShape>(
  outputs: readonly T[],
  name: string | undefined,
  why: (o: T) => string | null,
  need: string,
): Picked<T> {
  if (name !== undefined) {
    const o = outputs.find((x) => x.name === name);
    if (!o) return { ok: false, reason: `there is no output named "${name}" (outputs: ${describeOutputs(outputs)})` };
    if (!isNumericDtype(o.dtype)) return { ok: false, reason: `output "${o.name}" holds ${o.dtype} values, not numbers` };
    const r = why(o);
    return r === null ? { ok: true, output: o } : { ok: false, reason: `${need}; output ${describeOutput(o)} ${r}` };
  }
  for (const o of outputs) if (isNumericDtype(o.dtype) && why(o) === null) return { ok: true, output: o };
  return { ok: false, reason: `${need}; this model has ${describeOutputs(outputs)}` };
}

/** Smallest and largest finite value in data[start..end). Empty or all-NaN: 0 and 0. */
export function minMax(data: NumericArray, start = 0, end = data.length): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = start; i < end; i++) {
    const v = data[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min <= max ? { min, max } : { min: 0, max: 0 };
}

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

export const clampByte = (x: number): number => (x <= 0 ? 0 : x >= 255 ? 255 : Math.round(x));

/** Whether every value in data[start..end) is a whole number (class ids, label maps). */
export function allIntegers(data: NumericArray, start = 0, end = data.length, stride = 1): boolean {
  for (let i = start; i < end; i += stride) if (!Number.isInteger(data[i])) return false;
  return true;
}
