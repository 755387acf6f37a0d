// The preload exposes the contract's bridge and nothing else: no raw ipcRenderer. Its port
// carries RPC messages (shared/rpc) on one IPC channel, tagged with this page load's connection
// id, so the main side can tell a reloaded page from the one before it.
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import type { Bridge } from '../../shared/api';
import { IPC, type IpcEnvelope, type MenuCommand } from '../../shared/ipc';
import type { Port } from '../../shared/rpc/port';

const conn = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
const messageListeners: ((message: unknown) => void)[] = [];
ipcRenderer.on(IPC.rpc, (_e, envelope: IpcEnvelope) => {
  if (envelope?.conn !== conn) return;
  for (const listener of messageListeners) listener(envelope.message);
});

// The page's port lives as long as the page: a reload ends it (and the main side notices).
const port: Port = {
  send: (message) => ipcRenderer.send(IPC.rpc, { conn, message } satisfies IpcEnvelope),
  onMessage: (listener) => void messageListeners.push(listener),
  onClose: () => {},
  close: () => {},
};

const bridge: Bridge = {
  connect: () => port,
  async pathOfDroppedFile(file) {
    const path = webUtils.getPathForFile(file);
    return path
      ? { ok: true, value: path }
      : {
          ok: false,
          error: { code: 'NOT_FOUND', message: `"${file.name}" has no path on disk (was it dragged from another app?).` },
        };
  },
  onCommand(listener) {
    ipcRenderer.on(IPC.command, (_e, command: MenuCommand) => listener(command));
  },
  onOpenPath(listener) {
    ipcRenderer.on(IPC.openPath, (_e, path: unknown) => {
      if (typeof path === 'string') listener(path);
    });
  },
};

contextBridge.exposeInMainWorld('workbench', bridge);
