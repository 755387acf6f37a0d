// A result drawn onto its original image, for files: the same SVG the UI shows (drawingToSvg),
// composited by sharp onto the original as it is shown (EXIF orientation applied). A cutout is
// the original with a segmentation mask as its alpha channel.
import type { OverlayOptions } from 'sharp';
import { type DrawOptions, type DrawingLayer, drawResult, drawingToSvg } from '../../../shared/drawing';
import { WorkbenchError } from '../../../shared/result';
import type { Raster, TaskResult } from '../../../shared/tasks';
import { DEFAULT_MAX_PIXELS, readHeader } from '../image/decode';
import { loadSharp } from '../image/sharp';

export type RenderOptions = Partial<DrawOptions> & { format: 'png' | 'jpeg'; cutout?: boolean };

async function original(path: string) {
  const header = await readHeader(path);
  const sharp = await loadSharp();
  const image = () => sharp(path, { autoOrient: true, failOn: 'error', limitInputPixels: DEFAULT_MAX_PIXELS });
  return { header, image };
}

export async function renderResultImage(
  originalPath: string,
  result: TaskResult<Raster>,
  options: RenderOptions,
): Promise<Buffer> {
  if (options.cutout) return renderCutout(originalPath, result);
  // An output picture covers the whole canvas: it is the image (a full-resolution upscale need not
  // be composited over the original resized to its size, three copies of hundreds of MiB).
  if (result.kind === 'image-to-image') return encodePicture(result.picture, options.format);
  const { header, image } = await original(originalPath);
  const drawing = drawResult(result, {
    maskOpacity: options.maskOpacity ?? 0.5,
    showLabels: options.showLabels ?? true,
    only: options.only,
    size: { width: header.width, height: header.height },
  });
  let img = image();
  // An output picture of another size (super-resolution, fixed-size outputs) sets the canvas.
  if (drawing.width !== header.width || drawing.height !== header.height)
    img = img.resize(drawing.width, drawing.height, { fit: 'fill' });
  if (drawing.layers.length > 0) {
    // The oriented, resized pixels first (raw, no encoding), then the layers over them: every
    // overlay must match the canvas exactly, whatever sharp's pipeline order.
    const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
    const sharp = await loadSharp();
    const overlays: OverlayOptions[] = [];
    for (const layer of drawing.layers)
      if (layer.type === 'raster') overlays.push(await rasterOverlay(layer.raster, layer.opacity, drawing));
    const vectors = drawing.layers.filter((l): l is Exclude<DrawingLayer<Raster>, { type: 'raster' }> => l.type !== 'raster');
    // Rasters go to sharp as pixels rather than as data URLs inside the SVG: a full-size mask
    // would make megabytes of XML for librsvg to parse.
    if (vectors.length) overlays.push({ input: Buffer.from(drawingToSvg({ ...drawing, layers: vectors })), top: 0, left: 0 });
    img = sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } }).composite(overlays);
  }
  return options.format === 'png'
    ? img.png().toBuffer()
    : img.flatten({ background: '#ffffff' }).jpeg({ quality: 92 }).toBuffer();
}

async function encodePicture(r: Raster, format: 'png' | 'jpeg'): Promise<Buffer> {
  const sharp = await loadSharp();
  const img = sharp(Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength), {
    raw: { width: r.width, height: r.height, channels: r.channels },
  });
  return format === 'png' ? img.png().toBuffer() : img.flatten({ background: '#ffffff' }).jpeg({ quality: 92 }).toBuffer();
}

/** A raster layer as a sharp overlay: canvas-sized, its alpha multiplied by the layer's opacity. */
async function rasterOverlay(r: Raster, opacity: number, canvas: { width: number; height: number }): Promise<OverlayOptions> {
  const sharp = await loadSharp();
  const o = Math.min(1, Math.max(0, opacity));
  let pixels = Uint8Array.from(r.data);
  let channels: 1 | 2 | 3 | 4 = r.channels;
  if (o < 1) {
    // Grey becomes grey+alpha, RGB becomes RGBA, then every alpha value is scaled.
    if (channels === 1 || channels === 3) {
      const withAlpha = new Uint8Array((pixels.length / channels) * (channels + 1));
      for (let k = 0, i = 0, j = 0; k < pixels.length / channels; k++) {
        for (let c = 0; c < channels; c++) withAlpha[j++] = pixels[i++];
        withAlpha[j++] = 255;
      }
      pixels = withAlpha;
      channels = channels === 1 ? 2 : 4;
    }
    for (let a = channels - 1; a < pixels.length; a += channels) pixels[a] = Math.round(pixels[a] * o);
  }
  let img = sharp(Buffer.from(pixels.buffer), { raw: { width: r.width, height: r.height, channels } });
  if (r.width !== canvas.width || r.height !== canvas.height) img = img.resize(canvas.width, canvas.height, { fit: 'fill' });
  const input = await img.png({ compressionLevel: 0 }).toBuffer();
  return { input, top: 0, left: 0 };
}

/**
 * The original with the mask as alpha: a binary or soft mask as it is, a semantic mask as "not
 * class 0", instance masks (YOLOv8-seg) as "in any instance".
 */
async function renderCutout(originalPath: string, result: TaskResult<Raster>): Promise<Buffer> {
  const seg = result.kind === 'segmentation';
  const mask = seg ? result.mask : result.kind === 'detection' ? result.instances?.mask : undefined;
  if (!mask)
    throw new WorkbenchError(
      'INVALID_INPUT',
      `A cutout needs a segmentation result or instance masks, not ${result.kind === 'detection' ? 'boxes alone' : result.kind}`,
    );
  const { header, image } = await original(originalPath);
  const alpha = new Uint8Array(mask.width * mask.height);
  for (let k = 0, i = 0; k < alpha.length; k++, i += mask.channels) {
    const v = mask.data[i];
    alpha[k] = seg && result.mode !== 'semantic' ? v : v === 0 ? 0 : 255;
  }
  const sharp = await loadSharp();
  let alphaBytes: Uint8Array = alpha;
  if (mask.width !== header.width || mask.height !== header.height)
    alphaBytes = await sharp(alpha, { raw: { width: mask.width, height: mask.height, channels: 1 } })
      .resize(header.width, header.height, { fit: 'fill' })
      // One band out: sharp would otherwise widen grey to sRGB.
      .extractChannel(0)
      .raw()
      .toBuffer();
  const rgb = await image().removeAlpha().toColourspace('srgb').raw().toBuffer();
  return sharp(rgb, { raw: { width: header.width, height: header.height, channels: 3 } })
    .joinChannel(Buffer.from(alphaBytes.buffer, alphaBytes.byteOffset, alphaBytes.byteLength), {
      raw: { width: header.width, height: header.height, channels: 1 },
    })
    .png()
    .toBuffer();
}
