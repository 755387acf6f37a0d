// Binds the contract to the services. Electron's IPC and the browser-mode server both hand
// every renderer request to `dispatch`, which parses it with the channel's schema first.
import {
  type AppInfo,
  type ChannelEvent,
  type ChannelName,
  type ChannelOutput,
  type ParsedInput,
  type SampleModel,
  contract,
  isChannelName,
} from '../../shared/contract';
import { type Result, WorkbenchError, fail, toErrorInfo } from '../../shared/result';
import { BatchService } from './batch-service';
import type { EngineClient } from './engine-client';
import { listDirectory } from './file-browser';
import { detectHardware, hardwareReport } from '../common/hardware';
import type { ModelLibrary } from './library';
import { PathGrants } from './path-grants';
import type { RecipeStore } from './recipes';

export interface CallContext<E> {
  signal: AbortSignal;
  emit(event: E): void;
}

export type Handlers = {
  [C in ChannelName]: (input: ParsedInput<C>, ctx: CallContext<ChannelEvent<C>>) => Promise<ChannelOutput<C>>;
};

export interface BackendHost {
  info: Omit<AppInfo, 'name' | 'version'>;
  /** Native "Open model" dialog; absent in browser mode. */
  openModelDialog?: () => Promise<string | null>;
  /** Opens a folder in the file manager; absent in browser mode (the server's desktop is not the user's). */
  showFolder?: (path: string) => Promise<void>;
}

export interface BackendOptions {
  engine: EngineClient;
  host: BackendHost;
  version: string;
  samples: () => Promise<SampleModel[]>;
  library: ModelLibrary;
  /** Batch jobs; absent: a service that keeps its job list in memory. */
  batch?: BatchService;
  recipes: RecipeStore;
  /** What the user chose in this session; every write a renderer names is checked against it. */
  grants?: PathGrants;
}

function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  throw new WorkbenchError(result.error.code, result.error.message);
}

/** The zod issues of a rejected request, as one line. */
function describeIssues(error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => (issue.path.length ? `${issue.path.map(String).join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

export class Backend {
  readonly handlers: Handlers;
  readonly grants: PathGrants;

  constructor(private readonly options: BackendOptions) {
    this.grants = options.grants ?? new PathGrants();
    const { engine, host, library } = options;
    const batch = options.batch ?? new BatchService({ engine });
    this.handlers = {
      'app.info': async () => ({ name: 'ONNX Workbench', version: options.version, ...host.info }),
      'samples.list': () => options.samples(),
      'files.list': (input) => listDirectory(input.path ?? host.info.homeDir, input, options.samples),
      'dialog.openModel': async () => {
        if (!host.openModelDialog) {
          throw new WorkbenchError('UNSUPPORTED', 'There is no native file dialog in browser mode; use the file browser.');
        }
        return { path: await host.openModelDialog() };
      },
      'app.showFolder': async ({ path }) => {
        if (!host.showFolder) {
          throw new WorkbenchError('UNSUPPORTED', 'In browser mode the folder cannot be opened for you; copy its path instead.');
        }
        // openPath runs files: only folders the app wrote (this session, or a past batch job's output).
        const pastOutputs = (await batch.jobs()).map((j) => j.outputFolder);
        if (!pastOutputs.includes(path) && !(await this.grants.wroteInto(path))) {
          throw new WorkbenchError('PERMISSION_DENIED', `${path} is not a folder ONNX Workbench wrote; it was not opened.`);
        }
        await host.showFolder(path);
        return { opened: true as const };
      },
      'model.inspect': async ({ path }, ctx) => unwrap(await engine.request('inspect', { path }, ctx)),
      'model.nodes': async ({ path }, ctx) => unwrap(await engine.request('nodes', { path }, ctx)),
      'model.initializers': async ({ path }, ctx) => unwrap(await engine.request('initializers', { path }, ctx)),
      'model.graph': async ({ path }, ctx) => unwrap(await engine.request('graph', { path }, ctx)),
      'graph.export': async (input, ctx) => unwrap(await engine.request('exportGraph', input, ctx)),
      'model.initializerStats': async (input, ctx) => unwrap(await engine.request('initializerStats', input, ctx)),
      'model.exportInitializer': async (input, ctx) => unwrap(await engine.request('exportInitializer', input, ctx)),
      'model.checkRuntime': async ({ path }, ctx) =>
        unwrap(await engine.request('checkRuntime', { path }, { signal: ctx.signal, onEvent: ctx.emit })),
      'library.get': ({ refresh }, ctx) => library.snapshot({ refresh, signal: ctx.signal, onProgress: ctx.emit }),
      'library.addFolder': ({ path }, ctx) => library.addFolder(path, { signal: ctx.signal, onProgress: ctx.emit }),
      'library.removeFolder': ({ path }) => library.removeFolder(path),
      'library.opened': ({ path }) => library.markOpened(path),
      'library.forgetRecent': ({ path }) => library.forgetRecent(path),
      'batch.count': ({ job }, ctx) => batch.count(job, ctx.signal),
      'batch.merge': async ({ folder }, ctx) => unwrap(await engine.request('batchMerge', { folder }, ctx)),
      'batch.start': ({ job, jobId }, ctx) => batch.start(job, ctx, jobId),
      'batch.control': ({ jobId, action }) => batch.control(jobId, action),
      'batch.jobs': () => batch.jobs(),
      'batch.resume': ({ jobId, retryFailed }, ctx) => batch.resume(jobId, { retryFailed }, ctx),
      'batch.saveJob': ({ job, to, overwrite }) => batch.saveJob(job, to, overwrite),
      'batch.loadJob': ({ path }) => batch.loadJob(path),
      'run.compare': async (input) => unwrap(await engine.request('compareRuns', input)),
      'recipe.get': ({ path }) => options.recipes.get(path),
      'recipe.save': ({ path, recipe }) => options.recipes.save(path, recipe),
      'recipe.export': ({ path, to, recipe }) => options.recipes.exportTo(path, to, recipe),
      'recipe.import': ({ path, from }) => options.recipes.importFrom(path, from),
      'model.run': async (input, ctx) =>
        unwrap(await engine.request('run', input, { signal: ctx.signal, onEvent: ctx.emit, cancelGraceMs: 1000 })),
      'model.bench': async (input, ctx) =>
        unwrap(await engine.request('bench', input, { signal: ctx.signal, onEvent: ctx.emit })),
      'model.close': async ({ path }) => unwrap(await engine.request('releaseSessions', { path })),
      'tensor.read': async (input, ctx) => unwrap(await engine.request('readTensor', input, ctx)),
      'image.preview': async (input, ctx) => unwrap(await engine.request('imagePreview', input, ctx)),
      'image.guessRecipe': async (input, ctx) => unwrap(await engine.request('guessRecipe', input, ctx)),
      'run.outputValues': async (input) => unwrap(await engine.request('outputValues', input)),
      'run.saveOutput': async (input) => unwrap(await engine.request('saveOutput', input)),
      'run.interpret': async (input, ctx) => unwrap(await engine.request('interpret', input, ctx)),
      'run.exportResult': async (input, ctx) => unwrap(await engine.request('exportResult', input, ctx)),
      'task.suggest': async (input, ctx) => unwrap(await engine.request('suggestTask', input, ctx)),
      'pipeline.run': async (input, ctx) =>
        unwrap(await engine.request('pipeline', input, { signal: ctx.signal, onEvent: ctx.emit, cancelGraceMs: 1000 })),
      'check.run': async (input, ctx) => unwrap(await engine.request('check', input, { signal: ctx.signal, onEvent: ctx.emit })),
      'hardware.detect': async ({ refresh }, ctx) => {
        const [facts, providers] = await Promise.all([
          detectHardware({ refresh }),
          engine.request('probeProviders', { refresh }, { signal: ctx.signal }).then(unwrap),
        ]);
        return hardwareReport(facts, providers);
      },
      'providers.installCuda': async (_input, ctx) => {
        const result = unwrap(await engine.request('installCudaProviders', {}, { signal: ctx.signal, onEvent: ctx.emit }));
        // A fresh engine loads the new libraries and probes again.
        engine.kill();
        return result;
      },
    };
  }

  /** Parses and runs one request from a renderer; never throws. */
  async dispatch(
    channel: unknown,
    rawInput: unknown,
    ctx: { signal?: AbortSignal; emit?: (event: unknown) => void } = {},
  ): Promise<Result<unknown>> {
    if (!isChannelName(channel)) return fail('UNKNOWN_CHANNEL', `There is no channel named ${JSON.stringify(channel)}.`);
    const parsed = contract[channel].input.safeParse(rawInput);
    if (!parsed.success) {
      return fail('INVALID_INPUT', `Invalid request for ${channel}: ${describeIssues(parsed.error)}`);
    }
    const handler = this.handlers[channel] as (input: unknown, ctx: CallContext<unknown>) => Promise<unknown>;
    const signal = ctx.signal ?? new AbortController().signal;
    try {
      await this.grants.checkRequest(channel, parsed.data);
      const value = await handler(parsed.data, { signal, emit: ctx.emit ?? (() => {}) });
      await this.grants.recordRequest(channel, parsed.data, value);
      return { ok: true, value };
    } catch (error) {
      return { ok: false, error: signal.aborted ? { code: 'CANCELLED', message: 'Cancelled.' } : toErrorInfo(error) };
    }
  }
}
