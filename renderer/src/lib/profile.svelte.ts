// onnxruntime's profile of the open model, as reactive state: one per opened model, kept in its
// ModelInspection so that the Run view's Profile panel and the Graph tab's overlays read the same
// summary. Started from the Run view (with its inputs) or from the Graph tab (generated inputs
// where the Run view has none yet). A profile is a job: it runs on whatever happens to the page,
// and a reloaded page re-attaches to it.
import type { Api } from '../../../shared/api';
import { type JobInfo, isRunningJob } from '../../../shared/jobs';
import type { ProfileSummary } from '../../../shared/profile';
import type { RunInputSource, SessionOptionsInput } from '../../../shared/run';
import type { RunSession } from './run.svelte';
import { JobTask } from './job-task.svelte';

export interface ProfileRequest {
  path: string;
  inputs: Record<string, RunInputSource>;
  options: SessionOptionsInput;
}

/** Nodes sent to the UI: the slowest ones when a model has more (the totals cover all of them). */
export const UI_PROFILE_NODES = 20_000;

export class ModelProfile {
  /** Measured runs after the warm-up run. */
  runs = $state(10);
  /** Inputs that were generated because the Run view had none for them (said next to the result). */
  generatedInputs = $state.raw<string[]>([]);
  readonly task: JobTask<'profile'>;

  constructor(api: Api) {
    this.task = new JobTask(api, 'profile');
  }

  /** The latest summary, or null before the first profile finishes. */
  get summary(): ProfileSummary | null {
    return this.task.value;
  }

  get running(): boolean {
    return this.task.running;
  }

  start(request: ProfileRequest, generatedInputs: string[] = []): Promise<void> {
    this.generatedInputs = generatedInputs;
    return this.task.start({ ...request, runs: this.runs, maxNodes: UI_PROFILE_NODES });
  }

  /** Follows a profile of this model running on the main side (a reloaded page, another tab). */
  attach(info: JobInfo): void {
    if (this.running || info.kind !== 'profile' || !isRunningJob(info)) return;
    this.runs = info.request.runs;
    this.generatedInputs = [];
    void this.task.attach(info.jobId);
  }

  /**
   * Profiles with the Run view's inputs and options. Without `generateMissing` an input not chosen
   * yet stops it (said in session.missing); with it, such inputs are generated.
   */
  startFrom(session: RunSession, generateMissing = false): Promise<void> {
    const request = session.profileRequest(generateMissing);
    session.missing = 'missing' in request ? request.missing : null;
    if ('missing' in request) return Promise.resolve();
    const { generated, ...rest } = request;
    return this.start(rest, generated);
  }

  /** Stops the profile by its id (for every page following it). */
  cancel(): void {
    void this.task.cancel();
  }
}
