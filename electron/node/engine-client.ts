// Supervises the engine process: starts it lazily, relays its logs, fails in-flight requests
// with a clear error when it dies, starts a fresh one on the next request, and kills it to
// cancel a native call that does not stop on its own.
import { fork } from 'node:child_process';
import { type Result, fail } from '../../shared/result';
import {
  type EngineEvent,
  type EngineMethod,
  type EngineParams,
  type EngineResult,
  type FromEngine,
  type ToEngine,
  isFromEngine,
} from '../engine/protocol';

/** A started engine process, whichever API started it. */
export interface EngineProcess {
  readonly pid: number | undefined;
  send(message: ToEngine): void;
  onMessage(listener: (message: unknown) => void): void;
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  kill(): void;
  readonly stdout?: NodeJS.ReadableStream | null;
  readonly stderr?: NodeJS.ReadableStream | null;
}

export type EngineLauncher = () => EngineProcess;

export interface EngineLogger {
  (level: 'debug' | 'info' | 'warn' | 'error', message: string): void;
}

export interface ForkOptions {
  entry: string;
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
}

/** Starts the engine with child_process.fork (CLI, browser mode, tests). */
export function forkLauncher(options: ForkOptions): EngineLauncher {
  return () => {
    const child = fork(options.entry, [], {
      execArgv: options.execArgv ?? [],
      env: { ...process.env, ...options.env },
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    return {
      get pid() {
        return child.pid;
      },
      send: (message) => {
        if (child.connected) child.send(message);
      },
      onMessage: (listener) => child.on('message', listener),
      onExit: (listener) => child.on('exit', (code, signal) => listener(code, signal)),
      kill: () => {
        child.kill('SIGKILL');
      },
      stdout: child.stdout,
      stderr: child.stderr,
    };
  };
}

export interface RequestOptions<E> {
  signal?: AbortSignal;
  onEvent?: (event: E) => void;
  /** How long a cancelled request may take to stop before the engine is killed. */
  cancelGraceMs?: number;
}

interface Pending {
  method: EngineMethod;
  /** The caller cancelled: whatever the engine answers, the answer is CANCELLED. */
  cancelled: boolean;
  resolve(result: Result<unknown>): void;
  onEvent?: (event: unknown) => void;
}

interface Running {
  process: EngineProcess;
  ready: Promise<void>;
  pending: Map<number, Pending>;
  /** Why we killed it on purpose, if we did. */
  killedFor: 'cancel' | 'shutdown' | null;
}

export interface EngineClientOptions {
  launch: EngineLauncher;
  log?: EngineLogger;
  /** How long a new engine may take to say it is ready. */
  startTimeoutMs?: number;
  cancelGraceMs?: number;
}

export class EngineClient {
  private running: Running | null = null;
  private nextId = 1;
  private starts = 0;
  private readonly launch: EngineLauncher;
  private readonly log: EngineLogger;
  private readonly startTimeoutMs: number;
  private readonly cancelGraceMs: number;

  constructor(options: EngineClientOptions) {
    this.launch = options.launch;
    this.log = options.log ?? (() => {});
    this.startTimeoutMs = options.startTimeoutMs ?? 20_000;
    this.cancelGraceMs = options.cancelGraceMs ?? 1_500;
  }

  /** The engine's pid while one runs. */
  get pid(): number | undefined {
    return this.running?.process.pid;
  }

  /** How many times an engine was started after the first one. */
  get restartCount(): number {
    return Math.max(0, this.starts - 1);
  }

  get inFlight(): number {
    return this.running?.pending.size ?? 0;
  }

  async request<M extends EngineMethod>(
    method: M,
    params: EngineParams<M>,
    options: RequestOptions<EngineEvent<M>> = {},
  ): Promise<Result<EngineResult<M>>> {
    if (options.signal?.aborted) return fail('CANCELLED', 'Cancelled.');
    const running = this.ensureStarted();
    const id = this.nextId++;
    let entry!: Pending;
    const result = new Promise<Result<unknown>>((resolve) => {
      entry = { method, cancelled: false, resolve, onEvent: options.onEvent as ((e: unknown) => void) | undefined };
      running.pending.set(id, entry);
    });
    let graceTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      entry.cancelled = true;
      running.process.send({ type: 'cancel', id });
      // A synchronous native call never reads the cancel message: end it by ending the process.
      graceTimer = setTimeout(() => {
        if (running.pending.has(id)) this.killRunning(running, 'cancel');
      }, options.cancelGraceMs ?? this.cancelGraceMs);
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await running.ready;
      running.process.send({ type: 'request', id, method, params });
    } catch {
      // ready failed: the pending entry was already settled by the exit handler
    }
    try {
      return (await result) as Result<EngineResult<M>>;
    } finally {
      clearTimeout(graceTimer);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Kills the engine (in-flight requests fail); the next request starts a new one. */
  kill(): void {
    if (this.running) this.killRunning(this.running, 'shutdown');
  }

  private killRunning(running: Running, reason: 'cancel' | 'shutdown') {
    running.killedFor = reason;
    this.log(
      'warn',
      `engine ${running.process.pid ?? '?'}: killing (${reason === 'cancel' ? 'a cancelled run did not stop' : 'shut down'})`,
    );
    running.process.kill();
  }

  private ensureStarted(): Running {
    if (this.running) return this.running;
    const proc = this.launch();
    this.starts += 1;
    let markReady!: () => void;
    let markFailed!: (error: Error) => void;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      markFailed = reject;
    });
    ready.catch(() => {});
    const running: Running = { process: proc, ready, pending: new Map(), killedFor: null };
    this.running = running;
    const startTimer = setTimeout(() => {
      markFailed(new Error('engine start timed out'));
      this.killRunning(running, 'shutdown');
    }, this.startTimeoutMs);

    relayStream(proc.stdout, (line) => this.log('info', `engine: ${line}`));
    relayStream(proc.stderr, (line) => this.log('warn', `engine: ${line}`));

    proc.onMessage((raw) => {
      if (!isFromEngine(raw)) return;
      this.onEngineMessage(running, raw, () => {
        clearTimeout(startTimer);
        markReady();
      });
    });
    proc.onExit((code, signal) => {
      clearTimeout(startTimer);
      markFailed(new Error('engine exited'));
      if (this.running === running) this.running = null;
      const how = signal ? `was killed (${signal})` : `exited with code ${code}`;
      this.log(running.killedFor ? 'info' : 'error', `engine ${proc.pid ?? '?'} ${how}`);
      for (const [, pending] of running.pending) {
        if (pending.cancelled) {
          pending.resolve(fail('CANCELLED', 'Cancelled: the engine was restarted to stop a run that did not respond.'));
        } else if (running.killedFor === 'cancel') {
          pending.resolve(
            fail(
              'ENGINE_CRASHED',
              `"${pending.method}" was interrupted: the engine was restarted to stop a cancelled run. Try again.`,
            ),
          );
        } else if (running.killedFor === 'shutdown') {
          pending.resolve(fail('ENGINE_CRASHED', 'The engine process was stopped before it answered. Try again.'));
        } else {
          pending.resolve(
            fail(
              'ENGINE_CRASHED',
              `The engine process stopped unexpectedly (${how}) while working on "${pending.method}". It will be restarted on your next action.`,
            ),
          );
        }
      }
      running.pending.clear();
    });
    return running;
  }

  private onEngineMessage(running: Running, msg: FromEngine, onReady: () => void) {
    switch (msg.type) {
      case 'ready':
        onReady();
        break;
      case 'log':
        this.log(msg.level, `engine: ${msg.message}`);
        break;
      case 'event':
        running.pending.get(msg.id)?.onEvent?.(msg.event);
        break;
      case 'response': {
        const pending = running.pending.get(msg.id);
        if (!pending) return;
        running.pending.delete(msg.id);
        pending.resolve(pending.cancelled ? fail('CANCELLED', 'Cancelled.') : msg.result);
        break;
      }
    }
  }
}

function relayStream(stream: NodeJS.ReadableStream | null | undefined, onLine: (line: string) => void) {
  if (!stream) return;
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const line = buffered.slice(0, newline).trimEnd();
      if (line) onLine(line);
      buffered = buffered.slice(newline + 1);
      newline = buffered.indexOf('\n');
    }
  });
}
