// Supervises the engine process: starts it lazily, relays its logs, talks to it through the RPC
// core (shared/rpc) over the process pipe, fails in-flight calls with a clear error when it dies
// (saying why: out of memory, a signal, killed to cancel), starts a fresh one on the next call,
// and kills it to cancel a native call that does not stop on its own. A watchdog pings it: an
// engine that stops answering (SIGSTOP, wedged) is killed and restarted; each call has a deadline
// that its progress events push forward; calls in flight are capped.
import type { EngineActivity } from '../../shared/activity';
import { type Result, fail } from '../../shared/result';
import { RpcClient } from '../../shared/rpc/client';
import { MAX_PAYLOAD_DEPTH } from '../../shared/rpc/limits';
import { type EngineProcess, type ForkOptions, type ProcessExit, forkEngine } from '../common/engine-fork';
import type { EngineChannel, EngineContract, EngineEvent, EngineInput, EngineOutput } from '../common/rpc/engine-channels';

export { type EngineProcess, type ForkOptions, type ProcessExit, killGently } from '../common/engine-fork';

export type EngineLauncher = () => EngineProcess;

export interface EngineLogger {
  (level: 'debug' | 'info' | 'warn' | 'error', message: string): void;
}

/**
 * Starts the engine with child_process.fork (CLI, browser mode, tests). `adopt` may hand over one
 * forked earlier with the same options (the CLI's, started before its code loaded): used once.
 */
export function forkLauncher(options: ForkOptions & { adopt?: (options: ForkOptions) => EngineProcess | null }): EngineLauncher {
  let adopt = options.adopt;
  return () => {
    const early = adopt?.(options);
    adopt = undefined;
    return early && !early.ended ? early : forkEngine(options);
  };
}

type KilledFor = 'cancel' | 'shutdown' | 'watchdog';

/** Why an engine process ended, in words. */
export function describeExit(exit: ProcessExit, killedFor: KilledFor | null, outOfMemory = false): string {
  if (killedFor === 'cancel') return 'killed to stop a cancelled run that did not respond';
  if (killedFor === 'watchdog') return 'killed because it stopped responding (stopped or wedged)';
  if (killedFor === 'shutdown') return 'stopped by the app';
  if (outOfMemory || exit.reason === 'oom' || exit.reason === 'memory-eviction') return 'ran out of memory';
  switch (exit.signal) {
    case null:
      break;
    case 'SIGKILL':
      return 'was killed (SIGKILL; the system may have run out of memory)';
    case 'SIGSEGV':
    case 'SIGBUS':
    case 'SIGILL':
      return `crashed with ${exit.signal} (a native crash)`;
    case 'SIGABRT':
      return 'aborted (SIGABRT)';
    default:
      return `was ended by ${exit.signal}`;
  }
  if (exit.reason === 'crashed') return `crashed${exit.code !== null ? ` (code ${exit.code})` : ''}`;
  if (exit.reason === 'killed') return 'was killed';
  if (exit.reason === 'launch-failed') return 'could not be started';
  return `exited with code ${exit.code}`;
}

export interface RequestOptions<E> {
  signal?: AbortSignal;
  onEvent?: (event: E) => void;
  /** How long a cancelled call may take to stop before the engine is killed. */
  cancelGraceMs?: number;
  /**
   * How long the call may go without an answer or a progress event (each event starts the clock
   * again); past it, the call is cancelled and answers TIMEOUT. null: no deadline (jobs).
   * While the call is in flight the engine may also be silent this long (a native run blocks
   * its thread) before the watchdog counts it as wedged.
   */
  deadlineMs?: number | null;
  /** The job this call does the work of (the status bar shows the job, not the call). */
  jobId?: string;
}

/** Deadlines of the channels that run native code for long (a session create, a long benchmark). */
const LONG_MS = 30 * 60_000;
const DEFAULT_DEADLINES: Partial<Record<EngineChannel, number | null>> = {
  'model.run': LONG_MS,
  'model.bench': LONG_MS,
  'run.profile': LONG_MS,
  'model.checkRuntime': LONG_MS,
  'pipeline.run': LONG_MS,
  'check.run': LONG_MS,
  'providers.installCuda': LONG_MS,
  'engine.batchRun': null,
  // Progress events restart the clock; scoring a big dataset may be quiet for a while.
  'eval.run': LONG_MS,
  // Progress events every 200 chunks (6.4 s of audio) restart the clock.
  'audio.speech': LONG_MS,
};
const DEFAULT_DEADLINE_MS = 5 * 60_000;
/** A cancelled run stuck in native code is ended sooner than other calls: the user is waiting. */
const CANCEL_GRACE_MS: Partial<Record<EngineChannel, number>> = { 'model.run': 1_000, 'pipeline.run': 1_000 };

interface CallState {
  channel: EngineChannel;
  input: unknown;
  jobId?: string;
  since: number;
  acked: boolean;
  /** Silence the engine may keep while this call is in flight (native code blocking its thread). */
  silenceMs: number;
  deadlineMs: number | null;
  deadlineAt: number;
  timedOut: boolean;
  controller: AbortController;
  /** Cancels the call (and kills the engine if it does not stop within the grace time). */
  stop(): void;
}

interface Running {
  process: EngineProcess;
  client: RpcClient<EngineContract>;
  ready: Promise<void>;
  exited: Promise<ProcessExit>;
  exit: ProcessExit | null;
  calls: Map<string, CallState>;
  /** Why we killed it on purpose, if we did. */
  killedFor: KilledFor | null;
  lastHeard: number;
  silenceLimitMs: number;
  outOfMemory: boolean;
  watchdog: NodeJS.Timeout | null;
}

export interface EngineClientOptions {
  launch: EngineLauncher;
  log?: EngineLogger;
  /** How long a new engine may take to say it is ready. */
  startTimeoutMs?: number;
  cancelGraceMs?: number;
  /** How often the watchdog pings the engine (default 5 s). */
  heartbeatMs?: number;
  /** How long an engine with no call in hand may stay silent before it counts as wedged (default 30 s). */
  heartbeatTimeoutMs?: number;
  /** Calls in flight at once (default 256); more answer BUSY. */
  maxInFlight?: number;
}

/** What the engine is doing, for the status bar (jobs are added by the batch service). */
export type EngineState = Pick<EngineActivity, 'engine' | 'lastExit'> & {
  calls: { callId: string; channel: EngineChannel; input: unknown; since: number; jobId?: string }[];
};

export class EngineClient {
  private running: Running | null = null;
  private nextId = 1;
  private starts = 0;
  private crashed = false;
  private lastExit: EngineActivity['lastExit'];
  private readonly listeners = new Set<() => void>();
  private readonly readyFlags = new WeakSet<Running>();
  private readonly launch: EngineLauncher;
  private readonly log: EngineLogger;
  private readonly startTimeoutMs: number;
  private readonly cancelGraceMs: number;
  private readonly heartbeatMs: number;
  private readonly heartbeatTimeoutMs: number;
  private readonly maxInFlight: number;

  constructor(options: EngineClientOptions) {
    this.launch = options.launch;
    this.log = options.log ?? (() => {});
    this.startTimeoutMs = options.startTimeoutMs ?? 20_000;
    this.cancelGraceMs = options.cancelGraceMs ?? 1_500;
    this.heartbeatMs = options.heartbeatMs ?? 5_000;
    this.heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 30_000;
    this.maxInFlight = options.maxInFlight ?? 256;
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
    return this.running?.calls.size ?? 0;
  }

  /** The engine's state and calls in flight, as the status bar shows them. */
  state(): EngineState {
    const r = this.running;
    return {
      engine: !r ? (this.crashed ? 'crashed' : 'stopped') : r.exit || !this.isReady(r) ? 'starting' : 'ready',
      calls: r
        ? [...r.calls].map(([callId, c]) => ({
            callId,
            channel: c.channel,
            input: c.input,
            since: c.since,
            ...(c.jobId ? { jobId: c.jobId } : {}),
          }))
        : [],
      ...(this.lastExit ? { lastExit: this.lastExit } : {}),
    };
  }

  /** Called on every change of state(); returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private isReady(r: Running): boolean {
    return this.readyFlags.has(r);
  }

  private changed() {
    for (const l of this.listeners) l();
  }

  async call<C extends EngineChannel>(
    channel: C,
    input: EngineInput<C>,
    options: RequestOptions<EngineEvent<C>> = {},
  ): Promise<Result<EngineOutput<C>>> {
    if (options.signal?.aborted) return fail('CANCELLED', 'Cancelled.');
    if (this.inFlight >= this.maxInFlight) {
      return fail('BUSY', `The engine has ${this.maxInFlight} requests in flight; wait for some to finish.`);
    }
    const running = this.ensureStarted();
    const callId = `e${(this.nextId++).toString(36)}`;
    const deadlineMs =
      options.deadlineMs !== undefined ? options.deadlineMs : (DEFAULT_DEADLINES[channel] ?? DEFAULT_DEADLINE_MS);
    const state: CallState = {
      channel,
      input,
      ...(options.jobId ? { jobId: options.jobId } : {}),
      since: Date.now(),
      acked: false,
      silenceMs: deadlineMs ?? LONG_MS,
      deadlineMs,
      deadlineAt: deadlineMs === null ? Number.POSITIVE_INFINITY : Date.now() + deadlineMs,
      timedOut: false,
      controller: new AbortController(),
      stop: () => {},
    };
    running.calls.set(callId, state);
    this.changed();
    let graceTimer: NodeJS.Timeout | undefined;
    state.stop = () => {
      if (state.controller.signal.aborted) return;
      state.controller.abort();
      // A synchronous native call never reads the cancel message: end it by ending the process.
      graceTimer = setTimeout(
        () => {
          if (running.calls.has(callId)) this.killRunning(running, 'cancel');
        },
        options.cancelGraceMs ?? CANCEL_GRACE_MS[channel] ?? this.cancelGraceMs,
      );
    };
    const stop = () => state.stop();
    options.signal?.addEventListener('abort', stop, { once: true });
    try {
      try {
        await running.ready;
      } catch {
        const exit = await running.exited;
        return this.failure(running, state, exit) as Result<EngineOutput<C>>;
      }
      const result = await running.client.call(channel, input as never, {
        callId,
        signal: state.controller.signal,
        onAck: () => (state.acked = true),
        onEvent: (event) => {
          if (state.deadlineMs !== null) state.deadlineAt = Date.now() + state.deadlineMs;
          options.onEvent?.(event as EngineEvent<C>);
        },
      });
      if (running.client.closed && !result.ok && result.error.code === 'ENGINE_CRASHED') {
        return this.failure(running, state, await running.exited) as Result<EngineOutput<C>>;
      }
      if (state.timedOut) return this.timeoutResult(state) as Result<EngineOutput<C>>;
      return result;
    } finally {
      clearTimeout(graceTimer);
      options.signal?.removeEventListener('abort', stop);
      running.calls.delete(callId);
      this.changed();
    }
  }

  /** Kills the engine (in-flight calls fail); the next call starts a new one. */
  kill(): void {
    if (this.running) this.killRunning(this.running, 'shutdown');
  }

  private timeoutResult(state: CallState): Result<never> {
    const s = Math.round((state.deadlineMs ?? 0) / 1000);
    return fail('TIMEOUT', `"${state.channel}" got no answer from the engine for ${s} s and was stopped.`);
  }

  /** The answer of a call whose engine ended under it. */
  private failure(running: Running, state: CallState, exit: ProcessExit): Result<never> {
    const how = describeExit(exit, running.killedFor, running.outOfMemory);
    if (state.timedOut) return this.timeoutResult(state);
    if (state.controller.signal.aborted) {
      return fail('CANCELLED', 'Cancelled: the engine was restarted to stop a run that did not respond.');
    }
    switch (running.killedFor) {
      case 'cancel':
        return fail(
          'ENGINE_CRASHED',
          `"${state.channel}" was interrupted: the engine was restarted to stop a cancelled run. Try again.`,
        );
      case 'shutdown':
        return fail('ENGINE_CRASHED', 'The engine process was stopped before it answered. Try again.');
      case 'watchdog':
        return fail(
          'ENGINE_CRASHED',
          `The engine process stopped responding (no answer for ${Math.round(running.silenceLimitMs / 1000)} s) while working on "${state.channel}"; it was killed and will be restarted on your next action.`,
        );
      default:
        return fail(
          'ENGINE_CRASHED',
          `The engine process stopped unexpectedly (it ${how}) while working on "${state.channel}". It will be restarted on your next action.`,
        );
    }
  }

  private killRunning(running: Running, reason: KilledFor) {
    // Once asked, the launcher's kill sees it through (SIGTERM, then SIGKILL).
    if (running.exit || running.killedFor) return;
    running.killedFor = reason;
    const why = { cancel: 'a cancelled run did not stop', shutdown: 'shut down', watchdog: 'it stopped responding' }[reason];
    this.log(reason === 'watchdog' ? 'error' : 'warn', `engine ${running.process.pid ?? '?'}: killing (${why})`);
    // Nothing in hand: no answer to wait for, the engine may go at once.
    if (reason === 'shutdown' && running.calls.size === 0) running.process.leave?.();
    running.process.kill();
  }

  /** One watchdog round: ping, time out calls past their deadline, kill an engine silent for too long. */
  private watch(running: Running) {
    if (running.exit) return;
    const now = Date.now();
    for (const state of running.calls.values()) {
      if (!state.timedOut && now > state.deadlineAt) {
        state.timedOut = true;
        this.log('warn', `engine: "${state.channel}" passed its deadline (${state.deadlineMs} ms); cancelling it`);
        state.stop();
      }
    }
    // A call the engine took may block its thread for as long as the call's allowance; a call
    // not yet taken, or no call at all, proves nothing: then a few missed pings mean it is wedged.
    let limit = this.heartbeatTimeoutMs;
    for (const state of running.calls.values()) if (state.acked) limit = Math.max(limit, state.silenceMs);
    running.silenceLimitMs = limit;
    if (this.isReady(running) && now - running.lastHeard > limit) {
      this.killRunning(running, 'watchdog');
      return;
    }
    running.client.ping(now);
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
    let markExited!: (exit: ProcessExit) => void;
    const exited = new Promise<ProcessExit>((resolve) => (markExited = resolve));
    const running: Running = {
      process: proc,
      client: null as unknown as RpcClient<EngineContract>,
      ready,
      exited,
      exit: null,
      calls: new Map(),
      killedFor: null,
      lastHeard: Date.now(),
      silenceLimitMs: this.heartbeatTimeoutMs,
      outOfMemory: false,
      watchdog: null,
    };
    running.client = new RpcClient<EngineContract>(proc.port, {
      idPrefix: 'engine',
      maxDepth: MAX_PAYLOAD_DEPTH,
      closedError: () => ({ code: 'ENGINE_CRASHED', message: 'The engine process ended.' }),
      onHeard: () => (running.lastHeard = Date.now()),
      onNotice: (topic, data) => {
        if (topic === 'ready') {
          clearTimeout(startTimer);
          this.readyFlags.add(running);
          markReady();
          this.changed();
        } else if (topic === 'log') {
          const { level, message } = data as { level: 'debug' | 'info' | 'warn' | 'error'; message: string };
          this.log(level, `engine: ${message}`);
        }
      },
      onProtocolError: (error) => this.log('warn', `engine: ${error.message}`),
    });
    this.running = running;
    this.changed();
    const startTimer = setTimeout(() => {
      markFailed(new Error('engine start timed out'));
      this.killRunning(running, 'shutdown');
    }, this.startTimeoutMs);
    running.watchdog = setInterval(() => this.watch(running), this.heartbeatMs);
    running.watchdog.unref();

    relayStream(proc.stdout, (line) => this.log('info', `engine: ${line}`));
    relayStream(proc.stderr, (line) => {
      if (/out of memory|Allocation failed|bad_alloc/i.test(line)) running.outOfMemory = true;
      this.log('warn', `engine: ${line}`);
    });

    proc.onExit((exit) => {
      clearTimeout(startTimer);
      if (running.watchdog) clearInterval(running.watchdog);
      running.exit = exit;
      markFailed(new Error('engine exited'));
      if (this.running === running) this.running = null;
      const how = describeExit(exit, running.killedFor, running.outOfMemory);
      this.lastExit = { reason: how, at: Date.now() };
      this.crashed = running.killedFor === null || running.killedFor === 'watchdog';
      const raw = exit.signal ? `was killed (${exit.signal})` : `exited with code ${exit.code}`;
      this.log(
        running.killedFor && running.killedFor !== 'watchdog' ? 'info' : 'error',
        `engine ${proc.pid ?? '?'} ${raw}: ${how}`,
      );
      markExited(exit);
      // Calls still pending learn why from `exited` (the port may close before or after this).
      running.client.close('the engine process ended');
      this.changed();
    });
    return running;
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
