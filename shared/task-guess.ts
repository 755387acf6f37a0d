// Guesses what a model does from its metadata and its input/output shapes. Pure: no Node/DOM.
// Each rule gives a reason a user can check against the model.

import { recogniseFamily } from './families';
import type { Dim, ModelInfo, TaskGuess, ValueInfo } from './model-info';
import type { TaskKindId } from './tasks';
import { fmtShape as fmt, imageInput, isFloat, isNum as num, type ImageSignature as Image } from './signature';

type Info = Omit<ModelInfo, 'task'>;

/** Same spatial size: equal numbers, or both symbolic (dynamic input, dynamic output). */
const sameDim = (a: Dim, b: Dim): boolean => (num(a) && num(b) ? a === b : !num(a) && !num(b));
const atLeast = (out: Dim, inp: Dim): boolean => (num(out) && num(inp) ? out >= inp : !num(out) && !num(inp));

function audio(info: Info): TaskGuess | null {
  const sr = info.inputs.find((v) => /^(sr|sample_?rate)$/i.test(v.name) && (v.dtype === 'int64' || v.dtype === 'int32'));
  const wave = info.inputs.find((v) => isFloat(v) && v.shape?.length === 2);
  const named = info.inputs.find((v) => /^(input|audio|waveform|speech|pcm|input_values)$/i.test(v.name) && isFloat(v));
  if (sr && (wave || named)) {
    const a = wave ?? named!;
    return { kind: 'audio', reason: `float input "${a.name}" ${fmt(a.shape)} with an integer sample-rate input "${sr.name}"` };
  }
  const w = info.inputs.find((v) => /audio|wave|speech|pcm/i.test(v.name) && isFloat(v) && (v.shape?.length ?? 0) <= 3);
  if (w) return { kind: 'audio', reason: `float input "${w.name}" ${fmt(w.shape)} is named like audio samples` };
  return null;
}

/** One output seen against the image input: what the output rules test. */
interface OutputView {
  o: ValueInfo;
  s: Dim[];
  img: Image;
  info: Info;
  inDesc: string;
  oDesc: string;
}

/** A rule on one output of an image model: the task it shows, with the reason, or null. */
type OutputRule = (v: OutputView) => TaskGuess | null;

/** The output's channel, height and width, by the image input's layout. */
function chw(v: OutputView): { c: Dim; h: Dim; w: Dim; same: boolean } {
  const [c, h, w] = v.img.channelsFirst ? [v.s[1], v.s[2], v.s[3]] : [v.s[3], v.s[1], v.s[2]];
  return { c, h, w, same: sameDim(h, v.img.h) && sameDim(w, v.img.w) };
}

/** OCR recognition: a fixed short text-line height, an output [N, T, K] over an alphabet of K ≥ 30 with free T. */
const recogniserShape = (s: Dim[], img: Image): boolean =>
  s.length === 3 && num(img.h) && img.h <= 64 && num(s[2]) && s[2] >= 30 && !num(s[1]);

/** Rules on each output of an image model, in the order they are tried. */
const OUTPUT_RULES: OutputRule[] = [
  ({ s, img, inDesc, oDesc }) =>
    recogniserShape(s, img)
      ? {
          kind: 'text',
          reason: `${inDesc} has a text-line height of ${img.h} and ${oDesc} gives per-step scores over ${s[2]} characters (OCR recognition)`,
        }
      : null,
  ({ s, inDesc, oDesc }) =>
    s.length === 3 && num(s[1]) && num(s[2]) && s[1] >= 5 && s[1] < s[2] && s[1] <= 4 + 1000
      ? {
          kind: 'detection',
          reason: `${inDesc} and ${oDesc} looks like [batch, 4 box coords + ${s[1] - 4} classes, ${s[2]} candidates] (YOLOv8-style)`,
        }
      : null,
  ({ s, inDesc, oDesc }) =>
    s.length === 3 && num(s[1]) && (s[2] === 6 || s[2] === 7)
      ? {
          kind: 'detection',
          reason: `${inDesc} and ${oDesc} looks like [batch, detections, x1 y1 x2 y2 score class] (NMS output)`,
        }
      : null,
  ({ s, inDesc, oDesc }) =>
    s.length === 3 && num(s[1]) && num(s[2]) && s[2] >= 5 && s[1] > s[2]
      ? {
          kind: 'detection',
          reason: `${inDesc} and ${oDesc} looks like [batch, ${s[1]} candidates, 5 + ${s[2] - 5} classes] (YOLOv5-style)`,
        }
      : null,
  (v) => {
    if (v.s.length !== 4) return null;
    const { c, same } = chw(v);
    if (c !== 1 || !same) return null;
    const paddle =
      /sigmoid/i.test(v.o.name) ||
      /paddle/i.test(v.info.producer.name) ||
      v.s.some((d) => typeof d === 'string' && d.startsWith('p2o.'));
    return paddle
      ? {
          kind: 'text',
          reason: `${v.inDesc} and ${v.oDesc} is a one-channel probability map at input size from a PaddleOCR-style (sigmoid) model: text detection`,
        }
      : {
          kind: 'segmentation',
          reason: `${v.inDesc} and ${v.oDesc} is a one-channel mask at input size: binary segmentation or matting`,
        };
  },
  (v) => {
    if (v.s.length !== 4) return null;
    const { c, h, w } = chw(v);
    return c === 3 && atLeast(h, v.img.h) && atLeast(w, v.img.w)
      ? {
          kind: 'image-to-image',
          reason: `${v.inDesc} and ${v.oDesc} is a 3-channel image at least as large as the input (enhancement / super-resolution / style)`,
        }
      : null;
  },
  (v) => {
    if (v.s.length !== 4) return null;
    const { c, same } = chw(v);
    return same && num(c) && c <= 512
      ? { kind: 'segmentation', reason: `${v.inDesc} and ${v.oDesc} has ${c} class maps at input size (semantic segmentation)` }
      : null;
  },
  ({ s, inDesc, oDesc }) => {
    if (s.length !== 2 || !num(s[1]) || s[1] < 2) return null;
    const imagenet = s[1] === 1000 || s[1] === 1001 ? ' (ImageNet classes)' : '';
    return { kind: 'classification', reason: `${inDesc} and ${oDesc} gives one score per class for ${s[1]} classes${imagenet}` };
  },
];

function fromImage(info: Info, img: Image): TaskGuess | null {
  const outs = info.outputs.filter((o) => o.kind === 'tensor');
  const inDesc = `image input "${img.v.name}" ${fmt(img.v.shape)}`;
  const names = outs.map((o) => o.name.toLowerCase());
  if (names.some((n) => n.includes('box')) && names.some((n) => /score|label|class|conf/.test(n))) {
    return { kind: 'detection', reason: `${inDesc} and separate box and score outputs (${outs.map((o) => o.name).join(', ')})` };
  }
  for (const o of outs) {
    if (!o.shape) continue;
    const view: OutputView = { o, s: o.shape, img, info, inDesc, oDesc: `output "${o.name}" ${fmt(o.shape)}` };
    for (const rule of OUTPUT_RULES) {
      const guess = rule(view);
      if (guess) return guess;
    }
  }
  return null;
}

/** Rules on the whole model, in the order they are tried: known families first, then the signature. */
const MODEL_RULES: ((info: Info) => TaskGuess | null)[] = [
  (info) => {
    const match = recogniseFamily(info);
    if (!match) return null;
    const { family, reason } = match;
    return { kind: family.kind, reason: `${family.name}: ${reason}`, family: { id: family.id, name: family.name } };
  },
  audio,
  (info) => {
    const img = imageInput(info.inputs);
    return img ? fromImage(info, img) : null;
  },
];

export function guessTask(info: Info): TaskGuess {
  for (const rule of MODEL_RULES) {
    const guess = rule(info);
    if (guess) return guess;
  }
  const ins = info.inputs.map((v) => `${v.name} ${fmt(v.shape)}`).join(', ') || 'none';
  const outs = info.outputs.map((v) => `${v.name} ${fmt(v.shape)}`).join(', ') || 'none';
  return { kind: 'unknown', reason: `no rule matched the inputs (${ins}) and outputs (${outs})` };
}

/**
 * Signatures that settle what a model's outputs are, whatever else their shapes would parse as:
 * each says why, and the tasks that can read such outputs. A text-line recogniser's [N, T, 97]
 * parses as 92 "classes" of YOLOv5 boxes, but it is per-step character scores whatever its
 * alphabet (97: English, 6625: Chinese); `run`/`batch --task` refuse the other tasks with this.
 */
export const SIGNATURE_TASKS: {
  what: (info: Pick<Info, 'inputs' | 'outputs'>) => string | null;
  tasks: readonly TaskKindId[];
}[] = [
  {
    what: (info) => {
      const img = imageInput(info.inputs);
      const o = img && info.outputs.find((v) => v.kind === 'tensor' && v.shape && recogniserShape(v.shape, img));
      return o
        ? `output "${o.name}" ${fmt(o.shape)} holds per-step scores over ${o.shape![2]} characters of a text line ${img.h} pixels high (input "${img.v.name}" ${fmt(img.v.shape)}): a text recogniser's, read as text-recognition`
        : null;
    },
    tasks: ['text-recognition', 'generic'],
  },
];

/** Why `kind` cannot read a model whose signature settles its outputs (null: nothing settles them). */
export function signatureRefuses(kind: TaskKindId, info: Pick<Info, 'inputs' | 'outputs'>): string | null {
  for (const rule of SIGNATURE_TASKS) {
    const why = rule.what(info);
    if (why && !rule.tasks.includes(kind)) return why;
  }
  return null;
}
