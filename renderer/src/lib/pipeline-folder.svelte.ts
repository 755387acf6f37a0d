// The Pipeline view over a folder: the pipeline file run on every image of a folder as a batch job
// (shared/batch.ts `pipeline`), followed like any batch job (a `BatchRun`, which the Batch view's
// progress panel reads as it is), so progress, the failure list, pause and cancel are the Batch view's. A reloaded page attaches to
// a pipeline job still running (workbench.attachJobs sends it here, not to the Batch view).
import type { Api } from '../../../shared/api';
import type { BatchJobInput, BatchOutputKind } from '../../../shared/batch';
import { type JobInfo, isRunningJob, newJobId } from '../../../shared/jobs';
import type { WorkbenchErrorInfo } from '../../../shared/result';
import { BatchRun } from './batch-run.svelte';
import type { ProviderPick } from './pipeline.svelte';

/** A running batch job that is a pipeline over a folder. */
export const isPipelineJob = (info: JobInfo): boolean => info.kind === 'batch' && !!info.request.pipeline;

export class PipelineFolderJob {
  readonly api: Api;
  /** The folder of images, and where the results go (never inside it). */
  folder = $state('');
  out = $state('');
  /** Also draw the regions on each image, under images/ in the output folder. */
  drawImages = $state(false);
  run = $state.raw<BatchRun | null>(null);
  startError = $state.raw<WorkbenchErrorInfo | null>(null);
  starting = $state(false);
  /** Shows a folder in the file manager (the desktop app only). */
  openFolder = $state.raw<((path: string) => Promise<string | null>) | null>(null);

  constructor(api: Api) {
    this.api = api;
  }

  /** Why Run is not possible yet, in words (null: it is). */
  missing(file: string): string | null {
    if (!file.trim()) return 'choose a pipeline file';
    if (!this.folder.trim()) return 'choose a folder of images';
    if (!this.out.trim()) return 'choose an output folder';
    return null;
  }

  get running(): boolean {
    return this.starting || (this.run?.running ?? false);
  }
  /** Why the job stopped, when it failed (or could not start). */
  get error(): WorkbenchErrorInfo | null {
    return this.startError ?? this.run?.error ?? null;
  }

  async start(file: string, provider: ProviderPick): Promise<void> {
    if (this.running || this.missing(file)) return;
    const write: BatchOutputKind[] = ['csv', 'jsonl', ...(this.drawImages ? (['images'] as const) : [])];
    const request: BatchJobInput = {
      model: file.trim(),
      pipeline: {},
      input: { folder: this.folder.trim() },
      output: { folder: this.out.trim(), write },
      options: { provider },
    };
    this.starting = true;
    this.startError = null;
    const started = await this.api.call('jobs.start', { job: { kind: 'batch', request }, jobId: newJobId() });
    this.starting = false;
    if (!started.ok) {
      this.run = null;
      this.startError = started.error;
      return;
    }
    const label = { model: request.model, input: request.input.folder, output: request.output.folder, resumed: false };
    await this.#follow(new BatchRun(this.api, started.value.jobId, label));
  }

  /** Follows a pipeline job running on the main side that this page does not follow yet; the fields show its folders. */
  attach(info: JobInfo): void {
    if (this.running || info.kind !== 'batch' || !info.request.pipeline || !isRunningJob(info)) return;
    const job = info.request;
    this.folder = job.input.folder;
    this.out = job.output.folder;
    this.drawImages = job.output.write.includes('images');
    const label = { model: job.model, input: job.input.folder, output: job.output.folder, resumed: false };
    void this.#follow(new BatchRun(this.api, info.jobId, label));
  }

  async #follow(run: BatchRun): Promise<void> {
    this.startError = null;
    run.openFolder = this.openFolder;
    this.run = run;
    await run.follow();
  }

  control(action: 'pause' | 'resume'): Promise<void> {
    return this.run?.control(action) ?? Promise.resolve();
  }

  cancel(): void {
    void this.run?.cancel();
  }
}
