// Parsers for what each OS tool prints about GPUs. Pure: text in, GpuInfo out.
import type { GpuInfo, GpuVendor } from '../../../shared/providers';

const MIB = 1024 * 1024;

export const PCI_VENDORS: Record<string, GpuVendor> = { '0x10de': 'nvidia', '0x1002': 'amd', '0x8086': 'intel' };
const VENDOR_NAMES: Record<GpuVendor, string> = {
  nvidia: 'NVIDIA',
  amd: 'AMD',
  intel: 'Intel',
  apple: 'Apple',
  microsoft: 'Microsoft',
  other: 'Unknown',
};

export function vendorFromName(name: string): GpuVendor {
  if (/nvidia|geforce|quadro|tesla/i.test(name)) return 'nvidia';
  if (/\bamd\b|radeon|advanced micro devices|\bati\b/i.test(name)) return 'amd';
  if (/intel/i.test(name)) return 'intel';
  if (/apple/i.test(name)) return 'apple';
  if (/microsoft/i.test(name)) return 'microsoft';
  return 'other';
}

function toNumber(text: string | undefined): number | null {
  if (text === undefined) return null;
  const n = Number(text.trim());
  return Number.isFinite(n) && text.trim() !== '' ? n : null;
}

/** `nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader,nounits`: one GPU per line. */
export function parseNvidiaSmi(stdout: string): GpuInfo[] {
  const gpus: GpuInfo[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const fields = line.split(',').map((f) => f.trim());
    if (fields.length < 3 || !fields[0]) continue;
    // Split from the right: a product name could contain a comma, the numbers cannot.
    const driver = fields.pop() ?? '';
    const memoryMiB = toNumber(fields.pop());
    gpus.push({
      vendor: 'nvidia',
      name: fields.join(', '),
      memoryBytes: memoryMiB === null ? null : memoryMiB * MIB,
      driver: driver && !/N\/A/i.test(driver) ? driver : null,
      source: 'nvidia-smi',
    });
  }
  return gpus;
}

/** `/proc/driver/nvidia/version`: "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu Feb …". */
export function parseProcNvidiaVersion(text: string): string | null {
  return /Kernel Module.*?\s(\d{2,}\.\d+(?:\.\d+)*)\s/.exec(text)?.[1] ?? null;
}

/** `/proc/driver/nvidia/gpus/<bus id>/information`: "Model: \t NVIDIA GeForce RTX 3080". */
export function parseProcNvidiaModel(text: string): string | null {
  return /^Model:\s*(.+?)\s*$/m.exec(text)?.[1] ?? null;
}

/** "DRIVER=amdgpu" from a sysfs uevent file. */
export function parseUeventDriver(text: string): string | null {
  return /^DRIVER=(.+)$/m.exec(text)?.[1]?.trim() ?? null;
}

export function sysfsGpu(vendorId: string, deviceId: string, vramBytes: number | null, driver: string | null): GpuInfo {
  const vendor = PCI_VENDORS[vendorId] ?? 'other';
  return {
    vendor,
    // No PCI name database at hand: the ids are what a user can look up.
    name: `${VENDOR_NAMES[vendor]} GPU [${vendorId.replace(/^0x/, '')}:${deviceId.replace(/^0x/, '')}]`,
    memoryBytes: vramBytes,
    driver,
    source: 'sysfs',
  };
}

function asArray(json: unknown): unknown[] {
  if (Array.isArray(json)) return json;
  return json && typeof json === 'object' ? [json] : [];
}

function field(obj: unknown, key: string): unknown {
  return obj && typeof obj === 'object' ? (obj as Record<string, unknown>)[key] : undefined;
}

/**
 * `Get-CimInstance Win32_VideoController | ConvertTo-Json`: an object for one adapter, an array for several.
 * AdapterRAM is a uint32, so cards with 4 GiB or more report ~4 GiB; that value is dropped rather than shown wrong.
 */
export function parseCimVideoControllers(stdout: string): GpuInfo[] {
  let json: unknown;
  try {
    json = JSON.parse(stdout.trim() || 'null');
  } catch {
    return [];
  }
  return asArray(json).flatMap((entry): GpuInfo[] => {
    const name = field(entry, 'Name');
    if (typeof name !== 'string' || !name.trim()) return [];
    const ram = field(entry, 'AdapterRAM');
    const compat = field(entry, 'AdapterCompatibility');
    const driver = field(entry, 'DriverVersion');
    const byName = vendorFromName(name);
    return [
      {
        vendor: byName === 'other' && typeof compat === 'string' ? vendorFromName(compat) : byName,
        name: name.trim(),
        memoryBytes: typeof ram === 'number' && ram > 0 && ram < 0xfff00000 ? ram : null,
        driver: typeof driver === 'string' && driver ? driver : null,
        source: 'cim',
      },
    ];
  });
}

function parseSize(text: unknown): number | null {
  if (typeof text !== 'string') return null;
  const m = /^([\d.]+)\s*(MB|GB|TB)$/i.exec(text.trim());
  if (!m) return null;
  const unit = { MB: MIB, GB: 1024 * MIB, TB: 1024 * 1024 * MIB }[m[2].toUpperCase() as 'MB' | 'GB' | 'TB'];
  return Math.round(Number(m[1]) * unit);
}

/** `system_profiler SPDisplaysDataType -json`. Apple silicon shares memory with the CPU: memoryBytes stays null. */
export function parseSystemProfiler(stdout: string): GpuInfo[] {
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch {
    return [];
  }
  return asArray(field(json, 'SPDisplaysDataType')).flatMap((entry): GpuInfo[] => {
    const model = field(entry, 'sppci_model') ?? field(entry, '_name');
    if (typeof model !== 'string' || !model) return [];
    const vendorText = [field(entry, 'spdisplays_vendor'), field(entry, 'sppci_vendor')]
      .filter((v) => typeof v === 'string')
      .join(' ');
    const byVendor = vendorFromName(vendorText.replace(/sppci_vendor_/g, ''));
    return [
      {
        vendor: byVendor === 'other' ? vendorFromName(model) : byVendor,
        name: model,
        memoryBytes: parseSize(field(entry, 'spdisplays_vram')),
        driver: null,
        source: 'system_profiler',
      },
    ];
  });
}
