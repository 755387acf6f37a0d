// The main window, locked down: isolated, sandboxed preload, no Node in the page, no
// navigation away from the app, no new windows.
import { BrowserWindow, type Session, shell } from 'electron';
import { join, posix, win32 } from 'node:path';

export interface WindowOptions {
  preload: string;
  /** Dev server URL, or null to load the built renderer from disk. */
  devUrl: string | null;
  rendererDir: string;
  /** DevTools: in development only. */
  devTools?: boolean;
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
      devTools: options.devTools ?? false,
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

/** A file: URL as a path of `platform` (file:///C:/x → C:\x; file://server/share → \\server\share). */
function filePathOf(url: URL, platform: NodeJS.Platform): string | null {
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    return null;
  }
  if (path.includes('\0')) return null;
  if (platform !== 'win32') return url.host ? null : path;
  if (url.host) return `\\\\${url.host}${path.replace(/\//g, '\\')}`;
  return path.replace(/^\/([A-Za-z]:)/, '$1').replace(/\//g, '\\');
}

/**
 * The frames we trust: our own page, a file inside the renderer folder (compared as resolved
 * paths, whole parts only: out/renderer-evil is not out/renderer), or the dev server's origin
 * (localhost:5173.evil is another origin).
 */
export function isAppUrl(
  url: string,
  devUrl: string | null,
  rendererDir: string,
  platform: NodeJS.Platform = process.platform,
): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (devUrl) {
    try {
      if (parsed.origin === new URL(devUrl).origin && parsed.origin !== 'null') return true;
    } catch {
      /* a malformed dev URL trusts nothing */
    }
  }
  if (parsed.protocol !== 'file:') return false;
  const file = filePathOf(parsed, platform);
  if (file === null) return false;
  const path = platform === 'win32' ? win32 : posix;
  const fold = (p: string) => (platform === 'win32' || platform === 'darwin' ? p.toLowerCase() : p);
  const relative = path.relative(fold(path.resolve(rendererDir)), fold(path.resolve(file)));
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

/** Permissions the app's page needs: writing to the clipboard (Copy buttons). Everything else is denied. */
const ALLOWED_PERMISSIONS = new Set(['clipboard-sanitized-write']);

export function installPermissionHandlers(session: Session, isTrustedUrl: (url: string) => boolean): void {
  session.setPermissionRequestHandler((contents, permission, callback, details) => {
    callback(ALLOWED_PERMISSIONS.has(permission) && isTrustedUrl(details.requestingUrl ?? contents.getURL()));
  });
  session.setPermissionCheckHandler((_contents, permission, requestingOrigin, details) => {
    return ALLOWED_PERMISSIONS.has(permission) && isTrustedUrl(details.requestingUrl ?? requestingOrigin);
  });
  // No device pickers (USB, HID, serial, Bluetooth) for any page.
  session.setDevicePermissionHandler(() => false);
}
