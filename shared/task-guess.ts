// Guesses what a model does from its metadata and its input/output shapes. Pure: no Node/DOM.
// Each rule gives a reason a user can check against the model.

import type { Dim, ModelInfo, TaskGuess, ValueInfo } from './model-info';

type Info = Omit<ModelInfo, 'task'>;

const ULTRALYTICS_TASKS: Record<string, TaskGuess> = {
  detect: { kind: 'detection', reason: 'metadata "task" is "detect" (Ultralytics object detection)' },
  segment: { kind: 'segmentation', reason: 'metadata "task" is "segment" (Ultralytics instance segmentation)' },
  classify: { kind: 'classification', reason: 'metadata "task" is "classify" (Ultralytics classification)' },
  pose: { kind: 'detection', reason: 'metadata "task" is "pose" (Ultralytics pose: people boxes with keypoints)' },
  obb: { kind: 'detection', reason: 'metadata "task" is "obb" (Ultralytics oriented bounding boxes)' },
};

const fmt = (s: Dim[] | null): string => (s ? `[${s.map((d) => (d === null ? '?' : String(d))).join(', ')}]` : '[unknown rank]');
const num = (d: Dim | undefined): d is number => typeof d === 'number';
const isFloat = (v: ValueInfo): boolean => v.dtype === 'float32' || v.dtype === 'float16' || v.dtype === 'float64';

interface Image {
  v: ValueInfo;
  channelsFirst: boolean;
  h: Dim;
  w: Dim;
}

/** An input shaped [N,3,H,W] or [N,H,W,3] (float or uint8). */
function imageInput(inputs: ValueInfo[]): Image | null {
  for (const v of inputs) {
    const s = v.shape;
    if (v.kind !== 'tensor' || !s || s.length !== 4 || !(isFloat(v) || v.dtype === 'uint8')) continue;
    if (s[1] === 3 || s[1] === 1) return { v, channelsFirst: true, h: s[2], w: s[3] };
    if (s[3] === 3 || s[3] === 1) return { v, channelsFirst: false, h: s[1], w: s[2] };
  }
  return null;
}

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

function fromImage(info: Info, img: Image): TaskGuess | null {
  const outs = info.outputs.filter((o) => o.kind === 'tensor');
  const inDesc = `image input "${img.v.name}" ${fmt(img.v.shape)}`;
  const names = outs.map((o) => o.name.toLowerCase());
  if (names.some((n) => n.includes('box')) && names.some((n) => /score|label|class|conf/.test(n))) {
    return { kind: 'detection', reason: `${inDesc} and separate box and score outputs (${outs.map((o) => o.name).join(', ')})` };
  }
  for (const o of outs) {
    const s = o.shape;
    if (!s) continue;
    const oDesc = `output "${o.name}" ${fmt(s)}`;
    // OCR recognition: fixed short text-line height, output [N, T, K] with a large alphabet K.
    if (s.length === 3 && num(img.h) && img.h <= 64 && num(s[2]) && s[2] >= 30 && !num(s[1])) {
      return {
        kind: 'text',
        reason: `${inDesc} has a text-line height of ${img.h} and ${oDesc} gives per-step scores over ${s[2]} characters (OCR recognition)`,
      };
    }
    if (s.length === 3 && num(s[1]) && num(s[2])) {
      const [a, b] = [s[1], s[2]];
      if (a >= 5 && a < b && a <= 4 + 1000)
        return {
          kind: 'detection',
          reason: `${inDesc} and ${oDesc} looks like [batch, 4 box coords + ${a - 4} classes, ${b} candidates] (YOLOv8-style)`,
        };
      if (b === 6 || b === 7)
        return {
          kind: 'detection',
          reason: `${inDesc} and ${oDesc} looks like [batch, detections, x1 y1 x2 y2 score class] (NMS output)`,
        };
      if (b >= 5 && a > b)
        return {
          kind: 'detection',
          reason: `${inDesc} and ${oDesc} looks like [batch, ${a} candidates, 5 + ${b - 5} classes] (YOLOv5-style)`,
        };
    }
    if (s.length === 4) {
      const c = img.channelsFirst ? s[1] : s[3];
      const h = img.channelsFirst ? s[2] : s[1];
      const w = img.channelsFirst ? s[3] : s[2];
      const same = sameDim(h, img.h) && sameDim(w, img.w);
      if (c === 1 && same) {
        const paddle =
          /sigmoid/i.test(o.name) ||
          /paddle/i.test(info.producer.name) ||
          s.some((d) => typeof d === 'string' && d.startsWith('p2o.'));
        return paddle
          ? {
              kind: 'text',
              reason: `${inDesc} and ${oDesc} is a one-channel probability map at input size from a PaddleOCR-style (sigmoid) model: text detection`,
            }
          : {
              kind: 'segmentation',
              reason: `${inDesc} and ${oDesc} is a one-channel mask at input size: binary segmentation or matting`,
            };
      }
      if (c === 3 && atLeast(h, img.h) && atLeast(w, img.w)) {
        return {
          kind: 'image-to-image',
          reason: `${inDesc} and ${oDesc} is a 3-channel image at least as large as the input (enhancement / super-resolution / style)`,
        };
      }
      if (same && num(c) && c <= 512) {
        return {
          kind: 'segmentation',
          reason: `${inDesc} and ${oDesc} has ${c} class maps at input size (semantic segmentation)`,
        };
      }
    }
    if (s.length === 2 && num(s[1]) && s[1] >= 2) {
      const imagenet = s[1] === 1000 || s[1] === 1001 ? ' (ImageNet classes)' : '';
      return {
        kind: 'classification',
        reason: `${inDesc} and ${oDesc} gives one score per class for ${s[1]} classes${imagenet}`,
      };
    }
  }
  return null;
}

export function guessTask(info: Info): TaskGuess {
  const meta = info.metadata.task?.trim().toLowerCase();
  if (meta && ULTRALYTICS_TASKS[meta]) return ULTRALYTICS_TASKS[meta];
  const a = audio(info);
  if (a) return a;
  const img = imageInput(info.inputs);
  if (img) {
    const g = fromImage(info, img);
    if (g) return g;
  }
  const ins = info.inputs.map((v) => `${v.name} ${fmt(v.shape)}`).join(', ') || 'none';
  const outs = info.outputs.map((v) => `${v.name} ${fmt(v.shape)}`).join(', ') || 'none';
  return { kind: 'unknown', reason: `no rule matched the inputs (${ins}) and outputs (${outs})` };
}
