// The one registry of the jobs running in this app, of every kind (shared/jobs.ts): a job is
// registered with its work, then lives until the work ends or is cancelled, whatever happens to
// the page that started it. Any number of watchers (pages, the CLI) attach and let go; one that
// attaches late gets the latest progress first. Ended jobs are kept a while so that a page that
// reloads as a job ends still learns how it ended.
import type { ActiveJob } from '../../shared/activity';
import type { JobInfo, JobKind, JobOutcome, JobProgress, JobRequest, JobTypes } from '../../shared/jobs';
import { type Result, WorkbenchError, toErrorInfo } from '../../shared/result';

type Progress<K extends JobKind> = JobTypes[K]['progress'];
type Outcome<K extends JobKind> = JobTypes[K]['result'];

/** What a job's work is given: the signal that cancels it, and where its progress goes. */
export interface JobControl<K extends JobKind> {
  jobId: string;
  signal: AbortSignal;
  emit(progress: Progress<K>): void;
}

/** A job's work, as its kind runs it. */
export interface JobWork<K extends JobKind> {
  run(control: JobControl<K>): Promise<Outcome<K>>;
  /** Pause or resume, for kinds that can (between items); absent: UNSUPPORTED. */
  control?(action: 'pause' | 'resume'): Promise<{ paused: boolean }>;
  /** What a watcher that attaches late gets first (default: the last event). */
  snapshot?(last: Progress<K>): Progress<K>;
}

/** A job's progress as counts, for the status bar and the list of jobs: one rule per kind. */
const COUNTS: { [K in JobKind]: (p: Progress<K>, request: JobTypes[K]['request']) => { done: number; total: number | null } } = {
  batch: (p) => ({ done: p.done, total: p.total }),
  eval: (p) => ({ done: p.batch?.done ?? 0, total: p.batch?.total ?? null }),
  // Runs over every provider: the finished ones, then the one being measured.
  benchmark: (p, request) => ({ done: p.finished * p.total + p.done, total: request.providers.length * p.total }),
  profile: (p) => ({ done: p.done ?? 0, total: p.total ?? null }),
};

/** What happens to jobs, for observers on the main side (status bar feed, taskbar progress, notifications). */
export type JobEvent =
  ({ type: 'progress'; jobId: string } & JobProgress) | { type: 'ended'; jobId: string; kind: JobKind; result: Result<unknown> };

interface Entry {
  info: Omit<JobInfo, 'state' | 'done' | 'total' | 'error'>;
  controller: AbortController;
  work: JobWork<JobKind>;
  paused: boolean;
  last: unknown;
  watchers: Set<(progress: unknown) => void>;
  done: Promise<Result<unknown>>;
}

/** Ended jobs whose outcome a late watcher still gets. */
const MAX_ENDED_KEPT = 50;

export class JobRegistry {
  private readonly running = new Map<string, Entry>();
  private readonly ended = new Map<string, { entry: Entry; result: Result<unknown> }>();
  private readonly observers = new Set<(event: JobEvent) => void>();

  /**
   * Registers a job and starts its work; answers how it ends. A job of the same id already
   * running is refused.
   */
  start<K extends JobKind>(
    job: { jobId: string; label: string } & Extract<JobRequest, { kind: K }>,
    work: JobWork<K>,
  ): Promise<Result<Outcome<K>>> {
    const { jobId, label, kind, request } = job;
    if (this.running.has(jobId)) throw new WorkbenchError('INVALID_INPUT', `Job ${jobId} is already running`);
    const entry: Entry = {
      info: { jobId, label, kind, request, startedAt: Date.now() } as Entry['info'],
      controller: new AbortController(),
      work: work as unknown as JobWork<JobKind>,
      paused: false,
      last: null,
      watchers: new Set(),
      done: Promise.resolve({ ok: false, error: { code: 'INTERNAL', message: 'not started' } }),
    };
    this.running.set(jobId, entry);
    this.ended.delete(jobId);
    const control: JobControl<K> = {
      jobId,
      signal: entry.controller.signal,
      emit: (progress) => {
        entry.last = progress;
        if (kind === 'batch') entry.paused = (progress as Progress<'batch'>).state === 'paused';
        for (const w of entry.watchers) w(progress);
        this.notify({ type: 'progress', jobId, kind, progress } as JobEvent);
      },
    };
    // Work that throws at once is still a job that ended (with its error), never an exception here.
    entry.done = Promise.resolve()
      .then(() => work.run(control))
      .then(
        (value): Result<unknown> => ({ ok: true, value }),
        (error: unknown): Result<unknown> => ({
          ok: false,
          error: entry.controller.signal.aborted ? { code: 'CANCELLED', message: 'Cancelled.' } : toErrorInfo(error),
        }),
      );
    void entry.done.then((result) => {
      this.running.delete(jobId);
      this.ended.set(jobId, { entry, result });
      if (this.ended.size > MAX_ENDED_KEPT) this.ended.delete(this.ended.keys().next().value!);
      this.notify({ type: 'ended', jobId, kind, result });
    });
    return entry.done as Promise<Result<Outcome<K>>>;
  }

  /** The kind of a job running now or ended lately, or null. */
  kindOf(jobId: string): JobKind | null {
    return (this.running.get(jobId) ?? this.ended.get(jobId)?.entry)?.info.kind ?? null;
  }

  isRunning(jobId: string): boolean {
    return this.running.has(jobId);
  }

  /**
   * Follows a job: its latest progress at once, then each event, and its outcome when it ends (a
   * job that already ended answers at once). The watch's signal ends the watch only.
   */
  async watch(jobId: string, ctx: { signal: AbortSignal; emit(progress: JobProgress): void }): Promise<JobOutcome> {
    const entry = this.running.get(jobId);
    const ended = entry ? null : this.ended.get(jobId);
    if (!entry && !ended) throw new WorkbenchError('NOT_FOUND', `There is no job ${jobId} running`);
    const kind = (entry ?? ended!.entry).info.kind;
    let result: Result<unknown>;
    if (entry) {
      const emit = (progress: unknown) => ctx.emit({ kind, progress } as JobProgress);
      if (entry.last !== null) emit(entry.work.snapshot ? entry.work.snapshot(entry.last as never) : entry.last);
      entry.watchers.add(emit);
      try {
        result = await Promise.race([entry.done, aborted(ctx.signal)]);
      } finally {
        entry.watchers.delete(emit);
      }
    } else result = ended!.result;
    if (!result.ok) throw new WorkbenchError(result.error.code, result.error.message);
    return { kind, result: result.value } as JobOutcome;
  }

  /** Cancels a running job (it stops within one item; what it wrote stays). */
  cancel(jobId: string): { cancelled: boolean } {
    const entry = this.running.get(jobId);
    if (!entry) return { cancelled: false };
    entry.controller.abort();
    return { cancelled: true };
  }

  /** Cancels every running job (the app is quitting). */
  cancelAll(): void {
    for (const entry of this.running.values()) entry.controller.abort();
  }

  async control(jobId: string, action: 'pause' | 'resume'): Promise<{ paused: boolean }> {
    const entry = this.running.get(jobId);
    if (!entry) throw new WorkbenchError('NOT_FOUND', `No job ${jobId} is running`);
    if (!entry.work.control) {
      throw new WorkbenchError('UNSUPPORTED', `A ${entry.info.kind} job cannot be paused; cancel it instead`);
    }
    entry.paused = action === 'pause';
    const answer = await entry.work.control(action);
    entry.paused = answer.paused;
    return answer;
  }

  /** Whether a running job was asked to pause (a batch job restarted after a crash starts so). */
  isPaused(jobId: string): boolean {
    return this.running.get(jobId)?.paused ?? false;
  }

  /** Sees every job's progress and end. Returns the unsubscribe. */
  observe(listener: (event: JobEvent) => void): () => void {
    this.observers.add(listener);
    return () => this.observers.delete(listener);
  }

  /** Running jobs, then the ones ended lately, newest first, with the requests they were started with. */
  list(): JobInfo[] {
    const running = [...this.running.values()].map((entry) => this.describe(entry, null));
    const ended = [...this.ended.values()].map(({ entry, result }) => this.describe(entry, result));
    return [...running.reverse(), ...ended.reverse()];
  }

  /** The jobs running now, for the status bar. */
  active(): ActiveJob[] {
    return [...this.running.values()].map((entry) => {
      const { jobId, kind, label, state, done, total } = this.describe(entry, null);
      return { jobId, kind, label, state: state === 'paused' ? 'paused' : 'running', done, total };
    });
  }

  private describe(entry: Entry, result: Result<unknown> | null): JobInfo {
    const { info } = entry;
    const counts =
      entry.last === null
        ? { done: 0, total: null }
        : (COUNTS[info.kind] as (p: unknown, r: unknown) => { done: number; total: number | null })(entry.last, info.request);
    const state: JobInfo['state'] =
      result === null
        ? entry.paused
          ? 'paused'
          : 'running'
        : result.ok
          ? (result.value as { state?: unknown }).state === 'cancelled'
            ? 'cancelled'
            : 'done'
          : result.error.code === 'CANCELLED'
            ? 'cancelled'
            : 'failed';
    return { ...info, ...counts, state, ...(result && !result.ok ? { error: result.error } : {}) } as JobInfo;
  }

  private notify(event: JobEvent): void {
    for (const o of this.observers) o(event);
  }
}

/** Settles with CANCELLED when the signal aborts (a watch that was let go). */
function aborted(signal: AbortSignal): Promise<Result<never>> {
  return new Promise((resolve) => {
    const settle = () => resolve({ ok: false, error: { code: 'CANCELLED', message: 'Cancelled.' } });
    if (signal.aborted) settle();
    else signal.addEventListener('abort', settle, { once: true });
  });
}
