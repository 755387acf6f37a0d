// A port over a WebSocket (JSON text frames), for both ends of browser mode: the page's
// WebSocket and the server's `ws` socket share this event interface.
import type { Port } from './port';

/** What both WebSocket implementations (DOM and `ws`) offer and this port uses. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'message', listener: (e: { data: unknown }) => void): void;
  addEventListener(type: 'close', listener: (e: { code: number; reason: string }) => void): void;
}

const OPEN = 1;

export function webSocketPort(ws: WebSocketLike, peer = 'the other side'): Port {
  const closeListeners: ((reason: string) => void)[] = [];
  let closed = false;
  const end = (reason: string) => {
    if (closed) return;
    closed = true;
    for (const l of closeListeners) l(reason);
  };
  ws.addEventListener('close', (e) => end(e.reason || `${peer} closed the connection (${e.code})`));
  return {
    send(message) {
      if (!closed && ws.readyState === OPEN) ws.send(JSON.stringify(message));
    },
    onMessage(listener) {
      ws.addEventListener('message', (e) => {
        let message: unknown;
        try {
          message = JSON.parse(String(e.data));
        } catch {
          message = null; // the core answers it as malformed
        }
        listener(message);
      });
    },
    onClose: (listener) => void closeListeners.push(listener),
    close(reason = 'closed') {
      ws.close(1000, reason.slice(0, 120));
      end(reason);
    },
  };
}
