// Batch jobs from the Node side: starts them in the engine, keeps the list of past jobs in the
// app's data folder, and carries a job through engine crashes: when the engine process dies
// mid-job, the job is started again in resume mode, the files that were in flight are recorded as
// failed, and the rest goes on. A job has its own lifetime: it is started, then watched (by any
// number of windows or tabs, which may come and go), paused, resumed and cancelled by its id, and
// runs until it ends or is cancelled. Jobs can be saved as JSON files and loaded again. Running
// jobs live in the app's one job registry (./jobs.ts), beside evaluations and benchmarks.
import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import { readRegularFile } from '../common/regular-file';
import {
  type BatchAction,
  type BatchFailure,
  type BatchJob,
  type BatchJobRecord,
  type BatchProgress,
  type BatchSummary,
  batchJobSchema,
} from '../../shared/batch';
import { type Result, WorkbenchError } from '../../shared/result';
import type { EngineClient, EngineLogger } from './engine-client';
import { fsError, writeAtomic, writeNew } from '../common/fs';
import { JsonStore } from '../common/json-store';
import { JobRegistry } from './jobs';

interface StoredJob {
  record: BatchJobRecord;
  job: BatchJob;
}

interface JobList {
  version: 1;
  jobs: StoredJob[];
}

const MAX_KEPT = 200;
/** Job records are saved at most this often while a job runs (and always when it ends). */
const SAVE_EVERY_MS = 2_000;

/** A watcher of a job: its call's signal (the watch ends, not the job) and where progress goes. */
export interface BatchWatchContext {
  signal: AbortSignal;
  emit(progress: BatchProgress): void;
}

/** What happens to running jobs, for observers on the main side (taskbar progress, notifications, activity). */
export type BatchJobEvent =
  { type: 'progress'; jobId: string; progress: BatchProgress } | { type: 'ended'; jobId: string; result: Result<BatchSummary> };

const MAX_FAILURES_KEPT = 1000;

export interface BatchServiceOptions {
  engine: EngineClient;
  /** Where running jobs are kept (the app's one registry); absent: one of its own. */
  jobs?: JobRegistry;
  /** Where the list of past jobs is kept; absent: in memory only. */
  file?: string;
  log?: EngineLogger;
  /** More engine crashes than this in a row, with no file finished in between, stop the job (default 2). */
  maxCrashesWithoutProgress?: number;
  /** How long a cancelled job may take to finish the files already run before the engine is restarted. */
  cancelGraceMs?: number;
}

function isJobList(value: unknown): value is JobList {
  return !!value && typeof value === 'object' && Array.isArray((value as JobList).jobs);
}

export class BatchService {
  private readonly store: JsonStore<JobList> | null;
  private list: Promise<JobList> | null = null;
  /** Running jobs of every kind; paused is kept there too, for a restart after a crash. */
  readonly registry: JobRegistry;
  private readonly log: EngineLogger;

  constructor(private readonly options: BatchServiceOptions) {
    this.registry = options.jobs ?? new JobRegistry();
    this.store = options.file ? new JsonStore(options.file, () => ({ version: 1, jobs: [] }), isJobList) : null;
    this.log = options.log ?? (() => {});
  }

  private load(): Promise<JobList> {
    this.list ??= this.store ? this.store.read() : Promise.resolve({ version: 1, jobs: [] });
    return this.list;
  }

  private async save(): Promise<void> {
    const list = await this.load();
    if (list.jobs.length > MAX_KEPT) list.jobs.splice(0, list.jobs.length - MAX_KEPT);
    await this.store?.write(list).catch((e: unknown) => this.log('warn', `could not save the batch job list: ${String(e)}`));
  }

  private async upsert(id: string, job: BatchJob, change: Partial<BatchJobRecord>): Promise<BatchJobRecord> {
    const list = await this.load();
    let entry = list.jobs.find((j) => j.record.id === id);
    const now = new Date().toISOString();
    if (!entry) {
      entry = {
        job,
        record: {
          id,
          name: job.name ?? basename(job.input.folder),
          model: job.model,
          inputFolder: job.input.folder,
          outputFolder: job.output.folder,
          state: 'counting',
          total: null,
          done: 0,
          ok: 0,
          failed: 0,
          skipped: 0,
          startedAt: now,
          updatedAt: now,
        },
      };
      list.jobs.push(entry);
    }
    entry.job = job;
    Object.assign(entry.record, change, { updatedAt: now });
    return entry.record;
  }

  /** Starts a job and answers its id at once; a rerun of a job into the same output folder resumes it. */
  async start(job: BatchJob, jobId: string = randomUUID()): Promise<{ jobId: string }> {
    await this.launch(jobId, job);
    return { jobId };
  }

  /** Starts a past job again: it resumes from its journal (failures again with retryFailed). */
  async resume(jobId: string, options: { retryFailed?: boolean }): Promise<{ jobId: string }> {
    const entry = (await this.load()).jobs.find((j) => j.record.id === jobId);
    if (!entry) throw new WorkbenchError('NOT_FOUND', `There is no batch job ${jobId} in the list of past jobs`);
    await this.launch(jobId, { ...entry.job, retryFailed: options.retryFailed ?? false });
    return { jobId };
  }

  /**
   * Follows a job: its latest progress at once (with every failure so far), then each event, and
   * its summary when it ends (a job that already ended answers at once). The watch's signal ends
   * the watch only.
   */
  async watch(jobId: string, ctx: BatchWatchContext): Promise<BatchSummary> {
    const kind = this.registry.kindOf(jobId);
    if (kind === null) {
      const known = (await this.load()).jobs.some((j) => j.record.id === jobId);
      throw new WorkbenchError(
        'NOT_FOUND',
        known ? `Batch job ${jobId} is not running (resume it to run it again)` : `There is no batch job ${jobId}`,
      );
    }
    if (kind !== 'batch')
      throw new WorkbenchError('INVALID_INPUT', `Job ${jobId} is a ${kind} job, not a batch job (watch it with jobs.watch)`);
    const outcome = await this.registry.watch(jobId, {
      signal: ctx.signal,
      emit: (p) => {
        if (p.kind === 'batch') ctx.emit(p.progress);
      },
    });
    return outcome.result as BatchSummary;
  }

  /** Cancels a running job (it stops within one file; what was run is kept for resume). */
  cancel(jobId: string): { cancelled: boolean } {
    return this.registry.cancel(jobId);
  }

  /** Sees every running batch job's progress and end. Returns the unsubscribe. */
  observe(listener: (event: BatchJobEvent) => void): () => void {
    return this.registry.observe((event) => {
      if (event.kind !== 'batch') return;
      if (event.type === 'progress') listener({ type: 'progress', jobId: event.jobId, progress: event.progress });
      else listener({ type: 'ended', jobId: event.jobId, result: event.result as Result<BatchSummary> });
    });
  }

  control(jobId: string, action: BatchAction): Promise<{ paused: boolean }> {
    return this.registry.control(jobId, action);
  }

  /** Past and running jobs, newest first; a job that was running when the app stopped is "interrupted". */
  async jobs(): Promise<BatchJobRecord[]> {
    const list = await this.load();
    return list.jobs
      .map(({ record }) => {
        const live = record.state === 'running' || record.state === 'paused' || record.state === 'counting';
        return live && !this.registry.isRunning(record.id) ? { ...record, state: 'interrupted' as const } : { ...record };
      })
      .reverse();
  }

  /** Writes a job as JSON (atomically; an existing file only with overwrite). */
  async saveJob(job: BatchJob, to: string, overwrite = false): Promise<{ path: string }> {
    const json = `${JSON.stringify(job, null, 2)}\n`;
    if (overwrite) await writeAtomic(to, json, { mkdir: true });
    else await writeNew(to, json, { mkdir: true });
    return { path: to };
  }

  async loadJob(path: string): Promise<BatchJob> {
    let raw: unknown;
    try {
      raw = JSON.parse((await readRegularFile(path, 'a batch job file')).toString('utf8'));
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw fsError(error, path, { what: 'job file' });
      throw new WorkbenchError('INVALID_INPUT', `${path} is not a JSON batch job: ${error.message}`);
    }
    const parsed = batchJobSchema.safeParse(raw);
    if (!parsed.success) {
      const issues = parsed.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.map(String).join('.') || 'job'}: ${i.message}`)
        .join('; ');
      throw new WorkbenchError('INVALID_INPUT', `${path} is not a valid batch job: ${issues}`);
    }
    return parsed.data;
  }

  /** Registers a job as running and starts it; the job's life is its own from here on. */
  private async launch(jobId: string, job: BatchJob): Promise<void> {
    if (this.registry.isRunning(jobId)) throw new WorkbenchError('INVALID_INPUT', `Batch job ${jobId} is already running`);
    const saved = this.upsert(jobId, job, { state: 'counting', error: undefined }).then(() => this.save());
    /** Every failure of this run (the events carry only the last few), for a watcher that attaches late. */
    const failures: BatchFailure[] = [];
    const ended = this.registry.start(
      { jobId, label: job.name ?? basename(job.input.folder), kind: 'batch', request: job },
      {
        run: async (control) => {
          await saved;
          return this.run(jobId, job, control, failures);
        },
        control: (action) => this.controlInEngine(jobId, action),
        snapshot: (last) => ({ ...last, failures: failures.slice() }),
      },
    );
    void ended.then(() => this.save());
    await saved;
  }

  private async controlInEngine(jobId: string, action: BatchAction): Promise<{ paused: boolean }> {
    const result = await this.options.engine.call('engine.batchControl', { jobId, action });
    // Between an engine crash and the job's restart the engine does not know it yet: the restart
    // starts it paused or not, as asked here.
    if (!result.ok && result.error.code === 'NOT_FOUND') return { paused: action === 'pause' };
    if (!result.ok) throw new WorkbenchError(result.error.code, result.error.message);
    return result.value;
  }

  private async run(
    jobId: string,
    job: BatchJob,
    control: { signal: AbortSignal; emit(p: BatchProgress): void },
    failures: BatchFailure[],
  ): Promise<BatchSummary> {
    const { signal } = control;
    let last: BatchProgress | null = null;
    const max = this.options.maxCrashesWithoutProgress ?? 2;
    let restarts = 0;
    let crashesWithoutProgress = 0;
    let failInFlight = false;
    let doneAtLastCrash = -1;
    let lastSave = 0;
    const record = (change: Partial<BatchJobRecord>) => this.upsert(jobId, job, change);
    const counts = (p: BatchProgress | BatchSummary) => ({
      total: p.total,
      done: p.done,
      ok: p.ok,
      failed: p.failed,
      skipped: p.skipped,
    });
    for (;;) {
      const result = await this.options.engine.call(
        'engine.batchRun',
        { job, jobId, failInFlight, paused: this.registry.isPaused(jobId) },
        {
          signal,
          jobId,
          cancelGraceMs: this.options.cancelGraceMs ?? 15_000,
          onEvent: (p) => {
            last = p;
            addFailures(failures, p.failures);
            control.emit(p);
            if (Date.now() - lastSave > SAVE_EVERY_MS) {
              lastSave = Date.now();
              void record({ state: p.state, ...counts(p) }).then(() => this.save());
            }
          },
        },
      );
      if (result.ok) {
        const summary: BatchSummary = restarts ? { ...result.value, restarts } : result.value;
        await record({ state: summary.state, ...counts(summary), error: summary.error?.message });
        if (summary.state === 'failed' && summary.error) throw new WorkbenchError(summary.error.code, summary.error.message);
        return summary;
      }
      const error = result.error;
      if (error.code !== 'ENGINE_CRASHED' || signal.aborted) {
        const cancelled = error.code === 'CANCELLED' || signal.aborted;
        const p: BatchProgress | null = last;
        await record({
          state: cancelled ? 'cancelled' : 'failed',
          ...(p ? counts(p) : {}),
          error: cancelled ? undefined : error.message,
        });
        throw new WorkbenchError(error.code, error.message);
      }
      // The engine died mid-job: start again in resume mode; the files in flight become failures.
      const done = (last as BatchProgress | null)?.done ?? 0;
      crashesWithoutProgress = done > doneAtLastCrash ? 1 : crashesWithoutProgress + 1;
      doneAtLastCrash = done;
      restarts += 1;
      this.log('warn', `batch job ${jobId}: the engine process stopped (${error.message}); resuming (restart ${restarts})`);
      if (crashesWithoutProgress > max) {
        const message = `The engine process stopped ${crashesWithoutProgress} times in a row on this job without finishing a file; the job was stopped (resume it to try again). Last: ${error.message}`;
        await record({ state: 'failed', error: message });
        throw new WorkbenchError('ENGINE_CRASHED', message);
      }
      failInFlight = true;
    }
  }
}

function addFailures(into: BatchFailure[], incoming: readonly BatchFailure[]) {
  if (incoming.length === 0) return;
  const known = new Set(into.map((f) => f.file));
  for (const f of incoming) if (!known.has(f.file)) into.push(f);
  if (into.length > MAX_FAILURES_KEPT) into.splice(0, into.length - MAX_FAILURES_KEPT);
}
