// The Electron IPC names under the contract (one invoke channel carries every contract call).
export const IPC = {
  invoke: 'owb:invoke',
  event: 'owb:event',
  cancel: 'owb:cancel',
  command: 'owb:command',
  /** A model to open: from the command line, a double-click in the OS, or a second launch. */
  openPath: 'owb:open-path',
} as const;

/** Commands the native menu sends to the window. */
export type MenuCommand = 'open-model' | 'show-start';
