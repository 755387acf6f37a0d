// Rasters of a result (masks, overlays, output pictures) as PNG, before they cross to a
// renderer or go into files. sharp is imported when first needed, so that code reading
// results (the CLI's result.json) never loads it.
import type { EncodedRaster, Raster, TaskResult } from '../../../shared/tasks';
import { loadSharp } from '../image/sharp';

export async function rasterToPng(r: Raster): Promise<Buffer> {
  const sharp = await loadSharp();
  const data = Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength);
  const img = sharp(data, { raw: { width: r.width, height: r.height, channels: r.channels } });
  // sharp would widen one channel to sRGB: a mask stays a 1-channel (grey) PNG, values exact.
  return (r.channels === 1 ? img.toColourspace('b-w') : img).png({ compressionLevel: 6 }).toBuffer();
}

export async function encodeRaster(r: Raster): Promise<EncodedRaster> {
  const png = await rasterToPng(r);
  return { width: r.width, height: r.height, png: `data:image/png;base64,${png.toString('base64')}` };
}

/** The same result with every raster as a PNG data URL; other fields as they are. */
export async function encodeResult(result: TaskResult<Raster>): Promise<TaskResult<EncodedRaster>> {
  switch (result.kind) {
    case 'segmentation': {
      const [mask, overlay] = await Promise.all([encodeRaster(result.mask), encodeRaster(result.overlay)]);
      return { ...result, mask, overlay };
    }
    case 'image-to-image':
      return { ...result, picture: await encodeRaster(result.picture) };
    case 'detection': {
      const { instances, ...rest } = result;
      if (!instances) return rest;
      const [mask, overlay] = await Promise.all([encodeRaster(instances.mask), encodeRaster(instances.overlay)]);
      return { ...rest, instances: { mask, overlay } };
    }
    case 'generic': {
      const { picture, ...rest } = result;
      return picture ? { ...rest, picture: await encodeRaster(picture) } : rest;
    }
    default:
      return result;
  }
}
