// The application menu: native shortcuts, and File > Open Model… which the window handles.
import { Menu, type BrowserWindow, type MenuItemConstructorOptions } from 'electron';
import { IPC, type MenuCommand } from '../../shared/ipc';

export function installMenu(getWindow: () => BrowserWindow | null): void {
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
    { role: 'viewMenu' },
    { role: 'windowMenu' },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}
