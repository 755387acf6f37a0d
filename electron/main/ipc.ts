// Binds the contract to Electron IPC through the RPC core: each page load of a window is one
// connection (its preload tags messages with a connection id), checked for its sender and served
// by the backend. A reload or a closed window ends the connection: its calls are cancelled, while
// jobs (batch) live on and the new page re-attaches to them.
import type { IpcMain, IpcMainEvent, WebContents, WebFrameMain } from 'electron';
import { IPC, type IpcEnvelope } from '../../shared/ipc';
import { fail } from '../../shared/result';
import { InFlightBudget } from '../../shared/rpc/limits';
import { parseMessage } from '../../shared/rpc/messages';
import type { Port } from '../../shared/rpc/port';
import { type RpcHandler, serveRpc } from '../../shared/rpc/server';

/** Only our own pages (the app's file:// or dev-server URL) may call the contract. */
export type SenderCheck = (frame: WebFrameMain | null) => boolean;

export interface IpcOptions {
  /** Calls in flight per page (default 32). */
  maxInFlight?: number;
  /** Shared by every window (default: 128 in all). */
  budget?: InFlightBudget;
}

interface Connection {
  conn: string;
  deliver(message: unknown): void;
  end(reason: string): void;
}

/** The main side's port of one page load. */
function connection(sender: WebContents, conn: string): { port: Port } & Connection {
  const messageListeners: ((m: unknown) => void)[] = [];
  const closeListeners: ((r: string) => void)[] = [];
  let open = true;
  const end = (reason: string) => {
    if (!open) return;
    open = false;
    for (const l of closeListeners) l(reason);
  };
  return {
    conn,
    deliver: (message) => {
      if (open) for (const l of messageListeners) l(message);
    },
    end,
    port: {
      send: (message) => {
        if (open && !sender.isDestroyed()) sender.send(IPC.rpc, { conn, message } satisfies IpcEnvelope);
      },
      onMessage: (l) => void messageListeners.push(l),
      onClose: (l) => void closeListeners.push(l),
      close: (reason = 'closed') => end(reason),
    },
  };
}

export function bindIpc(
  ipcMain: IpcMain,
  handler: RpcHandler,
  isTrustedSender: SenderCheck,
  options: IpcOptions = {},
): () => void {
  const budget = options.budget ?? new InFlightBudget(128);
  /** The live connection of each window's webContents (one page load at a time). */
  const live = new Map<number, Connection>();
  /** Connections already ended: a late message of a page that reloaded must not end its successor. */
  const ended = new Set<string>();

  const open = (sender: WebContents, conn: string): Connection | null => {
    const previous = live.get(sender.id);
    if (previous?.conn === conn) return previous;
    if (ended.has(conn)) return null;
    // A new connection id from the same webContents: the page was reloaded or navigated.
    if (previous) {
      if (ended.size > 1000) ended.clear();
      ended.add(previous.conn);
      previous.end('the page was reloaded');
    }
    const c = connection(sender, conn);
    serveRpc(c.port, handler, { maxInFlight: options.maxInFlight ?? 32, budget, who: 'this window' });
    live.set(sender.id, c);
    if (!previous) {
      const gone = () => {
        live.get(sender.id)?.end('the window was closed');
        live.delete(sender.id);
      };
      sender.once?.('destroyed', gone);
    }
    return c;
  };

  const onMessage = (event: IpcMainEvent, envelope: unknown) => {
    const { conn, message } = (envelope ?? {}) as Partial<IpcEnvelope>;
    if (!isTrustedSender(event.senderFrame)) {
      const msg = parseMessage(message);
      if (msg?.type === 'request') {
        event.sender.send(IPC.rpc, {
          conn,
          message: {
            type: 'response',
            callId: msg.callId,
            result: fail('PERMISSION_DENIED', 'This page may not use ONNX Workbench.'),
          },
        });
      }
      return;
    }
    if (typeof conn !== 'string' || conn.length === 0 || conn.length > 100) return;
    open(event.sender, conn)?.deliver(message);
  };

  ipcMain.on(IPC.rpc, onMessage);
  return () => {
    ipcMain.removeListener(IPC.rpc, onMessage);
    for (const c of live.values()) c.end('the app is closing');
    live.clear();
  };
}
