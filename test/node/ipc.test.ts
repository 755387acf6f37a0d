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
import { BatchService } from '../../electron/node/batch-service';
import { type EngineClient } from '../../electron/node/engine-client';
import { ModelLibrary } from '../../electron/node/library';
import { RecipeStore } from '../../electron/node/recipes';
import { serverHost } from '../../electron/node/services';
import { bindIpc } from '../../electron/main/ipc';
import { createMainWindow, isAppUrl } from '../../electron/main/window';
import type { BatchProgress, BatchSummary } from '../../shared/batch';
import type { Contract } from '../../shared/contract';
import { IPC, type IpcEnvelope } from '../../shared/ipc';
import { RpcClient } from '../../shared/rpc/client';
import type { RpcMessage } from '../../shared/rpc/messages';
import type { Port } from '../../shared/rpc/port';
import { waitFor } from '../helpers';
import { fakeBatchEngine } from './rpc-fakes';

let nextSenderId = 1;

/** One window's webContents as the main side sees it: what it was sent, and its 'destroyed' listener. */
function fakeSender() {
  const sent: unknown[][] = [];
  const once = new Map<string, () => void>();
  return {
    id: nextSenderId++,
    sent,
    isDestroyed: () => false,
    send: (...args: unknown[]) => sent.push(args),
    once: (event: string, cb: () => void) => once.set(event, cb),
    destroy: () => once.get('destroyed')?.(),
  };
}

/** A page load in a window: the preload's side of the wire, as an RPC port (conn = this load). */
function pageLoad(sender: ReturnType<typeof fakeSender>, conn: string, url = 'file:///app/index.html') {
  const event = { senderFrame: { url }, sender };
  const listeners: ((m: unknown) => void)[] = [];
  const seen = sender.sent.length;
  let delivered = seen;
  const pump = () => {
    for (; delivered < sender.sent.length; delivered++) {
      const [channel, envelope] = sender.sent[delivered] as [string, IpcEnvelope];
      if (channel === IPC.rpc && envelope.conn === conn) for (const l of listeners) l(envelope.message);
    }
  };
  const timer = setInterval(pump, 2);
  const port: Port = {
    send: (message) => electron.listeners.get(IPC.rpc)!(event, { conn, message }),
    onMessage: (l) => void listeners.push(l),
    onClose: () => {},
    close: () => clearInterval(timer),
  };
  const raw = (message: unknown) => electron.listeners.get(IPC.rpc)!(event, { conn, message });
  const received = () =>
    sender.sent
      .slice(seen)
      .filter(([c, e]) => c === IPC.rpc && (e as IpcEnvelope).conn === conn)
      .map(([, e]) => (e as IpcEnvelope).message as RpcMessage);
  return { client: new RpcClient<Contract>(port), raw, received, close: () => clearInterval(timer) };
}

describe('IPC binding', () => {
  let backend: Backend;
  let engine: ReturnType<typeof fakeBatchEngine>;
  const pages: { close(): void }[] = [];
  const load = (...args: Parameters<typeof pageLoad>) => {
    const p = pageLoad(...args);
    pages.push(p);
    return p;
  };
  beforeEach(() => {
    for (const p of pages.splice(0)) p.close();
    electron.handlers.clear();
    electron.listeners.clear();
    engine = fakeBatchEngine();
    const library = new ModelLibrary({
      file: '/nonexistent/library.json',
      inspect: async () => {
        throw new Error('no');
      },
    });
    backend = new Backend({
      engine: engine as unknown as EngineClient,
      host: serverHost(),
      version: '1.2.3',
      samples: async () => [],
      library,
      recipes: new RecipeStore('/nonexistent/recipes'),
      batch: new BatchService({ engine: engine as unknown as EngineClient }),
    });
    bindIpc(
      electron.ipcMain as unknown as IpcMain,
      (channel, input, ctx) => backend.dispatch(channel, input, ctx),
      (frame) => !!frame && frame.url.startsWith('file:///app/'),
    );
  });

  it('answers a trusted frame through the contract', async () => {
    const page = load(fakeSender(), 'load-1');
    expect(await page.client.call('app.info', {})).toMatchObject({ ok: true, value: { version: '1.2.3' } });
  });

  it('refuses a frame that is not the app', async () => {
    const page = load(fakeSender(), 'evil', 'https://evil.example/');
    expect(await page.client.call('app.info', {})).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED' } });
  });

  it('answers malformed payloads with an error envelope, not a throw', async () => {
    const page = load(fakeSender(), 'load-1');
    for (const message of [null, 'x', { type: 'request', channel: 'app.info', input: {} }]) page.raw(message);
    await waitFor(() => page.received().length === 3);
    expect(page.received().map((m) => m.type)).toEqual(['error', 'error', 'error']);
    const bad = await page.client.call('model.inspect', { path: 1 } as never);
    expect(!bad.ok && bad.error.code).toBe('INVALID_INPUT');
    const unknown = await page.client.callUntyped('no.such', {});
    expect(!unknown.ok && unknown.error.code).toBe('UNKNOWN_CHANNEL');
  });

  it('cancel aborts the call with that id', async () => {
    let seenSignal: AbortSignal | null = null;
    backend.handlers['samples.list'] = (_input, ctx) =>
      new Promise((_resolve, reject) => {
        seenSignal = ctx.signal;
        ctx.signal.addEventListener('abort', () => reject(new Error('aborted')));
      });
    const page = load(fakeSender(), 'load-1');
    const controller = new AbortController();
    const pending = page.client.call('samples.list', {}, { signal: controller.signal, callId: 'call-1' });
    await waitFor(() => seenSignal !== null);
    controller.abort();
    expect(await pending).toMatchObject({ ok: false, error: { code: 'CANCELLED' } });
    expect(seenSignal!.aborted).toBe(true);
    expect(page.received().at(-1)).toMatchObject({ type: 'response', callId: 'call-1' });
  });

  it('sends progress events to the frame that asked, tagged with the call id', async () => {
    backend.handlers['samples.list'] = async (_input, ctx) => {
      (ctx.emit as (e: unknown) => void)({ step: 1 });
      return [];
    };
    const sender = fakeSender();
    const page = load(sender, 'load-1');
    const other = load(fakeSender(), 'load-2');
    const events: unknown[] = [];
    await page.client.call('samples.list', {}, { callId: 'job-2', onEvent: (e) => events.push(e) });
    expect(events).toEqual([{ step: 1 }]);
    expect(sender.sent[0]).toEqual([
      IPC.rpc,
      { conn: 'load-1', message: { type: 'event', callId: 'job-2', event: { step: 1 } } },
    ]);
    expect(other.received()).toEqual([]);
  });

  it('refuses a call id already in flight, and the first call still answers', async () => {
    let release!: () => void;
    backend.handlers['samples.list'] = () => new Promise((r) => (release = () => r([])));
    const page = load(fakeSender(), 'load-1');
    const first = page.client.call('samples.list', {}, { callId: 'same' });
    await waitFor(() => release !== undefined);
    // The page's own client refuses it before it leaves…
    const twice = await page.client.call('samples.list', {}, { callId: 'same' });
    expect(!twice.ok && twice.error).toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/already in flight/),
    });
    // …and the main side refuses one sent raw.
    page.raw({ type: 'request', callId: 'same', channel: 'samples.list', input: {} });
    await waitFor(() => page.received().some((m) => m.type === 'error'));
    expect(page.received().find((m) => m.type === 'error')).toMatchObject({ callId: 'same', error: { code: 'INVALID_INPUT' } });
    release();
    expect(await first).toEqual({ ok: true, value: [] });
  });

  it('caps the calls in flight per window with a clear BUSY error', async () => {
    backend.handlers['samples.list'] = (_input, ctx) => new Promise((r) => ctx.signal.addEventListener('abort', () => r([])));
    const page = load(fakeSender(), 'load-1');
    const held = Array.from({ length: 32 }, () => page.client.call('samples.list', {}));
    const over = await page.client.call('app.info', {});
    expect(!over.ok && over.error).toMatchObject({ code: 'BUSY', message: expect.stringMatching(/this window \(32\)/) });
    void held;
  });

  it('a reload ends the old page load (its calls are cancelled) and serves the new one', async () => {
    let aborted = false;
    let started = false;
    backend.handlers['samples.list'] = (_input, ctx) =>
      new Promise((r) => {
        started = true;
        ctx.signal.addEventListener('abort', () => ((aborted = true), r([])));
      });
    const sender = fakeSender();
    const before = load(sender, 'load-1');
    // The old load's answer never comes: its page is gone.
    void before.client.call('samples.list', {});
    await waitFor(() => started);
    const after = load(sender, 'load-2');
    expect(await after.client.call('app.info', {})).toMatchObject({ ok: true });
    await waitFor(() => aborted);
    // A late message of the old load does not end the new one.
    before.raw({ type: 'request', callId: 'late', channel: 'app.info', input: {} });
    expect(await after.client.call('app.info', {})).toMatchObject({ ok: true });
  });

  it('a batch job outlives a reloaded window: the new page lists it, re-attaches to its progress and cancels it', async () => {
    const sender = fakeSender();
    const first = load(sender, 'load-1');
    const started = await first.client.call('batch.start', { job: engine.job, jobId: 'job-reload' });
    expect(started).toEqual({ ok: true, value: { jobId: 'job-reload' } });
    const firstSeen: BatchProgress[] = [];
    const firstWatch = first.client.call('batch.watch', { jobId: 'job-reload' }, { onEvent: (p) => firstSeen.push(p) });
    engine.progress({ done: 3, total: 10 });
    await waitFor(() => firstSeen.length > 0);

    // Ctrl+R: the same webContents, a new page load.
    const second = load(sender, 'load-2');
    const jobs = await second.client.call('batch.jobs', {});
    expect(jobs.ok && jobs.value.find((j) => j.id === 'job-reload')?.state).toMatch(/running|counting/);
    expect(engine.running()).toBe(true);
    const seen: BatchProgress[] = [];
    const watch = second.client.call('batch.watch', { jobId: 'job-reload' }, { onEvent: (p) => seen.push(p) });
    // The latest progress at once, then the job's own events.
    await waitFor(() => seen.length === 1);
    expect(seen[0]).toMatchObject({ jobId: 'job-reload', done: 3, total: 10 });
    engine.progress({ done: 4, total: 10 });
    await waitFor(() => seen.length === 2);
    expect(seen[1].done).toBe(4);

    expect(await second.client.call('batch.cancel', { jobId: 'job-reload' })).toEqual({ ok: true, value: { cancelled: true } });
    expect(await watch).toMatchObject({ ok: false, error: { code: 'CANCELLED' } });
    expect(engine.running()).toBe(false);
    void firstWatch;
  });

  it('a closed window cancels its calls but not its jobs', async () => {
    const sender = fakeSender();
    const page = load(sender, 'load-1');
    await page.client.call('batch.start', { job: engine.job, jobId: 'job-closed' });
    sender.destroy();
    const other = load(fakeSender(), 'load-9');
    const watch = other.client.call('batch.watch', { jobId: 'job-closed' });
    engine.finish();
    const summary = await watch;
    expect(summary.ok && (summary.value as BatchSummary).state).toBe('finished');
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
  it('exposes only the bridge (a port, dropped-file path, menu commands, paths to open)', async () => {
    await import('../../electron/preload/index');
    const bridge = electron.exposed.workbench as Record<string, unknown>;
    expect(Object.keys(bridge).sort()).toEqual(['connect', 'onCommand', 'onOpenPath', 'pathOfDroppedFile']);
    const port = (bridge.connect as () => Port)();
    port.send({ type: 'request', callId: 'c1', channel: 'app.info', input: {} });
    const [channel, envelope] = electron.ipcRenderer.send.mock.calls.at(-1) as unknown as [string, IpcEnvelope];
    expect(channel).toBe(IPC.rpc);
    expect(envelope.message).toEqual({ type: 'request', callId: 'c1', channel: 'app.info', input: {} });
    // Messages for this page load reach the port; those for another load do not.
    const received: unknown[] = [];
    port.onMessage((m) => received.push(m));
    const onRpc = (electron.ipcRenderer.on.mock.calls as unknown as [string, (e: unknown, m: unknown) => void][]).find(
      ([name]) => name === IPC.rpc,
    )![1];
    onRpc({}, { conn: envelope.conn, message: { type: 'pong', n: 1 } });
    onRpc({}, { conn: 'another-load', message: { type: 'pong', n: 2 } });
    expect(received).toEqual([{ type: 'pong', n: 1 }]);
    const path = await (bridge.pathOfDroppedFile as (f: unknown) => Promise<unknown>)({ name: 'model.onnx' });
    expect(path).toEqual({ ok: true, value: '/home/u/model.onnx' });
  });
});
