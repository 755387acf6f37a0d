// The Electron glue, with electron mocked: IPC binding checks the sender, parses through the
// backend, relays events and cancels; the window is locked down; the preload exposes only the bridge.
import { beforeEach, describe, expect, it, vi } from 'vitest';

const electron = vi.hoisted(() => {
  const handlers = new Map<string, (...args: unknown[]) => unknown>();
  const listeners = new Map<string, (...args: unknown[]) => unknown>();
  const windows: {
    options: Record<string, unknown>;
    contents: { handlers: Map<string, (...a: unknown[]) => unknown>; openHandler?: (d: { url: string }) => unknown };
  }[] = [];
  class BrowserWindow {
    webContents: {
      on: (e: string, cb: (...a: unknown[]) => unknown) => void;
      setWindowOpenHandler: (h: (d: { url: string }) => unknown) => void;
    };
    constructor(options: Record<string, unknown>) {
      const record = {
        options,
        contents: { handlers: new Map<string, (...a: unknown[]) => unknown>() } as (typeof windows)[number]['contents'],
      };
      windows.push(record);
      this.webContents = {
        on: (e, cb) => record.contents.handlers.set(e, cb),
        setWindowOpenHandler: (h) => (record.contents.openHandler = h),
      };
    }
    once() {}
    loadFile = vi.fn(async () => {});
    loadURL = vi.fn(async () => {});
  }
  const exposed: Record<string, unknown> = {};
  return {
    handlers,
    listeners,
    windows,
    exposed,
    ipcMain: {
      handle: (name: string, fn: (...args: unknown[]) => unknown) => handlers.set(name, fn),
      on: (name: string, fn: (...args: unknown[]) => unknown) => listeners.set(name, fn),
      removeHandler: (name: string) => handlers.delete(name),
      removeListener: (name: string) => listeners.delete(name),
    },
    BrowserWindow,
    shell: { openExternal: vi.fn() },
    contextBridge: { exposeInMainWorld: (key: string, api: unknown) => (exposed[key] = api) },
    ipcRenderer: { invoke: vi.fn(), send: vi.fn(), on: vi.fn() },
    webUtils: { getPathForFile: vi.fn(() => '/home/u/model.onnx') },
  };
});
vi.mock('electron', () => electron);

import type { IpcMain } from 'electron';
import { Backend } from '../../electron/node/backend';
import { EngineClient } from '../../electron/node/engine-client';
import { ModelLibrary } from '../../electron/node/library';
import { RecipeStore } from '../../electron/node/recipes';
import { serverHost } from '../../electron/node/services';
import { bindIpc } from '../../electron/main/ipc';
import { createMainWindow, isAppUrl } from '../../electron/main/window';
import { IPC } from '../../shared/ipc';

function fakeEvent(url: string) {
  const sent: unknown[][] = [];
  return {
    senderFrame: { url },
    sender: { isDestroyed: () => false, send: (...args: unknown[]) => sent.push(args) },
    sent,
  };
}

describe('IPC binding', () => {
  let backend: Backend;
  beforeEach(() => {
    electron.handlers.clear();
    electron.listeners.clear();
    const engine = new EngineClient({
      launch: () => {
        throw new Error('no engine in this test');
      },
    });
    const library = new ModelLibrary({
      file: '/nonexistent/library.json',
      inspect: async () => {
        throw new Error('no');
      },
    });
    backend = new Backend({
      engine,
      host: serverHost(),
      version: '1.2.3',
      samples: async () => [],
      library,
      recipes: new RecipeStore('/nonexistent/recipes'),
    });
    bindIpc(electron.ipcMain as unknown as IpcMain, backend, (frame) => !!frame && frame.url.startsWith('file:///app/'));
  });

  it('answers a trusted frame through the contract', async () => {
    const invoke = electron.handlers.get(IPC.invoke)!;
    const result = await invoke(fakeEvent('file:///app/index.html'), { channel: 'app.info', input: {}, jobId: 'a' });
    expect(result).toMatchObject({ ok: true, value: { version: '1.2.3' } });
  });

  it('refuses a frame that is not the app', async () => {
    const invoke = electron.handlers.get(IPC.invoke)!;
    const result = await invoke(fakeEvent('https://evil.example/'), { channel: 'app.info', input: {}, jobId: 'a' });
    expect(result).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED' } });
  });

  it('answers malformed payloads with an error envelope, not a throw', async () => {
    const invoke = electron.handlers.get(IPC.invoke)!;
    for (const payload of [
      null,
      'x',
      { channel: 'model.inspect', input: { path: 1 }, jobId: 'j' },
      { channel: 'app.info', input: {} },
    ]) {
      const result = (await invoke(fakeEvent('file:///app/index.html'), payload)) as { ok: boolean; error: { code: string } };
      expect(result.ok).toBe(false);
      expect(['INVALID_INPUT', 'UNKNOWN_CHANNEL']).toContain(result.error.code);
    }
  });

  it('cancel aborts the job with that id', async () => {
    let seenSignal: AbortSignal | null = null;
    backend.handlers['samples.list'] = (_input, ctx) =>
      new Promise((_resolve, reject) => {
        seenSignal = ctx.signal;
        ctx.signal.addEventListener('abort', () => reject(new Error('aborted')));
      });
    const invoke = electron.handlers.get(IPC.invoke)!;
    const event = fakeEvent('file:///app/index.html');
    const pending = invoke(event, { channel: 'samples.list', input: {}, jobId: 'job-1' });
    await new Promise((r) => setTimeout(r, 10));
    electron.listeners.get(IPC.cancel)!(event, 'job-1');
    expect(await pending).toMatchObject({ ok: false, error: { code: 'CANCELLED' } });
    expect(seenSignal!.aborted).toBe(true);
  });

  it('sends progress events to the frame that asked, tagged with the job id', async () => {
    backend.handlers['samples.list'] = async (_input, ctx) => {
      (ctx.emit as (e: unknown) => void)({ step: 1 });
      return [];
    };
    const event = fakeEvent('file:///app/index.html');
    await electron.handlers.get(IPC.invoke)!(event, { channel: 'samples.list', input: {}, jobId: 'job-2' });
    expect(event.sent).toEqual([[IPC.event, { jobId: 'job-2', event: { step: 1 } }]]);
  });
});

describe('main window', () => {
  it('is isolated and sandboxed, with navigation and new windows denied', () => {
    createMainWindow({ preload: '/app/out/preload/index.cjs', devUrl: null, rendererDir: '/app/out/renderer' });
    const win = electron.windows.at(-1)!;
    expect(win.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    });
    const prevent = vi.fn();
    win.contents.handlers.get('will-navigate')!({ preventDefault: prevent });
    expect(prevent).toHaveBeenCalled();
    expect(win.contents.openHandler!({ url: 'https://example.com' })).toEqual({ action: 'deny' });
    expect(win.contents.openHandler!({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
  });

  it('trusts only the app pages', () => {
    expect(isAppUrl('file:///app/out/renderer/index.html', null, '/app/out/renderer')).toBe(true);
    expect(isAppUrl('file:///etc/index.html', null, '/app/out/renderer')).toBe(false);
    expect(isAppUrl('https://evil.example/', null, '/app/out/renderer')).toBe(false);
    expect(isAppUrl('http://localhost:5173/', 'http://localhost:5173/', '/x')).toBe(true);
  });
});

describe('preload', () => {
  it('exposes only the bridge (invoke, cancel, dropped-file path, menu commands, paths to open)', async () => {
    await import('../../electron/preload/index');
    const bridge = electron.exposed.workbench as Record<string, unknown>;
    expect(Object.keys(bridge).sort()).toEqual(['cancel', 'invoke', 'onCommand', 'onOpenPath', 'pathOfDroppedFile']);
    electron.ipcRenderer.invoke.mockResolvedValueOnce({ ok: true, value: 1 });
    const result = await (bridge.invoke as (...a: unknown[]) => Promise<unknown>)('app.info', {}, 'j1');
    expect(result).toEqual({ ok: true, value: 1 });
    expect(electron.ipcRenderer.invoke).toHaveBeenCalledWith(IPC.invoke, { channel: 'app.info', input: {}, jobId: 'j1' });
    const path = await (bridge.pathOfDroppedFile as (f: unknown) => Promise<unknown>)({ name: 'model.onnx' });
    expect(path).toEqual({ ok: true, value: '/home/u/model.onnx' });
  });
});
