// The benchmarks' photos: a 12-MP JPEG of noise, as heavy to decode as a phone picture; and folders
// of seeded pictures with what photos have (bench:batch).
import { link, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { seededRandom } from './bench-models';

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

/**
 * A picture with what makes photos cost something to decode: smooth gradients, low-frequency
 * waves, flat shapes with edges, texture at a few pixels' scale (foliage, fabric, gravel), and
 * sensor-like noise (so JPEG and PNG do not compress it away).
 */
function paint(width: number, height: number, random: () => number): Buffer {
  const px = Buffer.allocUnsafe(width * height * 3);
  // Texture: a coarse grid of random values, one every CELL pixels, interpolated bilinearly.
  const CELL = 3;
  const gw = Math.ceil(width / CELL) + 2;
  const grid = new Float32Array(gw * (Math.ceil(height / CELL) + 2)).map(() => (random() - 0.5) * 70);
  const texture = (x: number, y: number) => {
    const gx = x / CELL;
    const gy = y / CELL;
    const i = Math.floor(gx);
    const j = Math.floor(gy);
    const u = gx - i;
    const v = gy - j;
    const a = grid[j * gw + i] + (grid[j * gw + i + 1] - grid[j * gw + i]) * u;
    const b = grid[(j + 1) * gw + i] + (grid[(j + 1) * gw + i + 1] - grid[(j + 1) * gw + i]) * u;
    return a + (b - a) * v;
  };
  const c0 = [0, 1, 2].map(() => 40 + random() * 170);
  const c1 = [0, 1, 2].map(() => 40 + random() * 170);
  const waveX = new Float32Array(width);
  const waveY = new Float32Array(height);
  const fx = (2 + random() * 10) / width;
  const fy = (2 + random() * 10) / height;
  const phase = random() * 6.28;
  for (let x = 0; x < width; x++) waveX[x] = Math.sin(x * fx * 6.28 + phase);
  for (let y = 0; y < height; y++) waveY[y] = Math.cos(y * fy * 6.28);
  let noise = (random() * 2 ** 31) | 1;
  for (let y = 0; y < height; y++) {
    const ty = y / height;
    let o = y * width * 3;
    for (let x = 0; x < width; x++) {
      const t = (x / width + ty) / 2;
      const wave = 30 * waveX[x] * waveY[y] + texture(x, y);
      for (let c = 0; c < 3; c++) {
        noise ^= noise << 13;
        noise ^= noise >>> 17;
        noise ^= noise << 5;
        const v = c0[c] + (c1[c] - c0[c]) * t + wave + ((noise & 31) - 16);
        px[o++] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
  }
  const shapes = 8 + Math.floor(random() * 20);
  for (let s = 0; s < shapes; s++) {
    const colour = [0, 1, 2].map(() => Math.floor(random() * 256));
    const cx = random() * width;
    const cy = random() * height;
    const rx = (0.03 + random() * 0.2) * width;
    const ry = (0.03 + random() * 0.2) * height;
    const round = random() < 0.5;
    for (let y = Math.max(0, Math.floor(cy - ry)); y < Math.min(height, Math.ceil(cy + ry)); y++) {
      const dy = (y - cy) / ry;
      const half = round ? rx * Math.sqrt(Math.max(0, 1 - dy * dy)) : rx;
      const x0 = Math.max(0, Math.floor(cx - half));
      const x1 = Math.min(width, Math.ceil(cx + half));
      for (let x = x0; x < x1; x++) {
        const o = (y * width + x) * 3;
        for (let c = 0; c < 3; c++) px[o + c] = (px[o + c] + colour[c] * 3) >> 2;
      }
    }
  }
  return px;
}

export interface Picture {
  path: string;
  ext: 'jpg' | 'png';
  width: number;
  height: number;
  bytes: number;
}

/** Pictures with the long side in [minSide, maxSide]; a third of them PNG unless `jpegOnly`. */
export async function makePictures(
  dir: string,
  count: number,
  minSide: number,
  maxSide: number,
  seed: number,
  jpegOnly = false,
): Promise<Picture[]> {
  await mkdir(dir, { recursive: true });
  const random = seededRandom(seed);
  const pictures: Picture[] = [];
  for (let i = 0; i < count; i++) {
    const long = Math.round(minSide + random() * (maxSide - minSide));
    const short = Math.max(minSide, Math.round(long / (1 + random() * 0.8)));
    const [width, height] = random() < 0.7 ? [long, short] : [short, long];
    const ext = !jpegOnly && random() < 1 / 3 ? 'png' : 'jpg';
    const raw = sharp(paint(width, height, random), { raw: { width, height, channels: 3 } });
    const path = join(dir, `source-${String(i).padStart(3, '0')}.${ext}`);
    await (ext === 'png' ? raw.png() : raw.jpeg({ quality: 85 + Math.floor(random() * 10) })).toFile(path);
    pictures.push({ path, ext, width, height, bytes: (await stat(path)).size });
  }
  return pictures;
}

/** `count` files in `dir`, each a hard link to one of the pictures in turn. */
export async function linkFolder(dir: string, pictures: Picture[], count: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    const p = pictures[i % pictures.length];
    await link(p.path, join(dir, `img-${String(i).padStart(5, '0')}.${p.ext}`));
  }
}
