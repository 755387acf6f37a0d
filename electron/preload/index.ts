// The preload exposes the contract's bridge and nothing else: no raw ipcRenderer.
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import type { Bridge } from '../../shared/api';
import { IPC, type MenuCommand } from '../../shared/ipc';
import type { Result } from '../../shared/result';

const eventListeners = new Map<string, (event: unknown) => void>();
ipcRenderer.on(IPC.event, (_e, message: { jobId: string; event: unknown }) => {
  eventListeners.get(message.jobId)?.(message.event);
});

const bridge: Bridge = {
  async invoke(channel, input, jobId, onEvent) {
    if (onEvent) eventListeners.set(jobId, onEvent);
    try {
      return (await ipcRenderer.invoke(IPC.invoke, { channel, input, jobId })) as Result<unknown>;
    } finally {
      eventListeners.delete(jobId);
    }
  },
  cancel(jobId) {
    ipcRenderer.send(IPC.cancel, jobId);
  },
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
