import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import type { ProviderId, ProviderStatus } from '../../shared/providers';
import { autoOrder, chooseProvider, PROVIDER_IDS, PROVIDER_LABELS } from '../../shared/providers';
import { WorkbenchError } from '../../shared/result';
import { detectHardware } from '../../electron/common/hardware';
import { fakeProbe, type FakeMachine } from '../../electron/common/hardware/fake-probe';
import { explainProviderError, type ProviderFacts } from '../../electron/engine/providers/explain';
import { probeProviders, type ProbeDeps } from '../../electron/engine/providers/probe';
import {
  canReach,
  installCudaProviderLibraries,
  type InstallDeps,
  type InstallerProcess,
  type InstallProgress,
} from '../../electron/engine/providers/install-cuda';
import { SET_ASIDE_CA_CERTS } from '../../electron/common/engine-fork';

function status(id: ProviderId, ready: boolean, reason?: string): ProviderStatus {
  return {
    id,
    label: PROVIDER_LABELS[id],
    status: ready ? 'ready' : 'unavailable',
    bundled: true,
    probeMs: 1,
    ...(ready ? {} : { reason }),
  };
}

describe('chooseProvider', () => {
  const linuxNoGpu = [status('cpu', true), status('cuda', false, 'libcudnn.so.9 not found'), status('webgpu', true)];
  const linuxGpu = [status('cpu', true), status('cuda', true), status('tensorrt', true), status('webgpu', true)];
  const windows = [
    status('cpu', true),
    status('cuda', false, 'no NVIDIA GPU found'),
    status('dml', true),
    status('webgpu', true),
  ];
  const mac = [status('cpu', true), status('coreml', true), status('webgpu', true)];
  const macNoCoreml = [status('cpu', true), status('coreml', false, 'Core ML could not compile the model')];

  it.each([
    ['auto on Linux with a working CUDA', 'auto', linuxGpu, 'linux', undefined, { used: 'cuda' }],
    ['auto never picks TensorRT unless preferred', 'auto', linuxGpu, 'linux', undefined, { used: 'cuda' }],
    ['auto with TensorRT preferred', 'auto', linuxGpu, 'linux', ['tensorrt'], { used: 'tensorrt' }],
    [
      'auto never picks experimental WebGPU by itself',
      'auto',
      linuxNoGpu,
      'linux',
      undefined,
      {
        used: 'cpu',
        fallbackReason: 'No faster provider is ready (CUDA: libcudnn.so.9 not found); using CPU',
      },
    ],
    ['auto with WebGPU preferred', 'auto', linuxNoGpu, 'linux', ['webgpu'], { used: 'webgpu' }],
    [
      'auto on Windows without NVIDIA takes DirectML',
      'auto',
      windows,
      'win32',
      undefined,
      {
        used: 'dml',
        fallbackReason: 'No faster provider is ready (CUDA: no NVIDIA GPU found); using DirectML',
      },
    ],
    ['auto on macOS takes Core ML', 'auto', mac, 'darwin', undefined, { used: 'coreml' }],
    [
      'auto on macOS when Core ML fails',
      'auto',
      macNoCoreml,
      'darwin',
      undefined,
      {
        used: 'cpu',
        fallbackReason: 'No faster provider is ready (Core ML: Core ML could not compile the model); using CPU',
      },
    ],
    ['auto where only the CPU was probed', 'auto', [status('cpu', true)], 'linux', undefined, { used: 'cpu' }],
    ['requested and ready', 'cuda', linuxGpu, 'linux', undefined, { used: 'cuda' }],
    ['requested CPU', 'cpu', linuxGpu, 'linux', undefined, { used: 'cpu' }],
    [
      'requested but unavailable',
      'cuda',
      linuxNoGpu,
      'linux',
      undefined,
      {
        used: 'cpu',
        fallbackReason: 'CUDA unavailable: libcudnn.so.9 not found; using CPU instead',
      },
    ],
    [
      'requested but never probed',
      'dml',
      linuxNoGpu,
      'linux',
      undefined,
      {
        used: 'cpu',
        fallbackReason: 'DirectML unavailable: it was not probed on this machine; using CPU instead',
      },
    ],
  ] as const)('%s', (_, requested, statuses, platform, preference, expected) => {
    const choice = chooseProvider(requested, statuses, { platform, preference });
    expect(choice).toStrictEqual({ requested, ...expected });
  });

  it.each([
    ['linux', [], ['cuda', 'cpu']],
    ['win32', [], ['cuda', 'dml', 'cpu']],
    ['darwin', [], ['coreml', 'cpu']],
    ['freebsd', [], ['cpu']],
    ['linux', ['webgpu', 'cuda'], ['webgpu', 'cuda', 'cpu']],
  ] as const)('autoOrder(%s, %j)', (platform, preference, order) => {
    expect(autoOrder(platform, preference)).toEqual(order);
  });
});

const CUDA12 = ['libcudart.so.12', 'libcublas.so.12', 'libcublasLt.so.12', 'libcudnn.so.9', 'libcufft.so.11', 'libcurand.so.10'];
const ORT_BIN = '/app/node_modules/onnxruntime-node/bin/napi-v6/linux/x64';
const ORT_FILES = ['libonnxruntime.so.1', 'onnxruntime_binding.node'];
const ORT_CUDA_FILES = [
  ...ORT_FILES,
  'libonnxruntime_providers_shared.so',
  'libonnxruntime_providers_cuda.so',
  'libonnxruntime_providers_tensorrt.so',
];
const ldconfig = (names: string[]) => ({
  status: 'ok' as const,
  stdout: names.map((n) => `\t${n} (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/${n}`).join('\n'),
});
const smi = { status: 'ok' as const, stdout: 'NVIDIA GeForce RTX 4090, 24564, 550.54.14\n' };
const LINUX_X64_BACKENDS = [
  { name: 'cpu', bundled: true },
  { name: 'webgpu', bundled: true },
  { name: 'cuda', bundled: false },
  { name: 'tensorrt', bundled: false },
];

/** ORT's real messages (onnxruntime-node 1.30, linux-x64) for each provider that cannot start. */
const ORT_ERRORS: Partial<Record<ProviderId, string>> = {
  cuda: 'OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library',
  tensorrt: 'OrtSessionOptionsAppendExecutionProvider_TensorRT: Failed to load shared library',
  webgpu:
    '/onnxruntime_src/onnxruntime/core/providers/webgpu/webgpu_context.cc:136 onnxruntime::webgpu::WebGpuContext::Initialize(...) ' +
    'adapter_result.status == wgpu::RequestAdapterStatus::Success was false. Failed to get a WebGPU adapter: No supported adapters\n',
};

function deps(
  machine: FakeMachine,
  options: { ortFiles?: string[]; ready?: ProviderId[]; backends?: typeof LINUX_X64_BACKENDS; hang?: ProviderId } = {},
): ProbeDeps & { tried: ProviderId[] } {
  const tried: ProviderId[] = [];
  const probe = fakeProbe({ ...machine, dirs: { ...machine.dirs, [ORT_BIN]: options.ortFiles ?? ORT_FILES } });
  return {
    tried,
    probe,
    ortBinDir: ORT_BIN,
    timeoutMs: 100,
    listSupportedBackends: async () => options.backends ?? LINUX_X64_BACKENDS,
    async trySession(id) {
      tried.push(id);
      if (id === options.hang) return new Promise<void>(() => {});
      if (id === 'cpu' || options.ready?.includes(id)) return;
      throw new Error(ORT_ERRORS[id] ?? `no available backend found. ERR: [${id}] backend not found.`);
    },
  };
}

function byId(statuses: ProviderStatus[]): Record<ProviderId, ProviderStatus> {
  return Object.fromEntries(statuses.map((s) => [s.id, s])) as Record<ProviderId, ProviderStatus>;
}

const FOLDER_NOTE = `missing from ${ORT_BIN}`;

describe('probeProviders on scripted machines', () => {
  const cases: {
    name: string;
    machine: FakeMachine;
    ortFiles?: string[];
    ready?: ProviderId[];
    backends?: typeof LINUX_X64_BACKENDS;
    expect: Partial<Record<ProviderId, string>>;
  }[] = [
    {
      name: 'NVIDIA GPU, driver, CUDA libraries and provider files: CUDA works',
      machine: { platform: 'linux', commands: { 'nvidia-smi': smi, ldconfig: ldconfig(CUDA12) } },
      ortFiles: ORT_CUDA_FILES,
      ready: ['cuda'],
      expect: {
        cpu: 'ready',
        cuda: 'ready',
        tensorrt: 'libnvinfer.so.10, libnvinfer_plugin.so.10, libnvonnxparser.so.10 not found',
      },
    },
    {
      name: 'NVIDIA GPU without a driver',
      machine: {
        platform: 'linux',
        dirs: { '/sys/class/drm': ['card0'] },
        files: { '/sys/class/drm/card0/device/vendor': '0x10de', '/sys/class/drm/card0/device/device': '0x2684' },
      },
      expect: { cuda: 'NVIDIA GPU [10de:2684] found but no NVIDIA driver (nvidia-smi not found, /proc/driver/nvidia missing)' },
    },
    {
      name: 'driver but no cuDNN 9',
      machine: {
        platform: 'linux',
        commands: { 'nvidia-smi': smi, ldconfig: ldconfig([...CUDA12.filter((l) => l !== 'libcudnn.so.9'), 'libcudnn.so.8']) },
      },
      ortFiles: ORT_CUDA_FILES,
      expect: { cuda: 'libcudnn.so.9 not found (found libcudnn.so.8, a different major version)' },
    },
    {
      name: 'CUDA 13 installed, provider files skipped at install',
      machine: {
        platform: 'linux',
        env: { ONNXRUNTIME_NODE_INSTALL: 'skip' },
        commands: { 'nvidia-smi': smi, ldconfig: ldconfig(['libcudart.so.13']) },
      },
      expect: {
        cuda:
          `CUDA provider libraries are not installed (libonnxruntime_providers_shared.so, libonnxruntime_providers_cuda.so ${FOLDER_NOTE}): ` +
          'onnxruntime-node was installed with ONNXRUNTIME_NODE_INSTALL=skip; ' +
          `${CUDA12.join(', ')} not found (found libcudart.so.13, a different major version)`,
      },
    },
    {
      name: 'provider files never downloaded (offline install)',
      machine: { platform: 'linux', commands: { 'nvidia-smi': smi, ldconfig: ldconfig(CUDA12) } },
      expect: {
        cuda:
          `CUDA provider libraries are not installed (libonnxruntime_providers_shared.so, libonnxruntime_providers_cuda.so ${FOLDER_NOTE}): ` +
          "onnxruntime-node's installer did not download them (it needs internet when the package is installed)",
      },
    },
    {
      name: 'no GPU at all, no Vulkan loader',
      machine: { platform: 'linux' },
      expect: {
        cpu: 'ready',
        cuda: 'no NVIDIA GPU found (nvidia-smi not found, /proc/driver/nvidia missing)',
        tensorrt: 'no NVIDIA GPU found (nvidia-smi not found, /proc/driver/nvidia missing)',
        dml: 'DirectML exists only on Windows (not built into this onnxruntime-node package for linux-x64)',
        coreml: 'Core ML exists only on macOS (not built into this onnxruntime-node package for linux-x64)',
        webgpu: 'no WebGPU adapter: the Vulkan loader libvulkan.so.1 was not found (WebGPU uses Vulkan on Linux)',
      },
    },
    {
      name: 'Vulkan loader present but no adapter',
      machine: { platform: 'linux', commands: { ldconfig: ldconfig(['libvulkan.so.1']) } },
      expect: { webgpu: 'no WebGPU adapter found (No supported adapters)' },
    },
    {
      name: 'nvidia-smi times out but /proc knows the card; libraries found anyway',
      machine: {
        platform: 'linux',
        commands: { 'nvidia-smi': { status: 'timeout', timeoutMs: 3000 }, ldconfig: ldconfig(CUDA12) },
        files: { '/proc/driver/nvidia/version': 'NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu' },
        dirs: { '/proc/driver/nvidia/gpus': ['0000:01:00.0'] },
      },
      ortFiles: ORT_CUDA_FILES,
      expect: { cuda: 'the CUDA provider library could not be loaded' },
    },
    {
      name: 'linux-arm64: no CUDA in the package',
      machine: { platform: 'linux', arch: 'arm64', commands: { 'nvidia-smi': smi } },
      backends: [{ name: 'cpu', bundled: true }],
      expect: {
        cuda: 'not built into this onnxruntime-node package for linux-arm64',
        webgpu: 'not built into this onnxruntime-node package for linux-arm64',
      },
    },
    {
      name: 'ORT succeeds even where our search found no libraries (trust the session)',
      machine: { platform: 'linux', commands: { 'nvidia-smi': smi } },
      ready: ['cuda'],
      expect: { cuda: 'ready' },
    },
  ];

  it.each(cases)('$name', async (c) => {
    const d = deps(c.machine, { ortFiles: c.ortFiles, ready: c.ready, backends: c.backends });
    const statuses = await probeProviders({ deps: d });
    expect(statuses.map((s) => s.id)).toEqual([...PROVIDER_IDS]);
    const got = byId(statuses);
    for (const [id, want] of Object.entries(c.expect) as [ProviderId, string][]) {
      expect({ id, said: got[id].status === 'ready' ? 'ready' : got[id].reason }).toEqual({ id, said: want });
    }
    // Providers missing from the package are never handed to ORT (it would only say "backend not found").
    expect(d.tried).not.toContain('dml');
    expect(d.tried).not.toContain('coreml');
  });

  it('a hanging probe times out instead of hanging the engine, and the others still answer', async () => {
    const d = deps({ platform: 'linux' }, { hang: 'cuda', ready: ['cuda'] });
    const statuses = byId(await probeProviders({ deps: d }));
    expect(statuses.cuda).toMatchObject({ status: 'unavailable', reason: 'probe timed out after 100 ms' });
    expect(statuses.cpu.status).toBe('ready');
    // Without the Vulkan loader WebGPU is not tried at all (Dawn would print to stderr past any log level).
    expect(d.tried).not.toContain('webgpu');
    expect(statuses.webgpu.reason).toMatch(/Vulkan loader libvulkan\.so\.1 was not found/);
  });

  it('a probe that throws something odd is contained', async () => {
    const d = deps({ platform: 'linux' });
    d.trySession = async (id) => {
      if (id === 'cpu') return;
      // What a native addon may throw: not an Error.
      throw 'native crash text';
    };
    const statuses = byId(await probeProviders({ deps: d }));
    expect(statuses.cpu.status).toBe('ready');
    expect(statuses.webgpu.status).toBe('unavailable');
  });

  it('reports which providers ship inside the npm package', async () => {
    const statuses = byId(await probeProviders({ deps: deps({ platform: 'linux' }) }));
    expect([statuses.cpu.bundled, statuses.webgpu.bundled, statuses.cuda.bundled, statuses.dml.bundled]).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });
});

describe('explainProviderError', () => {
  const facts = { platform: 'win32', arch: 'x64' } as ProviderFacts;
  it.each([
    [
      'cuda',
      'Failed to load library /x/libonnxruntime_providers_cuda.so with error: libcublasLt.so.12: cannot open shared object file: No such file or directory',
      'libcublasLt.so.12 not found',
    ],
    [
      'cuda',
      '/x/libonnxruntime_providers_shared.so: cannot open shared object file: No such file or directory',
      'libonnxruntime_providers_shared.so not found',
    ],
    [
      'cuda',
      "CUDA_PATH is set but CUDA wasn't able to be loaded. Please install the correct version of CUDA and cuDNN",
      'CUDA_PATH is set but CUDA could not be loaded: install CUDA 12 and cuDNN 9 and put their bin folders on PATH',
    ],
    [
      'cuda',
      'LoadLibrary failed with error 126 "" when trying to load "C:\\app\\onnxruntime_providers_cuda.dll"',
      'onnxruntime_providers_cuda.dll or a DLL it needs could not be loaded (Windows error 126)',
    ],
    ['cuda', 'CUDA failure 100: no CUDA-capable device is detected ; GPU=0', 'no CUDA-capable device detected'],
    [
      'cuda',
      'CUDA failure 35: CUDA driver version is insufficient for CUDA runtime version',
      'the NVIDIA driver is too old for CUDA 12: update the driver',
    ],
    [
      'coreml',
      'no available backend found. ERR: [coreml] backend not found.',
      'Core ML exists only on macOS (not built into this onnxruntime-node package for win32-x64)',
    ],
    [
      'webgpu',
      'no available backend found. ERR: [webgpu] backend not found.',
      'not built into this onnxruntime-node package for win32-x64',
    ],
    [
      'dml',
      'This session contains graph nodes that are assigned to the default CPU EP, but fallback to CPU EP has been explicitly disabled by the user.',
      "DirectML took none of the test model's operators (ONNX Runtime would have run it on the CPU)",
    ],
    ['cpu', '/src/onnxruntime/core/session/inference_session.cc:123 Something odd happened\nmore', 'Something odd happened'],
  ] as const)('%s: %s', (id, message, reason) => {
    expect(explainProviderError(id, message, facts)).toBe(reason);
  });
});

describe('probing this machine for real', () => {
  it('runs the tiny model on the CPU, and explains every provider that is not ready', async () => {
    const statuses = await probeProviders({ refresh: true });
    const got = byId(statuses);
    expect(statuses.map((s) => s.id)).toEqual([...PROVIDER_IDS]);
    expect(got.cpu).toMatchObject({ status: 'ready', bundled: true });
    expect(got.cpu.reason).toBeUndefined();
    for (const s of statuses) {
      expect(s.probeMs).toBeGreaterThanOrEqual(0);
      if (s.status === 'unavailable') expect(s.reason, s.id).toMatch(/\S{4,}/);
      else expect(s.reason, s.id).toBeUndefined();
    }
    // Whatever the hardware, the CUDA answer must agree with what detection saw.
    const hardware = await detectHardware();
    if (!hardware.gpus.some((g) => g.vendor === 'nvidia')) {
      expect(got.cuda.status).toBe('unavailable');
      expect(got.cuda.reason).toMatch(/^no NVIDIA GPU found \(/);
    }
    if (got.cuda.status === 'unavailable') expect(got.cuda.reason).toMatch(/NVIDIA|\.so|\.dll|not built|driver/);
    // Cached for the process until refresh.
    expect(await probeProviders()).toBe(await probeProviders());
  });
});

function fakeInstaller(script: { stdout?: string[]; stderr?: string; code?: number; hang?: boolean }) {
  const calls: { cmd: string; args: string[]; cwd: string; env: Record<string, string | undefined> }[] = [];
  let killed = false;
  const spawn: InstallDeps['spawn'] = (cmd, args, options) => {
    calls.push({ cmd, args, ...options });
    const listeners: Record<string, ((value: never) => void)[]> = {};
    const add = (key: string) => (event: string, fn: (value: never) => void) => {
      (listeners[`${key}:${event}`] ??= []).push(fn);
    };
    const emit = (key: string, value: unknown) => (listeners[key] ?? []).forEach((fn) => fn(value as never));
    const child: InstallerProcess = {
      stdout: { on: add('stdout') },
      stderr: { on: add('stderr') },
      on: add('child') as InstallerProcess['on'],
      kill() {
        killed = true;
        setImmediate(() => emit('child:close', null));
      },
    };
    setImmediate(() => {
      for (const chunk of script.stdout ?? []) emit('stdout:data', chunk);
      if (script.stderr) emit('stderr:data', script.stderr);
      if (!script.hang) emit('child:close', script.code ?? 0);
    });
    return child;
  };
  return { spawn, calls, wasKilled: () => killed };
}

describe('installCudaProviderLibraries', () => {
  const base = {
    platform: 'linux',
    arch: 'x64',
    packageDir: '/app/node_modules/onnxruntime-node',
    execPath: '/usr/bin/electron',
  };

  it('fails fast and clearly when the download host cannot be reached', async () => {
    const installer = fakeInstaller({});
    const start = performance.now();
    const error = await installCudaProviderLibraries({
      deps: { ...base, canReach: async () => false, spawn: installer.spawn },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkbenchError);
    expect(error).toMatchObject({
      code: 'IO_ERROR',
      message: expect.stringMatching(/^No internet connection: .*api\.nuget\.org.*install CUDA 12 and cuDNN 9 yourself/),
    });
    expect(installer.calls).toEqual([]);
    expect(performance.now() - start).toBeLessThan(1000);
  });

  it("runs onnxruntime-node's installer with ONNXRUNTIME_NODE_INSTALL=cuda12 and reports its progress", async () => {
    const installer = fakeInstaller({
      stdout: [
        'Downloading https://api.nuget.org/v3-flatcontainer/microsoft.ml.onnxruntime.gpu.linux/1.30.0/microsoft.ml.onnxruntime.gpu.linux.1.30.0.nupkg\nExtr',
        'acting runtimes/linux-x64/native/libonnxruntime_providers_cuda.so to /app/x/libonnxruntime_providers_cuda.so\n',
      ],
    });
    const progress: InstallProgress[] = [];
    const reached: string[] = [];
    const result = await installCudaProviderLibraries({
      onProgress: (p) => progress.push(p),
      deps: { ...base, canReach: async (host, port) => (reached.push(`${host}:${port}`), true), spawn: installer.spawn },
    });
    expect(reached).toEqual(['api.nuget.org:443']);
    expect(installer.calls).toHaveLength(1);
    const call = installer.calls[0];
    expect([call.cmd, call.args, call.cwd]).toEqual([
      '/usr/bin/electron',
      ['/app/node_modules/onnxruntime-node/script/install.js'],
      base.packageDir,
    ]);
    expect(call.env).toMatchObject({ ONNXRUNTIME_NODE_INSTALL: 'cuda12', ELECTRON_RUN_AS_NODE: '1' });
    expect(progress.map((p) => p.stage)).toEqual(['checking connection', 'downloading', 'extracting', 'done']);
    expect(progress[1].message).toBe('Downloading microsoft.ml.onnxruntime.gpu.linux.1.30.0.nupkg');
    expect(progress[2].message).toBe('Installing libonnxruntime_providers_cuda.so');
    expect(result).toEqual({ installedTo: '/app/node_modules/onnxruntime-node/bin/napi-v6/linux/x64' });
  });

  it('gives the installer back the certificates the engine set aside (a proxy’s own, for its download)', async () => {
    const installer = fakeInstaller({});
    const was = process.env[SET_ASIDE_CA_CERTS];
    process.env[SET_ASIDE_CA_CERTS] = '/etc/proxy-ca.pem';
    try {
      await installCudaProviderLibraries({ deps: { ...base, canReach: async () => true, spawn: installer.spawn } });
    } finally {
      if (was === undefined) delete process.env[SET_ASIDE_CA_CERTS];
      else process.env[SET_ASIDE_CA_CERTS] = was;
    }
    expect(installer.calls[0].env.NODE_EXTRA_CA_CERTS).toBe('/etc/proxy-ca.pem');
    expect(installer.calls[0].env).not.toHaveProperty(SET_ASIDE_CA_CERTS);
  });

  it("passes on the installer's own error", async () => {
    const installer = fakeInstaller({
      code: 1,
      stderr: 'Error: Failed to download from https://x. HTTP status code = 503\n    at foo\n',
    });
    await expect(
      installCudaProviderLibraries({ deps: { ...base, canReach: async () => true, spawn: installer.spawn } }),
    ).rejects.toMatchObject({
      code: 'RUNTIME_ERROR',
      message: expect.stringContaining('HTTP status code = 503'),
    });
  });

  it('stops the installer when cancelled', async () => {
    const installer = fakeInstaller({ hang: true });
    const controller = new AbortController();
    const pending = installCudaProviderLibraries({
      signal: controller.signal,
      onProgress: (p) => p.stage === 'checking connection' && setTimeout(() => controller.abort(), 20),
      deps: { ...base, canReach: async () => true, spawn: installer.spawn },
    });
    await expect(pending).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(installer.wasKilled()).toBe(true);
  });

  it.each([
    ['darwin', 'arm64'],
    ['linux', 'arm64'],
    ['win32', 'x64'],
  ])('says there is nothing to install on %s-%s', async (platform, arch) => {
    await expect(
      installCudaProviderLibraries({ deps: { ...base, platform, arch, canReach: async () => true } }),
    ).rejects.toMatchObject({
      code: 'UNSUPPORTED',
    });
  });

  it('on this machine, either fails fast for lack of internet or would start the installer', async () => {
    const installer = fakeInstaller({});
    const start = performance.now();
    const outcome = await installCudaProviderLibraries({ deps: { ...base, spawn: installer.spawn } }).then(
      () => 'installed',
      (e: unknown) => e,
    );
    if (outcome === 'installed') {
      expect(installer.calls).toHaveLength(1);
    } else {
      expect(outcome).toMatchObject({ code: 'IO_ERROR', message: expect.stringMatching(/^No internet connection/) });
      expect(performance.now() - start).toBeLessThan(4000);
    }
  });

  it('canReach answers false for a host that does not resolve, within its timeout', async () => {
    const start = performance.now();
    expect(await canReach('owb-no-such-host.invalid', 443, 3000)).toBe(false);
    expect(performance.now() - start).toBeLessThan(3500);
  });
});
