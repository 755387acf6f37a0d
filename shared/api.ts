// What the renderer knows of the outside world. The preload (Electron) and the WebSocket
// client (browser mode) each implement `Bridge`; `createApi` turns a bridge into the typed `Api`.
import type { ChannelEvent, ChannelInput, ChannelName, ChannelOutput } from './contract';
import type { MenuCommand } from './ipc';
import type { Result } from './result';

export interface CallOptions<E> {
  /** Aborting cancels the job on the main side (and in the engine process). */
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

/** The untyped wire under `Api`: one request with a job id, its events, and cancel. */
export interface Bridge {
  invoke(channel: string, input: unknown, jobId: string, onEvent?: (event: unknown) => void): Promise<Result<unknown>>;
  cancel(jobId: string): void;
  pathOfDroppedFile(file: File): Promise<Result<string>>;
  /** Native menu commands (Electron only). */
  onCommand?(listener: (command: MenuCommand) => void): void;
  /** Models the OS asks the app to open (Electron only). */
  onOpenPath?(listener: (path: string) => void): void;
}

let jobCounter = 0;

export function newJobId(): string {
  jobCounter += 1;
  return `${Date.now().toString(36)}-${jobCounter}-${Math.random().toString(36).slice(2, 8)}`;
}

export function createApi(bridge: Bridge): Api {
  return {
    async call(channel, input, options) {
      const jobId = newJobId();
      const signal = options?.signal;
      if (signal?.aborted) return { ok: false, error: { code: 'CANCELLED', message: 'Cancelled.' } };
      const onAbort = () => bridge.cancel(jobId);
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const onEvent = options?.onEvent as ((event: unknown) => void) | undefined;
        return (await bridge.invoke(channel, input, jobId, onEvent)) as never;
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    },
    pathOfDroppedFile: (file) => bridge.pathOfDroppedFile(file),
    onCommand: (listener) => bridge.onCommand?.(listener),
    onOpenPath: (listener) => bridge.onOpenPath?.(listener),
  };
}
