// Classification: one row of class scores per batch image → the top k classes with names.
import type { ClassificationResult, NumericArray, Readable, TaskSettingsOf } from '../tasks';
import type { PostprocessContext } from './context';
import { labelOf, resolveLabels } from './labels';
import { topByScore } from './nms';
import { cannotRead, known, pickOutput, type OutputShape } from './outputs';

type Settings = TaskSettingsOf<'classification'>;

const NEED = 'classification needs an output of class scores shaped [N, C], [N, C, 1, 1] or [C]';

/** Null when the shape holds class scores, else why not. */
function whyNot(o: OutputShape): string | null {
  const d = o.dims;
  const classes = (c: number): string | null => (!known(c) || c >= 2 ? null : `has ${c} class`);
  if (d.length === 1) return classes(d[0]);
  if (d.length === 2) return classes(d[1]);
  if (d.length === 4 && (!known(d[2]) || d[2] === 1) && (!known(d[3]) || d[3] === 1)) return classes(d[1]);
  return 'is not shaped like that';
}

export function canReadClassification(settings: Settings, outputs: OutputShape[]): Readable {
  const p = pickOutput(outputs, settings.output, whyNot, NEED);
  return p.ok ? { ok: true, outputs: [p.output.name] } : p;
}

/** Already probabilities: every value in 0..1 and they sum to 1 (float16 rounding allowed). */
export function isDistribution(data: NumericArray, offset: number, count: number): boolean {
  let sum = 0;
  for (let i = offset; i < offset + count; i++) {
    const v = data[i];
    if (!(v >= -1e-6 && v <= 1 + 1e-6)) return false;
    sum += v;
  }
  return Math.abs(sum - 1) <= 0.01;
}

/** Softmax of data[offset..offset+count), max-subtracted so big logits do not overflow. */
export function softmax(data: NumericArray, offset: number, count: number): Float64Array {
  const out = new Float64Array(count);
  let max = -Infinity;
  for (let i = 0; i < count; i++) max = Math.max(max, data[offset + i]);
  let sum = 0;
  for (let i = 0; i < count; i++) sum += out[i] = Math.exp(data[offset + i] - max);
  for (let i = 0; i < count; i++) out[i] /= sum;
  return out;
}

const copyRange = (data: NumericArray, offset: number, count: number): Float64Array => {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = data[offset + i];
  return out;
};

export function readClassification(settings: Settings, ctx: PostprocessContext): ClassificationResult[] {
  const p = pickOutput(ctx.outputs, settings.output, whyNot, NEED);
  if (!p.ok) cannotRead(p.reason);
  const o = p.output;
  const classes = o.dims.length === 1 ? o.dims[0] : o.dims[1];
  const rows = o.dims.length === 1 ? 1 : o.dims[0];
  if (o.data.length < rows * classes)
    cannotRead(`output "${o.name}" has ${o.data.length} values, fewer than its shape ${rows}×${classes} needs`);
  const labels = resolveLabels(settings.labels, ctx, classes);
  const k = Math.min(settings.topK, classes);
  const results: ClassificationResult[] = [];
  for (let r = 0; r < rows; r++) {
    const offset = r * classes;
    const apply = settings.softmax === 'always' || (settings.softmax === 'auto' && !isDistribution(o.data, offset, classes));
    const scores = apply ? softmax(o.data, offset, classes) : copyRange(o.data, offset, classes);
    results.push({
      kind: 'classification',
      output: o.name,
      classes,
      softmaxApplied: apply,
      top: Array.from(topByScore(scores, classes, k), (c) => ({ classId: c, label: labelOf(labels, c), score: scores[c] })),
      image: r,
    });
  }
  return results;
}
