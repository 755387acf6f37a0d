// Benchmark of image preprocessing. Run: npx tsx scripts/bench-preprocess.ts
// Makes a noisy 4000×3000 JPEG (12 MP, not trivially compressible) in a temp folder (deleted at
// the end) and times turning it into tensors: median of 15 runs after 3 warm-ups.
// The main case is a 1×3×224×224 float32 ImageNet tensor (shorter-side-crop 256 → 224); target < 60 ms.
// The last row is sharp alone (decode with shrink-on-load + resize): the floor, since a JPEG's
// entropy-coded data must be read in full even when decoding at 1/8 size.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { normalizePreset, preprocessRecipeSchema, type PreprocessRecipeInput } from '../shared/recipe';
import { preprocessImage } from '../electron/engine/image/preprocess';
import { writeBenchPhoto } from './bench-photo';

const RUNS = 15;
const WARMUP = 3;
const TARGET_MS = 60;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

interface Case {
  name: string;
  recipe: PreprocessRecipeInput;
  target?: number;
}

const CASES: Case[] = [
  {
    name: 'shorter-side-crop 256→224, imagenet, NCHW f32',
    recipe: {
      resize: { mode: 'shorter-side-crop', width: 224, height: 224, interpolation: 'bilinear' },
      ...normalizePreset('imagenet'),
    },
    target: TARGET_MS,
  },
  {
    name: 'same, lanczos3',
    recipe: {
      resize: { mode: 'shorter-side-crop', width: 224, height: 224, interpolation: 'lanczos3' },
      ...normalizePreset('imagenet'),
    },
  },
  {
    name: 'letterbox 640, 0..1, NCHW f32',
    recipe: { resize: { mode: 'letterbox', width: 640, height: 640 }, ...normalizePreset('none') },
  },
  {
    name: 'stretch 224, NHWC uint8',
    recipe: { resize: { mode: 'stretch', width: 224, height: 224 }, layout: 'NHWC', dtype: 'uint8' },
  },
  { name: 'letterbox 640, f16', recipe: { resize: { mode: 'letterbox', width: 640, height: 640 }, dtype: 'float16' } },
];

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-preprocess-'));
  try {
    const file = join(dir, 'photo-12mp.jpg');
    const t0 = performance.now();
    await writeBenchPhoto(file);
    const size = (await stat(file)).size;
    console.log(
      `made ${file}: 4000×3000 JPEG, ${(size / 1024 / 1024).toFixed(1)} MB, in ${(performance.now() - t0).toFixed(0)} ms`,
    );
    console.log(
      `sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}, concurrency ${sharp.concurrency()}; median of ${RUNS} after ${WARMUP} warm-ups\n`,
    );

    const rows: string[][] = [['case', 'dims', 'median ms', 'min ms', 'max ms', 'target']];
    let failed = false;
    for (const c of CASES) {
      const recipe = preprocessRecipeSchema.parse(c.recipe);
      let dims: number[] = [];
      for (let k = 0; k < WARMUP; k++) dims = (await preprocessImage(file, recipe)).tensor.dims;
      const times: number[] = [];
      for (let k = 0; k < RUNS; k++) {
        const s = performance.now();
        await preprocessImage(file, recipe);
        times.push(performance.now() - s);
      }
      const med = median(times);
      const verdict = c.target === undefined ? '' : med < c.target ? `< ${c.target} ok` : `< ${c.target} MISSED`;
      if (c.target !== undefined && med >= c.target) failed = true;
      rows.push([
        c.name,
        `[${dims.join(',')}]`,
        med.toFixed(1),
        Math.min(...times).toFixed(1),
        Math.max(...times).toFixed(1),
        verdict,
      ]);
    }
    // The floor: sharp alone decoding (shrink-on-load) and resizing, no tensor made.
    const floor = async (): Promise<unknown> => sharp(file).resize(341, 256, { fit: 'fill' }).raw().toBuffer();
    for (let k = 0; k < WARMUP; k++) await floor();
    const floorTimes: number[] = [];
    for (let k = 0; k < RUNS; k++) {
      const s = performance.now();
      await floor();
      floorTimes.push(performance.now() - s);
    }
    rows.push([
      'baseline: sharp decode + resize only',
      '',
      median(floorTimes).toFixed(1),
      Math.min(...floorTimes).toFixed(1),
      Math.max(...floorTimes).toFixed(1),
      '',
    ]);
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    for (const r of rows)
      console.log(r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '));
    if (failed) process.exitCode = 1;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

void main();
