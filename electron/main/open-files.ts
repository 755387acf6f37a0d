// Opening models from outside the app: a path on the command line, macOS "open-file" (Finder,
// dock, double-click; can arrive before the app is ready), and a second launch handing its
// model to the running window (single instance). Paths wait until the page has loaded.
import { app, type BrowserWindow } from 'electron';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IPC } from '../../shared/ipc';

/** The channel the window hears "open this model" on. */
export const OPEN_PATH_CHANNEL = IPC.openPath;

/**
 * The model paths in a command line. Skips the executable (and the app folder when run as
 * `electron .`), Electron/Chromium switches and other URLs; desktop launchers may pass
 * file:// URLs. Relative paths are taken from `cwd`, the launching shell's folder.
 */
export function modelPathsFromArgv(argv: readonly string[], cwd: string, defaultApp: boolean): string[] {
  const paths: string[] = [];
  for (const arg of argv.slice(defaultApp ? 2 : 1)) {
    if (arg === '' || arg.startsWith('-')) continue;
    if (/^file:\/\//i.test(arg)) {
      try {
        paths.push(fileURLToPath(arg));
      } catch {
        // A malformed file URL names no file we could open.
      }
      continue;
    }
    if (/^[a-z][a-z0-9+.-]+:\/\//i.test(arg)) continue;
    paths.push(resolve(cwd, arg));
  }
  return paths;
}

export function deliverOpenPath(win: BrowserWindow, path: string): void {
  win.webContents.send(OPEN_PATH_CHANNEL, path);
}

/** Holds paths to open until a window has finished loading its page, then hands them over. */
export class OpenPathQueue {
  private readonly pending: string[] = [];
  private target: BrowserWindow | null = null;
  private loaded = false;

  get pendingOpenPaths(): readonly string[] {
    return this.pending;
  }

  open(path: string): void {
    if (this.target && this.loaded && !this.target.isDestroyed()) deliverOpenPath(this.target, path);
    else this.pending.push(path);
  }

  /** The window models open in from now on; queued paths go to it once its page has loaded. */
  attach(win: BrowserWindow): void {
    this.target = win;
    this.loaded = false;
    const flush = () => {
      if (this.target !== win || win.isDestroyed()) return;
      this.loaded = true;
      for (const path of this.pending.splice(0)) deliverOpenPath(win, path);
    };
    if (win.webContents.isLoading()) win.webContents.once('did-finish-load', flush);
    else flush();
    win.once('closed', () => {
      if (this.target === win) this.target = null;
    });
  }
}

export interface OpenFilesOptions {
  /** The window to open models in, created if there is none; null while the app is starting. */
  ensureWindow(): BrowserWindow | null;
}

/**
 * Claims the single-instance lock and listens for models to open. Call before app ready (macOS
 * sends open-file early). Returns null when another instance runs: it got our argv, so quit.
 */
export function startOpenFiles(options: OpenFilesOptions, argv: readonly string[] = process.argv): OpenPathQueue | null {
  if (!app.requestSingleInstanceLock()) return null;
  const defaultApp = process.defaultApp === true;
  const queue = new OpenPathQueue();
  for (const path of modelPathsFromArgv(argv, process.cwd(), defaultApp)) queue.open(path);
  app.on('open-file', (event, path) => {
    event.preventDefault();
    queue.open(path);
    if (app.isReady()) options.ensureWindow();
  });
  app.on('second-instance', (_event, otherArgv, workingDirectory) => {
    for (const path of modelPathsFromArgv(otherArgv, workingDirectory, defaultApp)) queue.open(path);
    const win = app.isReady() ? options.ensureWindow() : null;
    if (!win) return;
    if (win.isMinimized()) win.restore();
    win.focus();
  });
  return queue;
}
