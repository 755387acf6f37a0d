// One job as a page follows it (shared/jobs.ts): started here, or attached after a reload or
// from another tab; its progress and outcome come from `jobs.watch`, cancel and pause go to the
// job by its id. The job lives on the main side: letting go of the watch leaves it running.
// Reads like a `Task` (state, value, error, running) so that views need not care.
import type { Api } from '../../../shared/api';
import { type JobKind, type JobRequestInput, type JobTypes, newJobId } from '../../../shared/jobs';
import type { WorkbenchErrorInfo } from '../../../shared/result';
import type { TaskState } from './task.svelte';

type Progress<K extends JobKind> = JobTypes[K]['progress'];

export class JobTask<K extends JobKind> {
  readonly kind: K;
  state = $state<TaskState>('idle');
  value = $state.raw<JobTypes[K]['result'] | null>(null);
  /** Why the job (or its watch) ended; CANCELLED (state idle) when it was cancelled, here or elsewhere. */
  error = $state.raw<WorkbenchErrorInfo | null>(null);
  /** The latest progress event. */
  progress = $state.raw<Progress<K> | null>(null);
  /** The job followed now (or last); null before the first. */
  jobId = $state<string | null>(null);
  paused = $state(false);
  cancelling = $state(false);
  /** Why the last pause, resume or cancel was refused. */
  controlError = $state.raw<WorkbenchErrorInfo | null>(null);
  readonly #api: Api;
  readonly #onProgress: ((progress: Progress<K>) => void) | undefined;
  #watch: AbortController | null = null;

  constructor(api: Api, kind: K, onProgress?: (progress: Progress<K>) => void) {
    this.#api = api;
    this.kind = kind;
    this.#onProgress = onProgress;
  }

  get running(): boolean {
    return this.state === 'running';
  }

  get cancelled(): boolean {
    return this.error?.code === 'CANCELLED';
  }

  /** Why the job failed (not cancelled), or null. */
  get failure(): WorkbenchErrorInfo | null {
    return this.cancelled ? null : this.error;
  }

  /** Starts a job of this kind and follows it until it ends. */
  async start(request: Extract<JobRequestInput, { kind: K }>['request'], jobId = newJobId()): Promise<void> {
    this.#begin(jobId);
    const job = { kind: this.kind, request } as JobRequestInput;
    const started = await this.#api.call('jobs.start', { job, jobId });
    if (this.jobId !== jobId) return;
    if (started.ok) await this.#follow(started.value.jobId);
    else this.#end({ ok: false, error: started.error });
  }

  /** Follows a job already running on the main side (a reloaded page, another tab) until it ends. */
  attach(jobId: string): Promise<void> {
    this.#begin(jobId);
    return this.#follow(jobId);
  }

  /** Stops the job by its id, for every page following it. */
  async cancel(): Promise<void> {
    const jobId = this.jobId;
    if (!this.running || this.cancelling || !jobId) return;
    this.cancelling = true;
    const result = await this.#api.call('jobs.cancel', { jobId });
    if (!result.ok && this.jobId === jobId) {
      this.cancelling = false;
      this.controlError = result.error;
    }
  }

  /** Pause or resume (kinds that can: between items, the one in flight finishes). */
  async control(action: 'pause' | 'resume'): Promise<void> {
    const jobId = this.jobId;
    if (!this.running || !jobId) return;
    this.controlError = null;
    const result = await this.#api.call('jobs.control', { jobId, action });
    if (!result.ok) this.controlError = result.error;
    else if (this.running && this.jobId === jobId) this.paused = result.value.paused;
  }

  /** Stops following (the page is done with it); the job itself goes on. */
  release(): void {
    this.#watch?.abort();
    this.#watch = null;
    if (this.running) this.state = this.value === null ? 'idle' : 'done';
  }

  #begin(jobId: string): void {
    this.#watch?.abort();
    this.#watch = null;
    this.jobId = jobId;
    this.state = 'running';
    this.value = null;
    this.error = null;
    this.progress = null;
    this.paused = false;
    this.cancelling = false;
    this.controlError = null;
  }

  async #follow(jobId: string): Promise<void> {
    const controller = new AbortController();
    this.#watch = controller;
    const result = await this.#api.call(
      'jobs.watch',
      { jobId },
      {
        signal: controller.signal,
        onEvent: (event) => {
          if (this.#watch !== controller || event.kind !== this.kind) return;
          const progress = event.progress as Progress<K>;
          this.progress = progress;
          if (event.kind === 'batch') this.paused = event.progress.state === 'paused';
          this.#onProgress?.(progress);
        },
      },
    );
    if (this.#watch !== controller) return; // superseded or released
    this.#watch = null;
    if (result.ok && result.value.kind !== this.kind) {
      this.#end({ ok: false, error: { code: 'INVALID_INPUT', message: `Job ${jobId} is a ${result.value.kind} job` } });
    } else this.#end(result.ok ? { ok: true, value: result.value.result as JobTypes[K]['result'] } : result);
  }

  #end(result: { ok: true; value: JobTypes[K]['result'] } | { ok: false; error: WorkbenchErrorInfo }): void {
    this.cancelling = false;
    this.paused = false;
    if (result.ok) {
      this.value = result.value;
      this.state = 'done';
    } else {
      this.error = result.error;
      // Cancelled is not a failure: the task is back where it was before it started (as Task.cancel).
      this.state = result.error.code === 'CANCELLED' ? (this.value === null ? 'idle' : 'done') : 'failed';
    }
  }
}
