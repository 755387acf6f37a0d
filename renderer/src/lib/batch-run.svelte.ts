// One batch job as a page follows it: progress and summary from `jobs.watch` (a `JobTask`),
// pause/resume/cancel by the job's id. The job itself lives on the main side.
import type { Api } from '../../../shared/api';
import type { BatchFailure, BatchJobRecord, BatchProgress, BatchSummary } from '../../../shared/batch';
import type { WorkbenchErrorInfo } from '../../../shared/result';
import { JobTask } from './job-task.svelte';

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
 * One batch job followed by this page (a `JobTask`), with the failures seen so far; pause, resume
 * and cancel go to the job by its id. Letting go of the watch leaves the job running.
 */
export class BatchRun {
  readonly jobId: string;
  readonly label: RunLabel;
  /** Every failure seen (the events carry only the last few; the first event on attach carries all). */
  failures = $state.raw<BatchFailure[]>([]);
  readonly job: JobTask<'batch'>;
  /** Shows a folder in the file manager (the desktop app only); the progress panel's "Show folder". */
  openFolder: ((path: string) => Promise<string | null>) | null = null;

  constructor(api: Api, jobId: string, label: RunLabel) {
    this.jobId = jobId;
    this.label = label;
    this.job = new JobTask(api, 'batch', (p) => this.#addFailures(p.failures));
  }

  /** Until the watch settles (it starts as soon as the run exists). */
  get running(): boolean {
    return this.job.running || this.job.jobId === null;
  }

  get progress(): BatchProgress | null {
    return this.job.progress;
  }

  /** What the job is, as the progress panel reads it of a view's session too. */
  get runLabel(): RunLabel {
    return this.label;
  }

  get paused(): boolean {
    return this.job.paused;
  }

  get cancelling(): boolean {
    return this.job.cancelling;
  }

  get controlError(): WorkbenchErrorInfo | null {
    return this.job.controlError;
  }

  get summary(): BatchSummary | null {
    return this.job.value;
  }

  /** The job was cancelled (its counts stay on screen from the last progress event). */
  get cancelled(): boolean {
    return this.job.cancelled || this.summary?.state === 'cancelled';
  }

  /** Why the job stopped, when it failed. */
  get error(): WorkbenchErrorInfo | null {
    return this.job.failure ?? this.summary?.error ?? null;
  }

  /** Follows the job until it ends. */
  async follow(): Promise<void> {
    await this.job.attach(this.jobId);
    if (this.summary) this.#addFailures(this.summary.failures);
  }

  #addFailures(incoming: readonly BatchFailure[]): void {
    if (incoming.length === 0) return;
    const known: Record<string, true> = Object.create(null);
    for (const f of this.failures) known[f.file] = true;
    const fresh = incoming.filter((f) => !known[f.file]);
    if (fresh.length) this.failures = [...this.failures, ...fresh].slice(-MAX_FAILURES);
  }

  /** Pause or resume the job (between images; the one in flight finishes). */
  control(action: 'pause' | 'resume'): Promise<void> {
    return this.job.control(action);
  }

  /** Stops the job within one image, from this page or any other; the journal keeps what was done. */
  cancel(): Promise<void> {
    return this.job.cancel();
  }
}
