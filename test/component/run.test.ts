import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from '../../renderer/src/App.svelte';
import { modelRecipeSchema } from '../../shared/model-recipe';
import { preprocessRecipeSchema } from '../../shared/recipe';
import type { CheckReport, RunComparison } from '../../shared/compare';
import type { BenchmarkResult, RunResult } from '../../shared/run';
import type { TensorSummary } from '../../shared/tensor';
import { fakeApi, type Handlers } from './fake-api';
import { hardwareReport, modelInfo, samples } from './fixtures';

const MODEL = samples[0].path;

function summary(name: string, dims: number[], over: Partial<TensorSummary['stats']> = {}): TensorSummary {
  const elements = dims.reduce((a, b) => a * b, 1);
  return {
    name,
    dtype: 'float32',
    dims,
    stats: { elements, min: -1.5, max: 2.25, mean: 0.125, std: 0.5, zeros: 0, zeroShare: 0, nan: 0, inf: 0, ...over },
    histogram: { min: -1.5, max: 2.25, counts: Array.from({ length: 32 }, (_, i) => i) },
    preview: [0.5, 1, 2],
    notes: [],
  };
}

const runResult: RunResult = {
  runId: 'run-1',
  model: MODEL,
  provider: { requested: 'cuda', used: 'cpu', fallbackReason: 'CUDA unavailable: libcudnn.so.9 not found; using CPU instead' },
  timings: { createMs: 120, cached: false, prepareMs: 4, runMs: 30, postprocessMs: 1, totalMs: 155 },
  inputs: [summary('x', [1, 3, 48, 320]), summary('sr', [])],
  outputs: [summary('probs', [1, 40, 6625], { nan: 3 })],
  transforms: {},
};

const bench: BenchmarkResult = {
  provider: { requested: 'auto', used: 'cpu' },
  createMs: 80,
  cached: false,
  warmup: 2,
  runs: 5,
  latencyMs: { min: 10.5, p50: 12.25, p90: 14, p99: 15.5, max: 16, mean: 12.8 },
  throughput: 78.1,
  samples: [10.5, 12.25, 13, 14, 16],
};

const model = modelInfo(MODEL, {
  inputs: [
    { name: 'x', kind: 'tensor', dtype: 'float32', shape: ['batch', 3, 48, 'width'] },
    { name: 'state', kind: 'tensor', dtype: 'float32', shape: [2, null, 128] },
    { name: 'sr', kind: 'tensor', dtype: 'int64', shape: [] },
  ],
});

async function openRun(handlers: Handlers = {}) {
  const api = fakeApi({
    'samples.list': () => ({ ok: true, value: samples }),
    'model.inspect': () => ({ ok: true, value: model }),
    'hardware.detect': () => ({
      ok: true,
      value: hardwareReport({
        id: 'cuda',
        label: 'NVIDIA CUDA',
        status: 'unavailable',
        reason: 'libcudnn.so.9 not found',
        bundled: false,
        probeMs: 1,
      }),
    }),
    'image.guessRecipe': () => ({
      ok: true,
      value: {
        recipe: preprocessRecipeSchema.parse({
          resize: { mode: 'fit-height', width: 3200, height: 48, multipleOf: 8 },
          channels: 'BGR',
          mean: [0.5],
          std: [0.5],
        }),
        notes: ['PaddleOCR-style text recognition (fixed height 48, free width)'],
      },
    }),
    'tensor.read': ({ source }) => ({
      ok: true,
      value: {
        summary: summary('t', [2, 1, 128]),
        mismatch: source.kind === 'file' ? "input 'state' wants float32 [2,?,128] but the file holds [3,128]" : null,
      },
    }),
    'model.run': () => ({ ok: true, value: runResult }),
    'run.outputValues': ({ offset, count }) => ({
      ok: true,
      value: { total: 265000, values: Array.from({ length: count }, (_, i) => offset + i) },
    }),
    'model.bench': () => ({ ok: true, value: bench }),
    'recipe.get': () => ({ ok: true, value: { recipe: null, file: '/data/recipes/x.json', savedAt: null } }),
    'task.suggest': () => ({
      ok: true,
      value: {
        settings: { kind: 'generic', colormap: 'viridis' },
        reason: 'no rule matched',
        readable: { ok: true, outputs: ['probs'] },
      },
    }),
    'run.interpret': () => ({
      ok: true,
      value: {
        task: { kind: 'generic', colormap: 'viridis' },
        results: [{ kind: 'generic', output: 'probs', dims: [1, 40, 6625], view: 'none', min: -1.5, max: 2.25 }],
        images: [],
        ms: 1,
      },
    }),
    'recipe.save': ({ recipe }) => ({
      ok: true,
      value: { recipe: modelRecipeSchema.parse(recipe), file: '/data/recipes/x.json', savedAt: '2026-11-21T10:00:00Z' },
    }),
    ...handlers,
  });
  render(App, { props: { api } });
  await fireEvent.click(await screen.findByRole('button', { name: /open sample PaddleOCR/i }));
  await screen.findByRole('table', { name: 'Inputs' });
  await fireEvent.click(screen.getByRole('button', { name: /Run…/ }));
  await screen.findByRole('region', { name: 'Input x' });
  return api;
}

const card = (name: string) => screen.getByRole('region', { name: `Input ${name}` });
const sourceOf = (name: string) => within(card(name)).getByRole('radio', { checked: true }).textContent;

describe('run view', () => {
  it('shows one form per input with the right default source', async () => {
    const api = await openRun();
    expect(screen.getAllByRole('region', { name: /^Input / })).toHaveLength(3);
    expect(sourceOf('x')).toBe('Image');
    expect(sourceOf('state')).toBe('Generate');
    expect(sourceOf('sr')).toBe('Generate');
    expect(await within(card('x')).findByText(/PaddleOCR-style text recognition/)).toBeInTheDocument();
    expect(api.callsTo('image.guessRecipe')).toEqual([{ modelPath: MODEL, input: 'x' }]);
    expect(within(card('x')).getByRole('combobox', { name: 'Normalisation preset' })).toHaveValue('half');
    expect(within(card('sr')).getByRole('combobox')).toHaveValue('constant');
    expect(within(card('sr')).getByRole('spinbutton')).toHaveValue(16000);
    // The unnamed dim of `state` gets a size field.
    expect(within(card('state')).getByRole('spinbutton', { name: /Size of dim 1 of state/ })).toHaveValue(1);
  });

  it('shows the mismatch sentence of a tensor file', async () => {
    const api = await openRun();
    await fireEvent.click(within(card('state')).getByRole('radio', { name: 'Tensor file' }));
    const file = within(card('state')).getByRole('textbox');
    await fireEvent.change(file, { target: { value: '/data/state.npy' } });
    expect(await within(card('state')).findByText(/wants float32 \[2,\?,128\] but the file holds \[3,128\]/)).toBeInTheDocument();
    expect(api.callsTo('tensor.read')).toContainEqual({
      source: { kind: 'file', path: '/data/state.npy' },
      model: { path: MODEL, input: 'state' },
    });
  });

  it('says which input is missing instead of running without it', async () => {
    const api = await openRun();
    await fireEvent.click(screen.getByRole('button', { name: /Run Ctrl\+Enter/ }));
    expect(screen.getByText(/Cannot run yet: choose an image for 'x'/)).toBeInTheDocument();
    expect(api.callsTo('model.run')).toHaveLength(0);
  });

  it('runs, shows outputs with stats and the fallback reason, and pages values', async () => {
    const api = await openRun();
    await fireEvent.click(within(card('x')).getByRole('radio', { name: 'Generate' }));
    await fireEvent.change(screen.getByRole('combobox', { name: 'Provider' }), { target: { value: 'cpu' } });
    await fireEvent.keyDown(window, { key: 'Enter', ctrlKey: true });

    await fireEvent.click(await screen.findByRole('tab', { name: /Raw outputs/ }));
    const out = await screen.findByRole('article', { name: 'Output probs' });
    expect(screen.getByRole('alert')).toHaveTextContent('CUDA unavailable: libcudnn.so.9 not found; using CPU instead');
    const request = api.callsTo('model.run')[0] as {
      inputs: Record<string, { kind: string; dims?: number[]; value?: number }>;
      options: { provider: string };
    };
    expect(request.options.provider).toBe('cpu');
    expect(request.inputs.sr).toEqual({ kind: 'generate', generator: 'constant', dims: [], value: 16000 });
    expect(request.inputs.state).toMatchObject({ kind: 'generate', generator: 'zeros', dims: [2, 1, 128] });

    const list = within(out).getByLabelText('Statistics of probs');
    expect(list).toHaveTextContent('[1,40,6625]');
    expect(list).toHaveTextContent('2.25');
    expect(list).toHaveTextContent('0.125');
    expect(within(list).getByText('NaN').parentElement).toHaveClass('bad');
    expect(within(list).getByText('Inf').parentElement).not.toHaveClass('bad');
    expect(
      within(out)
        .getAllByRole('img', { name: /Histogram/ })[0]
        .querySelectorAll('rect'),
    ).toHaveLength(32);

    await fireEvent.click(within(out).getByRole('button', { name: /Values/ }));
    await waitFor(() =>
      expect(api.callsTo('run.outputValues')).toEqual([{ runId: 'run-1', name: 'probs', offset: 0, count: 100 }]),
    );
    await fireEvent.click(within(out).getByRole('button', { name: 'Next page' }));
    await fireEvent.click(within(out).getByRole('button', { name: 'Next page' }));
    await waitFor(() =>
      expect(api.callsTo('run.outputValues').at(-1)).toEqual({ runId: 'run-1', name: 'probs', offset: 200, count: 100 }),
    );
    expect(await within(out).findByText('299')).toBeInTheDocument();
  });

  it('shows unavailable providers disabled with their reason', async () => {
    await openRun();
    const cuda = await screen.findByRole('option', { name: /CUDA/ });
    expect(cuda).toBeDisabled();
    expect(cuda).toHaveAttribute('title', 'libcudnn.so.9 not found');
  });

  it('benchmarks and shows the percentiles', async () => {
    const api = await openRun();
    await fireEvent.click(within(card('x')).getByRole('radio', { name: 'Generate' }));
    await fireEvent.click(screen.getByRole('tab', { name: /Benchmark/ }));
    await fireEvent.input(screen.getByRole('spinbutton', { name: 'Runs' }), { target: { value: '5' } });
    await fireEvent.input(screen.getByRole('spinbutton', { name: 'Warm-up' }), { target: { value: '2' } });
    await fireEvent.click(screen.getByRole('button', { name: /^Benchmark$/ }));
    const table = await screen.findByRole('table', { name: 'Benchmark results' });
    expect(within(table).getByText('p50 ms')).toBeInTheDocument();
    expect(within(table).getByText('12.3')).toBeInTheDocument();
    expect(within(table).getByText('78.1')).toBeInTheDocument();
    expect(screen.getByRole('img', { name: 'Latency per run' }).querySelectorAll('polyline')).toHaveLength(1);
    expect(api.callsTo('model.bench')[0]).toMatchObject({ runs: 5, warmup: 2, options: { provider: 'auto' } });
  });
});

describe('recipes, compare and check', () => {
  it('starts from the saved recipe instead of guessing, and saves what was run', async () => {
    const saved = modelRecipeSchema.parse({
      inputs: { x: { resize: { mode: 'stretch', width: 100, height: 48 }, channels: 'RGB' } },
      options: { provider: 'cpu', graphOptimization: 'basic' },
    });
    const api = await openRun({
      'recipe.get': () => ({ ok: true, value: { recipe: saved, file: '/data/recipes/x.json', savedAt: '2026-11-20T08:00:00Z' } }),
    });
    expect(await within(card('x')).findByText(/the recipe saved for this model/)).toBeInTheDocument();
    expect(api.callsTo('image.guessRecipe')).toHaveLength(0);
    expect(screen.getByRole('combobox', { name: 'Provider' })).toHaveValue('cpu');

    await fireEvent.click(within(card('x')).getByRole('radio', { name: 'Generate' }));
    await fireEvent.click(within(card('x')).getByRole('radio', { name: 'Image' }));
    await fireEvent.click(within(card('x')).getByRole('radio', { name: 'Generate' }));
    await fireEvent.click(screen.getByRole('button', { name: /Run Ctrl\+Enter/ }));
    await waitFor(() => expect(api.callsTo('recipe.save')).toHaveLength(1));
    const save = api.callsTo('recipe.save')[0] as { path: string; recipe: { options: { provider: string } } };
    expect(save.path).toBe(MODEL);
    expect(save.recipe.options.provider).toBe('cpu');
  });

  it('sends profiling and the optimised-model path with the run, and shows where the files went', async () => {
    const api = await openRun({
      'model.run': () => ({
        ok: true,
        value: { ...runResult, profilePath: '/tmp/profiles/m_2026.json', optimizedModelPath: '/data/m.opt.onnx' },
      }),
    });
    await fireEvent.click(within(card('x')).getByRole('radio', { name: 'Generate' }));
    await fireEvent.click(screen.getByRole('checkbox', { name: /Profile/ }));
    await fireEvent.input(screen.getByRole('textbox', { name: 'Save optimised model to' }), {
      target: { value: '/data/m.opt.onnx' },
    });
    await fireEvent.click(screen.getByRole('button', { name: /Run Ctrl\+Enter/ }));
    const files = await screen.findByLabelText('Files written by the run');
    expect(files).toHaveTextContent('/tmp/profiles/m_2026.json');
    expect(files).toHaveTextContent('Optimised model written to /data/m.opt.onnx');
    const request = api.callsTo('model.run')[0] as { options: Record<string, unknown> };
    expect(request.options).toMatchObject({ profiling: true, saveOptimizedModel: '/data/m.opt.onnx' });
    // Written once: the field empties so the next run does not fail on the existing file.
    expect(screen.getByRole('textbox', { name: 'Save optimised model to' })).toHaveValue('');
  });

  it('compares two providers on the same inputs and shows per-output errors', async () => {
    const comparison: RunComparison = {
      a: 'run-1',
      b: 'run-2',
      atol: 1e-5,
      rtol: 1e-3,
      pass: false,
      outputs: [
        {
          name: 'probs',
          pass: false,
          maxAbsError: 0.002,
          maxRelError: 0.01,
          mismatches: 12,
          firstMismatch: { index: 7, expected: 0.5, actual: 0.502 },
          reason: '12 of 265000 values differ (atol 0.00001, rtol 0.001); first at index 7: expected 0.5, got 0.502',
        },
      ],
    };
    let n = 0;
    const api = await openRun({
      'model.run': () => ({ ok: true, value: { ...runResult, runId: `run-${++n}` } }),
      'run.compare': () => ({ ok: true, value: comparison }),
    });
    await fireEvent.click(within(card('x')).getByRole('radio', { name: 'Generate' }));
    await fireEvent.click(screen.getByRole('tab', { name: /Compare/ }));
    await fireEvent.change(screen.getByRole('combobox', { name: 'Provider to compare' }), { target: { value: 'auto' } });
    await fireEvent.input(screen.getAllByRole('spinbutton', { name: /atol/ })[0], { target: { value: '0.001' } });
    await fireEvent.click(screen.getByRole('button', { name: /^Compare$/ }));
    const table = await screen.findByRole('table', { name: 'Output differences' });
    expect(table).toHaveTextContent('2.00e-3');
    expect(table).toHaveTextContent('differs');
    expect(screen.getByText('Results differ')).toBeInTheDocument();
    const runs = api.callsTo('model.run') as { options: { provider: string } }[];
    expect(runs.map((r) => r.options.provider)).toEqual(['auto', 'auto']);
    expect(api.callsTo('run.compare')).toEqual([{ a: 'run-1', b: 'run-2', atol: 0.001, rtol: 1e-3 }]);
  });

  it('checks test-data folders and shows the summary and per-output errors', async () => {
    const report: CheckReport = {
      provider: 'cpu',
      atol: 1e-5,
      rtol: 1e-3,
      summary: { cases: 1, sets: 2, passed: 1, failed: 1 },
      cases: [
        {
          name: 'test_add',
          dir: '/data/test_add',
          model: '/data/test_add/model.onnx',
          pass: false,
          sets: [
            { name: 'test_data_set_0', dir: '/data/test_add/test_data_set_0', pass: true, outputs: [], durationMs: 2 },
            {
              name: 'test_data_set_1',
              dir: '/data/test_add/test_data_set_1',
              pass: false,
              durationMs: 3,
              outputs: [
                {
                  name: 'sum',
                  file: 'output_0.pb',
                  pass: false,
                  maxAbsError: 0.5,
                  maxRelError: 0.25,
                  mismatches: 1,
                  reason: '1 of 4 values differ',
                },
              ],
            },
          ],
        },
      ],
    };
    const api = await openRun({ 'check.run': () => ({ ok: true, value: report }) });
    await fireEvent.click(screen.getByRole('tab', { name: /Check/ }));
    expect(screen.getByRole('button', { name: /^Check$/ })).toBeDisabled();
    await fireEvent.input(screen.getByRole('textbox', { name: 'Test-data folder path' }), {
      target: { value: '/data/test_add' },
    });
    await fireEvent.click(screen.getByRole('button', { name: 'Add' }));
    await fireEvent.click(screen.getByRole('button', { name: /^Check$/ }));
    expect(await screen.findByText('1 passed, 1 failed')).toBeInTheDocument();
    const table = screen.getByRole('table', { name: 'Check results' });
    expect(table).toHaveTextContent('1 of 4 values differ');
    expect(table).toHaveTextContent('5.00e-1');
    expect(api.callsTo('check.run')).toEqual([{ dirs: ['/data/test_add'], atol: 1e-5, rtol: 1e-3 }]);
  });
});

describe('honest numbers in the Run view', () => {
  const runOnce = async () => {
    await fireEvent.keyDown(window, { key: 'Enter', ctrlKey: true });
    return screen.findByRole('region', { name: 'Run result' });
  };

  it('says a provider fallback in full once per session, then only names it', async () => {
    let n = 0;
    await openRun({ 'model.run': () => ({ ok: true, value: { ...runResult, runId: `run-${++n}` } }) });
    await fireEvent.click(within(card('x')).getByRole('radio', { name: 'Generate' }));
    await runOnce();
    expect(await screen.findByRole('alert')).toHaveTextContent('CUDA unavailable: libcudnn.so.9 not found; using CPU instead');

    await fireEvent.keyDown(window, { key: 'Enter', ctrlKey: true });
    await waitFor(() => expect(n).toBe(2));
    await waitFor(() => expect(screen.queryByRole('alert')).not.toBeInTheDocument());
    const badge = screen.getByText('CUDA unavailable');
    expect(badge).toHaveAttribute('title', 'CUDA unavailable: libcudnn.so.9 not found; using CPU instead');
  });

  it('scales the time bar to the total and names the rest', async () => {
    const timings = { createMs: 0.2, cached: true, prepareMs: 4, runMs: 30, postprocessMs: 1, totalMs: 40 };
    await openRun({ 'model.run': () => ({ ok: true, value: { ...runResult, timings } }) });
    await fireEvent.click(within(card('x')).getByRole('radio', { name: 'Generate' }));
    const result = await runOnce();
    const legend = result.querySelector('.legend');
    expect(legend).toHaveTextContent('prepare: 4.0 ms');
    expect(legend).toHaveTextContent('other: 5.0 ms');
    // A cached session created nothing: no "create" part, the badge says so.
    expect(legend).not.toHaveTextContent('create');
    expect(within(result).getByText('cached session')).toBeInTheDocument();
    const bar = within(result).getByRole('img', { name: 'Time split of 40.0 ms' });
    const widths = [...bar.querySelectorAll<HTMLElement>('.seg')].map((s) => [s.className.split(' ')[1], s.style.width]);
    expect(widths).toEqual([
      ['prepare', '10%'],
      ['run', '75%'],
      ['post', '2.5%'],
      ['other', '12.5%'],
    ]);
  });

  it('shows "cached session" instead of a create time of 0 in the benchmark', async () => {
    await openRun({ 'model.bench': () => ({ ok: true, value: { ...bench, createMs: 0, cached: true } }) });
    await fireEvent.click(within(card('x')).getByRole('radio', { name: 'Generate' }));
    await fireEvent.click(screen.getByRole('tab', { name: /Benchmark/ }));
    await fireEvent.click(screen.getByRole('button', { name: /^Benchmark$/ }));
    const table = await screen.findByRole('table', { name: 'Benchmark results' });
    expect(within(table).getByText('cached session')).toBeInTheDocument();
    expect(within(table).queryByText('0.0')).not.toBeInTheDocument();
  });

  it('goes to a value by flat index or by one index per dim', async () => {
    const api = await openRun();
    await fireEvent.click(within(card('x')).getByRole('radio', { name: 'Generate' }));
    await runOnce();
    await fireEvent.click(screen.getByRole('tab', { name: /Raw outputs/ }));
    const out = await screen.findByRole('article', { name: 'Output probs' });
    await fireEvent.click(within(out).getByRole('button', { name: /Values/ }));
    const field = within(out).getByRole('textbox', { name: 'Go to index in probs' });

    // [0, 1, 5] in [1, 40, 6625] is value 6630, on the page from 6600.
    await fireEvent.input(field, { target: { value: '[0, 1, 5]' } });
    await fireEvent.click(within(out).getByRole('button', { name: 'Go to' }));
    await waitFor(() =>
      expect(api.callsTo('run.outputValues').at(-1)).toEqual({ runId: 'run-1', name: 'probs', offset: 6600, count: 100 }),
    );
    const marked = () => within(out).getByRole('table', { name: 'Values of probs' }).querySelector('td[aria-current="true"]');
    await waitFor(() => expect(marked()).toHaveTextContent(/^6630$/));

    await fireEvent.input(field, { target: { value: '265000' } });
    await fireEvent.click(within(out).getByRole('button', { name: 'Go to' }));
    expect(within(out).getByRole('alert')).toHaveTextContent('265000 is past the last value (264999).');
    await fireEvent.input(field, { target: { value: '0, 40, 0' } });
    await fireEvent.click(within(out).getByRole('button', { name: 'Go to' }));
    expect(within(out).getByRole('alert')).toHaveTextContent('Index 40 is out of range for dim 1 (size 40).');

    await fireEvent.input(field, { target: { value: '123' } });
    await fireEvent.click(within(out).getByRole('button', { name: 'Go to' }));
    await waitFor(() => expect(api.callsTo('run.outputValues').at(-1)).toMatchObject({ offset: 100 }));
    await waitFor(() => expect(marked()).toHaveTextContent(/^123$/));
    expect(within(out).getByRole('status')).toHaveTextContent('Value 123 is at [0, 0, 123]');
  });

  it('draws the whole plane of a big output, with slice and channel pickers', async () => {
    const big = summary('mask', [2, 3, 1024, 1024], { min: -4, max: 9 });
    const plane = (index: number[]) => ({
      rows: 1024,
      cols: 1024,
      width: 512,
      height: 512,
      values: Array.from({ length: 512 * 512 }, (_, k) => k % 7),
      min: -4,
      max: 9,
      planeMin: index[1],
      planeMax: 6,
    });
    const api = await openRun({
      'model.run': () => ({ ok: true, value: { ...runResult, outputs: [big] } }),
      'run.outputPlane': ({ index }) => ({ ok: true, value: plane(index) }),
    });
    await fireEvent.click(within(card('x')).getByRole('radio', { name: 'Generate' }));
    await runOnce();
    await fireEvent.click(screen.getByRole('tab', { name: /Raw outputs/ }));
    const out = await screen.findByRole('article', { name: 'Output mask' });
    await fireEvent.click(within(out).getByRole('button', { name: /Heatmap/ }));

    const canvas = await within(out).findByLabelText('Heatmap of mask');
    expect(canvas).toHaveAttribute('width', '512');
    expect(api.callsTo('run.outputPlane')).toEqual([{ runId: 'run-1', name: 'mask', index: [0, 0], maxSize: 512 }]);
    expect(within(out).getByLabelText('Plane size')).toHaveTextContent('[0, 0, :, :] · 1024×1024, averaged to 512×512');
    // The colours span the whole tensor's range, not the plane's.
    expect(out.querySelector('.legend')).toHaveTextContent('-4.000');
    expect(out.querySelector('.legend')).toHaveTextContent('9.000');

    await fireEvent.change(within(out).getByRole('spinbutton', { name: 'Channel of mask' }), { target: { value: '2' } });
    await fireEvent.change(within(out).getByRole('spinbutton', { name: 'Image of mask' }), { target: { value: '1' } });
    await waitFor(() => expect(api.callsTo('run.outputPlane').at(-1)).toMatchObject({ index: [1, 2] }));
    expect(await within(out).findByLabelText('Plane size')).toHaveTextContent('[1, 2, :, :]');
    await fireEvent.change(within(out).getByRole('combobox', { name: 'Colour range' }), { target: { value: 'plane' } });
    expect(out.querySelector('.legend')).toHaveTextContent('2.000');
    expect(out.querySelector('.legend')).toHaveTextContent('6.000');
  });
});
