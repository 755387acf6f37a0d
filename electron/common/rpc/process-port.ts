// Ports over a process pipe: the supervisor's side of a child_process.fork (Node IPC with
// `serialization: 'advanced'`), and the engine's side of whichever API started it (Electron's
// utilityProcess parentPort, or child_process IPC).
import type { ChildProcess } from 'node:child_process';
import type { Port } from '../../../shared/rpc/port';

type Listeners = { message: ((m: unknown) => void)[]; close: ((r: string) => void)[]; closed: string | null };

function listeners(): Listeners {
  return { message: [], close: [], closed: null };
}

function end(l: Listeners, reason: string) {
  if (l.closed !== null) return;
  l.closed = reason;
  for (const f of l.close) f(reason);
}

/** A close listener; one added after the close hears of it too. */
function onClose(l: Listeners, f: (reason: string) => void) {
  l.close.push(f);
  const reason = l.closed;
  if (reason !== null) queueMicrotask(() => f(reason));
}

/**
 * Messages that come before anyone listens are kept for the first listener: given to it after
 * the caller's own setup (a listener may be added in a constructor), before any later message.
 */
function keepEarly(l: Listeners): { deliver(m: unknown): void; onMessage(f: (m: unknown) => void): void } {
  let early: unknown[] | null = [];
  return {
    deliver(m) {
      if (early) early.push(m);
      else for (const f of l.message) f(m);
    },
    onMessage(f) {
      l.message.push(f);
      if (l.message.length > 1) return;
      queueMicrotask(() => {
        const kept = early ?? [];
        early = null;
        for (const m of kept) for (const g of l.message) g(m);
      });
    },
  };
}

/**
 * The supervisor's port to a forked child; it closes when the child's pipe does (exit, kill).
 * What the child says before anyone listens (its ready notice, when the port is made early) is
 * kept for the first listener.
 */
export function childProcessPort(child: ChildProcess): Port {
  const l = listeners();
  const kept = keepEarly(l);
  child.on('message', kept.deliver);
  child.on('disconnect', () => end(l, 'the process pipe closed'));
  child.on('exit', (code, signal) => end(l, signal ? `the process ended (${signal})` : `the process exited (${code})`));
  return {
    send(message) {
      if (l.closed === null && child.connected) child.send(message, (error) => void error);
    },
    onMessage: kept.onMessage,
    onClose: (f) => onClose(l, f),
    close(reason = 'closed') {
      if (child.connected) child.disconnect();
      end(l, reason);
    },
  };
}

interface ParentPortLike {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

/** The engine's port to its supervisor, under utilityProcess or child_process.fork. */
export function parentProcessPort(): Port {
  const l = listeners();
  // Made as the engine starts, before the rest of it loads: what the supervisor sends meanwhile is kept.
  const kept = keepEarly(l);
  const parentPort = (process as unknown as { parentPort?: ParentPortLike }).parentPort;
  if (parentPort) {
    parentPort.on('message', (e) => kept.deliver(e.data));
    return {
      send: (message) => parentPort.postMessage(message),
      onMessage: kept.onMessage,
      onClose: (f) => onClose(l, f),
      close: (reason = 'closed') => end(l, reason),
    };
  }
  if (typeof process.send !== 'function') {
    throw new Error('The engine must be started by ONNX Workbench (utilityProcess or child_process.fork).');
  }
  process.on('message', kept.deliver);
  process.on('disconnect', () => end(l, 'the supervisor went away'));
  return {
    send(message) {
      if (l.closed === null && process.connected)
        process.send!(message, undefined, undefined, (error: Error | null) => void error);
    },
    onMessage: kept.onMessage,
    onClose: (f) => onClose(l, f),
    close(reason = 'closed') {
      if (process.connected) process.disconnect();
      end(l, reason);
    },
  };
}
