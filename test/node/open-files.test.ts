import type { BrowserWindow } from 'electron';
import { EventEmitter } from 'node:events';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeEach, describe, expect, it, vi } from 'vitest';

const electron = vi.hoisted(() => ({ lock: true, ready: false, app: null as unknown }));

vi.mock('electron', async () => {
  const { EventEmitter: Emitter } = await import('node:events');
  const fakeApp = Object.assign(new Emitter(), {
    requestSingleInstanceLock: () => electron.lock,
    isReady: () => electron.ready,
  });
  electron.app = fakeApp;
  return { app: fakeApp };
});

const { OPEN_PATH_CHANNEL, OpenPathQueue, modelPathsFromArgv, startOpenFiles } = await import('../../electron/main/open-files');
type Win = BrowserWindow;

function fakeApp(): EventEmitter {
  return electron.app as EventEmitter;
}

/** A window whose page is loading until finishLoad() is called. */
function fakeWindow(loading = true) {
  const contents = Object.assign(new EventEmitter(), { send: vi.fn(), isLoading: () => loading });
  const win = Object.assign(new EventEmitter(), {
    webContents: contents,
    isDestroyed: () => false,
    isMinimized: vi.fn(() => true),
    restore: vi.fn(),
    focus: vi.fn(),
  });
  const finishLoad = () => {
    loading = false;
    contents.emit('did-finish-load');
  };
  return { win, asWindow: win as unknown as Win, sent: () => contents.send.mock.calls, finishLoad };
}

describe('modelPathsFromArgv', () => {
  const cwd = resolve('/home/ada/models');
  it.each([
    {
      name: 'packaged, absolute path',
      argv: ['/opt/owb/onnx-workbench', '/data/m.onnx'],
      defaultApp: false,
      want: [resolve('/data/m.onnx')],
    },
    {
      name: 'packaged, relative path from the shell folder',
      argv: ['owb', 'sub/m.onnx'],
      defaultApp: false,
      want: [resolve(cwd, 'sub/m.onnx')],
    },
    {
      name: 'electron . skips the app folder',
      argv: ['electron', '.', 'm.onnx'],
      defaultApp: true,
      want: [resolve(cwd, 'm.onnx')],
    },
    {
      name: 'Chromium and Electron switches are not files',
      argv: ['owb', '--no-sandbox', '--enable-features=Vulkan', '-psn_0_4242', 'a.onnx', '--', 'b.onnx'],
      defaultApp: false,
      want: [resolve(cwd, 'a.onnx'), resolve(cwd, 'b.onnx')],
    },
    {
      name: 'file:// URLs from desktop launchers',
      argv: ['owb', pathToFileURL('/data/my model.onnx').href],
      defaultApp: false,
      want: [resolve('/data/my model.onnx')],
    },
    {
      name: 'other URLs and empty arguments are ignored',
      argv: ['owb', 'https://example.com/m.onnx', ''],
      defaultApp: false,
      want: [],
    },
    { name: 'no arguments', argv: ['owb'], defaultApp: false, want: [] },
  ])('$name', ({ argv, defaultApp, want }) => {
    expect(modelPathsFromArgv(argv, cwd, defaultApp)).toEqual(want);
  });
});

describe('OpenPathQueue', () => {
  it('holds paths until the window has loaded its page, then sends them in order', () => {
    const queue = new OpenPathQueue();
    queue.open('/a.onnx');
    const window = fakeWindow();
    queue.attach(window.asWindow);
    queue.open('/b.onnx');
    expect(window.sent()).toEqual([]);
    expect(queue.pendingOpenPaths).toEqual(['/a.onnx', '/b.onnx']);
    window.finishLoad();
    expect(window.sent()).toEqual([
      [OPEN_PATH_CHANNEL, '/a.onnx'],
      [OPEN_PATH_CHANNEL, '/b.onnx'],
    ]);
    queue.open('/c.onnx');
    expect(window.sent().at(-1)).toEqual([OPEN_PATH_CHANNEL, '/c.onnx']);
    expect(queue.pendingOpenPaths).toEqual([]);
  });

  it('queues again once the window is closed, for the next window', () => {
    const queue = new OpenPathQueue();
    const first = fakeWindow(false);
    queue.attach(first.asWindow);
    first.win.emit('closed');
    queue.open('/later.onnx');
    expect(first.sent()).toEqual([]);
    const second = fakeWindow(false);
    queue.attach(second.asWindow);
    expect(second.sent()).toEqual([[OPEN_PATH_CHANNEL, '/later.onnx']]);
  });
});

describe('startOpenFiles', () => {
  beforeEach(() => {
    fakeApp().removeAllListeners();
    electron.lock = true;
    electron.ready = false;
  });

  it('returns null when another instance holds the lock, and listens to nothing', () => {
    electron.lock = false;
    expect(startOpenFiles({ ensureWindow: () => null }, ['owb', '/m.onnx'])).toBeNull();
    expect(fakeApp().listenerCount('second-instance')).toBe(0);
  });

  it('opens the model on its own command line once the window has loaded', () => {
    const queue = startOpenFiles({ ensureWindow: () => null }, ['owb', '--no-sandbox', '/data/m.onnx']);
    const window = fakeWindow();
    queue?.attach(window.asWindow);
    window.finishLoad();
    expect(window.sent()).toEqual([[OPEN_PATH_CHANNEL, resolve('/data/m.onnx')]]);
  });

  it('queues macOS open-file events that arrive before ready, and keeps the OS from handling them', () => {
    const ensureWindow = vi.fn(() => null);
    const queue = startOpenFiles({ ensureWindow }, ['owb']);
    const event = { preventDefault: vi.fn() };
    fakeApp().emit('open-file', event, '/early.onnx');
    expect(event.preventDefault).toHaveBeenCalled();
    expect(ensureWindow).not.toHaveBeenCalled();
    expect(queue?.pendingOpenPaths).toEqual(['/early.onnx']);
    const window = fakeWindow();
    queue?.attach(window.asWindow);
    window.finishLoad();
    expect(window.sent()).toEqual([[OPEN_PATH_CHANNEL, '/early.onnx']]);
  });

  it('after ready, open-file makes sure there is a window to open in', () => {
    electron.ready = true;
    const window = fakeWindow(false);
    let queue: ReturnType<typeof startOpenFiles> = null;
    const ensureWindow = vi.fn(() => {
      queue?.attach(window.asWindow);
      return window.asWindow;
    });
    queue = startOpenFiles({ ensureWindow }, ['owb']);
    fakeApp().emit('open-file', { preventDefault: () => undefined }, '/dock.onnx');
    expect(ensureWindow).toHaveBeenCalledTimes(1);
    expect(window.sent()).toEqual([[OPEN_PATH_CHANNEL, '/dock.onnx']]);
  });

  it('a second launch hands its model (relative to its own folder) to the running window and focuses it', () => {
    electron.ready = true;
    const window = fakeWindow(false);
    const queue = startOpenFiles({ ensureWindow: () => window.asWindow }, ['owb']);
    queue?.attach(window.asWindow);
    fakeApp().emit('second-instance', {}, ['owb', '--allow-file-access-from-files', 'models/m.onnx'], '/home/ada');
    expect(window.sent()).toEqual([[OPEN_PATH_CHANNEL, resolve('/home/ada', 'models/m.onnx')]]);
    expect(window.win.restore).toHaveBeenCalled();
    expect(window.win.focus).toHaveBeenCalled();
  });

  it('a second launch without a model only brings the window forward', () => {
    electron.ready = true;
    const window = fakeWindow(false);
    const queue = startOpenFiles({ ensureWindow: () => window.asWindow }, ['owb']);
    queue?.attach(window.asWindow);
    fakeApp().emit('second-instance', {}, ['owb'], '/home/ada');
    expect(window.sent()).toEqual([]);
    expect(window.win.focus).toHaveBeenCalled();
  });
});
