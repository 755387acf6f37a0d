// Browser mode's bridge: the contract over one WebSocket to `onnx-workbench serve`. The token
// comes in the URL's fragment (`#token=…`), is kept in this tab's sessionStorage and dropped
// from the address bar; it travels only with the WebSocket upgrade (as a subprotocol) and
// the upload request (as a header), never as a cookie that other local servers would receive.
import type { Bridge } from '../../../shared/api';
import type { Result } from '../../../shared/result';

type ServerMessage =
  | { type: 'event'; jobId: string; event: unknown }
  | { type: 'result'; jobId: string; result: Result<unknown> }
  | { type: 'error'; message: string };

interface Pending {
  resolve(result: Result<unknown>): void;
  onEvent?: (event: unknown) => void;
}

const TOKEN_KEY = 'owb-token';

/** The server's token: from the URL (then removed from it) or from this tab's storage. */
export function takeToken(location: Location, storage: Storage | null, history: History | null): string | null {
  const fromUrl =
    new URLSearchParams(location.hash.replace(/^#/, '')).get('token') ?? new URLSearchParams(location.search).get('token');
  if (fromUrl && /^[0-9A-Za-z_-]{1,200}$/.test(fromUrl)) {
    storage?.setItem(TOKEN_KEY, fromUrl);
    history?.replaceState(null, '', location.pathname);
    return fromUrl;
  }
  return storage?.getItem(TOKEN_KEY) ?? null;
}

export function createBrowserBridge(
  location: Location = window.location,
  token: string | null = takeToken(location, globalThis.sessionStorage ?? null, globalThis.history ?? null),
): Bridge {
  const authHeaders: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const pending = new Map<string, Pending>();
  let socket: Promise<WebSocket> | null = null;

  const connect = (): Promise<WebSocket> => {
    socket ??= new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(
        `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/ws`,
        token ? ['owb', `owb-token.${token}`] : ['owb'],
      );
      ws.onopen = () => resolve(ws);
      ws.onerror = () => reject(new Error('Could not reach the ONNX Workbench server. Is `onnx-workbench serve` still running?'));
      ws.onmessage = (e) => {
        const msg = JSON.parse(String(e.data)) as ServerMessage;
        if (msg.type === 'event') pending.get(msg.jobId)?.onEvent?.(msg.event);
        else if (msg.type === 'result') {
          pending.get(msg.jobId)?.resolve(msg.result);
          pending.delete(msg.jobId);
        }
      };
      ws.onclose = () => {
        socket = null;
        for (const [id, p] of pending) {
          p.resolve({
            ok: false,
            error: {
              code: 'IO_ERROR',
              message: 'The connection to the ONNX Workbench server was lost. Is `onnx-workbench serve` still running?',
            },
          });
          pending.delete(id);
        }
      };
    });
    socket.catch(() => (socket = null));
    return socket;
  };

  return {
    async invoke(channel, input, jobId, onEvent) {
      let ws: WebSocket;
      try {
        ws = await connect();
      } catch (error) {
        return { ok: false, error: { code: 'IO_ERROR', message: (error as Error).message } };
      }
      return new Promise((resolve) => {
        pending.set(jobId, { resolve, onEvent });
        ws.send(JSON.stringify({ type: 'invoke', jobId, channel, input }));
      });
    },
    cancel(jobId) {
      void connect().then((ws) => ws.send(JSON.stringify({ type: 'cancel', jobId })));
    },
    async pathOfDroppedFile(file) {
      try {
        const response = await fetch(`/api/upload?name=${encodeURIComponent(file.name)}`, {
          method: 'POST',
          body: file,
          headers: authHeaders,
        });
        if (!response.ok)
          return {
            ok: false,
            error: { code: 'IO_ERROR', message: `Upload of ${file.name} failed: ${response.status} ${await response.text()}` },
          };
        return (await response.json()) as Result<string>;
      } catch (error) {
        return { ok: false, error: { code: 'IO_ERROR', message: `Upload of ${file.name} failed: ${(error as Error).message}` } };
      }
    },
  };
}
