// The CLI's run, bench, check and providers commands, spawned from source with the engine from source.
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { npyBytes, writeTestCase } from '../fixtures/tensor-files';
import { MODELS, cliFromSource } from '../helpers';

let dir: string;

const cli = (...args: string[]) => cliFromSource(join(dir, 'data'), args);

const vadArgs = () => [
  'run',
  MODELS.vadV5,
  '--input',
  `input=${join(dir, 'audio.npy')}`,
  '--generate-missing',
  '--set',
  'sr=16000',
];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'owb-cli-run-'));
  const samples = Array.from({ length: 512 }, (_, k) => Math.sin(k / 10) * 0.3);
  await writeFile(join(dir, 'audio.npy'), npyBytes({ descr: '<f4', shape: [1, 512], values: samples }));
  await writeFile(join(dir, 'wrong.npy'), npyBytes({ descr: '<f4', shape: [1, 3, 4], values: new Array(12).fill(0) }));
  await sharp({ create: { width: 160, height: 60, channels: 3, background: { r: 250, g: 250, b: 250 } } })
    .png()
    .toFile(join(dir, 'text.png'));
  const sub = {
    inputs: [
      { name: 'x', dtype: 'float32' as const, shape: [3] },
      { name: 'y', dtype: 'float32' as const, shape: [3] },
    ],
    outputs: [{ name: 'z', dtype: 'float32' as const, shape: [3] }],
    nodes: [{ op: 'Sub', inputs: ['x', 'y'], outputs: ['z'] }],
  };
  const t = (name: string, data: number[]) => ({ name, dtype: 'float32' as const, dims: [3], data });
  await writeTestCase(join(dir, 'suite', 'test_sub'), {
    model: sub,
    sets: [
      { inputs: [t('x', [3, 2, 1]), t('y', [1, 1, 1])], outputs: [t('z', [2, 1, 0])] },
      { inputs: [t('x', [3, 2, 1]), t('y', [1, 1, 1])], outputs: [t('z', [2, 1, 5])] },
    ],
  });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('onnx-workbench run', () => {
  it('runs Silero VAD from a .npy, a constant and zeros, saving outputs without ever overwriting', async () => {
    const out = join(dir, 'vad-out');
    const r = cli(...vadArgs(), '--json', '--out', out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.provider.used).toBe('cpu');
    expect(result.inputs.map((i: { name: string; dims: number[] }) => [i.name, i.dims])).toEqual([
      ['input', [1, 512]],
      ['state', [2, 1, 128]],
      ['sr', []],
    ]);
    expect(result.outputs.map((o: { name: string }) => o.name)).toEqual(['output', 'stateN']);
    expect((await readdir(out)).sort()).toEqual(['output.npy', 'result.json', 'stateN.npy']);
    const saved = JSON.parse(await readFile(join(out, 'result.json'), 'utf8'));
    expect(saved.outputs[1]).toMatchObject({ name: 'stateN', dims: [2, 1, 128], file: 'stateN.npy' });
    expect(saved.timings.runMs).toBeGreaterThan(0);
    const npy = await readFile(join(out, 'stateN.npy'));
    expect(npy.subarray(1, 6).toString('latin1')).toBe('NUMPY');
    const before = (await stat(join(out, 'stateN.npy'))).mtimeMs;

    const again = cli(...vadArgs(), '--out', out);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists.*nothing was written/);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
    expect((await stat(join(out, 'stateN.npy'))).mtimeMs).toBe(before);
  });

  it('fails naming the inputs it cannot fill', () => {
    const r = cli('run', MODELS.vadV5, '--input', join(dir, 'audio.npy'), '--set', 'sr=16000');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no value for input 'state'/);
  });

  it('runs the OCR direction classifier on a PNG with the guessed recipe', () => {
    const r = cli('run', MODELS.ocrCls, '--input', join(dir, 'text.png'));
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/guessed/);
    expect(r.stdout).toMatch(/Provider: CPU/);
    expect(r.stdout).toMatch(/Outputs \(1\)\n\s+\S+\s+float32\s+\[1,2\]\s+min /);
  });

  it('fails with exit 1 and the mismatch when an input file does not fit', () => {
    const r = cli('run', MODELS.ocrCls, '--input', join(dir, 'wrong.npy'), '--json');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/input 'x' expects float32 \[.*\]; .*holds float32 \[1,3,4\]/);
  });
});

describe('onnx-workbench bench, check, providers', () => {
  it('bench --json prints the BenchmarkResult', () => {
    const r = cli('bench', MODELS.vadV5, '--runs', '5', '--warmup', '1', '--set', 'sr=16000', '--dim', 'input[1]=512', '--json');
    expect(r.code).toBe(0);
    const b = JSON.parse(r.stdout);
    expect(b).toMatchObject({ runs: 5, warmup: 1, provider: { used: 'cpu' } });
    expect(b.samples).toHaveLength(5);
    expect(b.latencyMs.p50).toBeGreaterThan(0);
    expect(b.latencyMs.min).toBeLessThanOrEqual(b.latencyMs.max);
  });

  it('check reports each set and exits 1 when one fails', () => {
    const r = cli('check', join(dir, 'suite'));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/pass\s+test_data_set_0/);
    expect(r.stdout).toMatch(/FAIL\s+test_data_set_1/);
    expect(r.stdout).toMatch(/FAIL\s+z: max abs 5\.00e\+0/);
    expect(r.stdout).toMatch(/check: 1 passed, 1 failed \(1 cases, 2 data sets\)/);
  });

  it('providers --json has the CPU ready and says what auto picks', () => {
    const r = cli('providers', '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.providers.find((p: { id: string }) => p.id === 'cpu')).toMatchObject({ status: 'ready' });
    expect(report.auto.used).toBe('cpu');
  });

  it.each([
    [['run'], /exactly one model/],
    [['bench', MODELS.vadV5, '--runs', '0'], /--runs must be a whole number/],
    [['run', MODELS.vadV5, '--provider', 'gpu'], /unknown provider "gpu"/],
    [['check'], /one or more test-data folders/],
  ])('wrong usage %j exits 2', (args, message) => {
    const r = cli(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});

describe('run --expect', () => {
  it('passes against the outputs it saved, fails naming the output when they differ', async () => {
    const refs = join(dir, 'refs');
    const saved = cli(...vadArgs(), '--out', refs);
    expect(saved.code).toBe(0);
    const same = cli(...vadArgs(), '--expect', refs);
    expect(same.stderr).toBe('');
    expect(same.code).toBe(0);
    expect(same.stdout).toMatch(/Expected \(.*refs, atol 0\.00001, rtol 0\.001\): 2 of 2 outputs within tolerance/);

    // Other audio: the speech probability and the state change.
    const other = join(dir, 'other.npy');
    await writeFile(
      other,
      npyBytes({ descr: '<f4', shape: [1, 512], values: Array.from({ length: 512 }, (_, k) => ((k * 7919) % 97) / 97 - 0.5) }),
    );
    const differ = cli(
      'run',
      MODELS.vadV5,
      '--input',
      `input=${other}`,
      '--generate-missing',
      '--set',
      'sr=16000',
      '--expect',
      refs,
      '--json',
    );
    expect(differ.code).toBe(1);
    const report = JSON.parse(differ.stdout).expect;
    expect(report.pass).toBe(false);
    expect(report.outputs.map((o: { name: string; file: string }) => [o.name, o.file])).toEqual([
      ['output', 'output.npy'],
      ['stateN', 'stateN.npy'],
    ]);
    expect(report.outputs.some((o: { pass: boolean }) => !o.pass)).toBe(true);

    const none = cli(...vadArgs(), '--expect', join(dir, 'nowhere'));
    expect(none.code).toBe(3);
    expect(none.stderr).toMatch(/nowhere/);
    expect(cli(...vadArgs(), '--atol', '0.1').code).toBe(2);
  });
});
