// Batch jobs from the Node side: starts them in the engine, relays their progress, keeps the list
// of past jobs in the app's data folder, and carries a job through engine crashes: when the engine
// process dies mid-job, the job is started again in resume mode, the files that were in flight are
// recorded as failed, and the rest goes on. Jobs can be saved as JSON files and loaded again.
import { randomUUID } from 'node:crypto';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { readRegularFile } from '../common/regular-file';
import {
  type BatchAction,
  type BatchCount,
  type BatchJob,
  type BatchJobRecord,
  type BatchProgress,
  type BatchSummary,
  batchJobSchema,
} from '../../shared/batch';
import { type Result, WorkbenchError } from '../../shared/result';
import type { EngineClient, EngineLogger } from './engine-client';
import { JsonStore } from '../common/json-store';

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

export interface BatchCallContext {
  signal: AbortSignal;
  emit(progress: BatchProgress): void;
}

export interface BatchServiceOptions {
  engine: EngineClient;
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

function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  throw new WorkbenchError(result.error.code, result.error.message);
}

export class BatchService {
  private readonly store: JsonStore<JobList> | null;
  private list: Promise<JobList> | null = null;
  /** Jobs running in this process: paused is kept here too, for a restart after a crash. */
  private readonly running = new Map<string, { paused: boolean }>();
  private readonly log: EngineLogger;

  constructor(private readonly options: BatchServiceOptions) {
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

  /** How many files the job would take, before it starts. */
  async count(job: BatchJob, signal?: AbortSignal): Promise<BatchCount> {
    return unwrap(await this.options.engine.request('batchCount', { job }, { signal }));
  }

  /** Runs a job to its end; a rerun of a job into the same output folder resumes it. */
  start(job: BatchJob, ctx: BatchCallContext, jobId: string = randomUUID()): Promise<BatchSummary> {
    return this.run(jobId, job, ctx);
  }

  /** Runs a past job again: it resumes from its journal (failures again with retryFailed). */
  async resume(jobId: string, options: { retryFailed?: boolean }, ctx: BatchCallContext): Promise<BatchSummary> {
    const entry = (await this.load()).jobs.find((j) => j.record.id === jobId);
    if (!entry) throw new WorkbenchError('NOT_FOUND', `There is no batch job ${jobId} in the list of past jobs`);
    const job = { ...entry.job, retryFailed: options.retryFailed ?? false };
    return this.run(jobId, job, ctx);
  }

  async control(jobId: string, action: BatchAction): Promise<{ paused: boolean }> {
    const state = this.running.get(jobId);
    if (!state) throw new WorkbenchError('NOT_FOUND', `No batch job ${jobId} is running`);
    state.paused = action === 'pause';
    const result = await this.options.engine.request('batchControl', { jobId, action });
    // Between an engine crash and the job's restart the engine does not know it yet: the restart
    // starts it paused or not, as asked here.
    if (!result.ok && result.error.code === 'NOT_FOUND') return { paused: state.paused };
    return unwrap(result);
  }

  /** Past and running jobs, newest first; a job that was running when the app stopped is "interrupted". */
  async jobs(): Promise<BatchJobRecord[]> {
    const list = await this.load();
    return list.jobs
      .map(({ record }) => {
        const live = record.state === 'running' || record.state === 'paused' || record.state === 'counting';
        return live && !this.running.has(record.id) ? { ...record, state: 'interrupted' as const } : { ...record };
      })
      .reverse();
  }

  /** Writes a job as JSON (atomically; an existing file only with overwrite). */
  async saveJob(job: BatchJob, to: string, overwrite = false): Promise<{ path: string }> {
    const exists = await stat(to).then(
      () => true,
      () => false,
    );
    if (exists && !overwrite) throw new WorkbenchError('IO_ERROR', `${to} already exists; choose another name.`);
    const tmp = join(dirname(to), `.${basename(to)}.${process.pid}.tmp`);
    try {
      await mkdir(dirname(to), { recursive: true });
      const fh = await open(tmp, 'w');
      await fh.writeFile(`${JSON.stringify(job, null, 2)}\n`);
      await fh.close();
      await rename(tmp, to);
    } catch (error) {
      await rm(tmp, { force: true }).catch(() => {});
      throw new WorkbenchError('WRITE_FAILED', `Could not write ${to}: ${(error as Error).message}`);
    }
    return { path: to };
  }

  async loadJob(path: string): Promise<BatchJob> {
    let raw: unknown;
    try {
      raw = JSON.parse((await readRegularFile(path, 'a batch job file')).toString('utf8'));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new WorkbenchError('NOT_FOUND', `Job file not found: ${path}`);
      throw new WorkbenchError('INVALID_INPUT', `${path} is not a JSON batch job: ${(error as Error).message}`);
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

  private async run(jobId: string, job: BatchJob, ctx: BatchCallContext): Promise<BatchSummary> {
    if (this.running.has(jobId)) throw new WorkbenchError('INVALID_INPUT', `Batch job ${jobId} is already running`);
    const state = { paused: false };
    this.running.set(jobId, state);
    const max = this.options.maxCrashesWithoutProgress ?? 2;
    let restarts = 0;
    let crashesWithoutProgress = 0;
    let failInFlight = false;
    let last: BatchProgress | null = null;
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
    await record({ state: 'counting', error: undefined });
    await this.save();
    try {
      for (;;) {
        const result = await this.options.engine.request(
          'batchRun',
          { job, jobId, failInFlight, paused: state.paused },
          {
            signal: ctx.signal,
            cancelGraceMs: this.options.cancelGraceMs ?? 15_000,
            onEvent: (p) => {
              last = p;
              ctx.emit(p);
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
        if (error.code !== 'ENGINE_CRASHED' || ctx.signal.aborted) {
          const cancelled = error.code === 'CANCELLED' || ctx.signal.aborted;
          const p = last as BatchProgress | null;
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
    } finally {
      this.running.delete(jobId);
      await this.save();
    }
  }
}
