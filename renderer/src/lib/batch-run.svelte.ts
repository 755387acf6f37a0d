// One batch job as a page follows it: progress and summary from `batch.watch` (the `Task`
// lifecycle), pause/resume/cancel by the job's id. The job itself lives on the main side.
import type { Api } from '../../../shared/api';
import type { BatchFailure, BatchJobRecord, BatchProgress, BatchSummary } from '../../../shared/batch';
import type { WorkbenchErrorInfo } from '../../../shared/result';
import { Task } from './task.svelte';

/** What the running (or last) job is, for the progress panel's title. */
export interface RunLabel {
  model: string;
  input: string;
  output: string;
  resumed: boolean;
}

const MAX_FAILURES = 1000;

/** A job record that is still running on the main side (a page may re-attach to it). */
export function isLive(record: BatchJobRecord): boolean {
  return record.state === 'running' || record.state === 'paused' || record.state === 'counting';
}

/**
 * One job followed by this page: its progress and summary come from `batch.watch` (a `Task`);
 * pause, resume and cancel go to the job by its id. Letting go of the watch leaves the job running.
 */
export class BatchRun {
  readonly jobId: string;
  readonly label: RunLabel;
  readonly #api: Api;
  progress = $state.raw<BatchProgress | null>(null);
  /** Every failure seen (the events carry only the last few; the first event on attach carries all). */
  failures = $state.raw<BatchFailure[]>([]);
  paused = $state(false);
  cancelling = $state(false);
  controlError = $state.raw<WorkbenchErrorInfo | null>(null);
  readonly watch: Task<BatchSummary>;

  constructor(api: Api, jobId: string, label: RunLabel) {
    this.#api = api;
    this.jobId = jobId;
    this.label = label;
    this.watch = new Task<BatchSummary>(({ signal }) =>
      api.call('batch.watch', { jobId }, { signal, onEvent: (p) => this.#onProgress(p) }),
    );
  }

  /** Until the watch settles (it starts as soon as the run exists). */
  get running(): boolean {
    return this.watch.state === 'running' || this.watch.state === 'idle';
  }

  get summary(): BatchSummary | null {
    return this.watch.value;
  }

  /** The job was cancelled (its counts stay on screen from the last progress event). */
  get cancelled(): boolean {
    return this.watch.error?.code === 'CANCELLED' || this.summary?.state === 'cancelled';
  }

  /** Why the job stopped, when it failed. */
  get error(): WorkbenchErrorInfo | null {
    if (this.watch.error && this.watch.error.code !== 'CANCELLED') return this.watch.error;
    return this.summary?.error ?? null;
  }

  /** Follows the job until it ends. */
  async follow(): Promise<void> {
    await this.watch.start();
    this.cancelling = false;
    this.paused = false;
    if (this.summary) this.#addFailures(this.summary.failures);
  }

  #onProgress(p: BatchProgress): void {
    this.progress = p;
    this.paused = p.state === 'paused';
    this.#addFailures(p.failures);
  }

  #addFailures(incoming: readonly BatchFailure[]): void {
    if (incoming.length === 0) return;
    const known: Record<string, true> = Object.create(null);
    for (const f of this.failures) known[f.file] = true;
    const fresh = incoming.filter((f) => !known[f.file]);
    if (fresh.length) this.failures = [...this.failures, ...fresh].slice(-MAX_FAILURES);
  }

  /** Pause or resume the job (between images; the one in flight finishes). */
  async control(action: 'pause' | 'resume'): Promise<void> {
    if (!this.running) return;
    this.controlError = null;
    const result = await this.#api.call('batch.control', { jobId: this.jobId, action });
    if (!result.ok) this.controlError = result.error;
    else if (this.running) this.paused = result.value.paused;
  }

  /** Stops the job within one image, from this page or any other; the journal keeps what was done. */
  async cancel(): Promise<void> {
    if (!this.running || this.cancelling) return;
    this.cancelling = true;
    const result = await this.#api.call('batch.cancel', { jobId: this.jobId });
    if (!result.ok) {
      this.cancelling = false;
      this.controlError = result.error;
    }
  }
}
