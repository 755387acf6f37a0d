// Tiles over a big image: an upscaler-shaped model (a nearest-neighbour Resize ×SCALE with a fixed
// SIZE×SIZE input, built here) on a 4000×3000 photo, through the engine from source (a fresh
// engine process per measurement), tile by tile. Prints the wall time and the engine's peak RSS
// (VmHWM from /proc, Linux) for:
//   (a) the engine idle (started, nothing run);
//   (b) model.run with the tiled recipe (the full-resolution output tensor kept for the Run view);
//   (c) a batch job of the photo writing the full-resolution output picture (JPEG, as the input), as Upscayl does;
// and, for scale, the bytes of the output tensor itself (float32) and of the output picture (RGB).
// Run: npm run bench:tiles [-- --scale 4 --size 64 --overlap 16]
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { batchJobSchema } from '../shared/batch';
import type { Result } from '../shared/result';
import { runRequestSchema } from '../shared/run';
import { EngineClient, forkLauncher } from '../electron/node/engine-client';
import { resizeModel } from '../test/fixtures/image-models';
import { writeBenchPhoto } from './bench-photo';

const ROOT = join(import.meta.dirname, '..');
const { values } = parseArgs({
  options: { scale: { type: 'string' }, size: { type: 'string' }, overlap: { type: 'string' } },
});
const SCALE = Number(values.scale ?? 2);
const SIZE = Number(values.size ?? 128);
const OVERLAP = values.overlap === undefined ? ('auto' as const) : Number(values.overlap);

function unwrap<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

/** Peak resident set of a process, from /proc (Linux); null elsewhere. */
function peakRssBytes(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

const mib = (b: number | null) => (b === null ? 'n/a' : `${(b / 2 ** 20).toFixed(0)} MiB`);

function engine(): EngineClient {
  return new EngineClient({
    launch: forkLauncher({ entry: join(ROOT, 'electron', 'engine', 'main.ts'), execArgv: ['--import', 'tsx'] }),
  });
}

async function measure(label: string, body: (client: EngineClient) => Promise<string>): Promise<void> {
  const client = engine();
  try {
    unwrap(await client.call('engine.ping', {}));
    const t0 = performance.now();
    const what = await body(client);
    const seconds = (performance.now() - t0) / 1000;
    console.log(
      `${label.padEnd(44)} ${seconds.toFixed(2).padStart(7)} s   peak RSS ${mib(peakRssBytes(client.pid)).padStart(9)}   ${what}`,
    );
  } finally {
    client.kill();
  }
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'owb-bench-tiles-'));
  try {
    const model = join(dir, `upscale-x${SCALE}.onnx`);
    await writeFile(model, resizeModel([1, 3, SIZE, SIZE], SCALE, 'nearest'));
    const photo = join(dir, 'in', 'photo.jpg');
    await mkdir(join(dir, 'in'));
    await writeBenchPhoto(photo);
    const recipe = { resize: { mode: 'stretch', width: SIZE, height: SIZE }, tile: { size: 'auto', overlap: OVERLAP } };
    const [W, H] = [4000 * SCALE, 3000 * SCALE];
    console.log(
      `Upscaler ×${SCALE}, fixed input ${SIZE}×${SIZE}, overlap ${OVERLAP}; photo 4000×3000 → ${W}×${H}` +
        ` (output tensor ${mib(W * H * 3 * 4)} float32, picture ${mib(W * H * 3)} RGB)\n`,
    );

    await measure('(a) engine idle', async () => 'started, nothing run');
    await measure('(b) model.run, tiled', async (client) => {
      const request = runRequestSchema.parse({
        path: model,
        inputs: { x: { kind: 'image', paths: [photo], recipe } },
        options: { provider: 'cpu' },
      });
      const run = unwrap(await client.call('model.run', request, { deadlineMs: null }));
      return `${run.inputs[0].notes[0].replace(/^.*: /, '')} → ${run.outputs[0].dims.join('×')}`;
    });
    await measure('(c) batch job, output picture written', async (client) => {
      const job = batchJobSchema.parse({
        model,
        recipe: { inputs: { x: recipe }, task: { kind: 'image-to-image' } },
        input: { folder: join(dir, 'in') },
        output: { folder: join(dir, 'out'), write: ['images'] },
        options: { provider: 'cpu' },
      });
      const summary = unwrap(await client.call('engine.batchRun', { job, jobId: 'bench-tiles' }, { deadlineMs: null }));
      const meta = await sharp(join(dir, 'out', 'images', 'photo.jpg.jpg')).metadata();
      return `${summary.ok} ok; wrote ${meta.width}×${meta.height} ${meta.format}`;
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
