import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from '../../renderer/src/App.svelte';
import type { ChannelName } from '../../shared/contract';
import { fakeApi, type Handlers } from './fake-api';
import { manyNodes, modelInfo, samples, weights } from './fixtures';

async function openSample(handlers: Handlers) {
  const api = fakeApi({
    'samples.list': () => ({ ok: true, value: samples }),
    'model.inspect': ({ path }) => ({ ok: true, value: modelInfo(path) }),
    ...handlers,
  });
  render(App, { props: { api } });
  await fireEvent.click(await screen.findByRole('button', { name: /open sample PaddleOCR/i }));
  await screen.findByRole('table', { name: 'Inputs' });
  return api;
}

const tab = (name: string) => screen.getByRole('tab', { name: new RegExp(`^${name}`) });
const none = (channel: ChannelName) => (api: ReturnType<typeof fakeApi>) => api.callsTo(channel).length === 0;

describe('model inspector tabs', () => {
  it('loads nodes only when the tab opens, renders a window of rows, and search finds Softmax', async () => {
    const api = await openSample({ 'model.nodes': () => ({ ok: true, value: manyNodes() }) });
    expect(none('model.nodes')(api)).toBe(true);

    await fireEvent.click(tab('Nodes'));
    const table = await screen.findByRole('table', { name: 'Nodes' });
    expect(api.callsTo('model.nodes')).toEqual([{ path: samples[0].path }]);
    expect(screen.getByText('20,000')).toBeInTheDocument();
    // Not 20,000 DOM rows.
    expect(within(table).getAllByRole('row').length).toBeLessThan(100);

    await fireEvent.input(screen.getByRole('searchbox', { name: 'Search nodes' }), { target: { value: 'softmax' } });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(10);
    for (const row of rows) expect(within(row).getByText('Softmax')).toBeInTheDocument();
    expect(screen.getByText(/of 20,000 nodes/)).toHaveTextContent('10 of 20,000 nodes');

    // Clicking a row shows its full details.
    await fireEvent.click(rows[0]);
    const details = screen.getByRole('complementary', { name: 'Node details' });
    expect(within(details).getByText('softmax_1999')).toBeInTheDocument();
    expect(within(details).getByText(/= 1/)).toBeInTheDocument();
  });

  it('operator histogram lists ops by count and jumps to the nodes of one op', async () => {
    await openSample({ 'model.nodes': () => ({ ok: true, value: manyNodes() }) });
    await fireEvent.click(tab('Operators'));
    const bars = screen.getByRole('list', { name: 'Operator counts' });
    const labels = within(bars)
      .getAllByRole('listitem')
      .map((li) => li.querySelector('.op-name')?.textContent);
    expect(labels).toEqual(['Conv', 'Relu', 'Softmax']);
    await fireEvent.click(within(bars).getByRole('button', { name: /Softmax/ }));
    expect(screen.getByRole('searchbox', { name: 'Search nodes' })).toHaveValue('Softmax');
    const table = await screen.findByRole('table', { name: 'Nodes' });
    expect(within(table).getAllByRole('row').slice(1)).toHaveLength(10);
  });

  it('runtime check shows progress stages and the problem in plain words with the raw detail', async () => {
    let finish: () => void = () => {};
    const api = await openSample({
      'model.checkRuntime': (_input, { onEvent }) =>
        new Promise((resolve) => {
          onEvent?.({ stage: 'Loading onnxruntime' });
          onEvent?.({ stage: 'Creating the session (cpu)' });
          finish = () =>
            resolve({
              ok: true,
              value: {
                ok: false,
                provider: 'cpu',
                loadMs: 0,
                inputs: [],
                outputs: [],
                problem: {
                  summary: 'The model uses the operator FancyOp from domain com.acme, which ONNX Runtime does not know.',
                  detail:
                    "[ONNXRuntimeError] : 9 : NOT_IMPLEMENTED : Could not find an implementation for FancyOp(1) node with name 'n0'",
                },
              },
            });
        }),
    });
    await fireEvent.click(tab('Runtime'));
    await fireEvent.click(screen.getByRole('button', { name: 'Check with ONNX Runtime' }));
    const progress = await screen.findByRole('list', { name: 'Progress' });
    expect(progress).toHaveTextContent('Loading onnxruntime');
    expect(progress).toHaveTextContent('Creating the session (cpu)');
    finish();
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('ONNX Runtime cannot load this model');
    expect(alert).toHaveTextContent(
      'The model uses the operator FancyOp from domain com.acme, which ONNX Runtime does not know.',
    );
    expect(within(alert).getByText('Details from onnxruntime')).toBeInTheDocument();
    expect(within(alert).getByText(/NOT_IMPLEMENTED/)).toBeInTheDocument();
    expect(api.callsTo('model.checkRuntime')).toEqual([{ path: samples[0].path }]);
  });

  it('runtime check success shows load time and the session inputs', async () => {
    await openSample({
      'model.checkRuntime': () => ({
        ok: true,
        value: {
          ok: true,
          provider: 'cpu',
          loadMs: 42.4,
          inputs: [{ name: 'x', kind: 'tensor', dtype: 'float32', shape: ['N', 3, 'H', 'W'] }],
          outputs: [],
        },
      }),
    });
    await fireEvent.click(tab('Runtime'));
    await fireEvent.click(screen.getByRole('button', { name: 'Check with ONNX Runtime' }));
    expect(await screen.findByText('ONNX Runtime loads this model')).toBeInTheDocument();
    expect(screen.getByText('42 ms')).toBeInTheDocument();
    expect(
      within(screen.getByRole('table', { name: 'Session inputs' })).getByTitle("symbolic dimension 'N'"),
    ).toBeInTheDocument();
  });

  it('weights: sorted by size, stats on demand, export with a prefilled target path', async () => {
    const api = await openSample({
      'model.initializers': () => ({ ok: true, value: weights }),
      'model.initializerStats': () => ({
        ok: true,
        value: { elements: 768, min: -0.5, max: 1.25, mean: 0.01, std: 0.2, zeros: 77, zeroShare: 0.1, nan: 0, inf: 2 },
      }),
      'model.exportInitializer': ({ to }) => ({ ok: true, value: { path: to, bytes: 3200 } }),
    });
    await fireEvent.click(tab('Weights'));
    const table = await screen.findByRole('table', { name: 'Weights' });
    const names = () =>
      within(table)
        .getAllByRole('row')
        .slice(1)
        .map((r) => r.querySelector('.name')?.textContent);
    expect(names()).toEqual(['head/bias', 'conv1.weight']);
    await fireEvent.click(within(table).getByRole('button', { name: 'Size' }));
    expect(names()).toEqual(['conv1.weight', 'head/bias']);

    await fireEvent.click(screen.getByRole('button', { name: 'Stats for head/bias' }));
    const stats = await screen.findByLabelText('Statistics of head/bias');
    await waitFor(() => expect(stats).toHaveTextContent('1.25'));
    expect(stats).toHaveTextContent('-0.5');
    expect(stats).toHaveTextContent('10.0%');
    expect(api.callsTo('model.initializerStats')).toEqual([{ path: samples[0].path, name: 'head/bias' }]);

    await fireEvent.click(screen.getByRole('button', { name: 'Export head/bias as .npy' }));
    const target = screen.getByRole('textbox', { name: 'Target path for head/bias' });
    expect(target).toHaveValue('/opt/owb/samples/head_bias.npy');
    await fireEvent.input(target, { target: { value: '/tmp/bias.npy' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Export' }));
    expect(await screen.findByText(/Wrote/)).toHaveTextContent('Wrote 3.13 KB to /tmp/bias.npy');
    expect(api.callsTo('model.exportInitializer')).toEqual([{ path: samples[0].path, name: 'head/bias', to: '/tmp/bias.npy' }]);
  });
});
