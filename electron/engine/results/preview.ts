// The original image as the UI shows it under a result: EXIF orientation applied, longest side at
// most PREVIEW_MAX_SIDE, flattened on white, as a JPEG data URL small enough to send across processes.
import { PREVIEW_MAX_SIDE } from '../../../shared/interpretation';
import { DEFAULT_MAX_PIXELS } from '../image/decode';

export async function previewDataUrl(path: string): Promise<string> {
  const sharp = (await import('sharp')).default;
  const jpeg = await sharp(path, { autoOrient: true, failOn: 'error', limitInputPixels: DEFAULT_MAX_PIXELS })
    .resize(PREVIEW_MAX_SIDE, PREVIEW_MAX_SIDE, { fit: 'inside', withoutEnlargement: true })
    .flatten({ background: '#ffffff' })
    .jpeg({ quality: 85 })
    .toBuffer();
  return `data:image/jpeg;base64,${jpeg.toString('base64')}`;
}
