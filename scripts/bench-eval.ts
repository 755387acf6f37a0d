// Benchmark of evaluation: `onnx-workbench eval` against `onnx-workbench batch` over the same
// labelled images, both as a user runs them (the built CLI, wall time of the whole command), in
// interleaved rounds; the ratio is the median of each round's own eval/batch ratio. Target: eval
// within 10% of batch (it is a batch job plus scoring).
// Run: npm run bench:eval [-- --images N] [--rounds R] (default 1000 images, 5 rounds).
//
// In a temp folder (deleted at the end): a MobileNetV2-class classifier with random weights
// (scripts/bench-models.ts) and N JPEGs of 320×240 in 10 class folders (ImageNet layout; seeded
// noise over a colour per class), and a recipe file (224×224, ImageNet normalisation, labels = the
// class names). Each round runs, in alternating order, `batch MODEL FOLDER --out A` and
// `eval MODEL FOLDER --out B` into fresh folders, with the same recipe and 2 threads.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { buildModel } from '../test/fixtures/onnx-builder';
import { mobileNetClass, seededRandom } from './bench-models';

const ROOT = join(import.meta.dirname, '..');
const { values } = parseArgs({ options: { images: { type: 'string' }, rounds: { type: 'string' } } });
const N = Number(values.images ?? 1000);
const ROUNDS = Number(values.rounds ?? 5);
const CLASSES = ['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9'];

if (!existsSync(join(ROOT, 'out/main/cli.js'))) spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'owb-bench-eval-'));
  try {
    const model = join(dir, 'mobilenet.onnx');
    await writeFile(model, buildModel(mobileNetClass().spec));
    const rand = seededRandom(7);
    const folder = join(dir, 'images');
    for (let k = 0; k < N; k++) {
      const c = k % CLASSES.length;
      const noise = Buffer.alloc(320 * 240 * 3);
      for (let i = 0; i < noise.length; i++) noise[i] = Math.floor(((c * 25 + (i % 3) * 80) % 256) * 0.5 + rand() * 127);
      await mkdir(join(folder, CLASSES[c]), { recursive: true });
      await sharp(noise, { raw: { width: 320, height: 240, channels: 3 } })
        .jpeg({ quality: 85 })
        .toFile(join(folder, CLASSES[c], `${k}.jpg`));
    }
    const recipe = join(dir, 'recipe.json');
    await writeFile(
      recipe,
      JSON.stringify({
        inputs: {
          input: {
            resize: { mode: 'stretch', width: 224, height: 224 },
            mean: [0.485, 0.456, 0.406],
            std: [0.229, 0.224, 0.225],
          },
        },
        task: {
          kind: 'classification',
          labels: { kind: 'list', labels: [...CLASSES, ...Array.from({ length: 990 }, (_, i) => `x${i}`)] },
        },
      }),
    );
    const cli = (args: string[]) => {
      const start = performance.now();
      const r = spawnSync(process.execPath, [join(ROOT, 'bin/onnx-workbench.js'), ...args], {
        encoding: 'utf8',
        env: { ...process.env, OWB_DATA_DIR: join(dir, 'data') },
      });
      const ms = performance.now() - start;
      if (r.status !== 0) throw new Error(`${args[0]} exited ${r.status}: ${r.stderr}`);
      return ms;
    };
    const common = ['--recipe', recipe, '--threads', '2'];
    const batchMs: number[] = [];
    const evalMs: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const runBatch = () => batchMs.push(cli(['batch', model, folder, '--out', join(dir, `batch-${round}`), ...common]));
      const runEval = () => evalMs.push(cli(['eval', model, folder, '--out', join(dir, `eval-${round}`), '--json', ...common]));
      if (round % 2) {
        runEval();
        runBatch();
      } else {
        runBatch();
        runEval();
      }
      process.stderr.write(
        `round ${round + 1}: batch ${(batchMs.at(-1)! / 1000).toFixed(1)} s, eval ${(evalMs.at(-1)! / 1000).toFixed(1)} s\n`,
      );
    }
    const b = median(batchMs);
    const e = median(evalMs);
    // Each round's own ratio: the two commands of a round ran back to back, so a machine whose
    // speed drifts between rounds (a shared host) moves both (as bench:batch reports its ratios).
    const paired = median(evalMs.map((ms, k) => ms / batchMs[k]));
    const result = {
      images: N,
      rounds: ROUNDS,
      batch_s: +(b / 1000).toFixed(2),
      eval_s: +(e / 1000).toFixed(2),
      batch_img_s: +(N / (b / 1000)).toFixed(1),
      eval_img_s: +(N / (e / 1000)).toFixed(1),
      eval_over_batch: +paired.toFixed(3),
      eval_over_batch_of_medians: +(e / b).toFixed(3),
      round_ratios: evalMs.map((ms, k) => +(ms / batchMs[k]).toFixed(3)),
    };
    process.stdout.write(
      [
        `| command (${N} images, median of ${ROUNDS}) | wall | images/s |`,
        '|---|---|---|',
        `| batch | ${result.batch_s} s | ${result.batch_img_s} |`,
        `| eval | ${result.eval_s} s | ${result.eval_img_s} |`,
        `eval / batch wall time: ${result.eval_over_batch}, the median of the rounds' own ratios ${result.round_ratios.join(', ')} (target ≤ 1.10); of the medians: ${result.eval_over_batch_of_medians}`,
        `bench:eval ${JSON.stringify(result)}`,
        '',
      ].join('\n'),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

void main();
