import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GpuInfo } from '../../shared/providers';
import {
  createSystemProbe,
  describeMissingNvidiaDriver,
  detectCudaLibraries,
  detectGpus,
  detectHardware,
  detectOrtProviderFiles,
  hardwareReport,
  onnxruntimeBinDir,
} from '../../electron/common/hardware';
import { fakeProbe, type FakeMachine } from '../../electron/common/hardware/fake-probe';
import { findOnPath } from '../../electron/common/hardware/probe';
import { parseLdconfig, findInIndex } from '../../electron/common/hardware/libraries';
import {
  parseCimVideoControllers,
  parseNvidiaSmi,
  parseProcNvidiaModel,
  parseProcNvidiaVersion,
  parseSystemProfiler,
} from '../../electron/common/hardware/parse';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const CUDA12 = ['libcudart.so.12', 'libcublas.so.12', 'libcublasLt.so.12', 'libcudnn.so.9', 'libcufft.so.11', 'libcurand.so.10'];

function ldconfig(names: string[], dir = '/usr/lib/x86_64-linux-gnu'): string {
  return `${names.length} libs found in cache \`/etc/ld.so.cache'\n${names.map((n) => `\t${n} (libc6,x86-64) => ${dir}/${n}`).join('\n')}\n`;
}

const smiOk = (stdout: string) => ({ status: 'ok' as const, stdout });

/** The machines users report from; exported shapes are reused by the providers tests through the same builders. */
const MACHINES: Record<string, FakeMachine> = {
  nvidiaComplete: {
    platform: 'linux',
    commands: { 'nvidia-smi': smiOk('NVIDIA GeForce RTX 4090, 24564, 550.54.14\n'), ldconfig: smiOk(ldconfig(CUDA12)) },
    files: {
      '/proc/driver/nvidia/version': 'NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu Feb 22 01:44:30 UTC 2024\n',
    },
  },
  nvidiaNoDriver: {
    platform: 'linux',
    dirs: { '/sys/class/drm': ['card0', 'card0-DP-1', 'renderD128', 'version'] },
    files: {
      '/sys/class/drm/card0/device/vendor': '0x10de\n',
      '/sys/class/drm/card0/device/device': '0x2684\n',
      '/sys/class/drm/card0/device/uevent': 'DRIVER=nouveau\nPCI_CLASS=30000\n',
    },
  },
  nvidiaNoCudnn: {
    platform: 'linux',
    env: { LD_LIBRARY_PATH: '/opt/cudnn8/lib' },
    commands: {
      'nvidia-smi': smiOk('NVIDIA A100-SXM4-80GB, 81920, 535.104.05\n'),
      ldconfig: smiOk(ldconfig(CUDA12.filter((l) => l !== 'libcudnn.so.9'))),
    },
    dirs: { '/opt/cudnn8/lib': ['libcudnn.so.8', 'libcudnn.so'] },
  },
  amdLinux: {
    platform: 'linux',
    dirs: { '/sys/class/drm': ['card0', 'card1'] },
    files: {
      '/sys/class/drm/card0/device/vendor': '0x8086\n',
      '/sys/class/drm/card0/device/device': '0x9a49\n',
      '/sys/class/drm/card0/device/uevent': 'DRIVER=i915\n',
      '/sys/class/drm/card1/device/vendor': '0x1002\n',
      '/sys/class/drm/card1/device/device': '0x73bf\n',
      '/sys/class/drm/card1/device/mem_info_vram_total': '17163091968\n',
      '/sys/class/drm/card1/device/uevent': 'DRIVER=amdgpu\n',
    },
  },
  windowsNvidia: {
    platform: 'win32',
    commands: {
      powershell: smiOk(
        JSON.stringify([
          {
            Name: 'NVIDIA GeForce RTX 3060',
            AdapterRAM: 4293918720,
            DriverVersion: '31.0.15.5222',
            AdapterCompatibility: 'NVIDIA',
          },
          {
            Name: 'Microsoft Basic Display Adapter',
            AdapterRAM: 0,
            DriverVersion: '10.0.19041.1',
            AdapterCompatibility: '(Standard display types)',
          },
        ]),
      ),
    },
  },
  macM2: {
    platform: 'darwin',
    arch: 'arm64',
    commands: {
      system_profiler: smiOk(
        JSON.stringify({
          SPDisplaysDataType: [
            {
              _name: 'Apple M2',
              sppci_model: 'Apple M2',
              sppci_cores: '10',
              sppci_vendor: 'sppci_vendor_Apple',
              spdisplays_mtlgpufamilysupport: 'spdisplays_metal3',
            },
          ],
        }),
      ),
    },
  },
  noGpu: { platform: 'linux' },
  smiTimeout: {
    platform: 'linux',
    commands: { 'nvidia-smi': { status: 'timeout', timeoutMs: 3000 } },
    files: {
      '/proc/driver/nvidia/version':
        'NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  560.35.03  Release Build  (dvs-builder@U16-I3-B03-4-3)\n',
      '/proc/driver/nvidia/gpus/0000:01:00.0/information':
        'Model: \t\t NVIDIA GeForce RTX 3080\nIRQ:   \t\t 130\nBus Type: \t PCIe\n',
    },
    dirs: { '/proc/driver/nvidia/gpus': ['0000:01:00.0'] },
  },
};

describe('GPU detection on scripted machines', () => {
  const cases: { machine: keyof typeof MACHINES; gpus: GpuInfo[]; nvidiaDriver: string | null; missingDriver?: string }[] = [
    {
      machine: 'nvidiaComplete',
      gpus: [
        {
          vendor: 'nvidia',
          name: 'NVIDIA GeForce RTX 4090',
          memoryBytes: 24564 * MiB,
          driver: '550.54.14',
          source: 'nvidia-smi',
        },
      ],
      nvidiaDriver: '550.54.14',
    },
    {
      machine: 'nvidiaNoDriver',
      gpus: [{ vendor: 'nvidia', name: 'NVIDIA GPU [10de:2684]', memoryBytes: null, driver: 'nouveau', source: 'sysfs' }],
      nvidiaDriver: null,
      missingDriver: 'nvidia-smi not found, /proc/driver/nvidia missing',
    },
    {
      machine: 'nvidiaNoCudnn',
      gpus: [
        { vendor: 'nvidia', name: 'NVIDIA A100-SXM4-80GB', memoryBytes: 80 * GiB, driver: '535.104.05', source: 'nvidia-smi' },
      ],
      nvidiaDriver: '535.104.05',
    },
    {
      machine: 'amdLinux',
      gpus: [
        { vendor: 'intel', name: 'Intel GPU [8086:9a49]', memoryBytes: null, driver: 'i915', source: 'sysfs' },
        { vendor: 'amd', name: 'AMD GPU [1002:73bf]', memoryBytes: 17163091968, driver: 'amdgpu', source: 'sysfs' },
      ],
      nvidiaDriver: null,
    },
    {
      machine: 'windowsNvidia',
      gpus: [
        // AdapterRAM is a uint32: 4293918720 means "4 GiB or more", so it is not shown as a size.
        { vendor: 'nvidia', name: 'NVIDIA GeForce RTX 3060', memoryBytes: null, driver: '31.0.15.5222', source: 'cim' },
        {
          vendor: 'microsoft',
          name: 'Microsoft Basic Display Adapter',
          memoryBytes: null,
          driver: '10.0.19041.1',
          source: 'cim',
        },
      ],
      nvidiaDriver: null,
    },
    {
      machine: 'macM2',
      gpus: [{ vendor: 'apple', name: 'Apple M2', memoryBytes: null, driver: null, source: 'system_profiler' }],
      nvidiaDriver: null,
    },
    { machine: 'noGpu', gpus: [], nvidiaDriver: null, missingDriver: 'nvidia-smi not found, /proc/driver/nvidia missing' },
    {
      machine: 'smiTimeout',
      gpus: [{ vendor: 'nvidia', name: 'NVIDIA GeForce RTX 3080', memoryBytes: null, driver: '560.35.03', source: 'proc' }],
      nvidiaDriver: '560.35.03',
    },
  ];

  it.each(cases)('$machine', async ({ machine, gpus, nvidiaDriver, missingDriver }) => {
    const probe = fakeProbe(MACHINES[machine]);
    const facts = await detectGpus(probe);
    expect(facts.gpus).toEqual(gpus);
    expect(facts.nvidia.driver).toBe(nvidiaDriver);
    if (missingDriver) expect(describeMissingNvidiaDriver(facts.nvidia, probe.platform)).toBe(missingDriver);
  });

  it('says nvidia-smi timed out, and still finds the card through /proc', async () => {
    const facts = await detectGpus(fakeProbe(MACHINES.smiTimeout));
    expect(facts.nvidia.smi).toBe('timeout');
    expect(facts.nvidia.smiDetail).toBe('nvidia-smi timed out after 3000 ms');
    expect(facts.nvidia.procDriver).toBe(true);
  });

  it('prefers nvidia-smi over CIM for NVIDIA cards on Windows (real memory size)', async () => {
    const machine: FakeMachine = {
      ...MACHINES.windowsNvidia,
      commands: { ...MACHINES.windowsNvidia.commands, 'nvidia-smi': smiOk('NVIDIA GeForce RTX 3060, 12288, 552.22\r\n') },
    };
    const { gpus } = await detectGpus(fakeProbe(machine));
    expect(gpus.map((g) => [g.name, g.memoryBytes, g.source])).toEqual([
      ['NVIDIA GeForce RTX 3060', 12 * GiB, 'nvidia-smi'],
      ['Microsoft Basic Display Adapter', null, 'cim'],
    ]);
  });

  it('does not run nvidia-smi on macOS', async () => {
    const probe = fakeProbe(MACHINES.macM2);
    await detectGpus(probe);
    expect(probe.calls).toEqual(['system_profiler SPDisplaysDataType -json']);
  });

  it('describes a failing nvidia-smi with its first error line', async () => {
    const probe = fakeProbe({
      platform: 'linux',
      commands: {
        'nvidia-smi': {
          status: 'failed',
          exitCode: 9,
          stderr: "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\nMore text",
        },
      },
    });
    const facts = await detectGpus(probe);
    expect(describeMissingNvidiaDriver(facts.nvidia, 'linux')).toBe(
      "nvidia-smi failed (exit 9: NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.), /proc/driver/nvidia missing",
    );
  });
});

describe('tool output parsers', () => {
  it.each([
    [
      'NVIDIA GeForce RTX 4090, 24564, 550.54.14',
      { name: 'NVIDIA GeForce RTX 4090', memoryBytes: 24564 * MiB, driver: '550.54.14' },
    ],
    ['Tesla T4, [N/A], 535.00', { name: 'Tesla T4', memoryBytes: null, driver: '535.00' }],
    ['NVIDIA RTX A6000, Ada, 49140, 550.1', { name: 'NVIDIA RTX A6000, Ada', memoryBytes: 49140 * MiB, driver: '550.1' }],
  ])('nvidia-smi line %s', (line, expected) => {
    expect(parseNvidiaSmi(`${line}\n\n`)).toEqual([{ vendor: 'nvidia', source: 'nvidia-smi', ...expected }]);
  });

  it.each([
    ['NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu Feb 22 01:44:30 UTC 2024', '550.54.14'],
    ['NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  560.35.03  Release Build', '560.35.03'],
    ['garbage', null],
  ])('/proc/driver/nvidia/version %#', (text, driver) => {
    expect(parseProcNvidiaVersion(`${text}\nGCC version: gcc 12\n`)).toBe(driver);
  });

  it('reads the model from /proc/driver/nvidia/gpus/*/information', () => {
    expect(parseProcNvidiaModel('Model: \t\t NVIDIA GeForce RTX 3080\nIRQ: 1\n')).toBe('NVIDIA GeForce RTX 3080');
  });

  it('accepts a single CIM adapter (ConvertTo-Json writes an object, not an array) and rejects garbage', () => {
    const one = parseCimVideoControllers(
      JSON.stringify({ Name: 'AMD Radeon RX 6800', AdapterRAM: 1073741824, DriverVersion: '31.0.1' }),
    );
    expect(one).toEqual([{ vendor: 'amd', name: 'AMD Radeon RX 6800', memoryBytes: GiB, driver: '31.0.1', source: 'cim' }]);
    expect(parseCimVideoControllers('not json')).toEqual([]);
    expect(parseCimVideoControllers('')).toEqual([]);
  });

  it('reads dedicated VRAM of an Intel Mac discrete GPU', () => {
    const json = {
      SPDisplaysDataType: [
        {
          _name: 'AMD Radeon Pro 5500M',
          sppci_model: 'AMD Radeon Pro 5500M',
          spdisplays_vram: '8 GB',
          spdisplays_vendor: 'sppci_vendor_amd',
        },
      ],
    };
    expect(parseSystemProfiler(JSON.stringify(json))).toEqual([
      { vendor: 'amd', name: 'AMD Radeon Pro 5500M', memoryBytes: 8 * GiB, driver: null, source: 'system_profiler' },
    ]);
  });

  it('groups ldconfig -p by folder', () => {
    expect(parseLdconfig(ldconfig(['libcudnn.so.9', 'libcudart.so.12'], '/usr/local/cuda/lib64'))).toEqual([
      { dir: '/usr/local/cuda/lib64', names: ['libcudnn.so.9', 'libcudart.so.12'] },
    ]);
  });
});

describe('CUDA library detection', () => {
  it('finds every CUDA 12 / cuDNN 9 library through ldconfig', async () => {
    const report = await detectCudaLibraries(fakeProbe(MACHINES.nvidiaComplete), { ortBinDir: null });
    expect(report.missing).toEqual([]);
    expect(report.found['libcudnn.so.9']).toBe('/usr/lib/x86_64-linux-gnu/libcudnn.so.9');
  });

  it('names the missing cuDNN 9 and the cuDNN 8 that is there instead', async () => {
    const report = await detectCudaLibraries(fakeProbe(MACHINES.nvidiaNoCudnn), { ortBinDir: null });
    expect(report.missing).toEqual(['libcudnn.so.9']);
    expect(report.otherVersions).toEqual(['libcudnn.so.8']);
  });

  it('looks in LD_LIBRARY_PATH, /usr/local/cuda-*/lib64 and onnxruntime-node bin folder', async () => {
    const probe = fakeProbe({
      platform: 'linux',
      env: { LD_LIBRARY_PATH: '/opt/cudnn/lib:' },
      dirs: {
        '/opt/cudnn/lib': ['libcudnn.so.9', 'libcudnn_graph.so.9'],
        '/usr/local': ['bin', 'cuda-12.4', 'lib'],
        '/usr/local/cuda-12.4/lib64': ['libcudart.so.12', 'libcublas.so.12', 'libcublasLt.so.12', 'libcufft.so.11'],
        '/ort/bin': ['libonnxruntime.so.1', 'libcurand.so.10'],
      },
    });
    const report = await detectCudaLibraries(probe, { ortBinDir: '/ort/bin' });
    expect(report.missing).toEqual([]);
    expect(report.found).toMatchObject({
      'libcudnn.so.9': '/opt/cudnn/lib/libcudnn.so.9',
      'libcudart.so.12': '/usr/local/cuda-12.4/lib64/libcudart.so.12',
      'libcurand.so.10': '/ort/bin/libcurand.so.10',
    });
  });

  it('finds Windows DLLs on PATH regardless of case', async () => {
    const probe = fakeProbe({
      platform: 'win32',
      env: { PATH: 'C:\\Windows;C:\\cuda\\bin', CUDA_PATH: 'C:\\cuda' },
      dirs: {
        'C:\\cuda\\bin': [
          'cudart64_12.dll',
          'CUBLAS64_12.DLL',
          'cublasLt64_12.dll',
          'cufft64_11.dll',
          'curand64_10.dll',
          'cudnn64_8.dll',
        ],
      },
    });
    const report = await detectCudaLibraries(probe, { ortBinDir: null });
    expect(report.missing).toEqual(['cudnn64_9.dll']);
    expect(report.otherVersions).toEqual(['cudnn64_8.dll']);
    expect(report.found['cublas64_12.dll']).toBe('C:\\cuda\\bin\\cublas64_12.dll');
  });

  it('reports all libraries missing on macOS, where there is no CUDA', async () => {
    expect((await detectCudaLibraries(fakeProbe(MACHINES.macM2))).missing).toHaveLength(6);
  });

  it('caches the library search until refresh', async () => {
    const probe = fakeProbe(MACHINES.nvidiaComplete);
    await detectCudaLibraries(probe, { ortBinDir: null });
    await detectCudaLibraries(probe, { ortBinDir: null });
    expect(probe.calls.filter((c) => c.startsWith('ldconfig'))).toHaveLength(1);
    await detectCudaLibraries(probe, { ortBinDir: null, refresh: true });
    expect(probe.calls.filter((c) => c.startsWith('ldconfig'))).toHaveLength(2);
  });

  it('lists the onnxruntime-node provider files its installer did not download', async () => {
    const probe = fakeProbe({
      platform: 'linux',
      dirs: { '/ort': ['libonnxruntime.so.1', 'libonnxruntime_providers_shared.so'] },
    });
    expect(await detectOrtProviderFiles(probe, { ortBinDir: '/ort' })).toEqual({
      dir: '/ort',
      missing: ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_tensorrt.so'],
    });
  });

  it('finds the index entries by exact soname', () => {
    const index = { dirs: [{ dir: '/a', names: ['libcudart.so', 'libcudart.so.13'] }] };
    expect(findInIndex(index, ['libcudart.so.12'], false)).toEqual({
      found: {},
      missing: ['libcudart.so.12'],
      otherVersions: ['libcudart.so.13'],
    });
  });
});

describe('detectHardware', () => {
  it('caches per process and re-detects on refresh', async () => {
    const probe = fakeProbe({
      ...MACHINES.nvidiaComplete,
      cpu: { model: 'AMD Ryzen 9 7950X', cores: 32 },
      memoryBytes: 64 * GiB,
    });
    const first = await detectHardware({ probe });
    expect(first).toMatchObject({
      platform: 'linux',
      arch: 'x64',
      cpu: { model: 'AMD Ryzen 9 7950X', cores: 32 },
      memoryBytes: 64 * GiB,
    });
    expect(await detectHardware({ probe })).toBe(first);
    expect(probe.calls.filter((c) => c.startsWith('nvidia-smi'))).toHaveLength(1);
    const again = await detectHardware({ probe, refresh: true });
    expect(again).not.toBe(first);
    expect(probe.calls.filter((c) => c.startsWith('nvidia-smi'))).toHaveLength(2);
    // The UI's report carries the GPUs but not the NVIDIA internals used for reasons.
    expect(hardwareReport(again, [])).toStrictEqual({
      platform: 'linux',
      arch: 'x64',
      cpu: { model: 'AMD Ryzen 9 7950X', cores: 32 },
      memoryBytes: 64 * GiB,
      gpus: first.gpus,
      providers: [],
    });
  });

  it('describes this real machine without throwing', async () => {
    const facts = await detectHardware({ refresh: true });
    expect(facts.platform).toBe(process.platform);
    expect(facts.cpu.cores).toBeGreaterThan(0);
    expect(facts.memoryBytes).toBeGreaterThan(0);
    for (const gpu of facts.gpus) expect(gpu.name).not.toBe('');
    expect(onnxruntimeBinDir(process.platform, process.arch)).toMatch(/onnxruntime-node[\\/]bin[\\/]napi-v6/);
  });
});

describe('the real system probe', () => {
  it.each([
    ['a program that does not exist', 'owb-no-such-program-3f9c', [], 1000, { status: 'not-found' }],
    [
      'a program that runs too long',
      process.execPath,
      ['-e', 'setTimeout(() => {}, 5000)'],
      300,
      { status: 'timeout', timeoutMs: 300 },
    ],
    [
      'a program that fails',
      process.execPath,
      ['-e', 'console.error("boom"); process.exit(3)'],
      5000,
      { status: 'failed', exitCode: 3, stderr: 'boom\n' },
    ],
    ['a program that works', process.execPath, ['-e', 'console.log("hi")'], 5000, { status: 'ok', stdout: 'hi\n' }],
  ])('classifies %s', async (_, cmd, args, timeoutMs, expected) => {
    expect(await createSystemProbe().exec(cmd as string, args as string[], timeoutMs as number)).toEqual(expected);
  });

  it('finds a program on PATH only where it is an executable file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'owb-path-'));
    try {
      await writeFile(join(dir, 'owb-tool'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
      await writeFile(join(dir, 'owb-data'), 'not a program', { mode: 0o644 });
      await mkdir(join(dir, 'owb-folder'));
      const env = { PATH: ['', '/no/such/dir', dir].join(delimiter) };
      expect(await findOnPath('owb-tool', env, 'linux')).toBe(join(dir, 'owb-tool'));
      expect(await findOnPath('owb-data', env, 'linux')).toBeNull();
      expect(await findOnPath('owb-folder', env, 'linux')).toBeNull();
      expect(await findOnPath('owb-missing', env, 'linux')).toBeNull();
      expect(await findOnPath('owb-tool', {}, 'linux')).toBeNull();
      // A path is taken as it is; Windows' own lookup (PATHEXT) is left to it.
      expect(await findOnPath('./owb-tool', env, 'linux')).toBe('./owb-tool');
      expect(await findOnPath('owb-missing', env, 'win32')).toBe('owb-missing');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('answers null for unreadable files and folders', async () => {
    const probe = createSystemProbe();
    expect(await probe.readFile('/no/such/file')).toBeNull();
    expect(await probe.readdir('/no/such/dir')).toBeNull();
    expect(await probe.exists('/no/such/file')).toBe(false);
  });
});
