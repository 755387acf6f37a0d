// Browser mode's bridge: a port over one WebSocket to `onnx-workbench serve`. The token comes in
// the URL's fragment (`#token=…`), is kept in this tab's sessionStorage and dropped from the
// address bar; it travels only with the WebSocket upgrade (as a subprotocol) and the upload
// request (as a header), never as a cookie that other local servers would receive. The RPC core
// above it (shared/rpc) is the one every wire uses; a lost socket fails the calls on it, and the
// next call opens a new one.
import type { Bridge } from '../../../shared/api';
import type { Result } from '../../../shared/result';
import type { Port } from '../../../shared/rpc/port';
import { webSocketPort } from '../../../shared/rpc/websocket-port';

const UNREACHABLE = 'Could not reach the ONNX Workbench server. Is `onnx-workbench serve` still running?';
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
  return {
    connect: () =>
      new Promise<Port>((resolve, reject) => {
        const ws = new WebSocket(
          `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/ws`,
          token ? ['owb', `owb-token.${token}`] : ['owb'],
        );
        ws.addEventListener('open', () => resolve(webSocketPort(ws, 'the server')), { once: true });
        ws.addEventListener('error', () => reject(new Error(UNREACHABLE)), { once: true });
      }),
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
