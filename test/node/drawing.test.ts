// One drawing for the screen and for files: results become layers (boxes, polygons, masks),
// and the layers become one SVG that sharp renders exactly as the UI shows it.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { PALETTE, drawResult, drawingToSvg, escapeXml } from '../../shared/drawing';
import type { DetectionResult, EncodedRaster, SegmentationResult, TaskResult, TextDetectionResult } from '../../shared/tasks';

const draw = { maskOpacity: 0.5, showLabels: true };

function detections(width: number, height: number, labels = ['person', 'a<b&"c"']): DetectionResult<EncodedRaster> {
  return {
    kind: 'detection',
    layout: 'test',
    candidates: 3,
    imageWidth: width,
    imageHeight: height,
    image: 0,
    detections: [
      { classId: 0, label: labels[0], score: 0.912, x1: width * 0.1, y1: height * 0.2, x2: width * 0.4, y2: height * 0.6 },
      { classId: 1, label: labels[1], score: 0.5, x1: width * 0.5, y1: 0, x2: width * 0.9, y2: height * 0.5 },
      { classId: 0, label: labels[0], score: 0.3, x1: 1, y1: 1, x2: 5, y2: 5 },
    ],
  };
}

const attrs = (svg: string, name: string): number[] =>
  [...svg.matchAll(new RegExp(`${name}="([0-9.]+)"`, 'g'))].map((m) => Number(m[1]));

async function solidPng(width: number, height: number, rgba: [number, number, number, number]): Promise<EncodedRaster> {
  const [r, g, b, a] = rgba;
  const png = await sharp({ create: { width, height, channels: 4, background: { r, g, b, alpha: a / 255 } } })
    .png()
    .toBuffer();
  return { width, height, png: `data:image/png;base64,${png.toString('base64')}` };
}

/** The SVG rendered by sharp over a black canvas: the exact path an exported image takes. */
async function render(svg: string, width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#000000' } })
    .composite([{ input: Buffer.from(svg) }])
    .removeAlpha()
    .raw()
    .toBuffer();
}

describe('drawResult', () => {
  it('turns detections into boxes coloured per class, labelled "name score"', () => {
    const d = drawResult(detections(640, 480), draw);
    expect(d).toMatchObject({ width: 640, height: 480 });
    expect(d.layers).toHaveLength(3);
    expect(d.layers[0]).toMatchObject({ type: 'box', id: 0, x1: 64, y1: 96, color: PALETTE[0], label: 'person 0.91' });
    expect(d.layers[1]).toMatchObject({ id: 1, color: PALETTE[1], label: 'a<b&"c" 0.50' });
    expect(d.layers[2]).toMatchObject({ id: 2, color: PALETTE[0] });
  });

  it('names a class without a label by its number', () => {
    const d = drawResult(detections(100, 100, ['', '']), draw);
    expect(d.layers[0]).toMatchObject({ label: 'class 0 0.91' });
  });

  it('keeps only the ids asked for', () => {
    const d = drawResult(detections(640, 480), { ...draw, only: [1] });
    expect(d.layers.map((l) => l.type === 'box' && l.id)).toEqual([1]);
    const svg = drawingToSvg(d);
    expect(svg.match(/data-id="(\d+)"/g)).toEqual(['data-id="1"', 'data-id="1"']);
  });

  it('makes a segmentation overlay a mask layer with the chosen opacity', async () => {
    const overlay = await solidPng(4, 2, [255, 0, 0, 255]);
    const seg: SegmentationResult<EncodedRaster> = {
      kind: 'segmentation',
      mode: 'binary',
      output: 'mask',
      activation: 'none',
      classes: [{ classId: 1, label: 'foreground', area: 1, color: [255, 0, 0] }],
      mask: overlay,
      overlay,
      imageWidth: 4,
      imageHeight: 2,
      image: 0,
    };
    const d = drawResult(seg, { ...draw, maskOpacity: 0.25 });
    expect(d.layers).toEqual([{ type: 'raster', role: 'mask', raster: overlay, opacity: 0.25 }]);
    const svg = drawingToSvg(d);
    expect(svg).toMatch(
      /<image class="mask" x="0" y="0" width="4" height="2" preserveAspectRatio="none" opacity="0.25" href="data:image\/png;base64,/,
    );
    // Red at a quarter over black.
    const px = await render(svg, 4, 2);
    expect(px[0]).toBeGreaterThanOrEqual(62);
    expect(px[0]).toBeLessThanOrEqual(66);
    expect(px[1]).toBe(0);
  });

  it('sizes an image-to-image drawing by its picture', async () => {
    const picture = await solidPng(8, 6, [0, 255, 0, 255]);
    const d = drawResult({ kind: 'image-to-image', output: 'y', mapping: 'unit', picture, image: 0 }, draw);
    expect(d).toMatchObject({ width: 8, height: 6, layers: [{ type: 'raster', role: 'picture', opacity: 1 }] });
  });

  it('draws text regions as polygons labelled with their text, or their score', () => {
    const td: TextDetectionResult = {
      kind: 'text-detection',
      output: 'x',
      imageWidth: 300,
      imageHeight: 200,
      image: 0,
      regions: [
        {
          points: [
            [10, 50],
            [110, 50],
            [110, 80],
            [10, 80],
          ],
          score: 0.8,
          text: 'Hello <world>',
          textScore: 0.9,
        },
        {
          points: [
            [20, 100],
            [90, 100],
            [90, 120],
            [20, 120],
          ],
          score: 0.7,
        },
      ],
    };
    const d = drawResult(td, draw);
    expect(d.layers.map((l) => l.type === 'polygon' && l.label)).toEqual(['Hello <world>', 'text 0.70']);
    const svg = drawingToSvg(d);
    expect(svg).toContain('<polygon points="10,50 110,50 110,80 10,80"');
    expect(svg).toContain('>Hello &lt;world&gt;</text>');
    expect(svg).toContain('<g class="polygon" data-id="1">');
  });

  it('has nothing to draw for classification and text recognition', () => {
    const cls: TaskResult<EncodedRaster> = {
      kind: 'classification',
      output: 'p',
      classes: 3,
      softmaxApplied: false,
      top: [{ classId: 1, label: 'dog', score: 0.9 }],
      image: 0,
    };
    expect(drawResult(cls, { ...draw, size: { width: 50, height: 40 } })).toEqual({
      width: 50,
      height: 40,
      layers: [],
      showLabels: true,
    });
    expect(drawResult({ kind: 'text-recognition', output: 'o', lines: [{ text: 'x', score: 1 }] }, draw).layers).toEqual([]);
  });
});

describe('drawingToSvg', () => {
  it('escapes labels and stays valid XML that sharp renders', async () => {
    const svg = drawingToSvg(drawResult(detections(320, 240), draw));
    expect(svg).toContain('>a&lt;b&amp;&quot;c&quot; 0.50</text>');
    expect(svg).toContain('<title>a&lt;b&amp;&quot;c&quot; 0.50</title>');
    expect(svg).not.toContain('a<b');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="320" height="240" viewBox="0 0 320 240">')).toBe(true);
    const meta = await sharp(Buffer.from(svg)).metadata();
    expect(meta).toMatchObject({ format: 'svg', width: 320, height: 240 });
    expect(escapeXml(`'\u0001`)).toBe('&apos;');
  });

  it('scales fonts and lines with the image, so labels read the same on big and small images', () => {
    const big = drawingToSvg(drawResult(detections(4000, 3000), draw));
    const small = drawingToSvg(drawResult(detections(300, 200), draw));
    const [bigFont] = attrs(big, 'font-size');
    const [smallFont] = attrs(small, 'font-size');
    // About 2% of a big photo's height (readable when shown scaled down), at least 12 px on a small one.
    expect(bigFont / 3000).toBeGreaterThan(0.015);
    expect(bigFont / 3000).toBeLessThan(0.03);
    expect(smallFont).toBe(12);
    const [bigStroke] = attrs(big, 'stroke-width');
    const [smallStroke] = attrs(small, 'stroke-width');
    expect(bigStroke).toBe(11);
    expect(smallStroke).toBe(2);
    // The label's background grows with its text: 12 characters, then 11.
    const widths = [...small.matchAll(/class="label-bg" x="[0-9.]+" y="[0-9.]+" width="([0-9.]+)"/g)].map((m) => Number(m[1]));
    expect(widths[0]).toBeGreaterThan(11 * 0.6 * 12);
  });

  it('puts a label above its box, or inside it at the top edge, always within the canvas', () => {
    const svg = drawingToSvg(drawResult(detections(300, 200), draw));
    const tops = [...svg.matchAll(/class="label-bg" x="([0-9.]+)" y="([0-9.]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
    // Box 0: top at y=40, label 18 px high above it; box 1 touches the top: label inside at 0.
    expect(tops[0][1]).toBe(40 - 18);
    expect(tops[1][1]).toBe(0);
    for (const [x, y] of tops) expect(x >= 0 && y >= 0).toBe(true);
  });

  it('draws every label after every outline, and none when labels are off', () => {
    const svg = drawingToSvg(drawResult(detections(300, 200), draw));
    expect(svg.lastIndexOf('<g class="box"')).toBeLessThan(svg.indexOf('<g class="label"'));
    const bare = drawingToSvg(drawResult(detections(300, 200), { ...draw, showLabels: false }));
    expect(bare).not.toContain('<text');
    expect(bare.match(/<rect /g)).toHaveLength(3);
  });

  it('puts the background image under everything', () => {
    const svg = drawingToSvg(drawResult(detections(300, 200), draw), { background: 'data:image/jpeg;base64,AAA"' });
    expect(svg).toMatch(/^<svg[^>]*><image class="background" [^>]*href="data:image\/jpeg;base64,AAA&quot;"\/><g class="box"/);
  });

  it('renders a box outline in its class colour', async () => {
    const d = drawResult(detections(300, 200), { ...draw, showLabels: false });
    const px = await render(drawingToSvg(d), 300, 200);
    // Box 0's left edge: x = 30, from y = 40 to 120.
    const at = (x: number, y: number) => [...px.subarray((y * 300 + x) * 3, (y * 300 + x) * 3 + 3)];
    expect(at(30, 80)).toEqual(PALETTE[0]);
    expect(at(60, 80)).toEqual([0, 0, 0]);
  });
});
