// OCR postprocessing with known answers: CTC greedy decoding (blanks, repeats, space, logits) and
// DB text detection on hand-made probability maps, put back through a fit-inside transform.
import { describe, expect, it } from 'vitest';
import {
  canReadText,
  convexHull,
  minAreaRect,
  orderCorners,
  readTextDetection,
  readTextRecognition,
  sortRegions,
} from '../../shared/postprocess/text';
import { identityTransform, planResize } from '../../shared/recipe';
import { regionsText } from '../../shared/pipeline';
import { type OutputTensor, type TaskSettingsOf, taskSettingsSchema } from '../../shared/tasks';
import { ctxOf } from './postprocess-fixtures';

const rec = (extra: Record<string, unknown> = {}) =>
  taskSettingsSchema.parse({
    kind: 'text-recognition',
    charset: { kind: 'list', chars: ['a', 'b', 'c'] },
    spaceChar: false,
    ...extra,
  }) as TaskSettingsOf<'text-recognition'>;
const det = (extra: Record<string, unknown> = {}) =>
  taskSettingsSchema.parse({ kind: 'text-detection', ...extra }) as TaskSettingsOf<'text-detection'>;

/** [N, T, K] scores where step t gives class best[t] the value high[t] and spreads the rest evenly. */
function scores(rows: { best: number; high: number }[][], k: number): OutputTensor {
  const t = rows[0].length;
  const data = new Float32Array(rows.length * t * k);
  rows.forEach((row, n) =>
    row.forEach(({ best, high }, s) => {
      for (let c = 0; c < k; c++) data[(n * t + s) * k + c] = c === best ? high : (1 - high) / (k - 1);
    }),
  );
  return { name: 'softmax', dtype: 'float32', dims: [rows.length, t, k], data };
}

describe('CTC text recognition', () => {
  it('collapses repeats, drops blanks, and scores the kept characters ("aa-ab" → "aab")', () => {
    // classes: 0 blank, 1 a, 2 b, 3 c
    const out = scores(
      [
        [
          { best: 1, high: 0.9 },
          { best: 1, high: 0.8 },
          { best: 0, high: 0.7 },
          { best: 1, high: 0.6 },
          { best: 2, high: 0.5 },
        ],
      ],
      4,
    );
    const r = readTextRecognition(rec(), ctxOf([out]));
    expect(r.kind).toBe('text-recognition');
    expect(r.output).toBe('softmax');
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0].text).toBe('aab');
    expect(r.lines[0].score).toBeCloseTo((0.9 + 0.6 + 0.5) / 3, 6);
  });

  it("appends PaddleOCR's space character as the last class and reads one line per batch image", () => {
    // classes: 0 blank, 1 a, 2 b, 3 ' '
    const out = scores(
      [
        [
          { best: 1, high: 0.9 },
          { best: 3, high: 0.9 },
          { best: 2, high: 0.9 },
        ],
        [
          { best: 0, high: 0.9 },
          { best: 0, high: 0.9 },
          { best: 0, high: 0.9 },
        ],
      ],
      4,
    );
    const r = readTextRecognition(rec({ charset: { kind: 'list', chars: ['a', 'b'] }, spaceChar: true }), ctxOf([out]));
    expect(r.lines.map((l) => l.text)).toEqual(['a b', '']);
    expect(r.lines[1].score).toBe(0);
  });

  it('applies a softmax per step to logits and gives the same text', () => {
    // Steps: a, a, blank, c with logits; the score is the softmax probability of each kept class.
    const k = 4;
    const steps = [1, 1, 0, 3];
    const data = new Float32Array(steps.length * k);
    steps.forEach((best, s) => {
      for (let c = 0; c < k; c++) data[s * k + c] = c === best ? 3 : -1;
    });
    const r = readTextRecognition(rec(), ctxOf([{ name: 'logits', dtype: 'float32', dims: [1, 4, k], data }]));
    expect(r.lines[0].text).toBe('ac');
    const p = Math.exp(3) / (Math.exp(3) + 3 * Math.exp(-1));
    expect(r.lines[0].score).toBeCloseTo(p, 6);
  });

  it('reads a blank at the end of the classes, and the charset from the file the engine read', () => {
    // classes: 0 x, 1 y, 2 blank
    const out = scores(
      [
        [
          { best: 1, high: 0.9 },
          { best: 2, high: 0.9 },
          { best: 1, high: 0.9 },
          { best: 0, high: 0.9 },
        ],
      ],
      3,
    );
    const settings = rec({ charset: { kind: 'file', path: '/models/keys.txt' }, blankIndex: 2 });
    const r = readTextRecognition(settings, ctxOf([out], { charset: ['x', 'y'] }));
    expect(r.lines[0].text).toBe('yyx');
    expect(() => readTextRecognition(settings, ctxOf([out]))).toThrow(/charset file \/models\/keys\.txt was not read/);
  });

  it('says so when the charset does not match the number of classes', () => {
    const out = scores([[{ best: 1, high: 0.9 }]], 6);
    expect(() => readTextRecognition(rec({ spaceChar: true }), ctxOf([out]))).toThrow(
      "'softmax' scores 6 classes, but the charset has 4 characters (with the space character) + the blank = 5",
    );
  });
});

/** A [1, 1, h, w] map with rectangles of a value (inclusive pixel ranges). */
function probMap(w: number, h: number, rects: { x: [number, number]; y: [number, number]; p: number }[], background = 0) {
  const data = new Float32Array(w * h).fill(background);
  for (const r of rects) for (let y = r.y[0]; y <= r.y[1]; y++) for (let x = r.x[0]; x <= r.x[1]; x++) data[y * w + x] = r.p;
  return { name: 'sigmoid_0.tmp_0', dtype: 'float32', dims: [1, 1, h, w], data } satisfies OutputTensor;
}

describe('DB text detection', () => {
  // A 256×128 photo into a detector that takes at most 64 pixels a side: 64×32, a quarter of the size.
  const transform = planResize(256, 128, {
    mode: 'fit-inside',
    width: 64,
    height: 64,
    multipleOf: 32,
    padColor: [0, 0, 0],
    interpolation: 'bilinear',
  });
  const rects = [
    { x: [4, 19] as [number, number], y: [18, 23] as [number, number], p: 0.9 }, // A: lower left
    { x: [40, 59] as [number, number], y: [4, 11] as [number, number], p: 0.8 }, // B: upper right
    { x: [30, 35] as [number, number], y: [26, 29] as [number, number], p: 0.5 }, // above threshold, below boxThreshold
    { x: [26, 30] as [number, number], y: [2, 6] as [number, number], p: 0.2 }, // below threshold
  ];

  it('finds the two text rectangles, grows them by DB unclip and maps them to the original image', () => {
    expect([transform.tensorWidth, transform.tensorHeight, transform.scaleX]).toEqual([64, 32, 0.25]);
    const [r] = readTextDetection(det(), ctxOf([probMap(64, 32, rects)], { transforms: [transform] }));
    expect(r).toMatchObject({ kind: 'text-detection', output: 'sigmoid_0.tmp_0', imageWidth: 256, imageHeight: 128, image: 0 });
    expect(r.regions).toHaveLength(2);
    // B first (reading order: top to bottom). Its 20×8 rectangle grows by 160·1.5/56 = 4.2857 on every
    // side: [35.71, 64.29]×[−0.29, 16.29] in the map, ×4 on the original and clipped to the image.
    const [b, a] = r.regions;
    expect(b.score).toBeCloseTo(0.8, 5);
    expect(b.points).toEqual([
      [142.86, 0],
      [256, 0],
      [256, 65.14],
      [142.86, 65.14],
    ]);
    // A: 16×6 grows by 96·1.5/44 = 3.2727: [0.73, 23.27]×[14.73, 27.27] in the map.
    expect(a.score).toBeCloseTo(0.9, 5);
    expect(a.points).toEqual([
      [2.91, 58.91],
      [93.09, 58.91],
      [93.09, 109.09],
      [2.91, 109.09],
    ]);
  });

  it('keeps or drops regions by threshold, boxThreshold and minSize', () => {
    const run = (extra: Record<string, unknown>) =>
      readTextDetection(det(extra), ctxOf([probMap(64, 32, rects)], { transforms: [transform] }))[0].regions.map((r) =>
        Number(r.score.toFixed(2)),
      );
    expect(run({})).toEqual([0.8, 0.9]);
    expect(run({ boxThreshold: 0.4 })).toEqual([0.8, 0.9, 0.5]);
    expect(run({ boxThreshold: 0.1, threshold: 0.1 })).toEqual([0.2, 0.8, 0.9, 0.5]);
    expect(run({ threshold: 0.85 })).toEqual([0.9]);
    // The 6×4 region is too small for minSize 5 (its short side is 4).
    expect(run({ boxThreshold: 0.4, minSize: 5 })).toEqual([0.8, 0.9]);
    expect(run({ maxCandidates: 1 })).toEqual([0.8]);
  });

  it('reads logits through a sigmoid, and maps without a transform stay in map pixels', () => {
    const map = probMap(64, 32, [{ x: [10, 29], y: [10, 17], p: 6 }], -6);
    const [r] = readTextDetection(det({ unclipRatio: 0 }), ctxOf([map]));
    expect([r.imageWidth, r.imageHeight]).toEqual([64, 32]);
    expect(r.regions).toHaveLength(1);
    expect(r.regions[0].score).toBeCloseTo(1 / (1 + Math.exp(-6)), 5);
    expect(r.regions[0].points).toEqual([
      [10, 10],
      [30, 10],
      [30, 18],
      [10, 18],
    ]);
  });

  it('gives a rotated rectangle for slanted text', () => {
    // A band along the diagonal: |x − y| ≤ 3, 20 ≤ x + y ≤ 80.
    const w = 64;
    const data = new Float32Array(w * w);
    for (let y = 0; y < w; y++)
      for (let x = 0; x < w; x++) if (Math.abs(x - y) <= 3 && x + y >= 20 && x + y <= 80) data[y * w + x] = 0.9;
    const [r] = readTextDetection(det({ unclipRatio: 0 }), ctxOf([{ name: 'map', dtype: 'float32', dims: [1, 1, w, w], data }]));
    expect(r.regions).toHaveLength(1);
    const [p0, p1, , p3] = r.regions[0].points;
    const side = (a: number[], b: number[]) => Math.hypot(a[0] - b[0], a[1] - b[1]);
    const long = side(p0, p1) > side(p0, p3) ? [p0, p1] : [p0, p3];
    const angle = (Math.atan2(long[1][1] - long[0][1], long[1][0] - long[0][0]) * 180) / Math.PI;
    // The long side runs along a diagonal, whichever corner it starts from.
    expect(Math.abs((((angle % 90) + 90) % 90) - 45)).toBeLessThan(3);
    expect(Math.max(side(p0, p1), side(p0, p3))).toBeGreaterThan(40);
    expect(Math.min(side(p0, p1), side(p0, p3))).toBeLessThan(12);
  });

  it('finds the minimum-area rectangle of a hull and orders corners clockwise from top-left', () => {
    const diamond: [number, number][] = [
      [0, 5],
      [5, 0],
      [10, 5],
      [5, 10],
      [5, 5],
    ];
    const hull = convexHull(diamond);
    expect(hull).toHaveLength(4);
    const rect = minAreaRect(hull);
    expect(4 * rect.halfW * rect.halfH).toBeCloseTo(50, 6);
    expect(
      orderCorners([
        [10, 20],
        [0, 0],
        [10, 0],
        [0, 20],
      ]),
    ).toEqual([
      [0, 0],
      [10, 0],
      [10, 20],
      [0, 20],
    ]);
  });

  it('sorts regions into reading order, left to right within 10 pixels of height', () => {
    const at = (x: number, y: number) => ({ points: [[x, y] as [number, number]], id: `${x},${y}` });
    expect(sortRegions([at(100, 52), at(0, 50), at(0, 100), at(50, 45)]).map((r) => r.id)).toEqual([
      '0,50',
      '50,45',
      '100,52',
      '0,100',
    ]);
  });
});

describe('canReadText', () => {
  it('accepts probability maps and character scores, and says why not otherwise', () => {
    const map = { name: 'map', dtype: 'float32', dims: [1, 1, 640, 640] };
    const three = { name: 'rgb', dtype: 'float32', dims: [1, 3, 640, 640] };
    const chars = { name: 'chars', dtype: 'float32', dims: [1, 40, 6625] };
    expect(canReadText(det(), [three, map])).toEqual({ ok: true, outputs: ['map'] });
    expect(canReadText(det({ output: 'rgb' }), [three, map])).toEqual({
      ok: false,
      reason: "Output 'rgb' is [1, 3, 640, 640], not a one-channel probability map [N, 1, H, W]: text detection cannot read it",
    });
    expect(canReadText(det(), [three]).ok).toBe(false);
    expect(canReadText(rec(), [map, chars])).toEqual({ ok: true, outputs: ['chars'] });
    expect(canReadText(rec(), [{ name: 'ids', dtype: 'int64', dims: [1, 40, 6625] }])).toEqual({
      ok: false,
      reason: "No output fits text recognition: 'ids' holds int64, not floating-point scores",
    });
    expect(canReadText(rec({ output: 'nope' }), [chars])).toEqual({ ok: false, reason: "The model has no output 'nope'" });
  });
});

describe('PaddleOCR layouts', () => {
  // PaddleOCR's ppocr/utils/en_dict.txt: digits, punctuation, letters, one per line, its last line a
  // space; English recognisers (en_PP-OCRv3/v4_rec) score 97 classes: blank + 95 + use_space_char's space.
  const EN_DICT = [
    ...'0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~!"#$%&\'()*+,-./'.split(''),
    ' ',
  ];

  it('reads an English recogniser with the en_dict.txt layout, spaces kept', () => {
    expect(EN_DICT).toHaveLength(95);
    const text = 'HELLO 2026 ONNX Workbench';
    // One step per character with a blank between, the spaces as use_space_char's class (96) and
    // once as the dict's own space line (95): both read as a space.
    const steps: { best: number; high: number }[] = [];
    [...text].forEach((ch, k) => {
      const cls = ch === ' ' ? (k === 5 ? 95 : 96) : EN_DICT.indexOf(ch) + 1;
      steps.push({ best: cls, high: 0.95 }, { best: 0, high: 0.9 });
    });
    const r = readTextRecognition(
      rec({ charset: { kind: 'list', chars: EN_DICT }, spaceChar: true }),
      ctxOf([scores([steps], 97)]),
    );
    expect(r.lines[0].text).toBe(text);
    expect(r.lines[0].score).toBeCloseTo(0.95, 5);
    // Without use_space_char the dict has one class too few for the model, said in words.
    expect(() => readTextRecognition(rec({ charset: { kind: 'list', chars: EN_DICT } }), ctxOf([scores([steps], 97)]))).toThrow(
      "'softmax' scores 97 classes, but the charset has 95 characters + the blank = 96",
    );
  });

  it('reads hand-placed words in lines, top to bottom and left to right (sorted_boxes)', () => {
    // Words of two lines given out of order; the second word of each line sits a few pixels higher.
    const box = (x: number, y: number, w: number, text: string) => ({
      points: [
        [x, y],
        [x + w, y],
        [x + w, y + 30],
        [x, y + 30],
      ] as [number, number][],
      text,
    });
    const words = [
      box(220, 96, 200, 'Workbench'),
      box(40, 20, 160, 'HELLO'),
      box(40, 100, 150, 'ONNX'),
      box(230, 12, 120, '2026'),
    ];
    const ordered = sortRegions(words);
    expect(ordered.map((w) => w.text)).toEqual(['HELLO', '2026', 'ONNX', 'Workbench']);
    expect(regionsText(ordered)).toBe('HELLO 2026\nONNX Workbench');
  });

  it('drops regions 3 pixels wide or high or less on the original image (filter_tag_det_res)', () => {
    // The same 16×6 blob: kept on an image the map's size, dropped when the map is 8× the image
    // (a tiny image enlarged for the detector): it is then about 2.8×1.6 pixels there.
    const map = probMap(64, 32, [{ x: [10, 25], y: [10, 15], p: 0.9 }]);
    const same = identityTransform(64, 32);
    const enlarged = {
      ...identityTransform(8, 4),
      scaleX: 8,
      scaleY: 8,
      resizedWidth: 64,
      resizedHeight: 32,
      tensorWidth: 64,
      tensorHeight: 32,
    };
    expect(readTextDetection(det(), ctxOf([map], { transforms: [same] }))[0].regions).toHaveLength(1);
    expect(readTextDetection(det(), ctxOf([map], { transforms: [enlarged] }))[0].regions).toHaveLength(0);
  });
});
