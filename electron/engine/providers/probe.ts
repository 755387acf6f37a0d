// Is each execution provider ready here? Answered by really running a tiny model on it, alone.
//
// Why alone: given ['dml', 'cpu'], onnxruntime-common drops an unknown provider with a console warning and runs on
// the CPU; only a session asked for one provider proves that provider works. Observed with onnxruntime-node 1.30
// on linux-x64: asked alone, an unavailable provider throws ("[dml] backend not found", "...Cuda: Failed to load
// shared library", "Failed to get a WebGPU adapter"). Should a provider be registered yet take no node, the
// session option disable_cpu_ep_fallback makes creation fail instead of running on the CPU; and the model has
// to produce the right numbers.
import { performance } from 'node:perf_hooks';
import type { ProviderId, ProviderStatus } from '../../../shared/providers';
import { PROVIDER_IDS, PROVIDER_LABELS } from '../../../shared/providers';
import type { SystemProbe } from '../../common/hardware';
import {
  detectCudaLibraries,
  detectHardware,
  detectOrtProviderFiles,
  detectTensorrtLibraries,
  detectVulkanLoader,
  onnxruntimeBinDir,
  systemProbe,
} from '../../common/hardware';
import { loadOrt } from '../ort';
import type { ProviderFacts } from './explain';
import { unavailableReason } from './explain';
import { tinyAddModel } from './tiny-model';

export const PROBE_TIMEOUT_MS = 15_000;

/** What probing needs from the outside world; tests replace parts of it. */
export interface ProbeDeps {
  probe: SystemProbe;
  ortBinDir: string | null;
  listSupportedBackends(): Promise<{ name: string; bundled: boolean }[]>;
  /** Creates a session on exactly this provider and runs it; throws ORT's error when it cannot. */
  trySession(id: ProviderId): Promise<void>;
  timeoutMs: number;
}

async function realTrySession(id: ProviderId): Promise<void> {
  const ort = await loadOrt();
  // For an accelerator, forbid ORT from quietly putting nodes on the CPU: "ready" then means it ran the model.
  const strict = id === 'cpu' ? {} : { extra: { session: { disable_cpu_ep_fallback: '1' } } };
  const session = await ort.InferenceSession.create(tinyAddModel(), { executionProviders: [id], logSeverityLevel: 4, ...strict });
  try {
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4]), [4]) });
    const y = Array.from((out.y?.data ?? []) as Float32Array);
    if (y.join(',') !== '2,4,6,8') throw new Error(`the test model computed [${y.join(', ')}] instead of [2, 4, 6, 8]`);
  } finally {
    await session.release();
  }
}

export function defaultProbeDeps(): ProbeDeps {
  const probe = systemProbe();
  return {
    probe,
    ortBinDir: onnxruntimeBinDir(probe.platform, probe.arch),
    listSupportedBackends: async () => (await loadOrt()).listSupportedBackends(),
    trySession: realTrySession,
    timeoutMs: PROBE_TIMEOUT_MS,
  };
}

/**
 * Races the probe against a timer. Session creation is synchronous native code, so the timer cannot interrupt
 * a hang inside it; it does bound asynchronous waits, and the engine supervisor's own timeout covers the rest.
 */
function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`probe timed out after ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export async function gatherFacts(deps: ProbeDeps, refresh: boolean): Promise<ProviderFacts> {
  const { probe } = deps;
  const options = { ortBinDir: deps.ortBinDir, refresh };
  const [hardware, cudaLibraries, tensorrtLibraries, vulkanLoader, ortProviderFiles, backends] = await Promise.all([
    detectHardware({ probe, refresh }),
    detectCudaLibraries(probe, options),
    // Sharing the library index built just above: no second ldconfig.
    detectTensorrtLibraries(probe, { ortBinDir: deps.ortBinDir }),
    detectVulkanLoader(probe, { ortBinDir: deps.ortBinDir }),
    detectOrtProviderFiles(probe, { ortBinDir: deps.ortBinDir }),
    deps.listSupportedBackends().catch(() => [{ name: 'cpu', bundled: true }]),
  ]);
  const installFlag = probe.env.ONNXRUNTIME_NODE_INSTALL ?? probe.env.ONNXRUNTIME_NODE_INSTALL_CUDA ?? null;
  return {
    platform: probe.platform,
    arch: probe.arch,
    backends: new Map(backends.map((b) => [b.name, b.bundled])),
    hardware,
    cudaLibraries,
    tensorrtLibraries,
    vulkanLoader,
    ortProviderFiles,
    installFlag,
  };
}

async function probeOne(id: ProviderId, facts: ProviderFacts, deps: ProbeDeps): Promise<ProviderStatus> {
  const start = performance.now();
  const base = { id, label: PROVIDER_LABELS[id], bundled: facts.backends.get(id) ?? false };
  // Nothing to load: asking ORT would only print "backend not found". WebGPU on Linux without
  // the Vulkan loader cannot start either, and Dawn says so on stderr past any log setting.
  const noVulkan = id === 'webgpu' && facts.platform === 'linux' && facts.vulkanLoader.missing.length > 0;
  if (!facts.backends.has(id) || noVulkan) {
    return { ...base, status: 'unavailable', reason: unavailableReason(id, '', facts), probeMs: performance.now() - start };
  }
  try {
    await withTimeout(deps.trySession(id), deps.timeoutMs);
    return { ...base, status: 'ready', probeMs: performance.now() - start };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const reason = /probe timed out/.test(message) ? message : unavailableReason(id, message, facts);
    return { ...base, status: 'unavailable', reason, probeMs: performance.now() - start };
  }
}

let cached: Promise<ProviderStatus[]> | null = null;

/**
 * Every provider users ask about, probed one after another (ORT sessions are not worth racing on two cores).
 * Cached for the process: a provider does not become ready on its own; refresh after installing something.
 */
export function probeProviders(options: { refresh?: boolean; deps?: ProbeDeps } = {}): Promise<ProviderStatus[]> {
  if (options.deps) return probeAll(options.deps, options.refresh ?? false);
  if (!cached || options.refresh) {
    cached = probeAll(defaultProbeDeps(), options.refresh ?? false).catch((error: unknown) => {
      cached = null;
      throw error;
    });
  }
  return cached;
}

async function probeAll(deps: ProbeDeps, refresh: boolean): Promise<ProviderStatus[]> {
  const facts = await gatherFacts(deps, refresh);
  const statuses: ProviderStatus[] = [];
  for (const id of PROVIDER_IDS) statuses.push(await probeOne(id, facts, deps));
  return statuses;
}
