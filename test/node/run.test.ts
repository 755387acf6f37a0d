// Running models through the backend and the real engine: inputs from generators, files and
// images, checked before running; provider choice recorded; sessions cached; outputs paged and
// saved; benchmark statistics; image previews; reference checks.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelOutput } from '../../shared/contract';
import { buildModel } from '../fixtures/onnx-builder';
import { npyBytes, writeTestCase } from '../fixtures/tensor-files';
import { MODELS, testServices } from '../helpers';

const { services, call, failure } = testServices();
afterAll(() => services.dispose());

const vadInputs = {
  input: { kind: 'generate', generator: 'uniform', low: -0.5, high: 0.5, seed: 1, dims: [1, 512] },
  state: { kind: 'generate', generator: 'zeros', dims: [2, 1, 128] },
  sr: { kind: 'generate', generator: 'constant', value: 16000, dims: [] },
};

let dir: string;
let photo: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'owb-run-'));
  photo = join(dir, 'line.png');
  await sharp({ create: { width: 320, height: 60, channels: 3, background: '#ffffff' } })
    .composite([{ input: Buffer.from('<svg width="320" height="60"><text x="10" y="42" font-size="36">Hello 123</text></svg>') }])
    .png()
    .toFile(photo);
});

describe('model.run', () => {
  it('runs Silero VAD with generated inputs (int64 scalar sr, recurrent state) and records the provider', async () => {
    const result = await call('model.run', { path: MODELS.vadV5, inputs: vadInputs });
    expect(result.outputs.map((o) => [o.name, o.dtype, o.dims])).toEqual([
      ['output', 'float32', [1, 1]],
      ['stateN', 'float32', [2, 1, 128]],
    ]);
    const p = result.outputs[0].stats;
    expect(p.min).toBeGreaterThanOrEqual(0);
    expect(p.max).toBeLessThanOrEqual(1);
    expect(result.inputs.find((i) => i.name === 'sr')).toMatchObject({ dtype: 'int64', dims: [], preview: [16000] });
    expect(result.provider).toMatchObject({ requested: 'auto', used: 'cpu' });
    expect(result.timings.runMs).toBeGreaterThan(0);
  });

  it('reuses the session for the same model and options', async () => {
    const first = await call('model.run', {
      path: MODELS.vadV5,
      inputs: vadInputs,
      options: { provider: 'cpu', intraOpThreads: 1 },
    });
    const second = await call('model.run', {
      path: MODELS.vadV5,
      inputs: vadInputs,
      options: { provider: 'cpu', intraOpThreads: 1 },
    });
    expect(first.timings.cached).toBe(false);
    expect(first.timings.createMs).toBeGreaterThan(0);
    expect(second.timings).toMatchObject({ cached: true, createMs: 0 });
    expect(second.outputs[0].stats.mean).toBeCloseTo(first.outputs[0].stats.mean!, 6);
  });

  it('falls back to the CPU with the reason when an unavailable provider is asked for', async () => {
    const result = await call('model.run', { path: MODELS.vadV5, inputs: vadInputs, options: { provider: 'cuda' } });
    expect(result.provider.used).toBe('cpu');
    expect(result.provider.fallbackReason).toMatch(/^CUDA unavailable: .+; using CPU instead$/);
  });

  it("with fallback 'none', a provider that is not ready is an error, in run and bench alike", async () => {
    // A provider that cannot be ready on this platform (DirectML is Windows-only; Core ML macOS-only).
    const absent = process.platform === 'win32' ? 'coreml' : 'dml';
    const options = { provider: absent, fallback: 'none' } as const;
    const run = await failure('model.run', { path: MODELS.vadV5, inputs: vadInputs, options });
    expect(run.code).toBe('PROVIDER_UNAVAILABLE');
    expect(run.message).toMatch(/^(DirectML|Core ML) is not ready here: .*exists only on/);
    const bench = await failure('model.bench', { path: MODELS.vadV5, inputs: vadInputs, options, runs: 2, warmup: 0 });
    expect(bench.code).toBe('PROVIDER_UNAVAILABLE');
    // The CPU, asked for by name, is always ready; a benchmark says when its session was cached.
    const cpu = { provider: 'cpu', fallback: 'none' } as const;
    const first = await call('model.bench', { path: MODELS.vadV5, inputs: vadInputs, options: cpu, runs: 2, warmup: 0 });
    const second = await call('model.bench', { path: MODELS.vadV5, inputs: vadInputs, options: cpu, runs: 2, warmup: 0 });
    expect(first.provider).toEqual({ requested: 'cpu', used: 'cpu' });
    expect(second).toMatchObject({ cached: true, createMs: 0 });
  });

  it('reports a file that does not fit the input, in words, before running', async () => {
    const npy = join(dir, 'wrong.npy');
    await writeFile(npy, npyBytes({ descr: '<f8', shape: [224, 224, 3], values: new Array(224 * 224 * 3).fill(0) }));
    const error = await failure('model.run', { path: MODELS.ocrCls, inputs: { x: { kind: 'file', path: npy } } });
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toMatch(/input 'x' expects float32 \[.*,3,.*\]; .*wrong\.npy holds float64 \[224,224,3\]/);
  });

  it('names a missing input and an unknown one', async () => {
    expect((await failure('model.run', { path: MODELS.vadV5, inputs: { input: vadInputs.input } })).message).toMatch(
      /No value given for input 'state', 'sr'/,
    );
    expect((await failure('model.run', { path: MODELS.vadV5, inputs: { ...vadInputs, nope: vadInputs.sr } })).message).toMatch(
      /no input 'nope'/,
    );
  });

  it('runs an image through the guessed recipe and keeps the transform', async () => {
    const { recipe, notes } = await call('image.guessRecipe', { modelPath: MODELS.ocrCls });
    expect(notes.length).toBeGreaterThan(0);
    const result = await call('model.run', { path: MODELS.ocrCls, inputs: { x: { kind: 'image', paths: [photo], recipe } } });
    expect(result.outputs[0].dims).toEqual([1, 2]);
    expect(result.outputs[0].stats.min).toBeGreaterThanOrEqual(0);
    expect(result.transforms.x).toHaveLength(1);
    expect(result.transforms.x[0]).toMatchObject({ originalWidth: 320, originalHeight: 60 });
  });

  it('pages output values and saves an output without overwriting', async () => {
    const result = await call('model.run', { path: MODELS.vadV5, inputs: vadInputs });
    const page = await call('run.outputValues', { runId: result.runId, name: 'stateN', offset: 250, count: 10 });
    expect(page.total).toBe(256);
    expect(page.values).toHaveLength(6);
    const to = join(dir, 'stateN.npy');
    const saved = await call('run.saveOutput', { runId: result.runId, name: 'stateN', to });
    expect(saved.bytes).toBe((await readFile(to)).length);
    expect((await readFile(to)).subarray(1, 6).toString()).toBe('NUMPY');
    const again = await failure('run.saveOutput', { runId: result.runId, name: 'stateN', to });
    expect(again.message).toMatch(/already exists/);
  });
});

describe('model.bench', () => {
  it('measures N runs after a warm-up, with percentiles and progress', async () => {
    const events: { done: number; total: number }[] = [];
    const result = await services.client.callUntyped(
      'model.bench',
      { path: MODELS.vadV5, inputs: vadInputs, runs: 20, warmup: 3 },
      { onEvent: (e) => events.push(e as { done: number; total: number }) },
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const b = result.value as ChannelOutput<'model.bench'>;
    expect(b.samples).toHaveLength(20);
    const { min, p50, p90, p99, max } = b.latencyMs;
    expect(min).toBeLessThanOrEqual(p50);
    expect(p50).toBeLessThanOrEqual(p90);
    expect(p90).toBeLessThanOrEqual(p99);
    expect(p99).toBeLessThanOrEqual(max);
    expect(b.throughput).toBeGreaterThan(0);
    expect(events.at(-1)).toMatchObject({ done: 23, total: 23 });
  });
});

describe('image.preview', () => {
  it('shows the exact tensor back as an image with per-channel stats', async () => {
    const { recipe } = await call('image.guessRecipe', { modelPath: MODELS.ocrRec });
    const preview = await call('image.preview', { path: photo, recipe });
    expect(preview.previewPng).toMatch(/^data:image\/png;base64,/);
    expect(preview.dims[2]).toBe(48);
    expect(preview.channels.map((c) => c.name)).toEqual(recipe.channels === 'BGR' ? ['B', 'G', 'R'] : ['R', 'G', 'B']);
    expect(preview.original).toMatchObject({ width: 320, height: 60, format: 'png' });
  });
});

describe('check.run', () => {
  it('checks an ONNX test-data folder built here and reports pass and fail', async () => {
    const caseDir = await writeTestCase(join(dir, 'check', 'test_add'), {
      model: {
        inputs: [
          { name: 'a', dtype: 'float32', shape: [2] },
          { name: 'b', dtype: 'float32', shape: [2] },
        ],
        outputs: [{ name: 'c', dtype: 'float32', shape: [2] }],
        nodes: [{ op: 'Add', inputs: ['a', 'b'], outputs: ['c'] }],
      },
      sets: [
        {
          inputs: [
            { name: 'a', dtype: 'float32', dims: [2], data: [1, 2] },
            { name: 'b', dtype: 'float32', dims: [2], data: [10, 20] },
          ],
          outputs: [{ name: 'c', dtype: 'float32', dims: [2], data: [11, 22] }],
        },
        {
          inputs: [
            { name: 'a', dtype: 'float32', dims: [2], data: [1, 2] },
            { name: 'b', dtype: 'float32', dims: [2], data: [1, 1] },
          ],
          outputs: [{ name: 'c', dtype: 'float32', dims: [2], data: [2, 4] }],
        },
      ],
    });
    const report = await call('check.run', { dirs: [caseDir] });
    expect(report.summary).toMatchObject({ sets: 2, passed: 1, failed: 1 });
  });
});

describe('model.exportInitializer', () => {
  it('writes a weight as .npy and never over an existing file', async () => {
    const model = join(dir, 'weights.onnx');
    await writeFile(
      model,
      buildModel({
        inputs: [{ name: 'x', dtype: 'float32', shape: [2] }],
        outputs: [{ name: 'y', dtype: 'float32', shape: [2] }],
        initializers: [{ name: 'w', dtype: 'float32', dims: [2], data: [1.5, -2] }],
        nodes: [{ op: 'Add', inputs: ['x', 'w'], outputs: ['y'] }],
      }),
    );
    const to = join(dir, 'w.npy');
    const first = await call('model.exportInitializer', { path: model, name: 'w', to });
    const written = await readFile(to);
    expect(first.bytes).toBe(written.length);
    const error = await failure('model.exportInitializer', { path: model, name: 'w', to });
    expect(error.message).toMatch(/already exists/);
    expect((await readFile(to)).equals(written)).toBe(true);
  });
});
