// The machine's hardware, detected once per process (GPUs do not come and go) unless asked to refresh.
import type { HardwareReport, ProviderStatus } from '../../../shared/providers';
import { detectGpus, type NvidiaFacts } from './gpus';
import { systemProbe, type SystemProbe } from './probe';

export type { ExecResult, SystemProbe } from './probe';
export { createSystemProbe, systemProbe } from './probe';
export { detectGpus, detectNvidia, describeMissingNvidiaDriver, TOOL_TIMEOUT_MS } from './gpus';
export type { GpuFacts, NvidiaFacts } from './gpus';
export {
  CUDA_LIBRARIES,
  TENSORRT_LIBRARIES,
  ORT_PROVIDER_FILES,
  detectCudaLibraries,
  detectTensorrtLibraries,
  detectVulkanLoader,
  detectOrtProviderFiles,
  onnxruntimeBinDir,
} from './libraries';
export type { LibraryReport, LibraryOptions } from './libraries';

/** A HardwareReport without the provider statuses (those need onnxruntime, i.e. the engine). */
export type HardwareFacts = Omit<HardwareReport, 'providers'> & { nvidia: NvidiaFacts };

const cache = new WeakMap<SystemProbe, Promise<HardwareFacts>>();

async function detect(probe: SystemProbe): Promise<HardwareFacts> {
  const { gpus, nvidia } = await detectGpus(probe);
  return { platform: probe.platform, arch: probe.arch, cpu: probe.cpu(), memoryBytes: probe.totalMemory(), gpus, nvidia };
}

export function detectHardware(options: { refresh?: boolean; probe?: SystemProbe } = {}): Promise<HardwareFacts> {
  const probe = options.probe ?? systemProbe();
  let facts = cache.get(probe);
  if (!facts || options.refresh) {
    // A failed detection is not cached: the next call tries again.
    facts = detect(probe).catch((error: unknown) => {
      cache.delete(probe);
      throw error;
    });
    cache.set(probe, facts);
  }
  return facts;
}

/** The report the UI shows: hardware facts (main) plus provider statuses (engine). */
export function hardwareReport(facts: HardwareFacts, providers: ProviderStatus[]): HardwareReport {
  return {
    platform: facts.platform,
    arch: facts.arch,
    cpu: facts.cpu,
    memoryBytes: facts.memoryBytes,
    gpus: facts.gpus,
    providers,
  };
}
