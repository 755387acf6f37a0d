// Why a provider is not ready, in words a user can act on: from what we know of the machine, and from ORT's error.
import type { ProviderId } from '../../../shared/providers';
import { PROVIDER_NAMES } from '../../../shared/providers';
import type { HardwareFacts, LibraryReport } from '../../common/hardware';
import { describeMissingNvidiaDriver } from '../../common/hardware';

/** Everything the reasons are built from; gathered once per probe round. */
export interface ProviderFacts {
  platform: string;
  arch: string;
  /** onnxruntime-node's listSupportedBackends(): name → shipped inside the npm package. */
  backends: ReadonlyMap<string, boolean>;
  hardware: Pick<HardwareFacts, 'gpus' | 'nvidia'>;
  cudaLibraries: LibraryReport;
  tensorrtLibraries: LibraryReport;
  vulkanLoader: LibraryReport;
  /** onnxruntime-node's downloadable provider files that are absent from its bin folder. */
  ortProviderFiles: { dir: string | null; missing: string[] };
  /** ONNXRUNTIME_NODE_INSTALL / ONNXRUNTIME_NODE_INSTALL_CUDA as this process sees them. */
  installFlag: string | null;
}

const ONLY_ON: Partial<Record<ProviderId, { platform: string; words: string }>> = {
  dml: { platform: 'win32', words: 'DirectML exists only on Windows' },
  coreml: { platform: 'darwin', words: 'Core ML exists only on macOS' },
};

function notBuilt(id: ProviderId, facts: ProviderFacts): string {
  const where = `not built into this onnxruntime-node package for ${facts.platform}-${facts.arch}`;
  const only = ONLY_ON[id];
  return only && only.platform !== facts.platform ? `${only.words} (${where})` : where;
}

function missingLibraries(report: LibraryReport): string | null {
  if (report.missing.length === 0) return null;
  const names = report.missing.join(', ');
  const other = report.otherVersions.length ? ` (found ${report.otherVersions.join(', ')}, a different major version)` : '';
  return `${names} not found${other}`;
}

function missingProviderFiles(id: 'cuda' | 'tensorrt', facts: ProviderFacts): string | null {
  const wanted = id === 'cuda' ? /providers_(shared|cuda)/ : /providers_(shared|tensorrt)/;
  const missing = facts.ortProviderFiles.missing.filter((f) => wanted.test(f));
  if (missing.length === 0) return null;
  const where = facts.ortProviderFiles.dir ? ` from ${facts.ortProviderFiles.dir}` : '';
  const why =
    facts.installFlag === 'skip'
      ? 'onnxruntime-node was installed with ONNXRUNTIME_NODE_INSTALL=skip'
      : "onnxruntime-node's installer did not download them (it needs internet when the package is installed)";
  return `${PROVIDER_NAMES[id]} provider libraries are not installed (${missing.join(', ')} missing${where}): ${why}`;
}

/** The NVIDIA part of the story: is there a card, and does a driver drive it? */
function nvidiaProblem(facts: ProviderFacts): string | null {
  const { nvidia, gpus } = facts.hardware;
  if (nvidia.gpus.length > 0) return null;
  const seen = gpus.find((g) => g.vendor === 'nvidia');
  // Windows lists the card with its driver version even when nvidia-smi is not on PATH.
  if (seen && seen.driver && facts.platform === 'win32') return null;
  const evidence = describeMissingNvidiaDriver(nvidia, facts.platform);
  if (seen) return `${seen.name} found but no NVIDIA driver (${evidence})`;
  return `no NVIDIA GPU found (${evidence})`;
}

/** A reason known before any session is tried; null when nothing we can see stands in the way. */
export function precheckReason(id: ProviderId, facts: ProviderFacts): string | null {
  if (!facts.backends.has(id)) return notBuilt(id, facts);
  if (id === 'cuda' || id === 'tensorrt') {
    const nvidia = nvidiaProblem(facts);
    if (nvidia) return nvidia;
    const parts = [
      missingProviderFiles(id, facts),
      missingLibraries(facts.cudaLibraries),
      id === 'tensorrt' ? missingLibraries(facts.tensorrtLibraries) : null,
    ].filter((p): p is string => p !== null);
    return parts.length ? parts.join('; ') : null;
  }
  if (id === 'webgpu' && facts.platform === 'linux' && facts.vulkanLoader.missing.length > 0) {
    return 'no WebGPU adapter: the Vulkan loader libvulkan.so.1 was not found (WebGPU uses Vulkan on Linux)';
  }
  return null;
}

function basename(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

/** ORT's error for a failed session, reduced to its cause. */
export function explainProviderError(id: ProviderId, message: string, facts: ProviderFacts): string {
  if (/backend not found/i.test(message)) return notBuilt(id, facts);
  const cannotOpen = [...message.matchAll(/([^\s:'"]+\.so[.\d]*): cannot open shared object file/g)].pop();
  if (cannotOpen) return `${basename(cannotOpen[1])} not found`;
  if (/CUDA_PATH is set but CUDA wasn'?t able to be loaded/i.test(message)) {
    return 'CUDA_PATH is set but CUDA could not be loaded: install CUDA 12 and cuDNN 9 and put their bin folders on PATH';
  }
  const loadLibrary = /LoadLibrary failed with error (\d+)[^"]*"[^"]*" when trying to load "([^"]+)"/.exec(message);
  if (loadLibrary) return `${basename(loadLibrary[2])} or a DLL it needs could not be loaded (Windows error ${loadLibrary[1]})`;
  if (/no CUDA-capable device is detected/i.test(message)) return 'no CUDA-capable device detected';
  if (/CUDA driver version is insufficient/i.test(message)) return 'the NVIDIA driver is too old for CUDA 12: update the driver';
  if (/no kernel image is available/i.test(message))
    return 'this GPU is not supported by this CUDA build (no kernel image for its architecture)';
  const adapter = /Failed to get a WebGPU adapter:?\s*([^\n]*)/.exec(message);
  if (adapter) return `no WebGPU adapter found${adapter[1].trim() ? ` (${adapter[1].trim()})` : ''}`;
  if (/fallback to CPU EP has been explicitly disabled/i.test(message)) {
    return `${PROVIDER_NAMES[id]} took none of the test model's operators (ONNX Runtime would have run it on the CPU)`;
  }
  if (/Failed to load shared library/i.test(message)) return `the ${PROVIDER_NAMES[id]} provider library could not be loaded`;
  // Unknown: keep ORT's words, minus its source-file prefix, on one line.
  const line = (message.split('\n').find((l) => l.trim()) ?? message).replace(/^\S+\.(?:cc|cpp|h):\d+\s+/, '').trim();
  return line.length > 240 ? `${line.slice(0, 240)}…` : line;
}

/** The final reason for a provider whose session failed: what we saw on the machine beats ORT's generic text. */
export function unavailableReason(id: ProviderId, message: string, facts: ProviderFacts): string {
  return precheckReason(id, facts) ?? explainProviderError(id, message, facts);
}
