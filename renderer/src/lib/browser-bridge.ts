// Browser mode's bridge: a port over one WebSocket to `onnx-workbench serve` (the page was served
// by it, so the auth cookie is already set). The RPC core above it (shared/rpc) is the one every
// wire uses; a lost socket fails the calls on it, and the next call opens a new one.
import type { Bridge } from '../../../shared/api';
import type { Result } from '../../../shared/result';
import type { Port } from '../../../shared/rpc/port';
import { webSocketPort } from '../../../shared/rpc/websocket-port';

const UNREACHABLE = 'Could not reach the ONNX Workbench server. Is `onnx-workbench serve` still running?';

export function createBrowserBridge(location: Location = window.location): Bridge {
  return {
    connect: () =>
      new Promise<Port>((resolve, reject) => {
        const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/ws`);
        ws.addEventListener('open', () => resolve(webSocketPort(ws, 'the server')), { once: true });
        ws.addEventListener('error', () => reject(new Error(UNREACHABLE)), { once: true });
      }),
    async pathOfDroppedFile(file) {
      try {
        const response = await fetch(`/api/upload?name=${encodeURIComponent(file.name)}`, { method: 'POST', body: file });
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
