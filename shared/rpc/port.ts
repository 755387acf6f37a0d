// The one thing a transport supplies to the RPC core: send a message, hear messages, hear the end.
// Electron IPC, the browser's WebSocket, the engine's process pipe and in-memory pairs (in-process
// callers, tests) are all ports; the request/event/cancel/response protocol above them is written once.
import type { RpcMessage } from './messages';

export interface Port {
  /** Sends one message; a port that has closed drops it. */
  send(message: RpcMessage): void;
  /** Every message that arrives, unparsed (the core checks its shape). Listeners add up. */
  onMessage(listener: (message: unknown) => void): void;
  /** The other side went away (socket closed, window reloaded, process ended), with why in words. */
  onClose(listener: (reason: string) => void): void;
  /** Closes this side; onClose listeners on both sides fire. */
  close(reason?: string): void;
}

/** Two ports wired to each other in memory; messages are delivered on a later microtask, as on a wire. */
export function memoryPortPair(): [Port, Port] {
  const make = () => ({ message: [] as ((m: unknown) => void)[], close: [] as ((r: string) => void)[], closed: false });
  const a = make();
  const b = make();
  const port = (self: typeof a, other: typeof a): Port => ({
    send(message) {
      if (self.closed) return;
      queueMicrotask(() => {
        if (!other.closed) for (const l of other.message) l(message);
      });
    },
    onMessage: (l) => void self.message.push(l),
    onClose: (l) => void self.close.push(l),
    close(reason = 'closed') {
      for (const side of [self, other]) {
        if (side.closed) continue;
        side.closed = true;
        for (const l of side.close) l(reason);
      }
    },
  });
  return [port(a, b), port(b, a)];
}
