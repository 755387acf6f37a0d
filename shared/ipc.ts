// The Electron IPC names under the contract: one channel carries every RPC message both ways,
// each tagged with the page's connection id (a reloaded page is a new connection).
export const IPC = {
  rpc: 'owb:rpc',
  command: 'owb:command',
  /** A model to open: from the command line, a double-click in the OS, or a second launch. */
  openPath: 'owb:open-path',
} as const;

/** Commands the native menu sends to the window. */
export type MenuCommand = 'open-model' | 'show-start';

/** One RPC message on the Electron wire, with the connection (page load) it belongs to. */
export interface IpcEnvelope {
  conn: string;
  message: unknown;
}
