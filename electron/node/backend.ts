// Binds the contract to the services. Every wire (Electron IPC, the browser-mode WebSocket, the
// in-process client of the CLI and tests) serves `dispatch` through the RPC core; it parses each
// request with its channel's schema, then forwards the engine's channels (ENGINE_CHANNELS) to the
// engine untouched and answers the rest from the handlers below.
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
import type { RpcCallContext } from '../../shared/rpc/server';
import { detectHardware, hardwareReport } from '../common/hardware';
import { type ForwardedChannel, isForwarded } from '../common/rpc/engine-channels';
import { EngineActivityFeed } from './activity';
import { BatchService } from './batch-service';
import { randomUUID } from 'node:crypto';
import type { JobRequest } from '../../shared/jobs';
import { describeJob, engineJobWork } from './job-kinds';
import type { JobRegistry } from './jobs';
import type { EngineClient } from './engine-client';
import { listDirectory } from './file-browser';
import type { ModelLibrary } from './library';
import { PathGrants } from './path-grants';
import { withSavedTasks } from './pipeline-tasks';
import type { RecipeStore } from './recipes';

export interface CallContext<E> {
  signal: AbortSignal;
  emit(event: E): void;
}

/** The channels answered here (the engine's are forwarded); a missing one is a compile error. */
export type LocalChannel = Exclude<ChannelName, ForwardedChannel>;

export type Handlers = {
  [C in LocalChannel]: (input: ParsedInput<C>, ctx: CallContext<ChannelEvent<C>>) => Promise<ChannelOutput<C>>;
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

/** The zod issues of a rejected request, as one line. */
function describeIssues(error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => (issue.path.length ? `${issue.path.map(String).join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

/** A composed handler's engine step: its value, or its error thrown on. */
function valueOf<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  throw new WorkbenchError(result.error.code, result.error.message);
}

export class Backend {
  readonly handlers: Handlers;
  readonly grants: PathGrants;
  readonly batch: BatchService;
  /** Every running job, of every kind (the batch service's registry). */
  readonly jobs: JobRegistry;
  readonly activity: EngineActivityFeed;

  constructor(private readonly options: BackendOptions) {
    this.grants = options.grants ?? new PathGrants();
    const { engine, host, library } = options;
    const batch = options.batch ?? new BatchService({ engine });
    this.batch = batch;
    const jobs = batch.registry;
    this.jobs = jobs;
    this.activity = new EngineActivityFeed(engine, jobs);
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
      'library.get': ({ refresh }, ctx) => library.snapshot({ refresh, signal: ctx.signal, onProgress: ctx.emit }),
      'library.addFolder': ({ path }, ctx) => library.addFolder(path, { signal: ctx.signal, onProgress: ctx.emit }),
      'library.removeFolder': ({ path }) => library.removeFolder(path),
      'library.opened': async ({ path }, ctx) => {
        const recent = await library.markOpened(path);
        // The first time a model is opened its suggested task is stored in its recipe.
        await this.recipeWithTask(path, ctx.signal).catch(() => {});
        return recent;
      },
      'library.forgetRecent': ({ path }) => library.forgetRecent(path),
      'batch.start': async ({ job, jobId }) => batch.start(job, jobId),
      'batch.resume': async ({ jobId, retryFailed }) => batch.resume(jobId, { retryFailed }),
      'batch.watch': ({ jobId }, ctx) => batch.watch(jobId, ctx),
      'batch.cancel': async ({ jobId }) => batch.cancel(jobId),
      'batch.control': ({ jobId, action }) => batch.control(jobId, action),
      'batch.jobs': () => batch.jobs(),
      'batch.saveJob': ({ job, to, overwrite }) => batch.saveJob(job, to, overwrite),
      'batch.loadJob': ({ path }) => batch.loadJob(path),
      'jobs.start': ({ job, jobId }) => this.startJob(job as JobRequest, jobId ?? randomUUID()),
      'jobs.watch': ({ jobId }, ctx) => jobs.watch(jobId, ctx),
      'jobs.cancel': async ({ jobId }) => jobs.cancel(jobId),
      'jobs.control': ({ jobId, action }) => jobs.control(jobId, action),
      'jobs.list': async () => jobs.list(),
      'engine.activity': (_input, ctx) => this.activity.follow(ctx),
      'recipe.get': ({ path }, ctx) => this.recipeWithTask(path, ctx.signal),
      'recipe.save': ({ path, recipe }) => options.recipes.save(path, recipe),
      'recipe.export': ({ path, to, recipe }) => options.recipes.exportTo(path, to, recipe),
      'recipe.import': ({ path, from }) => options.recipes.importFrom(path, from),
      'hardware.detect': async ({ refresh }, ctx) => {
        const [facts, providers] = await Promise.all([
          detectHardware({ refresh }),
          engine.call('engine.probeProviders', { refresh }, { signal: ctx.signal }).then(valueOf),
        ]);
        return hardwareReport(facts, providers);
      },
    };
  }

  /** Starts a job of any kind; a batch job goes through the batch service (crashes, journal, past jobs). */
  private async startJob(job: JobRequest, jobId: string): Promise<{ jobId: string }> {
    if (job.kind === 'batch') return this.batch.start(job.request, jobId);
    const { label } = describeJob(job);
    const work = engineJobWork(this.options.engine, job.kind, job.request as never);
    void this.jobs.start({ jobId, label, ...job } as never, work);
    return { jobId };
  }

  /** The model's saved recipe; without a task yet, the suggested one is stored first (RecipeStore.getWithTask). */
  recipeWithTask(path: string, signal: AbortSignal) {
    return this.options.recipes.getWithTask(
      path,
      async () => valueOf(await this.options.engine.call('task.suggest', { path }, { signal })).settings,
    );
  }

  /** Parses and answers one request from any wire; never throws. */
  async dispatch(
    channel: unknown,
    rawInput: unknown,
    ctx: Partial<Omit<RpcCallContext, 'callId'>> = {},
  ): Promise<Result<unknown>> {
    if (!isChannelName(channel)) return fail('UNKNOWN_CHANNEL', `There is no channel named ${JSON.stringify(channel)}.`);
    const parsed = contract[channel].input.safeParse(rawInput);
    if (!parsed.success) {
      return fail('INVALID_INPUT', `Invalid request for ${channel}: ${describeIssues(parsed.error)}`);
    }
    const signal = ctx.signal ?? new AbortController().signal;
    const emit = ctx.emit ?? (() => {});
    // Every file the request would write is checked against the user's choices first
    // (electron/node/path-grants.ts, shared/file-access.ts); what it chose or wrote is recorded.
    // A job is checked as the one-off call of its kind (jobs.start of an evaluation as eval.run).
    const asCall =
      channel === 'jobs.start' ? describeJob((parsed.data as { job: JobRequest }).job) : { channel, input: parsed.data };
    let data: unknown;
    try {
      await this.grants.checkRequest(asCall.channel, asCall.input);
      // Then (a refused request looks nothing up, saves no recipe): pipeline steps that name no
      // task run their model's saved one (electron/node/pipeline-tasks.ts).
      data = await withSavedTasks(channel, parsed.data, async (model) => (await this.recipeWithTask(model, signal)).recipe?.task);
    } catch (error) {
      return { ok: false, error: toErrorInfo(error) };
    }
    const record = (value: unknown) => this.grants.recordRequest(asCall.channel, asCall.input, value).catch(() => {});
    // Cancelled while it was checked (a reloaded page): no handler is started with a dead signal.
    if (signal.aborted) return { ok: false, error: { code: 'CANCELLED', message: 'Cancelled.' } };
    if (isForwarded(channel)) {
      const result = await this.options.engine.call(channel, data as never, { signal, onEvent: emit });
      if (result.ok) await record(result.value);
      // A fresh engine loads the newly installed libraries and probes again.
      if (channel === 'providers.installCuda' && result.ok) this.options.engine.kill();
      return result;
    }
    const handler = this.handlers[channel] as (input: unknown, ctx: CallContext<unknown>) => Promise<unknown>;
    try {
      const value = await handler(data, { signal, emit });
      await record(value);
      return { ok: true, value };
    } catch (error) {
      return { ok: false, error: signal.aborted ? { code: 'CANCELLED', message: 'Cancelled.' } : toErrorInfo(error) };
    }
  }
}
