// How an image becomes a tensor, every step explicit: resize, alpha, channel order, scale, mean/std,
// layout and element type. Pure (no Node/DOM): the engine applies a recipe, the UI shows and edits it,
// and the detection postprocessor uses ImageTransform to put boxes back on the original image.
//
// Pixel values: x is the 8-bit sRGB value (0..255) after resizing. Float tensors hold
// (x * scale - mean[c]) / std[c]. Integer tensors (uint8, int8, int32) skip that unless
// normalizeIntegers is set: uint8 and int32 hold x itself, int8 holds x - 128 (the usual int8
// image quantisation: real value x/255 with zero point -128). Casting to an integer type always
// rounds to nearest and clamps to the type's range. float16 rounds to nearest even.
import { z } from 'zod';
import { familyById, recogniseFamily } from './families';
import type { Dim, ModelInfo, ValueInfo } from './model-info';
import { tileSettingsSchema } from './tiles';

export const RESIZE_MODES = [
  'stretch',
  'letterbox',
  'center-crop',
  'shorter-side-crop',
  'shorter-side',
  'fit-height',
  'fit-inside',
] as const;
export type ResizeMode = (typeof RESIZE_MODES)[number];
export const INTERPOLATIONS = ['nearest', 'bilinear', 'bicubic', 'lanczos3'] as const;
export const LAYOUTS = ['NCHW', 'NHWC', 'CHW', 'HWC'] as const;
export type Layout = (typeof LAYOUTS)[number];
export const CHANNEL_ORDERS = ['RGB', 'BGR', 'GRAY'] as const;
export const ALPHA_MODES = ['drop', 'composite-white', 'composite-black', 'keep'] as const;
export const RECIPE_DTYPES = ['float32', 'float16', 'uint8', 'int8', 'int32', 'float64'] as const;
export type RecipeDType = (typeof RECIPE_DTYPES)[number];

const side = z.number().int().min(1).max(16384);
const byte = z.number().int().min(0).max(255);
const finite = z.number().refine(Number.isFinite, { message: 'must be a finite number' });

export const resizeSchema = z.strictObject({
  /**
   * stretch: to width×height, aspect ratio not kept.
   * letterbox: fit inside width×height keeping the aspect ratio, pad centred with padColor (Ultralytics).
   * center-crop: cover width×height keeping the aspect ratio, cut the overflow evenly on both sides.
   * shorter-side-crop: shorter side to shorterSide, then cut a centred width×height (torchvision Resize+CenterCrop).
   * fit-height: height exactly `height`, width follows the aspect ratio, rounded up to multipleOf, at most `width` (OCR text lines).
   * fit-inside: keep the aspect ratio, never enlarge, fit inside width×height, each side rounded to multipleOf (OCR detection).
   * shorter-side: shorter side to shorterSide (default: the smaller of width and height), aspect kept, each side cut down to multipleOf (MODNet, Depth-Anything).
   */
  mode: z.enum(RESIZE_MODES),
  width: side,
  height: side,
  padColor: z.tuple([byte, byte, byte]).default([114, 114, 114]),
  /** shorter-side-crop: default the crop's longer side / 0.875 (256 for a 224 crop); shorter-side: default min(width, height). */
  shorterSide: side.optional(),
  /** fit-height, fit-inside and shorter-side: output sides are multiples of this; default 8 (fit-height) or 32. */
  multipleOf: z.number().int().min(1).max(1024).optional(),
  interpolation: z.enum(INTERPOLATIONS).default('bilinear'),
  /**
   * fit-height: the tensor is always `width` wide, the resized line at its left and the rest
   * padded on the right (PaddleOCR's resize_norm_img for the direction classifier, 3×48×192).
   */
  padRight: z.boolean().optional(),
});
export type ResizeSpec = z.infer<typeof resizeSchema>;

export const preprocessRecipeSchema = z
  .strictObject({
    resize: resizeSchema,
    layout: z.enum(LAYOUTS).default('NCHW'),
    channels: z.enum(CHANNEL_ORDERS).default('RGB'),
    /** keep: an extra A channel (RGBA, BGRA or YA); composite-*: blend onto white/black; drop: ignore alpha. */
    alpha: z.enum(ALPHA_MODES).default('drop'),
    scale: finite.default(1 / 255),
    /** Per channel in tensor channel order, or one value for all channels. */
    mean: z.array(finite).min(1).max(4).default([0]),
    std: z
      .array(finite.refine((v) => v !== 0, { message: 'must not be 0' }))
      .min(1)
      .max(4)
      .default([1]),
    dtype: z.enum(RECIPE_DTYPES).default('float32'),
    /** Apply scale/mean/std also for uint8, int8 and int32 tensors. */
    normalizeIntegers: z.boolean().default(false),
    /**
     * Run tile by tile over the image at its own size, blended over the overlaps (shared/tiles.ts):
     * for image-to-image and segmentation/matting models with a fixed input smaller than the
     * image. `resize` is then not used.
     */
    tile: tileSettingsSchema.optional(),
    /**
     * Divide by the resized image's brightest colour value instead of using `scale` (rembg's
     * normalize(): x / max(x)); the same as scale 1/255 for any image with a 255 in it.
     */
    scaleByMax: z.boolean().optional(),
    /**
     * The tensor value of padded pixels, after scale/mean/std, instead of padColor put through
     * them: PaddleOCR fills its padding with 0 after normalising (no byte colour gives exactly 0
     * with mean/std 0.5).
     */
    padValue: finite.optional(),
  })
  .superRefine((r, ctx) => {
    const c = channelCount(r);
    for (const key of ['mean', 'std'] as const) {
      const n = r[key].length;
      if (n !== 1 && n !== c) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `has ${n} values but the tensor has ${c} channels (${channelNames(r).join('')}): give 1 or ${c}`,
        });
      }
    }
  });
export type PreprocessRecipe = z.infer<typeof preprocessRecipeSchema>;
export type PreprocessRecipeInput = z.input<typeof preprocessRecipeSchema>;

export type ChannelName = 'R' | 'G' | 'B' | 'Y' | 'A';

/** Channel names in tensor order, e.g. ['B','G','R','A']. */
export function channelNames(r: Pick<PreprocessRecipe, 'channels' | 'alpha'>): ChannelName[] {
  const base: ChannelName[] = r.channels === 'GRAY' ? ['Y'] : r.channels === 'BGR' ? ['B', 'G', 'R'] : ['R', 'G', 'B'];
  return r.alpha === 'keep' ? [...base, 'A'] : base;
}

export function channelCount(r: Pick<PreprocessRecipe, 'channels' | 'alpha'>): number {
  return (r.channels === 'GRAY' ? 1 : 3) + (r.alpha === 'keep' ? 1 : 0);
}

/** Whether scale/mean/std are applied for this recipe's dtype. */
export function normalizes(r: Pick<PreprocessRecipe, 'dtype' | 'normalizeIntegers'>): boolean {
  return r.dtype === 'float32' || r.dtype === 'float16' || r.dtype === 'float64' || r.normalizeIntegers;
}

export const NORMALIZE_PRESETS = {
  /** torchvision / timm ImageNet models. */
  imagenet: { scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  /** Values in -1..1 (PaddleOCR recognition, many TF/Keras models). */
  half: { scale: 1 / 255, mean: [0.5], std: [0.5] },
  /** Values in 0..1, no mean/std (Ultralytics YOLO). */
  none: { scale: 1 / 255, mean: [0], std: [1] },
  /** Plain 0..255 floats. */
  raw: { scale: 1, mean: [0], std: [1] },
} as const satisfies Record<string, { scale: number; mean: number[]; std: number[] }>;
export type NormalizePreset = keyof typeof NORMALIZE_PRESETS;

/** scale/mean/std of a preset, as mutable arrays ready to put into a recipe. */
export function normalizePreset(name: NormalizePreset): { scale: number; mean: number[]; std: number[] } {
  const p = NORMALIZE_PRESETS[name];
  return { scale: p.scale, mean: [...p.mean], std: [...p.std] };
}

/** The preset a recipe's scale/mean/std equal (one value counts for all channels), or null. */
export function matchingPreset(r: Pick<PreprocessRecipe, 'scale' | 'mean' | 'std'>): NormalizePreset | null {
  const close = (a: number, b: number): boolean => Math.abs(a - b) < 1e-9;
  const same = (a: readonly number[], b: readonly number[]): boolean => {
    const n = Math.max(a.length, b.length);
    for (let k = 0; k < n; k++) if (!close(a[Math.min(k, a.length - 1)], b[Math.min(k, b.length - 1)])) return false;
    return true;
  };
  for (const name of Object.keys(NORMALIZE_PRESETS) as NormalizePreset[]) {
    const p = NORMALIZE_PRESETS[name];
    if (close(r.scale, p.scale) && same(r.mean, p.mean) && same(r.std, p.std)) return name;
  }
  return null;
}

/**
 * Where the original image went in the tensor. Coordinates are continuous pixel coordinates
 * (0 = left edge of the first pixel). The original is the image as shown, after its EXIF
 * orientation. tensor = original * scale - crop + pad.
 */
export interface ImageTransform {
  originalWidth: number;
  originalHeight: number;
  /** Size of the whole resized image, before cropping or padding. */
  resizedWidth: number;
  resizedHeight: number;
  /** resized / original per axis. */
  scaleX: number;
  scaleY: number;
  /** Pad added on the left/top of the resized image (letterbox). */
  padLeft: number;
  padTop: number;
  /** Pixels of the resized image cut away on the left/top (crops). */
  cropLeft: number;
  cropTop: number;
  /** Spatial size of the tensor. */
  tensorWidth: number;
  tensorHeight: number;
}

/** The transform of a tensor that is the image itself (no resize, crop or pad). */
export function identityTransform(width: number, height: number): ImageTransform {
  return {
    originalWidth: width,
    originalHeight: height,
    resizedWidth: width,
    resizedHeight: height,
    scaleX: 1,
    scaleY: 1,
    padLeft: 0,
    padTop: 0,
    cropLeft: 0,
    cropTop: 0,
    tensorWidth: width,
    tensorHeight: height,
  };
}

export interface Point {
  x: number;
  y: number;
}

export function toTensorCoords(p: Point, t: ImageTransform): Point {
  return { x: p.x * t.scaleX - t.cropLeft + t.padLeft, y: p.y * t.scaleY - t.cropTop + t.padTop };
}

export function toImageCoords(p: Point, t: ImageTransform): Point {
  return { x: (p.x - t.padLeft + t.cropLeft) / t.scaleX, y: (p.y - t.padTop + t.cropTop) / t.scaleY };
}

/** Python's round(): halves go to the even neighbour (what torchvision and Ultralytics get). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const roundUpTo = (x: number, m: number): number => Math.max(m, Math.ceil(x / m) * m);

/** Default shorter side for shorter-side-crop: 256 for a 224 crop (the classic 0.875 ratio). */
export function defaultShorterSide(width: number, height: number): number {
  return Math.round(Math.max(width, height) / 0.875);
}

/**
 * The geometry a resize spec gives for an original of ow×oh: resized size, crop, pad and tensor size.
 * The engine follows it exactly; the UI can show it before any pixel is touched.
 */
export function planResize(ow: number, oh: number, r: ResizeSpec): ImageTransform {
  let rw: number;
  let rh: number;
  let tw = r.width;
  let th = r.height;
  switch (r.mode) {
    case 'stretch':
      [rw, rh] = [tw, th];
      break;
    case 'letterbox': {
      const s = Math.min(tw / ow, th / oh);
      [rw, rh] = [clamp(roundHalfEven(ow * s), 1, tw), clamp(roundHalfEven(oh * s), 1, th)];
      break;
    }
    case 'center-crop': {
      const s = Math.max(tw / ow, th / oh);
      [rw, rh] = [Math.max(tw, roundHalfEven(ow * s)), Math.max(th, roundHalfEven(oh * s))];
      break;
    }
    case 'shorter-side-crop': {
      // torchvision Resize(int): the longer side is truncated, not rounded.
      const s = r.shorterSide ?? defaultShorterSide(tw, th);
      [rw, rh] = ow <= oh ? [s, Math.max(1, Math.floor((s * oh) / ow))] : [Math.max(1, Math.floor((s * ow) / oh)), s];
      break;
    }
    case 'fit-height': {
      const m = r.multipleOf ?? 8;
      rh = th;
      rw = Math.min(roundUpTo((ow * th) / oh, m), Math.max(m, Math.floor(tw / m) * m));
      if (!r.padRight) tw = rw;
      break;
    }
    case 'shorter-side': {
      const m = r.multipleOf ?? 32;
      const s = (r.shorterSide ?? Math.min(tw, th)) / Math.min(ow, oh);
      [rw, rh] = [Math.max(m, Math.floor((ow * s) / m) * m), Math.max(m, Math.floor((oh * s) / m) * m)];
      [tw, th] = [rw, rh];
      break;
    }
    case 'fit-inside': {
      const m = r.multipleOf ?? 32;
      const s = Math.min(1, tw / ow, th / oh);
      [rw, rh] = [Math.max(m, Math.round((ow * s) / m) * m), Math.max(m, Math.round((oh * s) / m) * m)];
      [tw, th] = [rw, rh];
      break;
    }
  }
  // Centre the resized image in the tensor: cut what overflows, pad what is missing (extra pixel right/bottom).
  const cropLeft = rw > tw ? roundHalfEven((rw - tw) / 2) : 0;
  const cropTop = rh > th ? roundHalfEven((rh - th) / 2) : 0;
  const padLeft = rw < tw && !(r.mode === 'fit-height' && r.padRight) ? Math.floor((tw - rw) / 2) : 0;
  const padTop = rh < th ? Math.floor((th - rh) / 2) : 0;
  return {
    originalWidth: ow,
    originalHeight: oh,
    resizedWidth: rw,
    resizedHeight: rh,
    scaleX: rw / ow,
    scaleY: rh / oh,
    padLeft,
    padTop,
    cropLeft,
    cropTop,
    tensorWidth: tw,
    tensorHeight: th,
  };
}

const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

/** Tensor dims for one or `batch` images: [N,C,H,W], [N,H,W,C], [C,H,W] or [H,W,C]. */
export function tensorDims(layout: Layout, channels: number, height: number, width: number, batch = 1): number[] {
  switch (layout) {
    case 'NCHW':
      return [batch, channels, height, width];
    case 'NHWC':
      return [batch, height, width, channels];
    case 'CHW':
      return [channels, height, width];
    case 'HWC':
      return [height, width, channels];
  }
}

// ---- Guessing the recipe a model most likely wants -------------------------------------------

export interface RecipeGuess {
  recipe: PreprocessRecipe;
  /** Why each choice was made, in the user's words. */
  notes: string[];
}

const isNum = (d: Dim | undefined): d is number => typeof d === 'number';
const fmtDims = (s: readonly Dim[]): string => `[${s.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;

/** Ultralytics writes imgsz as "[640, 640]" (h, w) or "640". */
function parseImgsz(v: string | undefined): [number, number] | null {
  const nums = (v ?? '').match(/\d+/g)?.map(Number) ?? [];
  if (nums.length === 1 && nums[0] > 0) return [nums[0], nums[0]];
  if (nums.length >= 2 && nums[0] > 0 && nums[1] > 0) return [nums[0], nums[1]];
  return null;
}

/**
 * The recipe a user most likely wants for an image input, with a note per decision.
 * `outputs` (optional) tells OCR detection from OCR direction classification. `family`: the model
 * family recognised in the whole model (ModelInfo.task.family); without it, the family is
 * recognised from this input, the outputs and the metadata.
 */
export function guessRecipe(
  input: ValueInfo,
  metadata: Record<string, string> = {},
  outputs: ValueInfo[] = [],
  family?: string,
): RecipeGuess {
  const notes: string[] = [];
  const s = input.shape ?? [];
  const desc = `input "${input.name}" ${input.shape ? fmtDims(s) : '[unknown shape]'}`;

  // Layout: where a 1/3/4-sized dim sits.
  const small = (d: Dim | undefined): boolean => d === 1 || d === 3 || d === 4;
  let layout: Layout = 'NCHW';
  let c: Dim = 3;
  let h: Dim = null;
  let w: Dim = null;
  if (s.length === 4 && (small(s[1]) || !small(s[3]))) [layout, c, h, w] = ['NCHW', s[1], s[2], s[3]];
  else if (s.length === 4) [layout, c, h, w] = ['NHWC', s[3], s[1], s[2]];
  else if (s.length === 3 && (small(s[0]) || !small(s[2]))) [layout, c, h, w] = ['CHW', s[0], s[1], s[2]];
  else if (s.length === 3) [layout, c, h, w] = ['HWC', s[2], s[0], s[1]];
  else notes.push(`${desc} does not have the rank 3 or 4 of an image: chose NCHW RGB; check the shape`);
  if (s.length >= 3) {
    const where = layout.startsWith('N') ? (layout === 'NCHW' ? 'second' : 'last') : layout === 'CHW' ? 'first' : 'last';
    notes.push(
      isNum(c)
        ? `${desc}: ${c} channels in the ${where} dim → ${layout}`
        : `${desc}: no fixed channel dim; assumed ${layout} with 3 channels`,
    );
  }
  const channels = c === 1 ? 'GRAY' : 'RGB';
  const alpha = c === 4 ? 'keep' : 'drop';
  if (c === 4) notes.push('4 channels: kept the alpha channel as the 4th (RGBA)');

  const paddle = s.some((d) => typeof d === 'string' && d.startsWith('p2o.'));
  let dtype: RecipeDType = 'float32';
  if (input.dtype && (RECIPE_DTYPES as readonly string[]).includes(input.dtype)) dtype = input.dtype as RecipeDType;
  else notes.push(`input dtype ${input.dtype ?? 'unknown'} is not an image type: chose float32`);
  if (dtype === 'uint8' || dtype === 'int8' || dtype === 'int32')
    notes.push(`the input is ${dtype}: raw pixel values, no scale or mean/std`);

  const base = { layout, channels, alpha, dtype, normalizeIntegers: false } as const;
  const build = (
    resize: Omit<ResizeSpec, 'padColor' | 'interpolation'> & Partial<ResizeSpec>,
    norm: NormalizePreset,
    extra: Partial<PreprocessRecipe> = {},
  ): RecipeGuess => {
    // One value per channel, spelled out: grey takes the average of the colour values, alpha is left as 0..1.
    const p = normalizePreset(norm);
    const avg = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const per = (xs: number[], alphaValue: number): number[] => {
      const colour = channels === 'GRAY' ? [avg(xs)] : [0, 1, 2].map((k) => xs[Math.min(k, xs.length - 1)]);
      return alpha === 'keep' ? [...colour, alphaValue] : colour;
    };
    const mean = per(p.mean, 0);
    const std = per(p.std, 1);
    const recipe = preprocessRecipeSchema.parse({ ...base, ...p, mean, std, ...extra, resize });
    return { recipe, notes };
  };

  // Size: fixed dims first, then metadata, then a default.
  let size: [number, number] | null = isNum(h) && isNum(w) ? [h, w] : null;
  const imgsz = parseImgsz(metadata.imgsz);
  if (!size && imgsz) {
    size = imgsz;
    notes.push(`H and W are symbolic: took ${imgsz[1]}×${imgsz[0]} from the "imgsz" metadata`);
  }

  const facts: RecipeFacts = { size, c, h, w, layout, metadata, outputs, paddle, channels };
  const preset = familyById(family ?? recogniseFamily({ inputs: [input], outputs, metadata })?.family.id)?.recipe;
  const chosen = preset ? preset(facts) : (RECIPE_RULES.find((r) => r.when(facts)) ?? FALLBACK_RULE).choose(facts);
  if (chosen.defaultSize && !size) notes.push('H and W are symbolic: chose 640×640');
  notes.push(chosen.note);
  return build(chosen.resize, chosen.normalize, chosen.extra);
}

/** The recipe for one image input of a model, following the family recognised in the whole model. */
export function guessModelRecipe(info: Pick<ModelInfo, 'metadata' | 'outputs' | 'task'>, input: ValueInfo): RecipeGuess {
  return guessRecipe(input, info.metadata, info.outputs, info.task.family?.id);
}

/** What the recipe rules look at, worked out once from the input and the metadata. */
export interface RecipeFacts {
  /** [height, width] from fixed dims or the "imgsz" metadata; null when both are symbolic. */
  size: [number, number] | null;
  c: Dim;
  h: Dim;
  w: Dim;
  layout: Layout;
  metadata: Record<string, string>;
  outputs: ValueInfo[];
  paddle: boolean;
  channels: 'RGB' | 'GRAY';
}

export interface RecipeChoice {
  resize: Omit<ResizeSpec, 'padColor' | 'interpolation'> & Partial<ResizeSpec>;
  normalize: NormalizePreset;
  extra?: Partial<PreprocessRecipe>;
  /** Why, in the user's words. */
  note: string;
  /** The size falls back to 640×640 when H and W are symbolic (and says so). */
  defaultSize?: boolean;
}

interface RecipeRule {
  family: string;
  when(f: RecipeFacts): boolean;
  choose(f: RecipeFacts): RecipeChoice;
}

const or640 = (f: RecipeFacts): [number, number] => f.size ?? [640, 640];
// PaddleOCR reads images with OpenCV: BGR order, means applied as listed.
const bgr = (f: RecipeFacts) => ({ channels: f.channels === 'GRAY' ? 'GRAY' : 'BGR' }) as const;
const paddleNchw = (f: RecipeFacts) => f.paddle && f.layout === 'NCHW';

/**
 * Recipes by the input's own signature, in the order they are tried, for models that no family
 * in shared/families.ts recognised (those bring their own recipe).
 */
const RECIPE_RULES: RecipeRule[] = [
  {
    family: 'PaddleOCR text recognition',
    when: (f) => paddleNchw(f) && isNum(f.h) && !isNum(f.w),
    choose: (f) => ({
      resize: { mode: 'fit-height', width: 3200, height: f.h as number, multipleOf: 8 },
      normalize: 'half',
      extra: bgr(f),
      note: `PaddleOCR-style text recognition (fixed height ${f.h}, free width): height ${f.h}, width follows the text line (multiple of 8), BGR, values -1..1`,
    }),
  },
  {
    family: 'PaddleOCR direction classifier',
    when: (f) => paddleNchw(f) && !f.size && f.outputs.some((o) => o.shape?.length === 2),
    choose: (f) => ({
      resize: { mode: 'fit-height', width: 192, height: 48, multipleOf: 1, padRight: true },
      normalize: 'half',
      extra: { ...bgr(f), padValue: 0 },
      note: 'PaddleOCR-style direction classifier (free H and W, [N, classes] output): as its resize_norm_img, height 48, width ceil(48 × aspect) up to 192, padded with 0 on the right to 192, BGR, values -1..1',
    }),
  },
  {
    family: 'PaddleOCR text detection',
    when: (f) => paddleNchw(f) && !f.size,
    choose: (f) => ({
      resize: { mode: 'fit-inside', width: 960, height: 960, multipleOf: 32 },
      normalize: 'imagenet',
      extra: bgr(f),
      note: 'PaddleOCR-style text detection (free H and W): keep the aspect ratio, longer side at most 960, sides multiples of 32, BGR, ImageNet mean/std',
    }),
  },
  {
    family: 'ImageNet-style classifier',
    when: (f) =>
      f.size !== null &&
      f.size[0] === f.size[1] &&
      f.size[0] <= 512 &&
      (f.c === 3 || f.c === 4) &&
      (f.outputs.length === 0 || f.outputs.some((o) => o.shape?.length === 2)),
    choose: (f) => {
      const crop = (f.size as [number, number])[0];
      const shorter = defaultShorterSide(crop, crop);
      return {
        resize: { mode: 'shorter-side-crop', width: crop, height: crop, shorterSide: shorter },
        normalize: 'imagenet',
        note: `fixed ${crop}×${crop} colour input looks like an ImageNet-style classifier: shorter side to ${shorter}, centre crop ${crop}×${crop}, ImageNet mean/std`,
      };
    },
  },
];

const FALLBACK_RULE: RecipeRule = {
  family: 'unknown',
  when: () => true,
  choose: (f) => ({
    resize: { mode: 'stretch', width: or640(f)[1], height: or640(f)[0] },
    normalize: 'none',
    defaultSize: true,
    note: "no known model family: stretch to the input size, values 0..1 (x/255), no mean/std; check the model's documentation",
  }),
};
