// Can the dynamic loader find the libraries an execution provider needs? Answered by looking where it looks.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { SystemProbe } from './probe';

/**
 * onnxruntime-node 1.30's CUDA provider (Microsoft.ML.OnnxRuntime.Gpu.Linux, "cuda12" manifest) is built against
 * CUDA 12 and cuDNN 9; these are the sonames libonnxruntime_providers_cuda.so links to. CUDA 12.x minor versions
 * are interchangeable; CUDA 13 and cuDNN 8 are not.
 */
export const CUDA_LIBRARIES: Record<'linux' | 'win32', readonly string[]> = {
  linux: ['libcudart.so.12', 'libcublas.so.12', 'libcublasLt.so.12', 'libcudnn.so.9', 'libcufft.so.11', 'libcurand.so.10'],
  win32: ['cudart64_12.dll', 'cublas64_12.dll', 'cublasLt64_12.dll', 'cudnn64_9.dll', 'cufft64_11.dll', 'curand64_10.dll'],
};
/** TensorRT 10, which the TensorRT provider needs on top of the CUDA libraries. */
export const TENSORRT_LIBRARIES: Record<'linux' | 'win32', readonly string[]> = {
  linux: ['libnvinfer.so.10', 'libnvinfer_plugin.so.10', 'libnvonnxparser.so.10'],
  win32: ['nvinfer_10.dll', 'nvinfer_plugin_10.dll', 'nvonnxparser_10.dll'],
};
/** What onnxruntime-node's installer downloads next to libonnxruntime.so for the CUDA and TensorRT providers. */
export const ORT_PROVIDER_FILES = {
  shared: 'libonnxruntime_providers_shared.so',
  cuda: 'libonnxruntime_providers_cuda.so',
  tensorrt: 'libonnxruntime_providers_tensorrt.so',
} as const;

export interface LibraryReport {
  /** Library name → where it was found. */
  found: Record<string, string>;
  missing: string[];
  /** The same library at another major version ("libcudart.so.13"): installed, but not what this build needs. */
  otherVersions: string[];
}

/** Every folder the loader would search, with its file names; ldconfig's cache counted as one more "folder". */
interface LibraryIndex {
  dirs: { dir: string; names: string[] }[];
}

const indexCache = new WeakMap<SystemProbe, Promise<LibraryIndex>>();

/** Where onnxruntime-node keeps its native files for this platform; null when the package cannot be resolved. */
export function onnxruntimeBinDir(platform: string, arch: string): string | null {
  try {
    const pkg = createRequire(import.meta.url).resolve('onnxruntime-node/package.json');
    return join(dirname(pkg), 'bin', 'napi-v6', platform, arch);
  } catch {
    return null;
  }
}

async function searchDirs(probe: SystemProbe, ortBinDir: string | null): Promise<string[]> {
  const dirs: string[] = [];
  if (probe.platform === 'win32') {
    // Windows loads DLLs from the application folder, then PATH; CUDA's installer sets CUDA_PATH.
    if (ortBinDir) dirs.push(ortBinDir);
    if (probe.env.CUDA_PATH) dirs.push(`${probe.env.CUDA_PATH}\\bin`);
    dirs.push(...(probe.env.PATH ?? probe.env.Path ?? '').split(';'));
  } else {
    dirs.push(...(probe.env.LD_LIBRARY_PATH ?? '').split(':'));
    if (ortBinDir) dirs.push(ortBinDir);
    const cudas = ((await probe.readdir('/usr/local')) ?? []).filter((n) => /^cuda(-[\d.]+)?$/.test(n)).sort();
    for (const cuda of cudas)
      dirs.push(`/usr/local/${cuda}/lib64`, `/usr/local/${cuda}/lib`, `/usr/local/${cuda}/targets/x86_64-linux/lib`);
  }
  return [...new Set(dirs.filter((d) => d.trim() !== ''))];
}

/** `ldconfig -p` lines: "\tlibcudnn.so.9 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcudnn.so.9". */
export function parseLdconfig(stdout: string): { dir: string; names: string[] }[] {
  const byDir = new Map<string, string[]>();
  for (const m of stdout.matchAll(/^\s*(\S+)\s+\([^)]*\)\s+=>\s+(\S+)\s*$/gm)) {
    const dir = dirname(m[2]);
    byDir.set(dir, [...(byDir.get(dir) ?? []), m[1]]);
  }
  return [...byDir].map(([dir, names]) => ({ dir, names }));
}

async function buildIndex(probe: SystemProbe, ortBinDir: string | null): Promise<LibraryIndex> {
  const dirs: LibraryIndex['dirs'] = [];
  for (const dir of await searchDirs(probe, ortBinDir)) {
    const names = await probe.readdir(dir);
    if (names) dirs.push({ dir, names });
  }
  if (probe.platform === 'linux') {
    // ldconfig may live outside PATH for non-root users.
    let ld = await probe.exec('ldconfig', ['-p'], 3000);
    if (ld.status === 'not-found') ld = await probe.exec('/sbin/ldconfig', ['-p'], 3000);
    if (ld.status === 'ok') dirs.push(...parseLdconfig(ld.stdout));
  }
  return { dirs };
}

function libraryIndex(probe: SystemProbe, options: { ortBinDir: string | null; refresh?: boolean }): Promise<LibraryIndex> {
  let index = indexCache.get(probe);
  if (!index || options.refresh) {
    index = buildIndex(probe, options.ortBinDir);
    indexCache.set(probe, index);
  }
  return index;
}

/** "libcudart.so.12" → /^libcudart\.so\.(\d+)$/ ; "cudart64_12.dll" → /^cudart64_(\d+)\.dll$/. */
function anyMajor(name: string): RegExp {
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const so = /^(.*\.so)\.\d+$/.exec(name);
  if (so) return new RegExp(`^${esc(so[1])}\\.(\\d+)$`, 'i');
  const dll = /^(.*?_)\d+\.dll$/.exec(name);
  if (dll) return new RegExp(`^${esc(dll[1])}(\\d+)\\.dll$`, 'i');
  return new RegExp(`^${esc(name)}$`, 'i');
}

export function findInIndex(index: LibraryIndex, names: readonly string[], caseInsensitive: boolean): LibraryReport {
  const report: LibraryReport = { found: {}, missing: [], otherVersions: [] };
  const same = (a: string, b: string) => (caseInsensitive ? a.toLowerCase() === b.toLowerCase() : a === b);
  for (const name of names) {
    const hit = index.dirs.find((d) => d.names.some((n) => same(n, name)));
    if (hit) {
      report.found[name] = `${hit.dir}${hit.dir.includes('\\') ? '\\' : '/'}${name}`;
      continue;
    }
    report.missing.push(name);
    const pattern = anyMajor(name);
    for (const d of index.dirs) {
      for (const n of d.names) if (pattern.test(n) && !report.otherVersions.includes(n)) report.otherVersions.push(n);
    }
  }
  return report;
}

function platformKey(platform: string): 'linux' | 'win32' | null {
  return platform === 'linux' || platform === 'win32' ? platform : null;
}

export interface LibraryOptions {
  /** onnxruntime-node's bin folder (searched too: its installer can put libraries there). Default: resolved. */
  ortBinDir?: string | null;
  refresh?: boolean;
}

function resolvedBinDir(probe: SystemProbe, options: LibraryOptions): string | null {
  return options.ortBinDir === undefined ? onnxruntimeBinDir(probe.platform, probe.arch) : options.ortBinDir;
}

/** Which CUDA 12 / cuDNN 9 libraries the loader can find. On macOS there is no CUDA: everything is missing. */
export async function detectCudaLibraries(probe: SystemProbe, options: LibraryOptions = {}): Promise<LibraryReport> {
  const key = platformKey(probe.platform);
  if (!key) return { found: {}, missing: [...CUDA_LIBRARIES.linux], otherVersions: [] };
  const index = await libraryIndex(probe, { ortBinDir: resolvedBinDir(probe, options), refresh: options.refresh });
  return findInIndex(index, CUDA_LIBRARIES[key], key === 'win32');
}

export async function detectTensorrtLibraries(probe: SystemProbe, options: LibraryOptions = {}): Promise<LibraryReport> {
  const key = platformKey(probe.platform);
  if (!key) return { found: {}, missing: [...TENSORRT_LIBRARIES.linux], otherVersions: [] };
  const index = await libraryIndex(probe, { ortBinDir: resolvedBinDir(probe, options), refresh: options.refresh });
  return findInIndex(index, TENSORRT_LIBRARIES[key], key === 'win32');
}

/** The Vulkan loader, which WebGPU (Dawn) needs on Linux to see any GPU. */
export async function detectVulkanLoader(probe: SystemProbe, options: LibraryOptions = {}): Promise<LibraryReport> {
  if (probe.platform !== 'linux') return { found: {}, missing: [], otherVersions: [] };
  const index = await libraryIndex(probe, { ortBinDir: resolvedBinDir(probe, options), refresh: options.refresh });
  return findInIndex(index, ['libvulkan.so.1'], false);
}

/** Which of onnxruntime-node's downloadable provider files are absent from its bin folder (Linux x64 only). */
export async function detectOrtProviderFiles(
  probe: SystemProbe,
  options: { ortBinDir?: string | null } = {},
): Promise<{ dir: string | null; missing: string[] }> {
  const dir = resolvedBinDir(probe, options);
  if (!dir) return { dir, missing: Object.values(ORT_PROVIDER_FILES) };
  const names = (await probe.readdir(dir)) ?? [];
  return { dir, missing: Object.values(ORT_PROVIDER_FILES).filter((f) => !names.includes(f)) };
}
