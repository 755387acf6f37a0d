// The Workbench's sessions and what it shows about the engine: the status bar from activity
// events, the Run session made when a model opens, the overview's labels.
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from '../../renderer/src/App.svelte';
import StatusBar from '../../renderer/src/components/StatusBar.svelte';
import OverviewTab from '../../renderer/src/views/model/OverviewTab.svelte';
import type { EngineActivity } from '../../shared/activity';
import type { RunResult } from '../../shared/run';
import { browserInfo, fakeApi, type Handlers } from './fake-api';
import { modelInfo, samples } from './fixtures';

/** Samples whose models have one small generated input, so Run needs no choices. */
function oneInputApi(handlers: Handlers = {}) {
  return fakeApi({
    'samples.list': () => ({ ok: true, value: samples }),
    'model.inspect': ({ path }) => ({
      ok: true,
      value: modelInfo(path, { inputs: [{ name: 'v', kind: 'tensor', dtype: 'float32', shape: [4] }] }),
    }),
    'recipe.get': () => ({ ok: true, value: { recipe: null, file: '/r.json', savedAt: null } }),
    'tensor.read': () => ({ ok: false, error: { code: 'UNSUPPORTED', message: 'not in this test' } }),
    ...handlers,
  });
}

const idle: EngineActivity = { engine: 'ready', calls: [], jobs: [] };
const engineLine = () => screen.getByRole('status', { name: 'Engine' });

describe('status bar', () => {
  it('says what the engine is doing from its activity, and follows each new report', async () => {
    const { rerender } = render(StatusBar, { props: { activity: idle, appInfo: browserInfo } });
    expect(engineLine()).toHaveTextContent('Engine idle');
    expect(screen.getByText('Browser')).toBeInTheDocument();
    expect(screen.getByText('linux-x64')).toBeInTheDocument();

    await rerender({
      activity: { ...idle, calls: [{ channel: 'model.run', label: 'Running det.onnx', since: 1 }] },
      appInfo: browserInfo,
    });
    expect(engineLine()).toHaveTextContent('Running det.onnx');
    expect(engineLine().querySelector('.dot')).toHaveClass('busy');

    const batch = {
      jobId: 'j1',
      kind: 'batch' as const,
      label: 'Batch photos',
      state: 'running' as const,
      done: 120,
      total: 500,
    };
    await rerender({
      activity: { ...idle, jobs: [batch], calls: [{ channel: 'model.bench', label: 'Benchmarking det.onnx', since: 1 }] },
      appInfo: browserInfo,
    });
    expect(engineLine()).toHaveTextContent('Batch photos 120/500 (+1 more)');
    expect(engineLine()).toHaveAttribute('title', 'Batch photos 120/500\nBenchmarking det.onnx');

    await rerender({ activity: { ...idle, jobs: [{ ...batch, state: 'paused' }] }, appInfo: browserInfo });
    expect(engineLine()).toHaveTextContent('Batch photos 120/500 (paused)');
    expect(engineLine().querySelector('.dot')).not.toHaveClass('busy');

    await rerender({
      activity: { engine: 'crashed', calls: [], jobs: [], lastExit: { reason: 'out of memory', at: 2 } },
      appInfo: null,
    });
    expect(engineLine()).toHaveTextContent('Engine stopped: out of memory');
    expect(engineLine().querySelector('.dot')).toHaveClass('bad');
    expect(screen.queryByText('Browser')).not.toBeInTheDocument();

    await rerender({ activity: { ...idle, engine: 'starting' }, appInfo: null });
    expect(engineLine()).toHaveTextContent('Engine starting');
  });

  it('says "Running" while this window waits for a run, not "Engine idle"', async () => {
    let finish: (r: { ok: true; value: RunResult }) => void = () => {};
    const api = oneInputApi({ 'model.run': () => new Promise((resolve) => (finish = resolve)) });
    render(App, { props: { api } });
    await fireEvent.click(await screen.findByRole('button', { name: /open sample PaddleOCR/i }));
    await screen.findByRole('table', { name: 'Inputs' });
    expect(engineLine()).toHaveTextContent('Engine idle');
    await fireEvent.click(screen.getByRole('button', { name: /Run…/ }));
    await screen.findByRole('region', { name: 'Input v' });
    await fireEvent.keyDown(window, { key: 'Enter', ctrlKey: true });
    await waitFor(() => expect(engineLine()).toHaveTextContent(`Running ${samples[0].path.split('/').at(-1)}`));
    finish({ ok: false, error: { code: 'CANCELLED', message: 'x' } } as never);
    await waitFor(() => expect(engineLine()).toHaveTextContent('Engine idle'));
  });
});

describe('engine activity', () => {
  it('shows what the engine reports on engine.activity, over what the window itself waits for', async () => {
    let emit: (a: EngineActivity) => void = () => {};
    const api = oneInputApi({
      'engine.activity': (_input, options) =>
        new Promise(() => {
          emit = (a) => options.onEvent?.(a);
        }),
    });
    render(App, { props: { api } });
    await waitFor(() => expect(api.callsTo('engine.activity')).toHaveLength(1));
    emit({ ...idle, jobs: [{ jobId: 'j9', kind: 'batch', label: 'Batch scans', state: 'running', done: 3, total: 10 }] });
    await waitFor(() => expect(engineLine()).toHaveTextContent('Batch scans 3/10'));
    emit({ engine: 'crashed', calls: [], jobs: [], lastExit: { reason: 'crashed with SIGSEGV', at: 5 } });
    await waitFor(() => expect(engineLine()).toHaveTextContent('Engine stopped: crashed with SIGSEGV'));
  });
});

describe('run session ownership', () => {
  it('keeps the Run form across views and starts a fresh one for the next model', async () => {
    const api = oneInputApi();
    render(App, { props: { api } });
    await fireEvent.click(await screen.findByRole('button', { name: /open sample PaddleOCR/i }));
    await screen.findByRole('table', { name: 'Inputs' });
    // Nothing of the Run view is asked for before it is shown.
    expect(api.callsTo('recipe.get')).toHaveLength(0);
    await fireEvent.click(screen.getByRole('button', { name: /Run…/ }));
    const intra = await screen.findByRole('spinbutton', { name: /Intra-op threads/ });
    await fireEvent.input(intra, { target: { value: '3' } });
    expect(api.callsTo('recipe.get')).toEqual([{ path: samples[0].path }]);

    const nav = screen.getByRole('navigation', { name: 'Views' });
    await fireEvent.click(within(nav).getByRole('button', { name: /Start/ }));
    await fireEvent.click(within(nav).getByRole('button', { name: /^Run/ }));
    expect(screen.getByRole('spinbutton', { name: /Intra-op threads/ })).toHaveValue(3);

    await fireEvent.click(within(nav).getByRole('button', { name: /Start/ }));
    await fireEvent.click(await screen.findByRole('button', { name: new RegExp(`open sample ${samples[1].name}`, 'i') }));
    await screen.findByRole('table', { name: 'Inputs' });
    await fireEvent.click(screen.getByRole('button', { name: /Run…/ }));
    expect(await screen.findByRole('spinbutton', { name: /Intra-op threads/ })).toHaveValue(0);
  });
});

describe('model overview labels', () => {
  const withConstants = (producer: string) =>
    modelInfo('/m/silero_vad.onnx', {
      producer: { name: producer, version: '' },
      initializers: {
        count: 0,
        parameters: 0,
        bytes: 0,
        bytesByDtype: {},
        constants: { count: 342, parameters: 309_000, bytes: 1_236_000 },
      },
    });

  it('counts initializers and Constant-node tensors with spaces, and names the model’s own exporter', () => {
    render(OverviewTab, { props: { model: withConstants('spox') } });
    expect(screen.getByText('0 initializers + 342 Constant-node tensors')).toBeInTheDocument();
    expect(screen.getByText('All in 342 Constant nodes (as spox wrote them)')).toBeInTheDocument();
    expect(screen.queryByText(/Paddle2ONNX/)).not.toBeInTheDocument();
  });

  it('says Paddle2ONNX only for a model Paddle exported', () => {
    render(OverviewTab, { props: { model: withConstants('PaddlePaddle') } });
    expect(screen.getByText('All in 342 Constant nodes (as Paddle2ONNX exports them)')).toBeInTheDocument();
  });

  it('says "1 initializer" and leaves out Constant tensors when there are none', () => {
    render(OverviewTab, {
      props: { model: modelInfo('/m/a.onnx', { initializers: { ...modelInfo('/m/a.onnx').initializers, count: 1 } }) },
    });
    expect(screen.getByText('1 initializer')).toBeInTheDocument();
  });
});
