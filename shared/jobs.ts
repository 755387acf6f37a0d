// Long work as jobs with their own lifetime, of several kinds: a batch over a folder (a pipeline
// over a folder is a batch job too), an evaluation, a benchmark over providers, a profile. Each is
// started, then watched by any number of pages (which may come and go), and cancelled by its
// `jobId`; a batch job can also be paused. One table of kinds: the request each takes, the
// progress it reports and the result it ends with.
import { z } from 'zod';
import { type BatchJob, type BatchProgress, type BatchSummary, batchJobIdSchema, batchJobSchema } from './batch';
import { type EvalProgress, type EvalReport, type EvalRequest, evalRequestSchema } from './eval/report';
import { type ProfileProgress, type ProfileSummary, profileRequestSchema } from './profile';
import { PROVIDER_IDS, type ProviderId } from './providers';
import type { WorkbenchErrorInfo } from './result';
import { type BenchmarkResult, benchRequestSchema } from './run';

export const JOB_KINDS = ['batch', 'eval', 'benchmark', 'profile'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/** A benchmark job: the same runs on each provider in turn (`options.provider` is ignored). */
export const benchJobRequestSchema = benchRequestSchema.extend({
  providers: z
    .array(z.enum([...PROVIDER_IDS, 'auto']))
    .min(1)
    .max(PROVIDER_IDS.length + 1),
});
export type BenchJobRequest = z.output<typeof benchJobRequestSchema>;
export type BenchJobRequestInput = z.input<typeof benchJobRequestSchema>;

/** One provider's benchmark: its result, or why it could not run. */
export interface BenchRow {
  provider: ProviderId | 'auto';
  result: BenchmarkResult | null;
  error: WorkbenchErrorInfo | null;
}

export interface BenchJobProgress {
  /** The provider being measured. */
  provider: BenchRow['provider'];
  /** Runs done and in all on it (warm-up included). */
  done: number;
  total: number;
  lastMs: number;
  /** How many providers are finished. */
  finished: number;
  /** The finished providers' rows, in order: on the first event a watcher gets and after each one ends. */
  rows?: BenchRow[];
}

/** What each kind of job takes, reports and ends with. */
export interface JobTypes {
  batch: { request: BatchJob; progress: BatchProgress; result: BatchSummary };
  eval: { request: EvalRequest; progress: EvalProgress; result: EvalReport };
  benchmark: { request: BenchJobRequest; progress: BenchJobProgress; result: BenchRow[] };
  profile: { request: z.output<typeof profileRequestSchema>; progress: ProfileProgress; result: ProfileSummary };
}

/** A job to start: its kind and its request (the same request as the kind's one-off channel). */
export const jobRequestSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('batch'), request: batchJobSchema }),
  z.strictObject({ kind: z.literal('eval'), request: evalRequestSchema }),
  z.strictObject({ kind: z.literal('benchmark'), request: benchJobRequestSchema }),
  z.strictObject({ kind: z.literal('profile'), request: profileRequestSchema }),
]);
export type JobRequest = { [K in JobKind]: { kind: K; request: JobTypes[K]['request'] } }[JobKind];
export type JobRequestInput = z.input<typeof jobRequestSchema>;

/** A progress event of a watched job, tagged with its kind. */
export type JobProgress = { [K in JobKind]: { kind: K; progress: JobTypes[K]['progress'] } }[JobKind];
/** How a watched job ended. */
export type JobOutcome = { [K in JobKind]: { kind: K; result: JobTypes[K]['result'] } }[JobKind];

export const jobIdSchema = batchJobIdSchema;

/** A job running now (or ended lately) in this app, with the request it was started with. */
export type JobInfo = JobRequest & {
  jobId: string;
  /** In the user's words: the folder, the model. */
  label: string;
  state: 'running' | 'paused' | 'done' | 'failed' | 'cancelled';
  /** Epoch milliseconds. */
  startedAt: number;
  done: number;
  total: number | null;
  error?: WorkbenchErrorInfo;
};

export const isRunningJob = (job: Pick<JobInfo, 'state'>): boolean => job.state === 'running' || job.state === 'paused';

/** A job id chosen by a page, so that Pause and Cancel work before the first progress event. */
export function newJobId(now = Date.now()): string {
  return `job-${now.toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
