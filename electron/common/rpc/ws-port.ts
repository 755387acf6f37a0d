// The server side of browser mode's wire: a port over one `ws` WebSocket (the same JSON framing
// as the page's end, shared/rpc/websocket-port.ts).
import type { WebSocket } from 'ws';
import type { Port } from '../../../shared/rpc/port';
import { type WebSocketLike, webSocketPort } from '../../../shared/rpc/websocket-port';

export function wsPort(ws: WebSocket): Port {
  return webSocketPort(ws as unknown as WebSocketLike, 'the page');
}
