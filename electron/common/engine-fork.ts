// The engine process as child_process.fork starts it (CLI, browser mode, tests): what the
// supervisor (electron/node/engine-client.ts) holds of a started engine, whichever API started
// it. Light on purpose: the CLI forks its engine through here before it loads the rest of its code.
import { type ChildProcess, fork } from 'node:child_process';
import type { Port } from '../../shared/rpc/port';
import { childProcessPort } from './rpc/process-port';

/** How a process ended, with what the host knows beyond code and signal (Electron: 'oom', 'crashed', …). */
export interface ProcessExit {
  code: number | null;
  signal: string | null;
  reason?: string;
}

/** A started engine process, whichever API started it. */
export interface EngineProcess {
  readonly pid: number | undefined;
  /** RPC messages both ways; closes when the process ends. */
  readonly port: Port;
  onExit(listener: (exit: ProcessExit) => void): void;
  /** Ends the process: a moment to exit on its own, then SIGKILL. */
  kill(): void;
  /**
   * Ends an idle process at once, where the launcher can (fork: the channel closes and the
   * engine leaves with it), so that the parent does not wait out SIGTERM's grace before exiting.
   */
  leave?(): void;
  /** Whether it ended already. */
  readonly ended?: boolean;
  readonly stdout?: NodeJS.ReadableStream | null;
  readonly stderr?: NodeJS.ReadableStream | null;
}

export interface ForkOptions {
  entry: string;
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
  /** How long the engine gets to exit after SIGTERM before SIGKILL (default 1 s). */
  killGraceMs?: number;
}

/** SIGTERM, then SIGKILL if the child is still there after graceMs (a stopped process never handles SIGTERM). */
export function killGently(child: ChildProcess, graceMs: number): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }, graceMs);
  timer.unref();
  child.once('exit', () => clearTimeout(timer));
}

/** Where the engine keeps NODE_EXTRA_CA_CERTS for what it starts (engineEnv). */
export const SET_ASIDE_CA_CERTS = 'OWB_NODE_EXTRA_CA_CERTS';

/**
 * The engine's environment: NODE_EXTRA_CA_CERTS set aside. Node reads and parses that file as
 * each process starts (Debian's whole bundle, where it points there: ~35 ms of a 55 ms start on 2
 * cores) and the engine opens no TLS connection; a program it starts that may (the CUDA
 * installer) gets it back (withExtraCaCerts).
 */
export function engineEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { NODE_EXTRA_CA_CERTS: certs, ...rest } = env;
  return certs === undefined ? rest : { ...rest, [SET_ASIDE_CA_CERTS]: certs };
}

/** The environment of a program the engine starts: NODE_EXTRA_CA_CERTS as the app was given it. */
export function withExtraCaCerts(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { [SET_ASIDE_CA_CERTS]: certs, ...rest } = env;
  return certs === undefined ? rest : { ...rest, NODE_EXTRA_CA_CERTS: certs };
}

/** Forks the engine entry; its port keeps what the engine says until someone listens. */
export function forkEngine(options: ForkOptions): EngineProcess {
  const child = fork(options.entry, [], {
    execArgv: options.execArgv ?? [],
    env: engineEnv({ ...process.env, ...options.env }),
    serialization: 'advanced',
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const port = childProcessPort(child);
  return {
    get pid() {
      return child.pid;
    },
    port,
    onExit: (listener) => child.on('exit', (code, signal) => listener({ code, signal })),
    kill: () => killGently(child, options.killGraceMs ?? 1_000),
    leave: () => {
      // The parent still waits for its exit (~25 ms of teardown after a batch job): a command that
      // returned before its engine is gone would leave a model file open (an unmount right after
      // fails) and the engine's CPU out of the command's own (GNU time, bench:batch).
      if (child.connected) child.disconnect();
    },
    get ended() {
      return child.exitCode !== null || child.signalCode !== null;
    },
    stdout: child.stdout,
    stderr: child.stderr,
  };
}

/** Whether two fork options start the same engine (entry, arguments and environment). */
export function sameFork(a: ForkOptions, b: ForkOptions): boolean {
  const json = (o: ForkOptions) => JSON.stringify([o.entry, o.execArgv ?? [], Object.entries(o.env ?? {}).sort()]);
  return json(a) === json(b);
}
