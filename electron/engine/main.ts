// Engine process entry. The same file runs under Electron's utilityProcess (messages on
// process.parentPort) and under child_process.fork (messages on process IPC), so the CLI,
// browser mode and tests use exactly the engine the desktop app uses.
import { toErrorInfo, type Result } from '../../shared/result';
import { createHandlers, type EngineContext } from './handlers';
import type { FromEngine, ToEngine } from './protocol';

interface ParentPortLike {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

function connect(): { send(msg: FromEngine): void; onMessage(cb: (msg: unknown) => void): void } {
  const parentPort = (process as unknown as { parentPort?: ParentPortLike }).parentPort;
  if (parentPort) {
    return {
      send: (msg) => parentPort.postMessage(msg),
      onMessage: (cb) => parentPort.on('message', (e) => cb(e.data)),
    };
  }
  if (typeof process.send === 'function') {
    return {
      send: (msg) => {
        if (process.connected) process.send!(msg);
      },
      onMessage: (cb) => process.on('message', cb),
    };
  }
  throw new Error('The engine must be started by ONNX Workbench (utilityProcess or child_process.fork).');
}

// Works offline: onnxruntime's telemetry would otherwise write a device id under ~/.cache and
// try to upload usage data. Set before onnxruntime is first loaded (lazily, by loadOrt).
process.env.ORT_DISABLE_TELEMETRY = '1';

const link = connect();
const debug = process.env.OWB_ENGINE_DEBUG === '1';
const handlers = createHandlers({ debug });
const running = new Map<number, AbortController>();

function log(level: 'debug' | 'info' | 'warn' | 'error', message: string) {
  link.send({ type: 'log', level, message });
}

async function handle(msg: Extract<ToEngine, { type: 'request' }>) {
  const controller = new AbortController();
  running.set(msg.id, controller);
  const ctx: EngineContext = {
    signal: controller.signal,
    emit: (event) => link.send({ type: 'event', id: msg.id, event }),
    log,
  };
  let result: Result<unknown>;
  try {
    const handler = handlers[msg.method] as ((params: unknown, ctx: EngineContext) => Promise<unknown>) | undefined;
    if (!handler) throw Object.assign(new Error(`The engine has no method "${msg.method}".`), { code: 'UNKNOWN_CHANNEL' });
    result = { ok: true, value: await handler(msg.params, ctx) };
  } catch (error) {
    result = { ok: false, error: controller.signal.aborted ? { code: 'CANCELLED', message: 'Cancelled.' } : toErrorInfo(error) };
  } finally {
    running.delete(msg.id);
  }
  link.send({ type: 'response', id: msg.id, result });
}

link.onMessage((raw) => {
  const msg = raw as ToEngine;
  if (msg?.type === 'request') void handle(msg);
  else if (msg?.type === 'cancel') running.get(msg.id)?.abort();
});

process.on('uncaughtException', (error) => {
  log('error', `uncaught: ${error.stack ?? error.message}`);
});
process.on('unhandledRejection', (reason) => {
  log('error', `unhandled rejection: ${String(reason)}`);
});
// Under fork: if the parent goes away, so do we (no orphaned engines).
process.on('disconnect', () => process.exit(0));
// Ctrl+C in a terminal reaches the whole process group: the supervisor decides (a batch job
// finishes its files and flushes its journal first); the engine ends when the supervisor goes.
process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});
// A SIGTERM aimed at the engine alone ends it as Ctrl+C ends a job: every request is cancelled
// (batch jobs finish their files, journal and results files), answered, and then it leaves.
process.once('SIGTERM', () => {
  for (const controller of running.values()) controller.abort();
  const leaveWhenIdle = () => (running.size === 0 ? setTimeout(() => process.exit(0), 200) : setTimeout(leaveWhenIdle, 50));
  leaveWhenIdle();
});

link.send({ type: 'ready', pid: process.pid });
