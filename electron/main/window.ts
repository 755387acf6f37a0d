// The main window, locked down: isolated, sandboxed preload, no Node in the page, no
// navigation away from the app, no new windows.
import { BrowserWindow, shell } from 'electron';
import { join } from 'node:path';

export interface WindowOptions {
  preload: string;
  /** Dev server URL, or null to load the built renderer from disk. */
  devUrl: string | null;
  rendererDir: string;
}

export function createMainWindow(options: WindowOptions): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 820,
    minHeight: 560,
    show: false,
    title: 'ONNX Workbench',
    backgroundColor: '#0f1115',
    webPreferences: {
      preload: options.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  const contents = win.webContents;
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    // Links to documentation open in the user's browser, never in the app.
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  if (options.devUrl) void win.loadURL(options.devUrl);
  else void win.loadFile(join(options.rendererDir, 'index.html'));
  return win;
}

/** The frames we trust: our own page, loaded from disk or from the dev server. */
export function isAppUrl(url: string, devUrl: string | null, rendererDir: string): boolean {
  if (devUrl && url.startsWith(devUrl)) return true;
  if (!url.startsWith('file://')) return false;
  try {
    const path = decodeURIComponent(new URL(url).pathname);
    return path.startsWith(rendererDir.replace(/\\/g, '/')) || path.replace(/^\/([A-Za-z]:)/, '$1').startsWith(rendererDir);
  } catch {
    return false;
  }
}
