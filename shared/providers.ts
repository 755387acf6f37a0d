// Execution providers and GPUs, as the user sees them: which ones exist here, which are ready, and why not.
// Pure: shared by the engine (probing), main (hardware report) and the renderer (settings, run bar).

export const PROVIDER_IDS = ['cpu', 'cuda', 'tensorrt', 'dml', 'coreml', 'webgpu'] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

/** Long names for lists and settings. */
export const PROVIDER_LABELS: Record<ProviderId, string> = {
  cpu: 'CPU',
  cuda: 'NVIDIA CUDA',
  tensorrt: 'NVIDIA TensorRT',
  dml: 'DirectML',
  coreml: 'Apple Core ML',
  webgpu: 'WebGPU (experimental)',
};

/** Short names for sentences ("CUDA unavailable: …"). */
export const PROVIDER_NAMES: Record<ProviderId, string> = {
  cpu: 'CPU',
  cuda: 'CUDA',
  tensorrt: 'TensorRT',
  dml: 'DirectML',
  coreml: 'Core ML',
  webgpu: 'WebGPU',
};

export interface ProviderStatus {
  id: ProviderId;
  label: string;
  status: 'ready' | 'unavailable';
  /** Why it is unavailable, precisely enough to act on ("libcudnn.so.9 not found"). Absent when ready. */
  reason?: string;
  /** Whether onnxruntime-node ships this provider inside its npm package (CUDA and TensorRT are downloaded). */
  bundled: boolean;
  /** How long the probe took, in milliseconds. */
  probeMs: number;
}

export type GpuVendor = 'nvidia' | 'amd' | 'intel' | 'apple' | 'microsoft' | 'other';
export type GpuSource = 'nvidia-smi' | 'proc' | 'sysfs' | 'cim' | 'system_profiler' | 'electron';

export interface GpuInfo {
  vendor: GpuVendor;
  name: string;
  /** Dedicated memory; null when unknown or shared with the CPU (Apple silicon). */
  memoryBytes: number | null;
  driver: string | null;
  /** Where this fact came from, so a wrong answer can be traced. */
  source: GpuSource;
}

export interface HardwareReport {
  platform: string;
  arch: string;
  cpu: { model: string; cores: number };
  memoryBytes: number;
  gpus: GpuInfo[];
  providers: ProviderStatus[];
}

export interface ProviderChoice {
  requested: ProviderId | 'auto';
  used: ProviderId;
  /** Set when the provider used is not the one asked for, or when 'auto' passed over a GPU provider. */
  fallbackReason?: string;
}

export function isProviderId(value: unknown): value is ProviderId {
  return typeof value === 'string' && (PROVIDER_IDS as readonly string[]).includes(value);
}

/**
 * The order 'auto' tries providers in, best first.
 * - TensorRT is never automatic: it compiles an engine per model and shape on first load (minutes), so it is
 *   only tried when the user prefers it.
 * - WebGPU is never automatic either: in onnxruntime-node it is experimental, covers fewer operators (the rest
 *   run on the CPU with copies in between) and can be slower than the CPU; the user can opt in.
 * - CUDA beats DirectML on Windows when both work; Core ML is the macOS accelerator; CPU is always last.
 */
export function autoOrder(platform: string, preference: readonly ProviderId[] = []): ProviderId[] {
  const base: ProviderId[] =
    platform === 'win32' ? ['cuda', 'dml'] : platform === 'darwin' ? ['coreml'] : platform === 'linux' ? ['cuda'] : [];
  const order: ProviderId[] = [];
  for (const id of [...preference, ...base, 'cpu' as const]) if (!order.includes(id)) order.push(id);
  return order;
}

function unavailableWhy(id: ProviderId, statuses: readonly ProviderStatus[]): string {
  const status = statuses.find((s) => s.id === id);
  if (!status) return 'it was not probed on this machine';
  return status.reason ?? 'not ready';
}

/**
 * Which provider a run uses. A provider asked for by name is used only if it is ready; otherwise the run
 * falls back to the CPU and says why. 'auto' takes the first ready provider of autoOrder().
 */
export function chooseProvider(
  requested: ProviderId | 'auto',
  statuses: readonly ProviderStatus[],
  options: { platform: string; preference?: readonly ProviderId[] },
): ProviderChoice {
  const ready = (id: ProviderId) => statuses.some((s) => s.id === id && s.status === 'ready');
  if (requested !== 'auto') {
    if (ready(requested) || requested === 'cpu') return { requested, used: requested };
    return {
      requested,
      used: 'cpu',
      fallbackReason: `${PROVIDER_NAMES[requested]} unavailable: ${unavailableWhy(requested, statuses)}; using CPU instead`,
    };
  }
  const order = autoOrder(options.platform, options.preference);
  const used = order.find(ready) ?? 'cpu';
  // Only name the accelerators that were passed over and that this machine could plausibly have used.
  const skipped = order
    .slice(0, order.indexOf(used) === -1 ? order.length : order.indexOf(used))
    .filter((id) => id !== 'cpu' && statuses.some((s) => s.id === id));
  if (skipped.length === 0) return { requested, used };
  const why = skipped.map((id) => `${PROVIDER_NAMES[id]}: ${unavailableWhy(id, statuses)}`).join('; ');
  return { requested, used, fallbackReason: `No faster provider is ready (${why}); using ${PROVIDER_NAMES[used]}` };
}
