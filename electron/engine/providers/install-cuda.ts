// Downloading the CUDA provider's libraries with onnxruntime-node's own installer (script/install.js).
// It fetches the Microsoft.ML.OnnxRuntime.Gpu.Linux NuGet package from api.nuget.org and copies
// libonnxruntime_providers_{shared,cuda,tensorrt}.so into its bin folder. Offline, it would hang on DNS and then
// print a stack trace; we check the host first and say what to do instead.
import { spawn as nodeSpawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { WorkbenchError } from '../../../shared/result';
import { withExtraCaCerts } from '../../common/engine-fork';

export const DOWNLOAD_HOST = 'api.nuget.org';
export const CONNECT_TIMEOUT_MS = 3000;

export interface InstallProgress {
  stage: 'checking connection' | 'downloading' | 'extracting' | 'done';
  message: string;
}

/** The child process surface we use, so tests can stand in for the installer. */
export interface InstallerProcess {
  stdout: { on(event: 'data', listener: (chunk: Buffer | string) => void): unknown } | null;
  stderr: { on(event: 'data', listener: (chunk: Buffer | string) => void): unknown } | null;
  on(event: 'close', listener: (code: number | null) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  kill(): unknown;
}

export interface InstallDeps {
  platform: string;
  arch: string;
  /** onnxruntime-node's package folder; null when it cannot be found. */
  packageDir: string | null;
  /** Runtime to run the script with: Node, or Electron with ELECTRON_RUN_AS_NODE=1. */
  execPath: string;
  canReach(host: string, port: number, timeoutMs: number): Promise<boolean>;
  spawn(cmd: string, args: string[], options: { cwd: string; env: Record<string, string | undefined> }): InstallerProcess;
}

/** TCP connect to host:443 within the timeout; DNS failure, refusal and silence all count as "no". */
export function canReach(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function onnxruntimePackageDir(): string | null {
  try {
    return dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
  } catch {
    return null;
  }
}

export function defaultInstallDeps(): InstallDeps {
  return {
    platform: process.platform,
    arch: process.arch,
    packageDir: onnxruntimePackageDir(),
    execPath: process.execPath,
    canReach,
    spawn: (cmd, args, options) => nodeSpawn(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true }),
  };
}

const NO_INTERNET =
  `No internet connection: the CUDA provider's libraries (a NuGet package of several hundred MB) are downloaded ` +
  `from ${DOWNLOAD_HOST}, which cannot be reached. Connect and try again, or install CUDA 12 and cuDNN 9 yourself ` +
  `and reinstall onnxruntime-node with ONNXRUNTIME_NODE_INSTALL=cuda12 where there is internet.`;

/** Turns the installer's console lines into progress events. */
function progressFrom(line: string): InstallProgress | null {
  const download = /^Downloading (\S+)/.exec(line);
  if (download) return { stage: 'downloading', message: `Downloading ${download[1].split('/').pop() ?? download[1]}` };
  const extract = /^Extracting \S+ to (\S+)/.exec(line);
  if (extract) return { stage: 'extracting', message: `Installing ${extract[1].split(/[\\/]/).pop() ?? extract[1]}` };
  return null;
}

export async function installCudaProviderLibraries(options: {
  signal?: AbortSignal;
  onProgress?: (progress: InstallProgress) => void;
  deps?: Partial<InstallDeps>;
}): Promise<{ installedTo: string }> {
  const deps: InstallDeps = { ...defaultInstallDeps(), ...options.deps };
  const { signal, onProgress } = options;
  if (deps.platform !== 'linux' || deps.arch !== 'x64') {
    throw new WorkbenchError(
      'UNSUPPORTED',
      `onnxruntime-node downloads CUDA provider libraries only on Linux x64; on ${deps.platform}-${deps.arch} there is nothing to install.`,
    );
  }
  if (!deps.packageDir)
    throw new WorkbenchError('NOT_FOUND', 'onnxruntime-node is not installed next to the app, so its CUDA installer cannot run.');
  if (signal?.aborted) throw new WorkbenchError('CANCELLED', 'Cancelled.');

  onProgress?.({ stage: 'checking connection', message: `Checking the connection to ${DOWNLOAD_HOST}` });
  if (!(await deps.canReach(DOWNLOAD_HOST, 443, CONNECT_TIMEOUT_MS))) throw new WorkbenchError('IO_ERROR', NO_INTERNET);
  if (signal?.aborted) throw new WorkbenchError('CANCELLED', 'Cancelled.');

  const script = join(deps.packageDir, 'script', 'install.js');
  const child = deps.spawn(deps.execPath, [script], {
    cwd: deps.packageDir,
    // cuda12 forces the download even though the script thinks the package is already installed.
    // The certificates the app was given (a proxy's own, say): the engine set them aside, the download needs them.
    env: {
      ...withExtraCaCerts(process.env),
      ONNXRUNTIME_NODE_INSTALL: 'cuda12',
      ONNXRUNTIME_NODE_INSTALL_CUDA: undefined,
      ELECTRON_RUN_AS_NODE: '1',
    },
  });
  let stderr = '';
  let pending = '';
  child.stdout?.on('data', (chunk) => {
    pending += String(chunk);
    const lines = pending.split(/\r?\n/);
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const progress = progressFrom(line.trim());
      if (progress) onProgress?.(progress);
    }
  });
  child.stderr?.on('data', (chunk) => {
    stderr = (stderr + String(chunk)).slice(-4000);
  });
  const onAbort = () => child.kill();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('close', resolve);
      child.on('error', reject);
    });
    if (signal?.aborted) throw new WorkbenchError('CANCELLED', 'Cancelled; the CUDA provider libraries were not installed.');
    if (code !== 0) {
      const last = stderr.trim().split(/\r?\n/).filter(Boolean).slice(-3).join(' ');
      throw new WorkbenchError(
        'RUNTIME_ERROR',
        `onnxruntime-node's CUDA installer failed (exit ${code ?? 'signal'})${last ? `: ${last}` : ''}.`,
      );
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  const installedTo = join(deps.packageDir, 'bin', 'napi-v6', deps.platform, deps.arch);
  onProgress?.({ stage: 'done', message: `Installed into ${installedTo}; restart the engine to use CUDA` });
  return { installedTo };
}
