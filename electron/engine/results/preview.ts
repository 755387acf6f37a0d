// The original image as the UI shows it under a result: EXIF orientation applied, longest side at
// most PREVIEW_MAX_SIDE, flattened on white, as a JPEG data URL small enough to send across processes.
import { type ImageThumbnail, PREVIEW_MAX_SIDE, THUMBNAIL_SIDE } from '../../../shared/interpretation';
import { fsError } from '../../common/fs';
import { assertRegularFile } from '../../common/regular-file';
import { DEFAULT_MAX_PIXELS } from '../image/decode';
import { loadSharp } from '../image/sharp';

export async function previewDataUrl(path: string): Promise<string> {
  const sharp = await loadSharp();
  const jpeg = await sharp(path, { autoOrient: true, failOn: 'error', limitInputPixels: DEFAULT_MAX_PIXELS })
    .resize(PREVIEW_MAX_SIDE, PREVIEW_MAX_SIDE, { fit: 'inside', withoutEnlargement: true })
    .flatten({ background: '#ffffff' })
    .jpeg({ quality: 85 })
    .toBuffer();
  return `data:image/jpeg;base64,${jpeg.toString('base64')}`;
}

/** A small preview of an image file (alpha kept, as WebP), and the image's own size. */
export async function thumbnail(path: string, size = THUMBNAIL_SIDE): Promise<ImageThumbnail> {
  const sharp = await loadSharp();
  try {
    // A FIFO or a device would hold a libuv thread for good: regular files only, as decodeImage.
    await assertRegularFile(path, 'an image');
    const { data, info } = await sharp(path, { autoOrient: true, failOn: 'error', limitInputPixels: DEFAULT_MAX_PIXELS })
      .resize(size, size, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 75 })
      .toBuffer({ resolveWithObject: true });
    const meta = await sharp(path, { autoOrient: true, limitInputPixels: DEFAULT_MAX_PIXELS }).metadata();
    return {
      dataUrl: `data:image/webp;base64,${data.toString('base64')}`,
      width: meta.autoOrient?.width ?? meta.width ?? info.width,
      height: meta.autoOrient?.height ?? meta.height ?? info.height,
    };
  } catch (error) {
    throw fsError(error, path, { what: 'image' });
  }
}
