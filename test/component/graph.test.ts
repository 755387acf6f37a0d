// The Graph tab and the Nodes table's links: tensor-name search, producer/reader links, the
// selection shared between the table and the graph, the side panel, the link to the Weights tab.
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';

// Rendering the whole App is slow on a loaded machine.
vi.setConfig({ testTimeout: 30_000 });
import App from '../../renderer/src/App.svelte';
import { compactGraph } from '../../shared/graph/data';
import type { InitializerInfo, NodeInfo, ValueInfo } from '../../shared/model-info';
import { fakeApi } from './fake-api';
import { modelInfo, samples } from './fixtures';

const tensor = (name: string, shape: number[] | null = [1, 4]): ValueInfo => ({ name, kind: 'tensor', dtype: 'float32', shape });
const nodes: NodeInfo[] = [
  { graph: '', name: '/prep/Cast', opType: 'Cast', domain: '', inputs: ['x'], outputs: ['xf'], attributes: { to: '1' } },
  {
    graph: '',
    name: '/body/MatMul',
    opType: 'MatMul',
    domain: '',
    inputs: ['xf', 'body.weight'],
    outputs: ['y'],
    attributes: {},
  },
  { graph: '', name: '/body/Relu', opType: 'Relu', domain: '', inputs: ['y'], outputs: ['z'], attributes: {} },
];
const graph = compactGraph(
  [
    {
      kind: 'main',
      label: '',
      owner: -1,
      attr: '',
      inputs: [tensor('x'), tensor('body.weight', [4, 4])],
      outputs: [tensor('z')],
      valueInfo: [tensor('xf'), tensor('y', [1, 7])],
      initializers: [{ name: 'body.weight', dtype: 'float32', shape: [4, 4] }],
      formalInputs: [],
      formalOutputs: [],
    },
  ],
  nodes,
);
const weights: InitializerInfo[] = [
  { name: 'body.weight', dtype: 'float32', shape: [4, 4], elements: 16, bytes: 64, location: { kind: 'inline' } },
  { name: 'other.bias', dtype: 'float32', shape: [4], elements: 4, bytes: 16, location: { kind: 'inline' } },
];

async function open() {
  const api = fakeApi({
    'samples.list': () => ({ ok: true, value: samples }),
    'model.inspect': ({ path }) => ({ ok: true, value: modelInfo(path, { nodes: 3 }) }),
    'model.nodes': () => ({ ok: true, value: nodes }),
    'model.graph': () => ({ ok: true, value: graph }),
    'model.initializers': () => ({ ok: true, value: weights }),
  });
  render(App, { props: { api } });
  await fireEvent.click(await screen.findByRole('button', { name: /open sample PaddleOCR/i }));
  await screen.findByRole('table', { name: 'Inputs' });
  return api;
}
const tab = (name: string) => screen.getByRole('tab', { name: new RegExp(`^${name}`) });

describe('Nodes table links', () => {
  it('finds nodes by tensor name and links each tensor to its producer and readers', async () => {
    await open();
    await fireEvent.click(tab('Nodes'));
    const table = await screen.findByRole('table', { name: 'Nodes' });
    await fireEvent.input(screen.getByRole('searchbox', { name: 'Search nodes' }), { target: { value: 'xf' } });
    let rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map((r) => within(r).getAllByRole('cell')[0].textContent)).toEqual(['/prep/Cast', '/body/MatMul']);
    await fireEvent.input(screen.getByRole('searchbox', { name: 'Search nodes' }), { target: { value: 'z' } });
    rows = within(table).getAllByRole('row').slice(1);
    await fireEvent.click(rows[0]);
    let details = screen.getByRole('complementary', { name: 'Node details' });
    expect(within(details).getAllByText('/body/Relu').length).toBeGreaterThan(0);
    // Its input y comes from the MatMul: the link selects that row, out of the search.
    await fireEvent.click(within(details).getByRole('button', { name: /← MatMul \/body\/MatMul/ }));
    details = screen.getByRole('complementary', { name: 'Node details' });
    expect(within(details).getByRole('button', { name: /→ Relu \/body\/Relu/ })).toBeInTheDocument();
    expect(screen.getByRole('searchbox', { name: 'Search nodes' })).toHaveValue('');
  });
});

describe('Graph tab', () => {
  it('shows the node selected in the table, with decoded attributes, links and the weight link', async () => {
    const api = await open();
    await fireEvent.click(tab('Nodes'));
    const table = await screen.findByRole('table', { name: 'Nodes' });
    await fireEvent.click(within(table).getAllByRole('row')[1]);
    await fireEvent.click(screen.getByRole('button', { name: 'Show in graph' }));
    expect(tab('Graph')).toHaveAttribute('aria-selected', 'true');
    const panel = await screen.findByRole('complementary', { name: 'Node details' });
    expect(api.callsTo('model.graph')).toEqual([{ path: samples[0].path }]);
    const op = within(panel).getByRole('link', { name: /Cast/ });
    expect(op).toHaveAttribute('href', 'https://onnx.ai/onnx/operators/onnx__Cast.html');
    expect(within(panel).getByText(/= float/)).toHaveAttribute('title', 'stored as 1');
    expect(within(panel).getAllByText('float32 [1×4]')).toHaveLength(2);
    // The output goes to the MatMul; following it shows the MatMul, whose weight opens the Weights tab.
    await fireEvent.click(within(panel).getByRole('button', { name: 'MatMul /body/MatMul' }));
    await waitFor(() =>
      expect(within(screen.getByRole('complementary', { name: 'Node details' })).getByText('/body/MatMul')).toBeInTheDocument(),
    );
    expect(screen.getByText('float32 [1×7]')).toBeInTheDocument();
    await fireEvent.click(screen.getByRole('button', { name: /weight → Weights tab/ }));
    expect(tab('Weights')).toHaveAttribute('aria-selected', 'true');
    const search = await screen.findByRole('searchbox', { name: 'Filter weights' });
    expect(search).toHaveValue('body.weight');
  });

  it('searches by tensor name and steps through the hits', async () => {
    await open();
    await fireEvent.click(tab('Graph'));
    const search = await screen.findByRole('searchbox', { name: 'Search the graph' });
    await screen.findByRole('button', { name: 'Export' });
    await fireEvent.input(search, { target: { value: 'body.weight' } });
    expect(screen.getByText(/of 1 nodes/)).toHaveTextContent('– of 1 nodes · 1 tensors');
    await fireEvent.click(screen.getByRole('button', { name: 'Next hit' }));
    const panel = await screen.findByRole('complementary', { name: 'Node details' });
    expect(within(panel).getByText('/body/MatMul')).toBeInTheDocument();
    expect(screen.getByText(/of 1 nodes/)).toHaveTextContent('1 of 1 nodes · 1 tensors');
    await fireEvent.input(search, { target: { value: 'nothing-like-this' } });
    expect(screen.getByText('no match')).toBeInTheDocument();
  });
});
