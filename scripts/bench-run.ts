// Benchmark of running a model through the engine against bare onnxruntime-node.
// Run: npm run bench:run (builds the app first when out/main/engine.js is missing).
// Builds a ResNet-50-sized model (~27 M float32 parameters of random weights, Conv+Relu stages with
// residual Adds, input [1,3,224,224]) in a temp folder (deleted at the end), then measures with the
// same session options (CPU, intraOpNumThreads 2), (a) and (b) interleaved over 5 rounds (medians):
//   (a) bare onnxruntime-node in a fresh Node process per round: session create, median of 20 runs after 5 warm-ups;
//   (b) ours, through the engine process: a fresh engine per round, its first model.run's createMs, model.bench p50 (20 after 5);
//   (c) engine start: launch → first ping answer, median of 5 fresh engines (target < 300 ms);
//   (d) a 12-MP JPEG preprocessed to 224×224 inside model.run (prepareMs, median of 5; target < 60 ms).
// Targets: run latency ours/bare ≤ 1.05, session creation ours/bare ≤ 1.10.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { normalizePreset } from '../shared/recipe';
import { type Result } from '../shared/result';
import { benchRequestSchema, runRequestSchema } from '../shared/run';
import { EngineClient, forkLauncher } from '../electron/node/engine-client';
import { type ModelSpec, type NodeSpec, type TensorSpec, writeModelFile } from '../test/fixtures/onnx-builder';
import { writeBenchPhoto } from './bench-photo';

const ROOT = join(import.meta.dirname, '..');
const ENGINE = join(ROOT, 'out', 'main', 'engine.js');
const THREADS = 2;
const RUNS = 20;
const WARMUP = 5;
/** Rounds of (bare, ours), interleaved so that load from other processes hits both alike; medians compared. */
const ROUNDS = 5;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function unwrap<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

/** He-scaled uniform weights, so activations stay finite through the stack. */
function weights(name: string, dims: number[], fanIn: number): TensorSpec {
  const n = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  const bound = Math.sqrt(6 / fanIn);
  for (let k = 0; k < n; k++) data[k] = (Math.random() * 2 - 1) * bound;
  return { name, dtype: 'float32', dims, raw: new Uint8Array(data.buffer) };
}

/** Stem 7×7/2, then per stage a 3×3/2 down-conv and residual blocks of two 3×3 convs. */
function resnetSized(): { spec: ModelSpec; params: number } {
  const nodes: NodeSpec[] = [];
  const inits: TensorSpec[] = [];
  let params = 0;
  let k = 0;
  const conv = (x: string, cin: number, cout: number, kernel: number, stride: number, relu: boolean): string => {
    const id = k++;
    inits.push(weights(`w${id}`, [cout, cin, kernel, kernel], cin * kernel * kernel));
    inits.push({ name: `b${id}`, dtype: 'float32', dims: [cout], data: new Float32Array(cout) });
    params += cout * cin * kernel * kernel + cout;
    const pad = kernel >> 1;
    nodes.push({
      op: 'Conv',
      inputs: [x, `w${id}`, `b${id}`],
      outputs: [`c${id}`],
      attrs: { kernel_shape: [kernel, kernel], strides: [stride, stride], pads: [pad, pad, pad, pad] },
    });
    if (!relu) return `c${id}`;
    nodes.push({ op: 'Relu', inputs: [`c${id}`], outputs: [`r${id}`] });
    return `r${id}`;
  };
  let x = conv('input', 3, 64, 7, 2, true); // 112×112
  let c = 64;
  for (const [cout, blocks] of [
    [128, 1], // 56×56
    [256, 1], // 28×28
    [512, 1], // 14×14
    [896, 1], // 7×7
  ]) {
    x = conv(x, c, cout, 3, 2, true);
    c = cout;
    for (let b = 0; b < blocks; b++) {
      const y = conv(conv(x, c, c, 3, 1, true), c, c, 3, 1, false);
      const id = k++;
      nodes.push({ op: 'Add', inputs: [x, y], outputs: [`a${id}`] });
      nodes.push({ op: 'Relu', inputs: [`a${id}`], outputs: [`s${id}`] });
      x = `s${id}`;
    }
  }
  nodes.push({ op: 'GlobalAveragePool', inputs: [x], outputs: ['pooled'] });
  nodes.push({ op: 'Flatten', inputs: ['pooled'], outputs: ['flat'] });
  inits.push(weights('fc_w', [1000, c], c));
  inits.push({ name: 'fc_b', dtype: 'float32', dims: [1000], data: new Float32Array(1000) });
  params += 1000 * c + 1000;
  nodes.push({ op: 'Gemm', inputs: ['flat', 'fc_w', 'fc_b'], outputs: ['logits'], attrs: { transB: 1 } });
  return {
    spec: {
      opsets: [{ domain: '', version: 17 }],
      inputs: [{ name: 'input', dtype: 'float32', shape: [1, 3, 224, 224] }],
      outputs: [{ name: 'logits', dtype: 'float32', shape: [1, 1000] }],
      nodes,
      initializers: inits,
    },
    params,
  };
}

/** Bare onnxruntime-node in a fresh process, as a user's own script would run it. */
const BARE = `
const ort = require('onnxruntime-node');
(async () => {
  const opts = { executionProviders: ['cpu'], intraOpNumThreads: ${THREADS} };
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(process.argv[1], opts);
  const createMs = performance.now() - t0;
  const data = new Float32Array(3 * 224 * 224).map(() => Math.random());
  const feeds = { input: new ort.Tensor('float32', data, [1, 3, 224, 224]) };
  const samples = [];
  for (let i = 0; i < ${WARMUP + RUNS}; i++) {
    const t = performance.now();
    await session.run(feeds);
    if (i >= ${WARMUP}) samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  process.stdout.write(JSON.stringify({ createMs, p50: samples[samples.length >> 1] }));
})();
`;

function newEngine(): EngineClient {
  return new EngineClient({ launch: forkLauncher({ entry: ENGINE }) });
}

async function main(): Promise<void> {
  if (!existsSync(ENGINE)) {
    console.log('out/main/engine.js is missing: running npm run build');
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  }
  const dir = await mkdtemp(join(tmpdir(), 'bench-run-'));
  try {
    const model = join(dir, 'resnet-sized.onnx');
    const { spec, params } = resnetSized();
    const bytes = await writeModelFile(model, spec);
    console.log(
      `model: ${(params / 1e6).toFixed(1)} M parameters, ${(bytes / 1024 / 1024).toFixed(0)} MB, ${spec.nodes.length} nodes`,
    );

    // (a) bare and (b) ours, interleaved; each round a fresh process on both sides, so that both
    // session creations are the first in their process.
    const inputs = { input: { kind: 'generate', generator: 'uniform', low: 0, high: 1 } } as const;
    const options = { provider: 'cpu', intraOpThreads: THREADS } as const;
    const bareCreate: number[] = [];
    const bareP50: number[] = [];
    const oursCreate: number[] = [];
    const oursP50: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const bareRun = spawnSync(process.execPath, ['-e', BARE, model], { cwd: ROOT, encoding: 'utf8' });
      if (bareRun.status !== 0) throw new Error(`bare onnxruntime script failed: ${bareRun.stderr}`);
      const bare = JSON.parse(bareRun.stdout) as { createMs: number; p50: number };
      bareCreate.push(bare.createMs);
      bareP50.push(bare.p50);
      const engine = newEngine();
      unwrap(await engine.call('engine.ping', {}));
      const run = unwrap(await engine.call('model.run', runRequestSchema.parse({ path: model, inputs, options })));
      oursCreate.push(run.timings.createMs);
      const bench = unwrap(
        await engine.call('model.bench', benchRequestSchema.parse({ path: model, inputs, options, runs: RUNS, warmup: WARMUP })),
      );
      oursP50.push(bench.latencyMs.p50);
      engine.kill();
    }
    const show = (xs: number[]): string => xs.map((x) => x.toFixed(0)).join(', ');
    console.log(`session create ms per round: bare ${show(bareCreate)}; ours ${show(oursCreate)}`);
    console.log(`run p50 ms per round: bare ${show(bareP50)}; ours ${show(oursP50)}`);
    const bare = { createMs: median(bareCreate), p50: median(bareP50) };
    const createMs = median(oursCreate);
    const p50 = median(oursP50);

    // (d) a 12-MP JPEG preprocessed inside model.run (the session cached after the first run)
    const engine = newEngine();
    const photo = join(dir, 'photo-12mp.jpg');
    await writeBenchPhoto(photo);
    const recipe = {
      resize: { mode: 'shorter-side-crop', width: 224, height: 224, interpolation: 'bilinear' },
      ...normalizePreset('imagenet'),
    };
    const prepare: number[] = [];
    for (let i = 0; i < 6; i++) {
      const request = runRequestSchema.parse({
        path: model,
        inputs: { input: { kind: 'image', paths: [photo], recipe } },
        options,
      });
      const r = unwrap(await engine.call('model.run', request));
      if (i > 0) prepare.push(r.timings.prepareMs);
    }
    engine.kill();

    // (c) engine start → first ping
    const starts: number[] = [];
    for (let i = 0; i < 5; i++) {
      const e = newEngine();
      const t = performance.now();
      unwrap(await e.call('engine.ping', {}));
      starts.push(performance.now() - t);
      e.kill();
    }

    const f = (x: number): string => x.toFixed(1);
    const rows = [
      ['measure', 'bare ort', 'ours', 'ours/bare', 'target', 'ok'],
      [
        `session create (ms, median of ${ROUNDS})`,
        f(bare.createMs),
        f(createMs),
        (createMs / bare.createMs).toFixed(3),
        '≤ 1.10',
        createMs / bare.createMs <= 1.1 ? 'yes' : 'NO',
      ],
      [
        `run latency p50 (ms, ${RUNS} after ${WARMUP}, median of ${ROUNDS})`,
        f(bare.p50),
        f(p50),
        (p50 / bare.p50).toFixed(3),
        '≤ 1.05',
        p50 / bare.p50 <= 1.05 ? 'yes' : 'NO',
      ],
      ['engine start → ping (ms, median of 5)', '-', f(median(starts)), '-', '< 300 ms', median(starts) < 300 ? 'yes' : 'NO'],
      [
        '12-MP JPEG → 224×224 prepare (ms, median of 5)',
        '-',
        f(median(prepare)),
        '-',
        '< 60 ms',
        median(prepare) < 60 ? 'yes' : 'NO',
      ],
    ];
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    console.log(`\nCPU, intraOpNumThreads ${THREADS}\n`);
    for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c])).join('  '));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
