// Benchmark of readModelInfo on big models. Run: npx tsx scripts/bench-inspect.ts
// Generates models in a temp folder (deleted at the end), measures each case in a fresh child
// process (median of 5 runs after a warm-up, peak RSS, bytes read via /proc/self/io) and
// compares with a baseline that reads the whole file with fs.readFile and decodes it in memory.

import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readModelInfo } from '../electron/common/onnx/reader';
import { buildModel, writeModelFile, type ModelSpec, type NodeSpec, type TensorSpec } from '../test/fixtures/onnx-builder';

const MB = 1024 * 1024;
const RUNS = 5;

function rchar(): number {
  try {
    const m = /rchar:\s*(\d+)/.exec(readFileSync('/proc/self/io', 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

interface ChildResult {
  ms: number;
  peakMB: number;
  readMB: number;
  nodes: number;
}

/** Child mode: measure one case in a clean process and print JSON. */
async function child(mode: string, file: string): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const once = async (): Promise<number> => {
    if (mode === 'inspect') return (await readModelInfo(file)).nodes;
    // Baseline: the whole file read into memory with fs.readFile, then decoded there.
    return (await readModelInfo(file, { wholeFile: true })).nodes;
  };
  const runs = mode === 'inspect' ? RUNS : 3;
  if (mode === 'inspect') await once(); // warm-up: module code, JIT
  gc?.();
  const rss0 = process.memoryUsage().rss;
  const io0 = rchar();
  const times: number[] = [];
  let nodes = 0;
  for (let k = 0; k < runs; k++) {
    const t0 = performance.now();
    nodes = await once();
    times.push(performance.now() - t0);
  }
  const peak = process.resourceUsage().maxRSS * 1024;
  const r: ChildResult = { ms: median(times), peakMB: Math.max(0, peak - rss0) / MB, readMB: (rchar() - io0) / runs / MB, nodes };
  process.stdout.write(`${JSON.stringify(r)}\n`);
}

function measure(mode: 'inspect' | 'baseline', file: string): ChildResult {
  const self = fileURLToPath(import.meta.url);
  const res = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', self, '--child', mode, file], {
    encoding: 'utf8',
    maxBuffer: 16 * MB,
  });
  const line = res.stdout.trim().split('\n').pop() ?? '';
  if (res.status !== 0 || !line.startsWith('{')) throw new Error(`child ${mode} ${file} failed: ${res.stderr}`);
  return JSON.parse(line) as ChildResult;
}

/** VGG16-like: 13 convolutions and 3 fully connected layers, ~553 MB of float32 weights. */
function vgg16(): ModelSpec {
  const cfg = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'] as const;
  const nodes: NodeSpec[] = [];
  const inits: TensorSpec[] = [];
  let cin = 3;
  let x = 'input';
  let k = 0;
  for (const c of cfg) {
    if (c === 'M') {
      nodes.push({ op: 'MaxPool', inputs: [x], outputs: [`pool${k}`], attrs: { kernel_shape: [2, 2], strides: [2, 2] } });
      x = `pool${k++}`;
      continue;
    }
    const w = { name: `conv${k}.weight`, dtype: 'float32' as const, dims: [c, cin, 3, 3] };
    inits.push({ ...w, rawLength: c * cin * 9 * 4 }, { name: `conv${k}.bias`, dtype: 'float32', dims: [c], rawLength: c * 4 });
    nodes.push({ op: 'Conv', inputs: [x, w.name, `conv${k}.bias`], outputs: [`c${k}`], attrs: { pads: [1, 1, 1, 1] } });
    nodes.push({ op: 'Relu', inputs: [`c${k}`], outputs: [`r${k}`] });
    x = `r${k++}`;
    cin = c;
  }
  nodes.push({ op: 'Flatten', inputs: [x], outputs: ['flat'] });
  x = 'flat';
  for (const [i, [a, b]] of [
    [25088, 4096],
    [4096, 4096],
    [4096, 1000],
  ].entries()) {
    inits.push(
      { name: `fc${i}.weight`, dtype: 'float32', dims: [a, b], rawLength: a * b * 4 },
      { name: `fc${i}.bias`, dtype: 'float32', dims: [b], rawLength: b * 4 },
    );
    nodes.push(
      { op: 'MatMul', inputs: [x, `fc${i}.weight`], outputs: [`mm${i}`] },
      { op: 'Add', inputs: [`mm${i}`, `fc${i}.bias`], outputs: [`fc${i}`] },
    );
    x = `fc${i}`;
  }
  nodes.push({ op: 'Softmax', inputs: [x], outputs: ['probs'] });
  return {
    inputs: [{ name: 'input', dtype: 'float32', shape: ['batch', 3, 224, 224] }],
    outputs: [{ name: 'probs', dtype: 'float32', shape: ['batch', 1000] }],
    nodes,
    initializers: inits,
    producer: 'bench',
  };
}

/** A chain of n small Add/Mul/Relu nodes with one 16-float weight each. */
function manyNodes(n: number): ModelSpec {
  const nodes: NodeSpec[] = [];
  const inits: TensorSpec[] = [];
  const ops = ['Add', 'Mul', 'Relu'];
  for (let k = 0; k < n; k++) {
    const op = ops[k % 3];
    const src = k ? `t${k - 1}` : 'x';
    const out = k === n - 1 ? 'y' : `t${k}`;
    if (op === 'Relu') nodes.push({ op, name: `n${k}`, inputs: [src], outputs: [out] });
    else {
      inits.push({ name: `w${k}`, dtype: 'float32', dims: [16], data: new Float32Array(16).fill(k % 7) });
      nodes.push({ op, name: `n${k}`, inputs: [src, `w${k}`], outputs: [out] });
    }
  }
  return {
    inputs: [{ name: 'x', dtype: 'float32', shape: ['batch', 16] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: ['batch', 16] }],
    nodes,
    initializers: inits,
  };
}

/** 22 tensors of 100 MB in one external file, made sparse with truncate (2.2 GB, no disk used). */
function externalModel(): { spec: ModelSpec; size: number } {
  const per = 100 * 1000 * 1000;
  const inits: TensorSpec[] = [];
  const nodes: NodeSpec[] = [];
  for (let k = 0; k < 22; k++) {
    inits.push({
      name: `w${k}`,
      dtype: 'float32',
      dims: [per / 4],
      external: { location: 'weights.bin', offset: k * per, length: per },
    });
    nodes.push({ op: 'Add', inputs: [k ? `t${k - 1}` : 'x', `w${k}`], outputs: [k === 21 ? 'y' : `t${k}`] });
  }
  return {
    spec: {
      inputs: [{ name: 'x', dtype: 'float32', shape: [per / 4] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: [per / 4] }],
      nodes,
      initializers: inits,
    },
    size: 22 * per,
  };
}

const fmt = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-inspect-'));
  try {
    const t0 = performance.now();
    const vggPath = join(dir, 'vgg16.onnx');
    await writeModelFile(vggPath, vgg16());
    const n5k = join(dir, 'nodes-5k.onnx');
    await writeFile(n5k, buildModel(manyNodes(5000)));
    const n20k = join(dir, 'nodes-20k.onnx');
    await writeFile(n20k, buildModel(manyNodes(20000)));
    const ext = externalModel();
    const extPath = join(dir, 'external.onnx');
    await writeFile(extPath, buildModel(ext.spec));
    await writeFile(join(dir, 'weights.bin'), '');
    await truncate(join(dir, 'weights.bin'), ext.size);
    console.log(`generated models in ${fmt((performance.now() - t0) / 1000)} s\n`);

    const cases = [
      { name: 'VGG16-like 550 MB', file: vggPath, baseline: true, target: '< 150 ms, < 64 MB' },
      { name: '5,000 nodes', file: n5k, baseline: true, target: '∝ nodes' },
      { name: '20,000 nodes', file: n20k, baseline: true, target: '∝ nodes' },
      { name: 'external 2.2 GB (sparse)', file: extPath, baseline: true, target: 'no external reads' },
    ];
    const rows: string[][] = [
      ['case', 'file MB', 'nodes', 'inspect ms', 'peak +MB', 'read MB/run', 'baseline ms', 'baseline peak +MB', 'target'],
    ];
    for (const c of cases) {
      const size = (await stat(c.file)).size;
      const r = measure('inspect', c.file);
      const b = c.baseline ? measure('baseline', c.file) : null;
      rows.push([
        c.name,
        fmt(size / MB),
        String(r.nodes),
        fmt(r.ms, 2),
        fmt(r.peakMB),
        fmt(r.readMB, 2),
        b ? fmt(b.ms, 0) : '-',
        b ? fmt(b.peakMB) : '-',
        c.target,
      ]);
    }
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    for (const [i, r] of rows.entries()) {
      console.log(r.map((c, k) => c.padEnd(widths[k])).join(' | '));
      if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
    }
    console.log(
      `\nexternal weights file: ${fmt(ext.size / MB)} MB; "read MB/run" counts bytes read from any file (/proc/self/io rchar).`,
    );
    console.log(`total ${fmt((performance.now() - t0) / 1000)} s`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const argv = process.argv.slice(2);
if (argv[0] === '--child') await child(argv[1], argv[2]);
else await main();
