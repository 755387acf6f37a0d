// An in-memory Api for component tests: canned answers per channel, and a log of every call.
import type { Api, CallOptions } from '../../shared/api';
import type { AppInfo, ChannelEvent, ChannelInput, ChannelName, ChannelOutput } from '../../shared/contract';
import type { MenuCommand } from '../../shared/ipc';
import { fail, type Result } from '../../shared/result';

export type Handler<C extends ChannelName> = (
  input: ChannelInput<C>,
  options: CallOptions<ChannelEvent<C>>,
) => Result<ChannelOutput<C>> | Promise<Result<ChannelOutput<C>>>;

export type Handlers = { [C in ChannelName]?: Handler<C> };

export interface FakeApi extends Api {
  calls: { channel: ChannelName; input: unknown }[];
  callsTo(channel: ChannelName): unknown[];
  /** Sends a native menu command, as the Electron menu would. */
  command(command: MenuCommand): void;
  /** Simulates the OS asking the app to open a model (double-click, second launch). */
  openPath(path: string): void;
  handlers: Handlers;
  droppedPath: (file: File) => Result<string>;
}

export const browserInfo: AppInfo = {
  name: 'ONNX Workbench',
  version: '0.1.0',
  mode: 'browser',
  platform: 'linux',
  arch: 'x64',
  fileChooser: 'server',
  homeDir: '/home/ada',
};

export const desktopInfo: AppInfo = { ...browserInfo, mode: 'electron', fileChooser: 'native' };

export function fakeApi(handlers: Handlers, appInfo: AppInfo = browserInfo): FakeApi {
  const listeners: ((command: MenuCommand) => void)[] = [];
  const openPathListeners: ((path: string) => void)[] = [];
  const api: FakeApi = {
    calls: [],
    handlers: { 'app.info': () => ({ ok: true, value: appInfo }), 'samples.list': () => ({ ok: true, value: [] }), ...handlers },
    droppedPath: (file) => ({ ok: true, value: `/tmp/uploads/${file.name}` }),
    callsTo(channel) {
      return api.calls.filter((c) => c.channel === channel).map((c) => c.input);
    },
    command(command) {
      for (const l of listeners) l(command);
    },
    async call(channel, input, options) {
      api.calls.push({ channel, input });
      const handler = api.handlers[channel] as Handler<typeof channel> | undefined;
      if (!handler) return fail('UNSUPPORTED', `No fake for ${channel}`) as never;
      return (await handler(input as never, (options ?? {}) as never)) as never;
    },
    async pathOfDroppedFile(file) {
      return api.droppedPath(file);
    },
    onCommand(listener) {
      listeners.push(listener);
    },
    onOpenPath(listener) {
      openPathListeners.push(listener);
    },
    openPath(path) {
      for (const l of openPathListeners) l(path);
    },
  };
  return api;
}
