// `onnx-workbench profile --json` for real: a ResNet-50 built in code at optimisation "disabled"
// (every node under its own name, shapes and MACs checked against a walk of the layer list done
// here), and a small model at "extended" where onnxruntime fuses Conv and Relu.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProfileSummary } from '../../shared/profile';
import { resNet50Class } from '../../scripts/bench-models';
import { type ModelSpec, type NodeSpec, writeModelFile } from '../fixtures/onnx-builder';
import { ROOT } from '../helpers';

let dir: string;

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'electron/cli/index.ts'), ...args], {
    encoding: 'utf8',
    cwd: ROOT,
    env: { ...process.env, OWB_ENGINE_SOURCE: '1', OWB_DATA_DIR: join(dir, 'data'), OWB_PROFILE_DIR: join(dir, 'profiles') },
    maxBuffer: 256 * 1024 * 1024,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'owb-profile-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ints = (v: unknown) => v as number[];

/** Output shape of every node and the MACs of Conv and Gemm, by walking the layer list (batch 1). */
function expectedFromLayers(spec: ModelSpec) {
  const shapes = new Map<string, number[]>([['input', [1, 3, 224, 224]]]);
  const dims = new Map(spec.initializers!.map((t) => [t.name, t.dims]));
  for (const t of spec.initializers!) shapes.set(t.name, t.dims);
  const out = new Map<string, { shape: number[]; macs: number | null }>();
  for (const n of spec.nodes) {
    const x = shapes.get(n.inputs![0])!;
    let y: number[];
    let macs: number | null = null;
    if (n.op === 'Conv') {
      const w = dims.get(n.inputs![1])!;
      const [kh, kw] = ints(n.attrs!.kernel_shape);
      const [sh, sw] = ints(n.attrs!.strides);
      const [pt, pl, pb, pr] = ints(n.attrs!.pads);
      y = [x[0], w[0], Math.floor((x[2] + pt + pb - kh) / sh) + 1, Math.floor((x[3] + pl + pr - kw) / sw) + 1];
      // Each output value sums over its group's input channels and the kernel window.
      macs = y[0] * y[1] * y[2] * y[3] * w[1] * kh * kw;
    } else if (n.op === 'MaxPool') {
      const [k] = ints(n.attrs!.kernel_shape);
      const [s] = ints(n.attrs!.strides);
      const [p] = ints(n.attrs!.pads);
      y = [x[0], x[1], Math.floor((x[2] + 2 * p - k) / s) + 1, Math.floor((x[3] + 2 * p - k) / s) + 1];
    } else if (n.op === 'GlobalAveragePool') y = [x[0], x[1], 1, 1];
    else if (n.op === 'Flatten') y = [x[0], x[1] * x[2] * x[3]];
    else if (n.op === 'Gemm') {
      const w = dims.get(n.inputs![1])!; // transB: [N, K]
      y = [x[0], w[0]];
      macs = x[0] * w[0] * w[1];
    } else y = x; // Relu, Add
    shapes.set(n.outputs![0], y);
    out.set(n.name!, { shape: y, macs });
  }
  return out;
}

describe('profile --json on a ResNet-50 at optimisation disabled', () => {
  it('lists every node under its own name, with its output shapes and MACs', async () => {
    const { spec, macs: countedWhileBuilding } = resNet50Class(1);
    // Scoped names the way exporters write them.
    spec.nodes = spec.nodes.map((n: NodeSpec, i) => ({ ...n, name: `/net/n${i}/${n.op}` }));
    const model = join(dir, 'resnet50.onnx');
    await writeModelFile(model, spec);
    const expected = expectedFromLayers(spec);

    const r = cli('profile', model, '--optimization', 'disabled', '--runs', '1', '--provider', 'cpu', '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as ProfileSummary;

    expect(s.optimization).toBe('disabled');
    expect(s.nodes.map((n) => n.name).sort()).toEqual(spec.nodes.map((n) => n.name!).sort());
    const convs = spec.nodes.filter((n) => n.op === 'Conv').length;
    expect(convs).toBe(53);
    for (const n of spec.nodes) {
      const got = s.nodes.find((p) => p.name === n.name)!;
      const want = expected.get(n.name!)!;
      expect(got.op, n.name).toBe(n.op);
      expect(got.provider).toBe('CPUExecutionProvider');
      expect(got.outputs, n.name).toEqual([
        { name: n.outputs![0], shape: want.shape, bytes: 4 * want.shape.reduce((a, b) => a * b, 1), dtype: 'float' },
      ]);
      expect(got.macs, n.name).toBe(want.macs);
      expect(got.ms).toBeGreaterThanOrEqual(0);
    }
    const total = [...expected.values()].reduce((a, e) => a + (e.macs ?? 0), 0);
    expect(s.macs).toBe(total);
    expect(s.macs).toBe(countedWhileBuilding);
    // The published figure for ResNet-50 at 224×224: about 4.09 G multiply-adds.
    expect(s.macs / 1e9).toBeCloseTo(4.09, 1);
    expect(s.nodes.find((n) => n.name!.endsWith('Gemm'))!.outputs[0].shape).toEqual([1, 1000]);

    expect(s.ops.find((o) => o.op === 'Conv')).toMatchObject({ count: 53 });
    expect(s.ops.reduce((a, o) => a + o.count, 0)).toBe(spec.nodes.length);
    expect(s.providers).toEqual([expect.objectContaining({ provider: 'CPUExecutionProvider', nodes: spec.nodes.length })]);
    expect(s.runs).toBe(1);
    expect(s.total_ms).toBeGreaterThan(0);
  }, 600_000);
});

describe('profile of a small model', () => {
  const spec: ModelSpec = {
    opsets: [{ domain: '', version: 17 }],
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 3, 16, 16] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: ['N', 8, 16, 16] }],
    nodes: [
      {
        name: '/conv/Conv',
        op: 'Conv',
        inputs: ['x', 'w', 'b'],
        outputs: ['c'],
        attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
      },
      { name: '/conv/Relu', op: 'Relu', inputs: ['c'], outputs: ['r'] },
      { name: '/out/Add', op: 'Add', inputs: ['r', 'r'], outputs: ['y'] },
    ],
    initializers: [
      { name: 'w', dtype: 'float32', dims: [8, 3, 3, 3], data: new Float32Array(216).fill(0.01) },
      { name: 'b', dtype: 'float32', dims: [8], data: new Float32Array(8) },
    ],
  };

  it('at "extended" lists the fused Conv+Relu with the nodes it replaces', async () => {
    const model = join(dir, 'small.onnx');
    await writeModelFile(model, spec);
    const r = cli('profile', model, '--optimization', 'extended', '--runs', '2', '--dim', 'N=2', '--json');
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as ProfileSummary;
    const fused = s.nodes.find((n) => n.op === 'FusedConv')!;
    expect(fused.fusedFrom).toEqual(['/conv/Conv', '/conv/Relu']);
    expect(fused.outputs).toEqual([{ name: 'r', shape: [2, 8, 16, 16], bytes: 4 * 2 * 8 * 256, dtype: 'float' }]);
    expect(fused.macs).toBe(2 * 8 * 256 * 3 * 9);
    expect(s.nodes.some((n) => n.name === '/conv/Relu')).toBe(false);
    expect(s.runs).toBe(2);
  }, 120_000);

  it('prints a readable report, and refuses an unknown optimisation level for profile, run and bench', async () => {
    const model = join(dir, 'small.onnx');
    await writeModelFile(model, spec);
    const r = cli('profile', model, '--optimization', 'disabled', '--runs', '1');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/optimisation disabled/);
    expect(r.stdout).toMatch(/\/conv\/Conv\s+Conv\s+CPU/);
    expect(r.stdout).toMatch(/By op type/);
    for (const command of ['profile', 'run', 'bench']) {
      const bad = cli(command, model, '--optimization', 'fast');
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/unknown optimization level "fast" \(one of: disabled, basic, extended, all\)/);
    }
  }, 120_000);
});

describe('run on a model onnxruntime cannot load', () => {
  it('says which operator of which domain is missing, in words', async () => {
    const model = join(dir, 'fancy.onnx');
    await writeModelFile(model, {
      opsets: [
        { domain: '', version: 17 },
        { domain: 'com.example', version: 3 },
      ],
      inputs: [{ name: 'x', dtype: 'float32', shape: [2] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: [2] }],
      nodes: [{ name: 'f', op: 'FancyOp', domain: 'com.example', inputs: ['x'], outputs: ['y'] }],
    });
    const r = cli('run', model, '--generate-missing', '--provider', 'cpu');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /Operator FancyOp of domain com\.example is not implemented by onnxruntime \d+\.\d+ \(the model imports com\.example at opset 3\): it is a custom operator/,
    );
  }, 120_000);
});
