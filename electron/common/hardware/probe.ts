// Everything hardware detection asks the operating system, behind one interface so tests can pass a fake machine.
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, readdir, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import { delimiter, join } from 'node:path';
import { exists } from '../fs';

/** How a command ended; never thrown, so every caller has to decide what each case means. */
export type ExecResult =
  | { status: 'ok'; stdout: string }
  | { status: 'not-found' } // the program is not installed / not on PATH
  | { status: 'timeout'; timeoutMs: number }
  | { status: 'failed'; exitCode: number | null; stderr: string };

export interface SystemProbe {
  platform: string;
  arch: string;
  env: Readonly<Record<string, string | undefined>>;
  exec(cmd: string, args: readonly string[], timeoutMs: number): Promise<ExecResult>;
  /** File text, or null when it cannot be read (missing, no permission). */
  readFile(path: string): Promise<string | null>;
  /** Entry names, or null when the folder cannot be read. */
  readdir(path: string): Promise<string[] | null>;
  exists(path: string): Promise<boolean>;
  cpu(): { model: string; cores: number };
  totalMemory(): number;
}

const MAX_OUTPUT = 4 * 1024 * 1024;

/**
 * Where a command is on PATH (an executable file), else null; a name with a slash is itself.
 * POSIX only (Windows also looks for PATHEXT's extensions): elsewhere the name is returned.
 */
export async function findOnPath(
  cmd: string,
  env: NodeJS.ProcessEnv = process.env,
  platform = process.platform,
): Promise<string | null> {
  if (platform === 'win32' || cmd.includes('/')) return cmd;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const path = join(dir, cmd);
    try {
      if ((await stat(path)).isFile()) {
        await access(path, constants.X_OK);
        return path;
      }
    } catch {
      // Not here.
    }
  }
  return null;
}

async function execOnce(cmd: string, args: readonly string[], timeoutMs: number): Promise<ExecResult> {
  // A program that is not there is told without starting a process: a fork of the engine (hundreds
  // of megabytes mapped) costs its thread ~15 ms, and nvidia-smi is missing from most machines.
  const path = await findOnPath(cmd);
  if (path === null) return { status: 'not-found' };
  return new Promise((resolve) => {
    execFile(
      path,
      [...args],
      { timeout: timeoutMs, maxBuffer: MAX_OUTPUT, windowsHide: true, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (!error) return resolve({ status: 'ok', stdout });
        const e = error as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null; code?: string | number };
        if (e.code === 'ENOENT') return resolve({ status: 'not-found' });
        if (e.killed && e.signal) return resolve({ status: 'timeout', timeoutMs });
        resolve({
          status: 'failed',
          exitCode: typeof e.code === 'number' ? e.code : null,
          stderr: String(stderr).slice(0, 2000),
        });
      },
    );
  });
}

/** The real machine: child_process with short timeouts, fs, os. */
export function createSystemProbe(): SystemProbe {
  return {
    platform: process.platform,
    arch: process.arch,
    env: process.env,
    exec: execOnce,
    readFile: (path) => readFile(path, 'utf8').catch(() => null),
    readdir: (path) => readdir(path).catch(() => null),
    exists,
    cpu() {
      const cpus = os.cpus();
      return { model: cpus[0]?.model.trim() || 'unknown CPU', cores: cpus.length };
    },
    totalMemory: () => os.totalmem(),
  };
}

let defaultProbe: SystemProbe | null = null;

/** One probe per process, so the detection caches (keyed by probe) live as long as the process. */
export function systemProbe(): SystemProbe {
  defaultProbe ??= createSystemProbe();
  return defaultProbe;
}
