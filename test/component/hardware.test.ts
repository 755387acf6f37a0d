import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { HardwareReport } from '../../shared/providers';
import App from '../../renderer/src/App.svelte';
import { fakeApi } from './fake-api';

const cudaReason = 'CUDA libraries are not installed (set ONNXRUNTIME_NODE_INSTALL=cuda12 or use Install CUDA libraries)';

function report(overrides: Partial<HardwareReport> = {}): HardwareReport {
  return {
    platform: 'linux',
    arch: 'x64',
    cpu: { model: 'AMD Ryzen 9 7950X', cores: 32 },
    memoryBytes: 64 * 1024 ** 3,
    gpus: [
      { vendor: 'nvidia', name: 'NVIDIA GeForce RTX 4090', memoryBytes: 24 * 1024 ** 3, driver: '550.54', source: 'nvidia-smi' },
    ],
    providers: [
      { id: 'cpu', label: 'CPU', status: 'ready', bundled: true, probeMs: 3 },
      { id: 'cuda', label: 'NVIDIA CUDA', status: 'unavailable', reason: cudaReason, bundled: false, probeMs: 12 },
      {
        id: 'webgpu',
        label: 'WebGPU (experimental)',
        status: 'unavailable',
        reason: 'no WebGPU adapter found',
        bundled: true,
        probeMs: 40,
      },
    ],
    ...overrides,
  };
}

async function showHardware() {
  await fireEvent.click(within(screen.getByRole('navigation', { name: 'Views' })).getByRole('button', { name: /^Hardware/ }));
  return screen.findByRole('table', { name: 'Execution providers' });
}

describe('hardware view', () => {
  it('shows CPU, memory, GPUs and each provider with its status and precise reason', async () => {
    const api = fakeApi({ 'hardware.detect': () => ({ ok: true, value: report() }) });
    render(App, { props: { api } });
    const table = await showHardware();
    expect(screen.getByText('AMD Ryzen 9 7950X')).toBeInTheDocument();
    expect(screen.getByText('32 cores')).toBeInTheDocument();
    expect(screen.getByText('64.0 GB')).toBeInTheDocument();
    expect(within(screen.getByRole('table', { name: 'GPUs' })).getByText('NVIDIA GeForce RTX 4090')).toBeInTheDocument();

    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map((r) => within(r).getAllByRole('cell')[0].textContent?.trim())).toEqual([
      'CPU',
      'NVIDIA CUDA',
      'WebGPU (experimental)',
    ]);
    expect(within(rows[0]).getByText('ready')).toHaveClass('badge-ok');
    expect(within(rows[1]).getByText('unavailable')).not.toHaveClass('badge-ok');
    expect(within(rows[1]).getByText(cudaReason)).toBeInTheDocument();
    expect(within(rows[1]).getByText('download')).toBeInTheDocument();
    expect(within(rows[2]).getByText('no WebGPU adapter found')).toBeInTheDocument();
    expect(within(rows[2]).getByText('40 ms')).toBeInTheDocument();
    // What auto picks, from chooseProvider: CUDA is passed over, the CPU is used.
    expect(screen.getByText(/No faster provider is ready \(CUDA: CUDA libraries are not installed/)).toBeInTheDocument();
    // WebGPU is not offered an install button; only CUDA is.
    expect(within(rows[2]).queryByRole('button')).not.toBeInTheDocument();

    await fireEvent.click(screen.getByRole('button', { name: 'Refresh' }));
    await waitFor(() => expect(api.callsTo('hardware.detect')).toEqual([{}, { refresh: true }]));
  });

  it('says so when there is no GPU, and offers no install when CUDA is missing for another reason', async () => {
    const providers = report().providers.map((p) =>
      p.id === 'cuda' ? { ...p, reason: 'libcudnn.so.9: cannot open shared object file' } : p,
    );
    render(App, { props: { api: fakeApi({ 'hardware.detect': () => ({ ok: true, value: report({ gpus: [], providers }) }) }) } });
    await showHardware();
    expect(screen.getByText('No GPU found.')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /Install CUDA libraries/ })).not.toBeInTheDocument();
  });

  it('installs the CUDA libraries with progress, and shows the offline error readably', async () => {
    const offline = 'Could not download the CUDA libraries from https://github.com: the network is unreachable (offline?).';
    const api = fakeApi({
      'hardware.detect': () => ({ ok: true, value: report() }),
      'providers.installCuda': (_input, { onEvent }) => {
        onEvent?.({ stage: 'download', message: 'Downloading onnxruntime CUDA 12 libraries…' });
        return { ok: false, error: { code: 'IO_ERROR', message: offline } };
      },
    });
    render(App, { props: { api } });
    await showHardware();
    await fireEvent.click(screen.getByRole('button', { name: 'Install CUDA libraries' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The CUDA libraries could not be installed.');
    expect(alert).toHaveTextContent(offline);
    expect(api.callsTo('providers.installCuda')).toEqual([{}]);
    expect(screen.getByRole('button', { name: 'Install CUDA libraries' })).toBeEnabled();
  });

  it('re-probes after a successful install', async () => {
    let installed = false;
    const api = fakeApi({
      'hardware.detect': () => ({
        ok: true,
        value: installed
          ? report({
              providers: report().providers.map((p) =>
                p.id === 'cuda' ? { ...p, status: 'ready' as const, reason: undefined } : p,
              ),
            })
          : report(),
      }),
      'providers.installCuda': () => {
        installed = true;
        return { ok: true, value: { installedTo: '/home/ada/.cache/owb/cuda' } };
      },
    });
    render(App, { props: { api } });
    await showHardware();
    await fireEvent.click(screen.getByRole('button', { name: 'Install CUDA libraries' }));
    expect(await screen.findByText('/home/ada/.cache/owb/cuda')).toBeInTheDocument();
    await waitFor(() => expect(api.callsTo('hardware.detect')).toEqual([{}, { refresh: true }]));
    expect(screen.getByText(/picks the first ready of CUDA, then CPU/)).toBeInTheDocument();
    expect(within(screen.getByRole('table', { name: 'Execution providers' })).getAllByText('ready')).toHaveLength(2);
  });
});
