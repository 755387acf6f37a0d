// A scripted machine: files, folders and command outputs given up front. For tests, and for reproducing a
// user's report ("here is my nvidia-smi output") without their hardware.
import type { ExecResult, SystemProbe } from './probe';

export interface FakeMachine {
  platform: string;
  arch?: string;
  env?: Record<string, string>;
  /** Path → contents. */
  files?: Record<string, string>;
  /** Folder → entry names. */
  dirs?: Record<string, string[]>;
  /** Program name → how it ends; anything not listed is not installed. */
  commands?: Record<string, ExecResult>;
  cpu?: { model: string; cores: number };
  memoryBytes?: number;
}

export interface FakeProbe extends SystemProbe {
  /** Every command run, "cmd arg1 arg2", in order. */
  calls: string[];
}

export function fakeProbe(machine: FakeMachine): FakeProbe {
  const files = machine.files ?? {};
  const dirs = machine.dirs ?? {};
  const calls: string[] = [];
  return {
    calls,
    platform: machine.platform,
    arch: machine.arch ?? 'x64',
    env: machine.env ?? {},
    async exec(cmd, args) {
      calls.push([cmd, ...args].join(' '));
      return machine.commands?.[cmd] ?? { status: 'not-found' };
    },
    readFile: async (path) => files[path] ?? null,
    readdir: async (path) => dirs[path] ?? null,
    exists: async (path) => path in files || path in dirs,
    cpu: () => machine.cpu ?? { model: 'Test CPU', cores: 8 },
    totalMemory: () => machine.memoryBytes ?? 16 * 1024 ** 3,
  };
}
