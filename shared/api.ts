// What the renderer knows of the outside world. The preload (Electron) and the WebSocket client
// (browser mode) each implement `Bridge`: a port to the main side plus what only a host can do;
// `createApi` puts the one RPC core (shared/rpc) over it and gives the typed `Api`.
import type { ChannelEvent, ChannelInput, ChannelName, ChannelOutput, Contract } from './contract';
import type { MenuCommand } from './ipc';
import type { Result } from './result';
import { RpcClient } from './rpc/client';
import type { Port } from './rpc/port';

export interface CallOptions<E> {
  /** Aborting cancels the call on the main side (and in the engine process). */
  signal?: AbortSignal;
  onEvent?: (event: E) => void;
}

export interface Api {
  call<C extends ChannelName>(
    channel: C,
    input: ChannelInput<C>,
    options?: CallOptions<ChannelEvent<C>>,
  ): Promise<Result<ChannelOutput<C>>>;
  /** The on-disk path of a file dropped onto the window (browser mode uploads it first). */
  pathOfDroppedFile(file: File): Promise<Result<string>>;
  /** Native menu commands; never fires in browser mode. */
  onCommand(listener: (command: MenuCommand) => void): void;
  /** Models the OS asks the app to open (double-click, command line); never fires in browser mode. */
  onOpenPath(listener: (path: string) => void): void;
}

/** The host under `Api`: a port to the main side, and what only a host can do. */
export interface Bridge {
  /** A port to the main side; asked again after one closes (browser mode reconnects). */
  connect(): Port | Promise<Port>;
  pathOfDroppedFile(file: File): Promise<Result<string>>;
  /** Native menu commands (Electron only). */
  onCommand?(listener: (command: MenuCommand) => void): void;
  /** Models the OS asks the app to open (Electron only). */
  onOpenPath?(listener: (path: string) => void): void;
}

export function createApi(bridge: Bridge, closedMessage = 'The connection to ONNX Workbench was lost.'): Api {
  let client: Promise<RpcClient<Contract>> | null = null;
  const connect = (): Promise<RpcClient<Contract>> => {
    client ??= (async () => {
      const port = await bridge.connect();
      const c = new RpcClient<Contract>(port, { closedError: () => ({ code: 'IO_ERROR', message: closedMessage }) });
      port.onClose(() => {
        if (client === pending) client = null;
      });
      return c;
    })();
    const pending = client;
    pending.catch(() => {
      if (client === pending) client = null;
    });
    return pending;
  };
  return {
    async call(channel, input, options) {
      let c: RpcClient<Contract>;
      try {
        c = await connect();
      } catch (error) {
        return { ok: false, error: { code: 'IO_ERROR', message: (error as Error).message } };
      }
      return c.call(channel, input as never, options as never) as never;
    },
    pathOfDroppedFile: (file) => bridge.pathOfDroppedFile(file),
    onCommand: (listener) => bridge.onCommand?.(listener),
    onOpenPath: (listener) => bridge.onOpenPath?.(listener),
  };
}
