// The Run view's Profile panel: the request it sends, the table (sorted, filtered, paged), the
// op-type bars, the provider shares and the fallback warnings, from a canned ProfileSummary.
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import ProfileButton from '../../renderer/src/views/run/ProfileButton.svelte';
import ProfilePanel from '../../renderer/src/views/run/ProfilePanel.svelte';
import { ModelInspection } from '../../renderer/src/lib/inspection.svelte';
import { Workbench } from '../../renderer/src/lib/workbench.svelte';
import { ModelProfile } from '../../renderer/src/lib/profile.svelte';
import { RunSession } from '../../renderer/src/lib/run.svelte';
import type { NodeProfile, ProfileSummary } from '../../shared/profile';
import { fakeApi } from './fake-api';
import { modelInfo } from './fixtures';

const MODEL = '/models/net.onnx';
const CUDA = 'CUDAExecutionProvider';
const CPU = 'CPUExecutionProvider';

function node(name: string, op: string, ms: number, provider = CUDA, macs: number | null = null): NodeProfile {
  return { name, op, provider, ms, macs, outputs: [{ name: `${name}:out`, shape: [1, 64, 56, 56], bytes: 802816 }] };
}

const nodes: NodeProfile[] = [
  node('MemcpyFromHost', 'MemcpyFromHost', 0.2),
  { ...node('/stem/conv/Conv', 'FusedConv', 3, CUDA, 118013952), fusedFrom: ['/stem/conv/Conv', '/stem/relu/Relu'] },
  node('/head/nms', 'NonMaxSuppression', 5, CPU),
  node('/head/topk', 'TopK', 1, CPU),
  ...Array.from({ length: 210 }, (_, i) => node(`/body/add_${i}`, 'Add', 0.001 * (i + 1), CPU)),
];

const summary: ProfileSummary = {
  total_ms: 42.5,
  macs: 4_089_184_256,
  nodes,
  ops: [
    { op: 'NonMaxSuppression', count: 1, ms: 5, meanMs: 5, share: 0.4 },
    { op: 'FusedConv', count: 1, ms: 3, meanMs: 3, share: 0.24 },
    { op: 'Add', count: 250, ms: 31.375, meanMs: 0.1255, share: 0.3 },
  ],
  providers: [
    { provider: CPU, nodes: 252, ms: 37.4, nodeShare: 0.98, timeShare: 0.92 },
    { provider: CUDA, nodes: 2, ms: 3.2, nodeShare: 0.02, timeShare: 0.08 },
  ],
  node_ms: 40.6,
  runs: 10,
  warmup_runs: 1,
  nodes_total: 300,
  warnings: [
    'CUDA ran only 1 of 253 nodes (7% of the node time); 252 fell back to the CPU (250 Add, 1 NonMaxSuppression, 1 TopK).',
  ],
  fallback: {
    requested: CUDA,
    cpuNodes: ['/head/nms', '/head/topk'],
    cpuOps: { NonMaxSuppression: 1, TopK: 1 },
    copies: 1,
    copyMs: 0.2,
    nodeShare: 0.004,
    timeShare: 0.07,
  },
  provider: { requested: 'cuda', used: 'cuda' },
  optimization: 'extended',
  profile_path: '/tmp/profiles/net_2026.json',
};

function setup() {
  const api = fakeApi({ 'run.profile': () => ({ ok: true, value: summary }) });
  const model = modelInfo(MODEL, { inputs: [{ name: 'tokens', kind: 'tensor', dtype: 'float32', shape: [1, 16] }] });
  const session = new RunSession(api, MODEL, model);
  const profile = new ModelProfile(api);
  render(ProfilePanel, { props: { profile, session } });
  return { api, profile, session };
}

const bodyRows = () => [...screen.getByRole('table', { name: 'Profiled nodes' }).querySelectorAll('tbody tr')];
const firstCells = () => bodyRows().map((r) => r.querySelector('.node-name')!.textContent);

describe('profile panel', () => {
  it('profiles with the run form and shows the summary, warnings, bars and provider shares', async () => {
    const { api, profile } = setup();
    profile.runs = 3;
    await fireEvent.click(screen.getByRole('button', { name: /Profile/ }));
    await screen.findByRole('table', { name: 'Profiled nodes' });
    expect(api.callsTo('run.profile')[0]).toMatchObject({
      path: MODEL,
      runs: 3,
      inputs: { tokens: { kind: 'generate' } },
      options: { graphOptimization: 'all' },
    });
    const totals = screen.getByRole('region', { name: 'Profile summary' });
    expect(totals.textContent).toMatch(/42\.5 ms/);
    expect(totals.textContent).toMatch(/4\.09 G/);
    expect(totals.textContent).toMatch(/300/);
    expect(screen.getAllByRole('alert').map((a) => a.textContent)).toEqual(
      expect.arrayContaining([expect.stringMatching(/CUDA ran only 1 of 253 nodes/)]),
    );
    expect(screen.getByText(/2 nodes on the CPU instead of CUDA · 1 copies/)).toBeTruthy();
    const bars = screen.getByRole('figure', { name: 'Time by op type' });
    expect(within(bars).getByText(/NonMaxSuppression/).textContent).toMatch(/×1/);
    expect(within(bars).getByText(/5\.00 ms · 40%/)).toBeTruthy();
    const shares = within(screen.getByRole('table', { name: 'Provider shares' })).getAllByRole('row');
    expect(shares[1].textContent).toMatch(/CPU.*252.*98%.*92%/);
    expect(shares[2].textContent).toMatch(/CUDA.*2.*2\.0%.*8\.0%/);
    expect(screen.getByText(/fused from \/stem\/conv\/Conv \+ \/stem\/relu\/Relu/)).toBeTruthy();
  }, 30_000);

  it('sorts by a column, filters by name or op, and pages long lists', async () => {
    setup();
    await fireEvent.click(screen.getByRole('button', { name: /Profile/ }));
    await screen.findByRole('table', { name: 'Profiled nodes' });
    // Slowest first by default; 200 rows a page.
    expect(firstCells().slice(0, 3)).toEqual(['/head/nms', '/stem/conv/Conv', '/head/topk']);
    expect(bodyRows()).toHaveLength(200);
    await fireEvent.click(screen.getByRole('button', { name: /Show 14 more/ }));
    expect(bodyRows()).toHaveLength(214);

    await fireEvent.click(screen.getByRole('button', { name: /^Op/ }));
    const header = screen.getByRole('columnheader', { name: /Op/ });
    expect(header.getAttribute('aria-sort')).toBe('ascending');
    expect(firstCells()[0]).toMatch(/^\/body\/add_0$/);
    await fireEvent.click(screen.getByRole('button', { name: /^Op/ }));
    expect(header.getAttribute('aria-sort')).toBe('descending');
    expect(firstCells()[0]).toBe('/head/topk');

    await fireEvent.input(screen.getByRole('textbox', { name: 'Filter nodes' }), { target: { value: 'nonmax' } });
    await waitFor(() => expect(firstCells()).toEqual(['/head/nms']));
    expect(screen.getByText(/1 shown \(the 214 slowest of 300\)/)).toBeTruthy();
  }, 30_000);

  it('says why it cannot profile, and shows a failure', async () => {
    const api = fakeApi({
      'run.profile': () => ({ ok: false, error: { code: 'RUNTIME_ERROR', message: 'The run failed: boom' } }),
    });
    const model = modelInfo(MODEL, { inputs: [{ name: 'img', kind: 'tensor', dtype: 'float32', shape: [1, 3, 64, 64] }] });
    const session = new RunSession(api, MODEL, model);
    session.forms[0].kind = 'image';
    const profile = new ModelProfile(api);
    render(ProfilePanel, { props: { profile, session } });
    await fireEvent.click(screen.getByRole('button', { name: /Profile/ }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/Cannot profile yet: choose an image for 'img'/);
    expect(api.callsTo('run.profile')).toHaveLength(0);
    session.forms[0].kind = 'generate';
    await fireEvent.click(screen.getByRole('button', { name: /Profile/ }));
    expect((await screen.findByText(/The run failed: boom/)).textContent).toBeTruthy();
  });
});

describe('profile button (the Graph tab places it)', () => {
  it('profiles with generated inputs where the Run view has none, and the summary lands in wb.profile', async () => {
    const api = fakeApi({ 'run.profile': () => ({ ok: true, value: summary }) });
    const model = modelInfo(MODEL, { inputs: [{ name: 'img', kind: 'tensor', dtype: 'float32', shape: [1, 3, 64, 64] }] });
    const wb = new Workbench(api);
    wb.modelPath = MODEL;
    wb.model = model;
    wb.inspection = new ModelInspection(api, MODEL);
    wb.run = new RunSession(api, MODEL, model);
    wb.run.forms[0].kind = 'image';
    render(ProfileButton, { props: { wb, showPanel: true } });
    expect(wb.profile).toBeNull();
    await fireEvent.click(screen.getByRole('button', { name: /Profile this model/ }));
    await waitFor(() => expect(wb.profile).toBe(summary));
    expect(api.callsTo('run.profile')[0]).toMatchObject({ inputs: { img: { kind: 'generate' } } });
    expect(wb.inspection.profile.generatedInputs).toEqual(['img']);
    expect(wb.view).toBe('run');
    expect(wb.run.tab).toBe('profile');
    expect(screen.getByRole('button', { name: /Profile again/ })).toBeTruthy();
  });
});
