// The desktop app's checklist, with electron mocked (as test/node/ipc.test.ts does): which pages
// are ours (POSIX and Windows paths, sibling folders, look-alike dev hosts), permissions denied
// but the clipboard, DevTools only in development, shell.openPath only for folders the app
// wrote, fuses in the builder config.
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

const electron = vi.hoisted(() => {
  const windows: { options: Record<string, unknown> }[] = [];
  class BrowserWindow {
    webContents = { on: () => {}, setWindowOpenHandler: () => {} };
    constructor(options: Record<string, unknown>) {
      windows.push({ options });
    }
    once() {}
    loadFile = async () => {};
    loadURL = async () => {};
  }
  return {
    windows,
    BrowserWindow,
    shell: { openExternal: () => {}, openPath: async () => '' },
    Menu: { buildFromTemplate: (t: unknown) => t, setApplicationMenu: () => {} },
  };
});
vi.mock('electron', () => electron);

import type { Session } from 'electron';
import { viewMenu } from '../../electron/main/menu';
import { createMainWindow, installPermissionHandlers, isAppUrl } from '../../electron/main/window';
import { Backend } from '../../electron/node/backend';
import { EngineClient } from '../../electron/node/engine-client';
import { ModelLibrary } from '../../electron/node/library';
import { RecipeStore } from '../../electron/node/recipes';
import { ROOT } from '../helpers';

describe('isAppUrl', () => {
  const cases: [string, string | null, string, NodeJS.Platform, boolean][] = [
    ['file:///app/out/renderer/index.html', null, '/app/out/renderer', 'linux', true],
    ['file:///app/out/renderer/assets/a.js', null, '/app/out/renderer', 'linux', true],
    ['file:///app/out/renderer-evil/index.html', null, '/app/out/renderer', 'linux', false],
    ['file:///app/out/renderer/../secret.html', null, '/app/out/renderer', 'linux', false],
    ['file:///app/out/renderer/%2e%2e/secret.html', null, '/app/out/renderer', 'linux', false],
    ['file:///app/out/renderer', null, '/app/out/renderer', 'linux', false],
    ['file://host/app/out/renderer/index.html', null, '/app/out/renderer', 'linux', false],
    ['file:///etc/index.html', null, '/app/out/renderer', 'linux', false],
    [
      'file:///C:/Program%20Files/ONNX%20Workbench/resources/app.asar/out/renderer/index.html',
      null,
      'C:\\Program Files\\ONNX Workbench\\resources\\app.asar\\out\\renderer',
      'win32',
      true,
    ],
    [
      'file:///c:/program files/onnx workbench/resources/app.asar/out/renderer/index.html',
      null,
      'C:\\Program Files\\ONNX Workbench\\resources\\app.asar\\out\\renderer',
      'win32',
      true,
    ],
    ['file:///C:/app/out/renderer-evil/index.html', null, 'C:\\app\\out\\renderer', 'win32', false],
    ['file:///D:/app/out/renderer/index.html', null, 'C:\\app\\out\\renderer', 'win32', false],
    ['file://server/share/out/renderer/index.html', null, '\\\\server\\share\\out\\renderer', 'win32', true],
    ['file://evil/share/out/renderer/index.html', null, '\\\\server\\share\\out\\renderer', 'win32', false],
    ['http://localhost:5173/', 'http://localhost:5173/', '/x', 'linux', true],
    ['http://localhost:5173/src/App.svelte', 'http://localhost:5173', '/x', 'linux', true],
    ['http://localhost:5173.evil/', 'http://localhost:5173', '/x', 'linux', false],
    ['http://localhost:51730/', 'http://localhost:5173', '/x', 'linux', false],
    ['http://localhost:5173@evil.example/', 'http://localhost:5173', '/x', 'linux', false],
    ['https://evil.example/', null, '/app/out/renderer', 'linux', false],
    ['not a url', null, '/app/out/renderer', 'linux', false],
    ['file:///app/out/renderer/%E0%A4%A.html', null, '/app/out/renderer', 'linux', false],
  ];
  it.each(cases)('%s (dev %s, renderer %s, %s) → %s', (url, dev, dir, platform, want) => {
    expect(isAppUrl(url, dev, dir, platform)).toBe(want);
  });
});

describe('permissions', () => {
  it('grants the clipboard to our page only, and nothing else to anyone', () => {
    let request: ((c: unknown, p: string, cb: (ok: boolean) => void, d: { requestingUrl?: string }) => void) | null = null;
    let check: ((c: unknown, p: string, origin: string, d: { requestingUrl?: string }) => boolean) | null = null;
    let device: (() => boolean) | null = null;
    const session = {
      setPermissionRequestHandler: (h: typeof request) => (request = h),
      setPermissionCheckHandler: (h: typeof check) => (check = h),
      setDevicePermissionHandler: (h: typeof device) => (device = h),
    } as unknown as Session;
    installPermissionHandlers(session, (url) => isAppUrl(url, null, '/app/out/renderer', 'linux'));
    const ours = { requestingUrl: 'file:///app/out/renderer/index.html' };
    const answer = (permission: string, details: { requestingUrl?: string }) => {
      let granted: boolean | null = null;
      request!({ getURL: () => '' }, permission, (ok) => (granted = ok), details);
      return granted;
    };
    expect(answer('clipboard-sanitized-write', ours)).toBe(true);
    expect(answer('clipboard-sanitized-write', { requestingUrl: 'https://evil.example/' })).toBe(false);
    for (const p of [
      'media',
      'geolocation',
      'notifications',
      'openExternal',
      'fileSystem',
      'hid',
      'serial',
      'usb',
      'midiSysex',
      'pointerLock',
      'fullscreen',
      'clipboard-read',
    ])
      expect(answer(p, ours), p).toBe(false);
    expect(check!({}, 'media', 'file://', ours)).toBe(false);
    expect(check!({}, 'clipboard-sanitized-write', 'file://', ours)).toBe(true);
    expect(device!()).toBe(false);
  });
});

describe('DevTools', () => {
  it('are off in the window and absent from the menu unless in development', () => {
    createMainWindow({ preload: '/p.cjs', devUrl: null, rendererDir: '/r' });
    expect((electron.windows.at(-1)!.options.webPreferences as { devTools: boolean }).devTools).toBe(false);
    createMainWindow({ preload: '/p.cjs', devUrl: 'http://localhost:5173', rendererDir: '/r', devTools: true });
    expect((electron.windows.at(-1)!.options.webPreferences as { devTools: boolean }).devTools).toBe(true);
    const roles = (menu: { submenu?: unknown }) => (menu.submenu as { role?: string }[]).map((i) => i.role);
    expect(roles(viewMenu(false))).not.toContain('toggleDevTools');
    expect(roles(viewMenu(false))).not.toContain('reload');
    expect(roles(viewMenu(true))).toContain('toggleDevTools');
  });
});

describe('app.showFolder', () => {
  it('opens only folders the app wrote, never a file or a folder it did not write', async () => {
    const opened: string[] = [];
    const dir = await mkdtemp(join(tmpdir(), 'owb-show-'));
    const engine = new EngineClient({
      launch: () => {
        throw new Error('no engine in this test');
      },
    });
    const backend = new Backend({
      engine,
      host: {
        info: { mode: 'electron', platform: 'linux', arch: 'x64', fileChooser: 'native', homeDir: dir },
        showFolder: async (path) => void opened.push(path),
      },
      version: '0',
      samples: async () => [],
      library: new ModelLibrary({
        file: join(dir, 'library.json'),
        inspect: async () => ({ ok: false, error: { code: 'INTERNAL', message: '' } }),
      }),
      recipes: new RecipeStore(join(dir, 'recipes')),
    });
    await writeFile(join(dir, 'run.sh'), '#!/bin/sh\n');
    for (const path of ['/etc', '/usr/bin', join(dir, 'run.sh'), dir]) {
      expect(await backend.dispatch('app.showFolder', { path })).toMatchObject({
        ok: false,
        error: { code: 'PERMISSION_DENIED' },
      });
    }
    // After the app saved a file into the folder, it may show it.
    await backend.dispatch('files.list', { path: dir });
    const job = {
      model: join(dir, 'm.onnx'),
      recipe: {},
      input: { folder: join(dir, 'in') },
      output: { folder: join(dir, 'out') },
    };
    expect(await backend.dispatch('batch.saveJob', { job, to: join(dir, 'job.json') })).toMatchObject({ ok: true });
    expect(await backend.dispatch('app.showFolder', { path: dir })).toMatchObject({ ok: true });
    expect(opened).toEqual([dir]);
  });
});

describe('electron-builder fuses', () => {
  it('turns off NODE_OPTIONS and --inspect, loads the app only from an integrity-checked asar', () => {
    const yml = readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8');
    const fuses = yml.slice(yml.indexOf('electronFuses:'));
    expect(fuses).toMatch(/enableNodeOptionsEnvironmentVariable: false/);
    expect(fuses).toMatch(/enableNodeCliInspectArguments: false/);
    expect(fuses).toMatch(/enableEmbeddedAsarIntegrityValidation: true/);
    expect(fuses).toMatch(/onlyLoadAppFromAsar: true/);
  });
});
