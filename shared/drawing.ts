// One description of a result picture, for the screen and for files: the renderer draws it as
// SVG over the original image, the engine renders the same SVG onto the image with sharp
// ("Export image", batch outputs). Pure: no Node/DOM.
// OWNER: drawing helper. The types below are the contract the UI and the engine code against.
import type { EncodedRaster, TaskResult } from './tasks';

export type Rgb = [number, number, number];

export type DrawingLayer<R = EncodedRaster> =
  /** A picture over the whole canvas: a mask overlay (RGBA) or an output image. */
  | { type: 'raster'; role: 'mask' | 'picture'; raster: R; opacity: number }
  /** An axis-aligned box, original-image pixels. `id` ties it to the result (hover). */
  | { type: 'box'; id: number; x1: number; y1: number; x2: number; y2: number; color: Rgb; label: string; score?: number }
  /** A closed polygon (text regions, rotated boxes), original-image pixels. */
  | { type: 'polygon'; id: number; points: [number, number][]; color: Rgb; label: string; score?: number }
  /** Keypoints (those seen well enough) joined by the skeleton's edges, original-image pixels. */
  | { type: 'keypoints'; id: number; points: ([number, number] | null)[]; edges: [number, number][]; color: Rgb };

/** Keypoints below this visibility score are not drawn (Ultralytics' Annotator.kpts). */
export const KEYPOINT_MIN_SCORE = 0.5;

export interface Drawing<R = EncodedRaster> {
  /** The canvas: the original image's size in pixels. */
  width: number;
  height: number;
  layers: DrawingLayer<R>[];
  /** Whether drawingToSvg writes the labels (absent: yes). */
  showLabels?: boolean;
}

export interface DrawOptions {
  /** Mask overlay opacity 0..1. */
  maskOpacity: number;
  /** Labels with scores on boxes and regions. */
  showLabels: boolean;
  /** Only draw these ids (hover/selection); all when absent. */
  only?: number[];
  /**
   * The original image's size, for results that do not carry it (classification, text
   * recognition, generic; image-to-image uses its picture's size). 0×0 when absent.
   */
  size?: { width: number; height: number };
}

/** Ultralytics' 20-colour palette: class k gets PALETTE[k % 20], the same on screen and in files. */
export const PALETTE: readonly Rgb[] = [
  [255, 56, 56],
  [255, 157, 151],
  [255, 112, 31],
  [255, 178, 29],
  [207, 210, 49],
  [72, 249, 10],
  [146, 204, 23],
  [61, 219, 134],
  [26, 147, 52],
  [0, 212, 187],
  [44, 153, 168],
  [0, 194, 255],
  [52, 69, 147],
  [100, 115, 255],
  [0, 24, 236],
  [132, 56, 255],
  [82, 0, 133],
  [203, 56, 255],
  [255, 149, 200],
  [255, 55, 199],
];

export function paletteColor(k: number): Rgb {
  const n = PALETTE.length;
  return PALETTE[((Math.trunc(k) % n) + n) % n];
}

/** "person 0.91"; the score alone when there is no name. */
export function scoreLabel(label: string, score: number | undefined): string {
  const s = score === undefined || !Number.isFinite(score) ? '' : score.toFixed(2);
  return [label, s].filter(Boolean).join(' ');
}

type Sized = { width: number; height: number };

export function drawResult<R extends Sized = EncodedRaster>(result: TaskResult<R>, options: DrawOptions): Drawing<R> {
  const size = options.size ?? { width: 0, height: 0 };
  const keep = (id: number): boolean => !options.only || options.only.includes(id);
  const base = { showLabels: options.showLabels };
  switch (result.kind) {
    case 'detection': {
      // Instance masks under the outlines (all of them: one raster), keypoints over their box.
      const masks: DrawingLayer<R>[] = result.instances
        ? [{ type: 'raster', role: 'mask', raster: result.instances.overlay, opacity: clamp01(options.maskOpacity) }]
        : [];
      const objects = result.detections.flatMap((d, id): DrawingLayer<R>[] => {
        if (!keep(id)) return [];
        const color = paletteColor(d.classId);
        const label = scoreLabel(d.label || `class ${d.classId}`, d.score);
        const shape: DrawingLayer<R> =
          d.angle !== undefined && d.polygon
            ? { type: 'polygon', id, points: d.polygon.map(([x, y]): [number, number] => [x, y]), color, label, score: d.score }
            : { type: 'box', id, x1: d.x1, y1: d.y1, x2: d.x2, y2: d.y2, color, label, score: d.score };
        if (!d.keypoints) return [shape];
        const points = d.keypoints.map((k): [number, number] | null => (k.score >= KEYPOINT_MIN_SCORE ? [k.x, k.y] : null));
        return [shape, { type: 'keypoints', id, points, edges: result.skeleton ?? [], color }];
      });
      return { ...base, width: result.imageWidth, height: result.imageHeight, layers: [...masks, ...objects] };
    }
    case 'segmentation':
      return {
        ...base,
        width: result.imageWidth,
        height: result.imageHeight,
        layers: [{ type: 'raster', role: 'mask', raster: result.overlay, opacity: clamp01(options.maskOpacity) }],
      };
    case 'image-to-image':
      return {
        ...base,
        width: result.picture.width,
        height: result.picture.height,
        layers: [{ type: 'raster', role: 'picture', raster: result.picture, opacity: 1 }],
      };
    case 'text-detection':
      return {
        ...base,
        width: result.imageWidth,
        height: result.imageHeight,
        layers: result.regions.flatMap((r, id) =>
          keep(id)
            ? [
                {
                  type: 'polygon' as const,
                  id,
                  points: r.points.map(([x, y]): [number, number] => [x, y]),
                  color: paletteColor(id),
                  label: r.text !== undefined ? r.text : scoreLabel('text', r.score),
                  score: r.score,
                },
              ]
            : [],
        ),
      };
    case 'classification':
    case 'text-recognition':
    case 'generic':
      // Nothing to place on the image: these results are read as lists, lines and charts.
      return { ...base, width: size.width, height: size.height, layers: [] };
  }
}

// ---- SVG ------------------------------------------------------------------------------------

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Text safe inside XML content and attribute values (control characters XML forbids are dropped). */
export function escapeXml(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '').replace(/[&<>"']/g, (c) => XML_ESCAPES[c]);
}

const num = (v: number): string => (Number.isFinite(v) ? String(Math.round(v * 100) / 100) : '0');
const rgb = ([r, g, b]: Rgb): string => `rgb(${r},${g},${b})`;

/** Black or white, whichever reads better on this colour (WCAG relative luminance). */
function textColor([r, g, b]: Rgb): string {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  const l = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  return l > 0.4 ? '#000' : '#fff';
}

/**
 * Line width and font size for a canvas, so a label is as legible on a 4000 px photo shown
 * scaled down as on a 300 px image shown 1:1 (the Ultralytics rule: 0.3% of the mean side).
 */
export function drawingScale(width: number, height: number): { lineWidth: number; fontSize: number } {
  const lineWidth = Math.max(2, Math.round(((width + height) / 2) * 0.003));
  return { lineWidth, fontSize: Math.max(12, Math.round(lineWidth * 5.5)) };
}

/** Width of a monospace label: CJK and other wide characters take a full em, the rest 0.6 em. */
function labelWidth(text: string, fontSize: number): number {
  let ems = 0;
  for (const ch of text)
    ems += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch) ? 1 : 0.6;
  return ems * fontSize;
}

const FONT = `font-family="DejaVu Sans Mono, Menlo, Consolas, monospace"`;

/** A label on a filled background at (x, y) = its top-left corner, kept inside the canvas. */
function label(text: string, color: Rgb, x: number, y: number, d: Drawing<EncodedRaster>, fontSize: number): string {
  const pad = Math.max(2, Math.round(fontSize * 0.25));
  const w = labelWidth(text, fontSize) + 2 * pad;
  const h = fontSize + 2 * pad;
  const left = Math.max(0, Math.min(x, d.width - w));
  const top = Math.max(0, Math.min(y, d.height - h));
  return (
    `<rect class="label-bg" x="${num(left)}" y="${num(top)}" width="${num(w)}" height="${num(h)}" fill="${rgb(color)}"/>` +
    `<text x="${num(left + pad)}" y="${num(top + pad + fontSize * 0.8)}" font-size="${fontSize}" ${FONT} fill="${textColor(color)}">${escapeXml(text)}</text>`
  );
}

/** A layer's shape, and its label (drawn after every shape, so no outline crosses a label). */
function layerSvg(layer: DrawingLayer<EncodedRaster>, d: Drawing<EncodedRaster>, showLabels: boolean): [string, string] {
  const { lineWidth, fontSize } = drawingScale(d.width, d.height);
  const labelHeight = fontSize + 2 * Math.max(2, Math.round(fontSize * 0.25));
  const labelGroup = (id: number, text: string, color: Rgb, x: number, y: number): string =>
    showLabels && text ? `<g class="label" data-id="${id}">${label(text, color, x, y, d, fontSize)}</g>` : '';
  switch (layer.type) {
    case 'raster':
      return [
        `<image class="${layer.role}" x="0" y="0" width="${d.width}" height="${d.height}" preserveAspectRatio="none" opacity="${num(clamp01(layer.opacity))}" href="${escapeXml(layer.raster.png)}"/>`,
        '',
      ];
    case 'box': {
      const x = Math.min(layer.x1, layer.x2);
      const y = Math.min(layer.y1, layer.y2);
      const w = Math.abs(layer.x2 - layer.x1);
      const h = Math.abs(layer.y2 - layer.y1);
      // The label sits above the box, or just inside its top when the box touches the top edge.
      const labelTop = y - labelHeight >= 0 ? y - labelHeight : y;
      return [
        `<g class="box" data-id="${layer.id}"><title>${escapeXml(layer.label)}</title>` +
          `<rect x="${num(x)}" y="${num(y)}" width="${num(w)}" height="${num(h)}" fill="none" stroke="${rgb(layer.color)}" stroke-width="${lineWidth}"/></g>`,
        labelGroup(layer.id, layer.label, layer.color, x - lineWidth / 2, labelTop),
      ];
    }
    case 'polygon': {
      const points = layer.points.map(([px, py]) => `${num(px)},${num(py)}`).join(' ');
      // The label goes at the leftmost of the corners near the top: on slightly tilted text the
      // topmost corner is often the top-right one, which would put the label over the next word.
      const minY = Math.min(...layer.points.map((p) => p[1]));
      const nearTop = layer.points.filter((p) => p[1] <= minY + labelHeight / 2);
      const top = nearTop.reduce((best, p) => (p[0] < best[0] ? p : best), nearTop[0] ?? [0, 0]);
      const labelTop = top[1] - labelHeight >= 0 ? top[1] - labelHeight : top[1];
      return [
        `<g class="polygon" data-id="${layer.id}"><title>${escapeXml(layer.label)}</title>` +
          `<polygon points="${points}" fill="${rgb(layer.color)}" fill-opacity="0.15" stroke="${rgb(layer.color)}" stroke-width="${lineWidth}" stroke-linejoin="round"/></g>`,
        labelGroup(layer.id, layer.label, layer.color, top[0], labelTop),
      ];
    }
    case 'keypoints': {
      const r = Math.max(2, lineWidth * 1.5);
      const lines = layer.edges.flatMap(([a, b]) => {
        const p = layer.points[a];
        const q = layer.points[b];
        return p && q
          ? [
              `<line x1="${num(p[0])}" y1="${num(p[1])}" x2="${num(q[0])}" y2="${num(q[1])}" stroke="${rgb(layer.color)}" stroke-width="${lineWidth}" stroke-linecap="round"/>`,
            ]
          : [];
      });
      const dots = layer.points.flatMap((p, k) =>
        p
          ? [
              `<circle data-k="${k}" cx="${num(p[0])}" cy="${num(p[1])}" r="${num(r)}" fill="${rgb(keypointColor(k))}" stroke="#fff" stroke-width="${num(r / 3)}"/>`,
            ]
          : [],
      );
      return [`<g class="keypoints" data-id="${layer.id}">${lines.join('')}${dots.join('')}</g>`, ''];
    }
  }
}

/** Ultralytics' pose palette: face (0-4) blue-green, arms (5-10) orange, legs (11-16) blue. */
function keypointColor(k: number): Rgb {
  if (k <= 4) return [0, 255, 0];
  if (k <= 10) return [255, 128, 0];
  return [51, 153, 255];
}

/** SVG text of a drawing, the same for the screen and for sharp. `background`: href of the original image. */
export function drawingToSvg(drawing: Drawing<EncodedRaster>, options: { background?: string } = {}): string {
  const { width, height } = drawing;
  const showLabels = drawing.showLabels ?? true;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`];
  if (options.background !== undefined)
    parts.push(
      `<image class="background" x="0" y="0" width="${width}" height="${height}" preserveAspectRatio="none" href="${escapeXml(options.background)}"/>`,
    );
  // Rasters under outlines; every label above every outline.
  const order = (l: DrawingLayer<EncodedRaster>) => (l.type === 'raster' ? 0 : l.type === 'keypoints' ? 2 : 1);
  const drawn = [...drawing.layers].sort((a, b) => order(a) - order(b)).map((l) => layerSvg(l, drawing, showLabels));
  for (const [shape] of drawn) parts.push(shape);
  for (const [, text] of drawn) if (text) parts.push(text);
  parts.push('</svg>');
  return parts.join('');
}

function clamp01(v: number): number {
  return Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 1;
}
