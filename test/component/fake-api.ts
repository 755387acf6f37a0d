// An in-memory Api for component tests: canned answers per channel, and a log of every call.
import type { Api, CallOptions } from '../../shared/api';
import type { AppInfo, ChannelEvent, ChannelInput, ChannelName, ChannelOutput } from '../../shared/contract';
import type { MenuCommand } from '../../shared/ipc';
import { fail, type Result } from '../../shared/result';
import type { JobRequest } from '../../shared/jobs';
import type { EngineClient } from '../../electron/node/engine-client';
import { engineJobWork, describeJob } from '../../electron/node/job-kinds';
import { JobRegistry } from '../../electron/node/jobs';

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
    handlers: {
      'app.info': () => ({ ok: true, value: appInfo }),
      'samples.list': () => ({ ok: true, value: [] }),
      ...jobHandlers(() => api),
      ...handlers,
    },
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

/**
 * Jobs as the main side runs them: the app's own registry, whose work calls the kind's one-off
 * channel through this api (so tests fake eval.run, model.bench, run.profile and see those calls).
 * Batch jobs are started by batch.start; their jobs.* calls go to the batch.* fakes.
 */
function jobHandlers(api: () => FakeApi): Handlers {
  const jobs = new JobRegistry();
  // As the engine supervisor does, a cancelled call answers CANCELLED (the fakes may never settle).
  const engine = {
    call: (channel: ChannelName, input: unknown, options: CallOptions<unknown>) =>
      Promise.race([
        api().call(channel, input as never, options as never),
        new Promise<Result<never>>((resolve) =>
          options.signal?.addEventListener('abort', () => resolve(fail('CANCELLED', 'Cancelled.')), { once: true }),
        ),
      ]),
  } as unknown as EngineClient;
  const ok = <T>(value: T): Result<T> => ({ ok: true, value });
  const settle = async <T>(value: () => Promise<T> | T): Promise<Result<T>> => {
    try {
      return ok(await value());
    } catch (error) {
      const e = error as { code?: string; message: string };
      return fail((e.code ?? 'INTERNAL') as never, e.message);
    }
  };
  return {
    'jobs.start': ({ job, jobId }) => {
      const request = job as JobRequest;
      const id = jobId ?? `job-${Math.random().toString(36).slice(2)}`;
      if (request.kind === 'batch') return fail('UNSUPPORTED', 'batch jobs start with batch.start in these tests');
      void jobs.start(
        { jobId: id, label: describeJob(request).label, ...request } as never,
        engineJobWork(engine, request.kind, request.request as never),
      );
      return ok({ jobId: id });
    },
    'jobs.watch': async ({ jobId }, options) => {
      if (jobs.kindOf(jobId) !== null)
        return settle(() =>
          jobs.watch(jobId, { signal: options.signal ?? new AbortController().signal, emit: (e) => options.onEvent?.(e) }),
        );
      const r = await api().call(
        'batch.watch',
        { jobId },
        { signal: options.signal, onEvent: (progress) => options.onEvent?.({ kind: 'batch', progress }) },
      );
      return r.ok ? ok({ kind: 'batch' as const, result: r.value }) : r;
    },
    'jobs.cancel': ({ jobId }) => (jobs.kindOf(jobId) !== null ? ok(jobs.cancel(jobId)) : api().call('batch.cancel', { jobId })),
    'jobs.control': ({ jobId, action }) =>
      jobs.kindOf(jobId) !== null ? settle(() => jobs.control(jobId, action)) : api().call('batch.control', { jobId, action }),
    'jobs.list': () => ok(jobs.list()),
  };
}
