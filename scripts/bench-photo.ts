// The benchmarks' photo: a 12-MP JPEG of noise, as heavy to decode as a phone picture.
import sharp from 'sharp';

export async function writeBenchPhoto(file: string): Promise<void> {
  await sharp({
    create: {
      width: 4000,
      height: 3000,
      channels: 3,
      background: { r: 120, g: 140, b: 90 },
      noise: { type: 'gaussian', mean: 128, sigma: 40 },
    },
  })
    .jpeg({ quality: 90 })
    .toFile(file);
}
