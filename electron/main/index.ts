// The Electron main process: windows, menus, dialogs, and binding the contract to the
// services. Everything else lives in electron/node and electron/engine.
import { app, BrowserWindow, dialog, ipcMain, Notification, session, shell } from 'electron';
import { lstat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { WorkbenchError } from '../../shared/result';
import { createServices } from '../node/services';
import { utilityLauncher } from './engine-launcher';
import { batchProgressObserver, systemNotifier } from './batch-progress';
import { bindIpc } from './ipc';
import { installMenu } from './menu';
import { startOpenFiles } from './open-files';
import { createMainWindow, installPermissionHandlers, isAppUrl } from './window';

const outDir = join(import.meta.dirname, '..');
const rendererDir = join(outDir, 'renderer');
const devUrl = !app.isPackaged && process.env.ELECTRON_RENDERER_URL ? process.env.ELECTRON_RENDERER_URL : null;
const development = !app.isPackaged;
const resourcesDir = app.isPackaged ? process.resourcesPath : join(app.getAppPath(), 'resources');

let mainWindow: BrowserWindow | null = null;
let openWindow: (() => BrowserWindow) | null = null;

// Before ready: macOS delivers double-clicked models as early open-file events.
const openFiles = startOpenFiles({ ensureWindow: () => mainWindow ?? openWindow?.() ?? null });

async function start() {
  await app.whenReady();
  const services = createServices({
    launch: utilityLauncher(join(import.meta.dirname, 'engine.js')),
    resourcesDir,
    dataDir: app.getPath('userData'),
    log: (level, message) => console[level === 'debug' ? 'log' : level](`[${level}] ${message}`),
    host: {
      info: { mode: 'electron', platform: process.platform, arch: process.arch, fileChooser: 'native', homeDir: homedir() },
      openModelDialog: async () => {
        const options: Electron.OpenDialogOptions = {
          title: 'Open ONNX model',
          properties: ['openFile'],
          filters: [
            { name: 'ONNX models', extensions: ['onnx', 'ort'] },
            { name: 'All files', extensions: ['*'] },
          ],
        };
        const result = mainWindow ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
        return result.canceled ? null : (result.filePaths[0] ?? null);
      },
      // The backend passes only folders the app wrote; openPath would also run a file, so a
      // folder it must be, and not a link to something else.
      showFolder: async (path) => {
        const s = await lstat(path).catch(() => null);
        if (!s?.isDirectory()) throw new WorkbenchError('PERMISSION_DENIED', `${path} is not a folder ONNX Workbench wrote.`);
        const problem = await shell.openPath(path);
        if (problem) throw new WorkbenchError('IO_ERROR', `Could not open ${path}: ${problem}`);
      },
    },
  });
  const trusted = (url: string) => isAppUrl(url, devUrl, rendererDir);
  installPermissionHandlers(session.defaultSession, trusted);
  bindIpc(
    ipcMain,
    (channel, input, ctx) => services.backend.dispatch(channel, input, ctx),
    (frame) => !!frame && trusted(frame.url),
  );
  services.backend.batch.observe(batchProgressObserver({ window: () => mainWindow, notify: systemNotifier(Notification) }));
  installMenu(() => mainWindow, { development });
  const open = () => {
    const win = createMainWindow({
      preload: join(outDir, 'preload', 'index.cjs'),
      devUrl,
      rendererDir,
      devTools: development,
    });
    mainWindow = win;
    win.on('closed', () => (mainWindow = null));
    openFiles?.attach(win);
    return win;
  };
  openWindow = open;
  open();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) open();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('before-quit', () => services.dispose());
}

// A second launch hands its models to the first instance (second-instance) and leaves.
if (openFiles) void start();
else app.quit();
