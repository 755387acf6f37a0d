// The Electron main process: windows, menus, dialogs, and binding the contract to the
// services. Everything else lives in electron/node and electron/engine.
import { app, BrowserWindow, dialog, ipcMain, Notification, shell } from 'electron';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { WorkbenchError } from '../../shared/result';
import { createServices } from '../node/services';
import { utilityLauncher } from './engine-launcher';
import { batchProgressObserver, systemNotifier } from './batch-progress';
import { bindIpc } from './ipc';
import { installMenu } from './menu';
import { startOpenFiles } from './open-files';
import { createMainWindow, isAppUrl } from './window';

const outDir = join(import.meta.dirname, '..');
const rendererDir = join(outDir, 'renderer');
const devUrl = !app.isPackaged && process.env.ELECTRON_RENDERER_URL ? process.env.ELECTRON_RENDERER_URL : null;
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
      showFolder: async (path) => {
        const problem = await shell.openPath(path);
        if (problem) throw new WorkbenchError('IO_ERROR', `Could not open ${path}: ${problem}`);
      },
    },
  });
  bindIpc(
    ipcMain,
    (channel, input, ctx) => services.backend.dispatch(channel, input, ctx),
    (frame) => !!frame && isAppUrl(frame.url, devUrl, rendererDir),
  );
  services.backend.batch.observe(batchProgressObserver({ window: () => mainWindow, notify: systemNotifier(Notification) }));
  installMenu(() => mainWindow);
  const open = () => {
    const win = createMainWindow({ preload: join(outDir, 'preload', 'index.cjs'), devUrl, rendererDir });
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
