// Model families people actually run, recognised from the file: its metadata, its name, its I/O
// signature and its graph's operators. Each family gives the preprocessing, the task and the
// task settings that the family's own code uses (Ultralytics, rembg, MODNet's demo, Real-ESRGAN,
// MiDaS/Depth-Anything), with the reason it was recognised. One table: the task guess, the
// recipe guess and the suggested task settings all read it. Pure: no Node/DOM.
import type { ModelInfo, TaskKind, ValueInfo } from './model-info';
import type { RecipeChoice, RecipeFacts } from './recipe';
import { fmtShape, imageInput, isFloat, isNum, outputPlane, type ImageSignature } from './signature';
import type { TaskSettingsInput } from './tasks';

/** What a family rule may look at; models read by older code or built in tests may lack parts. */
export type FamilyInput = Pick<ModelInfo, 'inputs' | 'outputs' | 'metadata'> &
  Partial<Pick<ModelInfo, 'file' | 'ops' | 'producer'>>;

/** The facts the rules test, worked out once per model. */
export interface FamilyFacts {
  /** File name without folder, lower case ('' when unknown). */
  file: string;
  meta: Record<string, string>;
  /** Ultralytics' metadata "task" (detect, segment, pose, obb, classify), lower case. */
  task: string;
  /** Ultralytics metadata keys are present (stride, names, imgsz, kpt_shape or the author). */
  ultralytics: boolean;
  img: ImageSignature | null;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  ops: Record<string, number>;
}

export interface ModelFamily {
  id: string;
  /** As people call it. */
  name: string;
  /** What identifies it (README table). */
  identifiedBy: string;
  /** What the preset sets, in words (shown with the reason, and in the README table). */
  sets: string;
  /** The task guess's kind. */
  kind: TaskKind;
  /** Task settings the family's own code reads its outputs with (absent: the task's defaults). */
  settings?: TaskSettingsInput;
  /** The preprocessing recipe (absent: the generic recipe rules decide). */
  recipe?: (f: RecipeFacts) => RecipeChoice;
  /** Why this model is of this family, in words, or null. */
  identify: (f: FamilyFacts) => string | null;
}

/** A family recognised in a model, as the task guess carries it. */
export interface FamilyMatch {
  id: FamilyId;
  name: string;
}

const baseName = (path: string | undefined): string => (path ?? '').split(/[\\/]/).pop()!.toLowerCase();

/** A tag in the file name, between separators: "yolov8n-seg.onnx" has "seg". */
const tagged = (file: string, tag: string): boolean => new RegExp(`(^|[-_.])${tag}([-_.]|$)`).test(file);

function facts(info: FamilyInput): FamilyFacts {
  const meta = info.metadata ?? {};
  const ultralytics =
    ['stride', 'names', 'imgsz', 'kpt_shape'].some((k) => k in meta) ||
    /ultralytics/i.test(`${meta.author ?? ''} ${meta.description ?? ''}`);
  return {
    file: baseName(info.file?.path),
    meta,
    task: (meta.task ?? '').trim().toLowerCase(),
    ultralytics,
    img: imageInput(info.inputs),
    inputs: info.inputs,
    outputs: info.outputs.filter((o) => o.kind === 'tensor'),
    ops: info.ops ?? {},
  };
}

const hasOp = (f: FamilyFacts, ...ops: string[]): boolean => ops.some((op) => (f.ops[op] ?? 0) > 0);
const out = (o: ValueInfo): string => `output "${o.name}" ${fmtShape(o.shape)}`;

/** A [1, F, N] head with F features per candidate along dim 1 (YOLOv8 layout). */
const yoloHead = (f: FamilyFacts): ValueInfo | undefined =>
  f.outputs.find((o) => o.shape?.length === 3 && isNum(o.shape[1]) && (!isNum(o.shape[2]) || o.shape[1] < o.shape[2]));

/** The prototype masks of a -seg head: [1, nm, H/4, W/4] beside a [1, 4+C+nm, N] head. */
function segSignature(f: FamilyFacts): string | null {
  const head = yoloHead(f);
  const protos = f.outputs.find((o) => o.shape?.length === 4 && isNum(o.shape[1]) && o.shape[1] >= 8 && o.shape[1] <= 64);
  if (!head || !protos || !f.img) return null;
  const nm = protos.shape![1] as number;
  if (!isNum(head.shape![1]) || head.shape![1] <= 4 + nm) return null;
  const quarter = !isNum(f.img.h) || !isNum(protos.shape![2]) || protos.shape![2] * 4 === f.img.h;
  return quarter ? `${out(head)} with ${nm} mask coefficients and prototype masks ${out(protos)}` : null;
}

/** A one-channel map at the input's size: the foreground of a background-removal model. */
function mattingSignature(f: FamilyFacts, side: number): string | null {
  const img = f.img;
  if (!img || img.h !== side || img.w !== side || f.outputs.length === 0) return null;
  const first = outputPlane(f.outputs[0], img);
  if (!first || first.c !== 1 || first.h !== side || first.w !== side) return null;
  return `image input ${fmtShape(img.v.shape)} and a one-channel ${side}×${side} map as the first output (${out(f.outputs[0])})`;
}

/** The integer factor an image-shaped 3-channel output is larger than the input, or null. */
function upscale(f: FamilyFacts): { factor: number; o: ValueInfo } | null {
  const img = f.img;
  if (!img) return null;
  for (const o of f.outputs) {
    const p = outputPlane(o, img);
    if (!p || p.c !== 3 || !isNum(p.h) || !isNum(p.w) || !isNum(img.h) || !isNum(img.w)) continue;
    const k = p.h / img.h;
    if (Number.isInteger(k) && k >= 2 && k <= 8 && p.w === img.w * k) return { factor: k, o };
  }
  return null;
}

const sizeOr = (f: RecipeFacts, side: number): [number, number] => f.size ?? [side, side];

/** Ultralytics' LetterBox: aspect kept, grey 114 padding, values 0..1. */
const letterbox =
  (what: string) =>
  (f: RecipeFacts): RecipeChoice => ({
    resize: { mode: 'letterbox', width: sizeOr(f, 640)[1], height: sizeOr(f, 640)[0] },
    normalize: 'none',
    defaultSize: true,
    note: `${what}: letterbox with grey 114 padding, values 0..1 (x/255), no mean/std`,
  });

/** rembg's normalize(): RGB, LANCZOS to a square, divided by the image's largest value, then (x - mean) / std. */
const rembg =
  (side: number, mean: number[], std: number[], what: string) =>
  (f: RecipeFacts): RecipeChoice => ({
    resize: { mode: 'stretch', width: sizeOr(f, side)[1], height: sizeOr(f, side)[0], interpolation: 'lanczos3' },
    normalize: 'none',
    extra: { mean, std, scaleByMax: true },
    note: `${what} as rembg feeds it: stretched to ${sizeOr(f, side)[1]}×${sizeOr(f, side)[0]} (Lanczos), divided by the image's brightest value, mean ${mean.join('/')}, std ${std.join('/')}`,
  });

const ULTRALYTICS_IOU = 0.7;

/** The families, in the order they are tried: the first that recognises a model wins. */
export const FAMILIES = [
  {
    id: 'ultralytics-seg',
    name: 'Ultralytics YOLO-seg',
    identifiedBy: 'metadata task "segment"; or a "-seg" file name or the signature [1, 4+C+32, N] + prototypes [1, 32, H/4, W/4]',
    sets: 'letterbox 0..1; boxes with instance masks (coefficients × prototypes, sigmoid, cropped to the box), NMS IoU 0.7',
    kind: 'detection',
    settings: { kind: 'detection', layout: 'yolov8-seg', iou: ULTRALYTICS_IOU },
    recipe: letterbox('Ultralytics YOLO-seg'),
    identify: (f) => {
      if (f.task === 'segment') return 'metadata "task" is "segment" (Ultralytics instance segmentation)';
      const sig = segSignature(f);
      return sig ? `${sig}${tagged(f.file, 'seg') ? ' in a "-seg" model' : ''}` : null;
    },
  },
  {
    id: 'ultralytics-pose',
    name: 'Ultralytics YOLO-pose',
    identifiedBy: 'metadata task "pose" or "kpt_shape"; or a "-pose" file name with Ultralytics metadata',
    sets: 'letterbox 0..1; boxes with keypoints (COCO skeleton for 17), NMS IoU 0.7',
    kind: 'detection',
    settings: { kind: 'detection', layout: 'yolov8-pose', iou: ULTRALYTICS_IOU },
    recipe: letterbox('Ultralytics YOLO-pose'),
    identify: (f) =>
      f.task === 'pose'
        ? 'metadata "task" is "pose" (Ultralytics keypoints)'
        : 'kpt_shape' in f.meta
          ? `metadata "kpt_shape" is ${f.meta.kpt_shape} (Ultralytics keypoints)`
          : f.ultralytics && tagged(f.file, 'pose')
            ? 'a "-pose" model with Ultralytics metadata'
            : null,
  },
  {
    id: 'ultralytics-obb',
    name: 'Ultralytics YOLO-obb',
    identifiedBy: 'metadata task "obb"; or an "-obb" file name with Ultralytics metadata',
    sets: 'letterbox 0..1; rotated boxes (x, y, w, h, angle) with rotated NMS IoU 0.7, DOTA names for 15 classes',
    kind: 'detection',
    settings: { kind: 'detection', layout: 'yolov8-obb', iou: ULTRALYTICS_IOU },
    recipe: letterbox('Ultralytics YOLO-obb'),
    identify: (f) =>
      f.task === 'obb'
        ? 'metadata "task" is "obb" (Ultralytics oriented bounding boxes)'
        : f.ultralytics && tagged(f.file, 'obb')
          ? 'an "-obb" model with Ultralytics metadata'
          : null,
  },
  {
    id: 'ultralytics-cls',
    name: 'Ultralytics YOLO-cls',
    identifiedBy: 'metadata task "classify"; or a "-cls" file name with Ultralytics metadata',
    sets: 'centre crop 0..1, no mean/std; top-5 classes (the model gives probabilities)',
    kind: 'classification',
    settings: { kind: 'classification' },
    recipe: (f) => ({
      resize: { mode: 'center-crop', width: sizeOr(f, 224)[1], height: sizeOr(f, 224)[0] },
      normalize: 'none',
      defaultSize: true,
      note: 'Ultralytics classifier (metadata "task" is "classify"): centre crop, values 0..1, no mean/std',
    }),
    identify: (f) =>
      f.task === 'classify'
        ? 'metadata "task" is "classify" (Ultralytics classification)'
        : f.ultralytics && tagged(f.file, 'cls')
          ? 'a "-cls" model with Ultralytics metadata'
          : null,
  },
  {
    id: 'rt-detr',
    name: 'RT-DETR',
    identifiedBy: '"rtdetr" / "rt-detr" in the file name or the metadata description, with rows [1, N, 4+C]',
    sets: 'stretch 0..1; normalised cxcywh boxes and class scores per query, no NMS',
    kind: 'detection',
    settings: { kind: 'detection', layout: 'detr', boxFormat: 'cxcywh', normalized: 'yes' },
    recipe: (f) => ({
      resize: { mode: 'stretch', width: sizeOr(f, 640)[1], height: sizeOr(f, 640)[0] },
      normalize: 'none',
      defaultSize: true,
      note: 'RT-DETR (Ultralytics feeds it stretched, not letterboxed): stretch, values 0..1, no mean/std',
    }),
    identify: (f) => {
      const named = /rt-?detr/.test(f.file) || /rt-?detr/i.test(f.meta.description ?? '');
      const rows = f.outputs.find((o) => o.shape?.length === 3 && isNum(o.shape[2]) && o.shape[2] > 4);
      return named && rows ? `an RT-DETR model (name) with ${out(rows)}: queries × (box + class scores)` : null;
    },
  },
  {
    id: 'yolo-end-to-end',
    name: 'YOLOv10 / end-to-end YOLO',
    identifiedBy: 'Ultralytics metadata or "yolov10" in the file name, with an output [1, N, 6]',
    sets: 'letterbox 0..1; x1 y1 x2 y2 score class rows, no NMS (the model did it)',
    kind: 'detection',
    settings: { kind: 'detection', layout: 'end-to-end' },
    recipe: letterbox('End-to-end YOLO'),
    identify: (f) => {
      const rows = f.outputs.find((o) => o.shape?.length === 3 && o.shape[2] === 6);
      if (!rows || !(f.ultralytics || /yolov10/.test(f.file))) return null;
      return `${f.ultralytics ? 'Ultralytics metadata' : 'a YOLOv10 model (name)'} with ${out(rows)}: boxes already through NMS`;
    },
  },
  {
    id: 'ultralytics-detect',
    name: 'Ultralytics YOLOv5/v8/v11',
    identifiedBy: 'metadata task "detect" or Ultralytics metadata (stride, names, imgsz)',
    sets: 'letterbox 0..1; YOLO boxes, class names from the metadata, NMS IoU 0.7',
    kind: 'detection',
    settings: { kind: 'detection', iou: ULTRALYTICS_IOU },
    recipe: letterbox('Ultralytics metadata (stride/names/imgsz)'),
    identify: (f) =>
      f.task === 'detect'
        ? 'metadata "task" is "detect" (Ultralytics object detection)'
        : f.ultralytics && !f.task
          ? `Ultralytics metadata (stride/names/imgsz)${yoloHead(f) ? ` and ${out(yoloHead(f)!)}` : ''}`
          : null,
  },
  {
    id: 'yolo-layout',
    name: 'YOLO-layout detector',
    identifiedBy: 'no metadata, an output [1, 4+C, N] or [1, N, 5+C] with at least 1000 candidates',
    sets: 'letterbox 0..1 (as YOLO exports are trained); YOLO boxes with NMS',
    kind: 'detection',
    settings: { kind: 'detection' },
    recipe: letterbox('YOLO-layout output'),
    identify: (f) => {
      if (!f.img || f.task) return null;
      const o = f.outputs.find((v) => {
        const s = v.shape;
        if (s?.length !== 3 || !isNum(s[1]) || !isNum(s[2])) return false;
        const [a, k] = [s[1], s[2]];
        return (a >= 5 && a <= 1004 && k >= 1000 && a < k) || (k >= 6 && k <= 1005 && a >= 1000);
      });
      if (!o) return null;
      const [a, k] = [o.shape![1] as number, o.shape![2] as number];
      return a < k
        ? `${out(o)} looks like [batch, 4 box coords + ${a - 4} classes, ${k} candidates] (YOLOv8-style)`
        : `${out(o)} looks like [batch, ${a} candidates, 5 + ${k - 5} classes] (YOLOv5-style)`;
    },
  },
  {
    id: 'isnet',
    name: 'ISNet (DIS, rembg isnet-general-use)',
    identifiedBy:
      '"isnet" in the file name; or a 1024×1024 input, a one-channel 1024×1024 first output and a convolution-only graph (no MatMul)',
    sets: "rembg's normalisation (Lanczos to 1024², ÷ the brightest value, mean 0.485/0.456/0.406, std 1); first output stretched min–max; soft mask, cut-outs",
    kind: 'segmentation',
    settings: { kind: 'segmentation', mode: 'binary', activation: 'minmax', soft: true },
    recipe: rembg(1024, [0.485, 0.456, 0.406], [1, 1, 1], 'ISNet'),
    identify: (f) => {
      if (/isnet|rmbg[-_]?1/.test(f.file)) return `an ISNet model ("${f.file}")`;
      const sig = mattingSignature(f, 1024);
      return sig && Object.keys(f.ops).length > 0 && !hasOp(f, 'MatMul', 'Softmax') ? `${sig}, convolutions only` : null;
    },
  },
  {
    id: 'birefnet',
    name: 'BiRefNet (rembg birefnet-*, RMBG-2.0)',
    identifiedBy:
      '"birefnet" / "rmbg-2" in the file name; or a 1024×1024 input, a one-channel first output and attention (MatMul, Softmax) in the graph',
    sets: "rembg's normalisation (Lanczos to 1024², ÷ the brightest value, ImageNet mean/std); sigmoid then min–max; soft mask, cut-outs",
    kind: 'segmentation',
    settings: { kind: 'segmentation', mode: 'binary', activation: 'sigmoid-minmax', soft: true },
    recipe: rembg(1024, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225], 'BiRefNet'),
    identify: (f) => {
      if (/birefnet|rmbg[-_]?2/.test(f.file)) return `a BiRefNet model ("${f.file}")`;
      const sig = mattingSignature(f, 1024);
      return sig && hasOp(f, 'MatMul') && hasOp(f, 'Softmax') ? `${sig}, with attention layers (MatMul, Softmax)` : null;
    },
  },
  {
    id: 'u2net',
    name: 'U²-Net (rembg u2net, u2netp, silueta)',
    identifiedBy:
      '"u2net" / "silueta" in the file name; or a 320×320 input and several one-channel 320×320 outputs (side outputs)',
    sets: "rembg's normalisation (Lanczos to 320², ÷ the brightest value, ImageNet mean/std); first output min–max; soft mask, cut-outs",
    kind: 'segmentation',
    settings: { kind: 'segmentation', mode: 'binary', activation: 'minmax', soft: true },
    recipe: rembg(320, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225], 'U²-Net'),
    identify: (f) => {
      if (/u2net|silueta/.test(f.file)) return `a U²-Net model ("${f.file}")`;
      const sig = mattingSignature(f, 320);
      const sides = f.img ? f.outputs.filter((o) => outputPlane(o, f.img!)?.c === 1).length : 0;
      return sig && sides >= 2 ? `${sig} and ${sides} one-channel side outputs` : null;
    },
  },
  {
    id: 'modnet',
    name: 'MODNet (portrait matting)',
    identifiedBy: '"modnet" in the file name',
    sets: 'shorter side 512, sides multiples of 32, values -1..1 (mean/std 0.5); the alpha matte as it is; soft mask, cut-outs',
    kind: 'segmentation',
    settings: { kind: 'segmentation', mode: 'binary', activation: 'none', soft: true },
    recipe: () => ({
      resize: { mode: 'shorter-side', width: 512, height: 512, shorterSide: 512, multipleOf: 32, interpolation: 'bilinear' },
      normalize: 'half',
      note: 'MODNet as its ONNX demo feeds it: shorter side to 512, both sides cut down to multiples of 32, values -1..1',
    }),
    identify: (f) => (/modnet/.test(f.file) && f.img ? `a MODNet model ("${f.file}")` : null),
  },
  {
    id: 'depth',
    name: 'Depth (MiDaS, DPT, Depth-Anything)',
    identifiedBy: '"midas" / "dpt" / "depth" in the file name, or an output named like depth; one channel at the input size',
    sets: 'ImageNet mean/std; depth through the inferno colour map, stretched min–max: relative depth (nearer is brighter), not metres',
    kind: 'image-to-image',
    settings: { kind: 'image-to-image', denormalize: 'minmax', colormap: 'inferno' },
    recipe: (f) =>
      f.size
        ? {
            resize: { mode: 'stretch', width: f.size[1], height: f.size[0], interpolation: 'bicubic' },
            normalize: 'imagenet',
            note: `depth model: stretched to ${f.size[1]}×${f.size[0]} (bicubic), ImageNet mean/std (MiDaS, Depth-Anything; DPT-Large/Hybrid want mean/std 0.5)`,
          }
        : {
            resize: { mode: 'shorter-side', width: 518, height: 518, shorterSide: 518, multipleOf: 14, interpolation: 'bicubic' },
            normalize: 'imagenet',
            note: 'Depth-Anything-style free input: shorter side 518, sides multiples of 14 (its ViT patch), bicubic, ImageNet mean/std',
          },
    identify: (f) => {
      if (!f.img) return null;
      const named = /midas|dpt|depth/.test(f.file);
      const o = f.outputs.find((v) => /depth/i.test(v.name)) ?? f.outputs[0];
      const s = o?.shape;
      const oneChannel = !!s && (s.length === 3 || (s.length === 4 && outputPlane(o, f.img)?.c === 1));
      if (!oneChannel) return null;
      if (named) return `a depth model ("${f.file}") with one-channel ${out(o)}`;
      return /depth/i.test(o.name) ? `one-channel ${out(o)} is named like depth` : null;
    },
  },
  {
    id: 'super-resolution',
    name: 'Super-resolution (Real-ESRGAN style)',
    identifiedBy:
      'a 3-channel output a whole number of times the input size; or "esrgan" / "upscal" / "x4" in the name, or DepthToSpace (pixel shuffle) with free sizes',
    sets: "values 0..1, no mean/std, no enlarging before the model (a fixed input: tiles over the whole image); the output read as 0..1 RGB at the model's scale",
    kind: 'image-to-image',
    settings: { kind: 'image-to-image', denormalize: 'unit' },
    recipe: (f) =>
      f.size
        ? {
            resize: { mode: 'stretch', width: f.size[1], height: f.size[0], interpolation: 'bicubic' },
            normalize: 'none',
            // Upscalers see local texture only: tiles at the model's input size give the full-resolution result.
            extra: { tile: { size: 'auto', overlap: 'auto' } },
            note: `super-resolution with a fixed ${f.size[1]}×${f.size[0]} input: values 0..1, tile by tile over the whole image`,
          }
        : {
            resize: { mode: 'fit-inside', width: 1024, height: 1024, multipleOf: 1 },
            normalize: 'none',
            note: 'super-resolution with free sizes: the image as it is (at most 1024 px a side), values 0..1',
          },
    identify: (f) => {
      const up = upscale(f);
      if (up) return `${out(up.o)} is ×${up.factor} the image input ${fmtShape(f.img!.v.shape)}: an upscaler`;
      const img = f.img;
      if (!img) return null;
      const rgbOut = f.outputs.find((o) => outputPlane(o, img)?.c === 3);
      if (!rgbOut) return null;
      if (/esrgan|realesr|upscal|swinir|x[2-8]plus|(^|[-_.])x[2-8]([-_.]|$)/.test(f.file))
        return `an upscaler ("${f.file}") with 3-channel ${out(rgbOut)}`;
      return !isNum(img.h) && hasOp(f, 'DepthToSpace')
        ? `3-channel ${out(rgbOut)} after DepthToSpace (pixel shuffle) with free sizes: an upscaler`
        : null;
    },
  },
  {
    id: 'silero-vad',
    name: 'Silero VAD',
    identifiedBy:
      'a float audio input with an integer sample-rate input "sr" and a recurrent state input ("state", or "h" and "c")',
    sets: 'audio in 16 kHz chunks with the state carried over: a speech timeline',
    kind: 'audio',
    identify: (f) => {
      const sr = f.inputs.find((v) => /^(sr|sample_?rate)$/i.test(v.name) && (v.dtype === 'int64' || v.dtype === 'int32'));
      const state = f.inputs.find((v) => /^(state|h|c|h0|c0)$/i.test(v.name) && isFloat(v));
      const wave = f.inputs.find((v) => isFloat(v) && v !== state && (v.shape?.length ?? 0) <= 2);
      if (!sr || !state || !wave) return null;
      return `audio input "${wave.name}" ${fmtShape(wave.shape)}, sample-rate input "${sr.name}" and recurrent state "${state.name}"${/silero/.test(f.file) ? ` ("${f.file}")` : ''}`;
    },
  },
] as const satisfies readonly ModelFamily[];

export type FamilyId = (typeof FAMILIES)[number]['id'];

export function familyById(id: string | undefined | null): ModelFamily | undefined {
  return FAMILIES.find((f) => f.id === id);
}

/** The first family that recognises the model, with the reason. */
export function recogniseFamily(info: FamilyInput): { family: ModelFamily & { id: FamilyId }; reason: string } | null {
  const f = facts(info);
  for (const family of FAMILIES) {
    const reason = family.identify(f);
    if (reason) return { family, reason };
  }
  return null;
}
