// Which GPUs this machine has, asked the way each OS answers best, and what we know about the NVIDIA driver.
import type { GpuInfo } from '../../../shared/providers';
import type { ExecResult, SystemProbe } from './probe';
import {
  parseCimVideoControllers,
  parseNvidiaSmi,
  parseProcNvidiaModel,
  parseProcNvidiaVersion,
  parseSystemProfiler,
  parseUeventDriver,
  PCI_VENDORS,
  sysfsGpu,
} from './parse';

export const TOOL_TIMEOUT_MS = 3000;

export interface NvidiaFacts {
  /** How `nvidia-smi` ended; 'skipped' where it does not exist (macOS). */
  smi: ExecResult['status'] | 'skipped';
  /** Words for a failed nvidia-smi: "timed out after 3000 ms", "exit 9: couldn't communicate with the NVIDIA driver". */
  smiDetail: string | null;
  /** /proc/driver/nvidia exists (Linux): the kernel driver is loaded. */
  procDriver: boolean;
  driver: string | null;
  /** NVIDIA GPUs the driver knows about (nvidia-smi or /proc). */
  gpus: GpuInfo[];
}

export interface GpuFacts {
  gpus: GpuInfo[];
  nvidia: NvidiaFacts;
}

const NVIDIA_SMI_ARGS = ['--query-gpu=name,memory.total,driver_version', '--format=csv,noheader,nounits'];
const PROC_NVIDIA = '/proc/driver/nvidia';

function describeExec(result: ExecResult): string | null {
  switch (result.status) {
    case 'ok':
      return null;
    case 'not-found':
      return 'nvidia-smi not found';
    case 'timeout':
      return `nvidia-smi timed out after ${result.timeoutMs} ms`;
    case 'failed': {
      const first = result.stderr.trim().split(/\r?\n/)[0] ?? '';
      return `nvidia-smi failed (exit ${result.exitCode ?? '?'}${first ? `: ${first}` : ''})`;
    }
  }
}

/** The NVIDIA driver's view: nvidia-smi first, then /proc on Linux (nvidia-smi can be missing in containers). */
export async function detectNvidia(probe: SystemProbe): Promise<NvidiaFacts> {
  if (probe.platform === 'darwin') {
    return { smi: 'skipped', smiDetail: null, procDriver: false, driver: null, gpus: [] };
  }
  const smi = await probe.exec('nvidia-smi', NVIDIA_SMI_ARGS, TOOL_TIMEOUT_MS);
  const smiDetail = describeExec(smi);
  const smiGpus = smi.status === 'ok' ? parseNvidiaSmi(smi.stdout) : [];
  if (probe.platform !== 'linux') {
    return { smi: smi.status, smiDetail, procDriver: false, driver: smiGpus[0]?.driver ?? null, gpus: smiGpus };
  }
  const version = await probe.readFile(`${PROC_NVIDIA}/version`);
  const procDriver = version !== null || (await probe.exists(PROC_NVIDIA));
  if (smiGpus.length > 0) return { smi: smi.status, smiDetail, procDriver, driver: smiGpus[0].driver, gpus: smiGpus };

  const driver = version === null ? null : parseProcNvidiaVersion(version);
  const gpus: GpuInfo[] = [];
  for (const busId of (await probe.readdir(`${PROC_NVIDIA}/gpus`)) ?? []) {
    const info = await probe.readFile(`${PROC_NVIDIA}/gpus/${busId}/information`);
    const name = info === null ? null : parseProcNvidiaModel(info);
    gpus.push({ vendor: 'nvidia', name: name ?? `NVIDIA GPU ${busId}`, memoryBytes: null, driver, source: 'proc' });
  }
  return { smi: smi.status, smiDetail, procDriver, driver, gpus };
}

/** "nvidia-smi not found, /proc/driver/nvidia missing": the evidence that there is no working NVIDIA driver. */
export function describeMissingNvidiaDriver(nvidia: NvidiaFacts, platform: string): string {
  const parts = [nvidia.smiDetail ?? 'nvidia-smi found no GPU'];
  if (platform === 'linux' && !nvidia.procDriver) parts.push(`${PROC_NVIDIA} missing`);
  return parts.join(', ');
}

async function readHex(probe: SystemProbe, path: string): Promise<string | null> {
  const text = await probe.readFile(path);
  return text === null ? null : text.trim().toLowerCase();
}

/** Every display device the kernel sees, driver or not: /sys/class/drm/card<N>/device. */
async function sysfsGpus(probe: SystemProbe): Promise<GpuInfo[]> {
  const cards = ((await probe.readdir('/sys/class/drm')) ?? []).filter((n) => /^card\d+$/.test(n)).sort();
  const gpus: GpuInfo[] = [];
  for (const card of cards) {
    const dir = `/sys/class/drm/${card}/device`;
    const vendorId = await readHex(probe, `${dir}/vendor`);
    if (!vendorId) continue;
    const deviceId = (await readHex(probe, `${dir}/device`)) ?? '0x0000';
    const vram = PCI_VENDORS[vendorId] === 'amd' ? await probe.readFile(`${dir}/mem_info_vram_total`) : null;
    const vramBytes = vram === null ? null : Number(vram.trim());
    const uevent = await probe.readFile(`${dir}/uevent`);
    gpus.push(
      sysfsGpu(
        vendorId,
        deviceId,
        Number.isFinite(vramBytes) && vramBytes ? vramBytes : null,
        uevent === null ? null : parseUeventDriver(uevent),
      ),
    );
  }
  return gpus;
}

async function windowsGpus(probe: SystemProbe): Promise<GpuInfo[]> {
  const script =
    'Get-CimInstance Win32_VideoController | Select-Object Name,AdapterRAM,DriverVersion,AdapterCompatibility | ConvertTo-Json';
  const result = await probe.exec('powershell', ['-NoProfile', '-NonInteractive', '-Command', script], TOOL_TIMEOUT_MS * 2);
  return result.status === 'ok' ? parseCimVideoControllers(result.stdout) : [];
}

async function macGpus(probe: SystemProbe): Promise<GpuInfo[]> {
  const result = await probe.exec('system_profiler', ['SPDisplaysDataType', '-json'], TOOL_TIMEOUT_MS * 2);
  return result.status === 'ok' ? parseSystemProfiler(result.stdout) : [];
}

export async function detectGpus(probe: SystemProbe): Promise<GpuFacts> {
  const nvidia = await detectNvidia(probe);
  let others: GpuInfo[] = [];
  if (probe.platform === 'linux') others = await sysfsGpus(probe);
  else if (probe.platform === 'win32') others = await windowsGpus(probe);
  else if (probe.platform === 'darwin') others = await macGpus(probe);
  // The NVIDIA driver knows its cards better (real memory size, driver version): prefer its entries.
  const gpus = nvidia.gpus.length > 0 ? [...nvidia.gpus, ...others.filter((g) => g.vendor !== 'nvidia')] : others;
  return { gpus, nvidia };
}
