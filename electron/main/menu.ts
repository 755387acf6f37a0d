// The application menu: native shortcuts, and File > Open Model… which the window handles.
import { Menu, type BrowserWindow, type MenuItemConstructorOptions } from 'electron';
import { IPC, type MenuCommand } from '../../shared/ipc';

/** The View menu: zoom and full screen; reload and DevTools only in development. */
export function viewMenu(development: boolean): MenuItemConstructorOptions {
  const always: MenuItemConstructorOptions[] = [
    { role: 'resetZoom' },
    { role: 'zoomIn' },
    { role: 'zoomOut' },
    { type: 'separator' },
    { role: 'togglefullscreen' },
  ];
  const dev: MenuItemConstructorOptions[] = [
    { role: 'reload' },
    { role: 'forceReload' },
    { role: 'toggleDevTools' },
    { type: 'separator' },
  ];
  return { label: 'View', submenu: development ? [...dev, ...always] : always };
}

export function installMenu(getWindow: () => BrowserWindow | null, options: { development: boolean }): void {
  const send = (command: MenuCommand) => getWindow()?.webContents.send(IPC.command, command);
  const isMac = process.platform === 'darwin';
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Open Model…', accelerator: 'CmdOrCtrl+O', click: () => send('open-model') },
        { label: 'Start Screen', accelerator: 'CmdOrCtrl+Shift+H', click: () => send('show-start') },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    viewMenu(options.development),
    { role: 'windowMenu' },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}
