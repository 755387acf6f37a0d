// How each kind of job other than batch does its work: a call to the engine (or one per provider)
// made on the job's behalf, so that it runs for the job's life, not its caller's. Batch jobs are
// run by the batch service (through engine crashes, with their journal and list of past jobs).
import type { ChannelName } from '../../shared/contract';
import { jobCheckedAs } from '../../shared/file-access';
import type { BenchRow, JobKind, JobRequest, JobTypes } from '../../shared/jobs';
import { WorkbenchError } from '../../shared/result';
import type { EngineClient } from './engine-client';
import type { JobControl, JobWork } from './jobs';

type EngineJobKind = Exclude<JobKind, 'batch'>;

const baseName = (path: string): string => path.split(/[\\/]/).filter(Boolean).pop() ?? path;

/** The job in the user's words (the status bar, the list of jobs), one rule per kind. */
export const JOB_LABELS: { [K in JobKind]: (request: JobTypes[K]['request']) => string } = {
  batch: (job) => job.name ?? baseName(job.input.folder),
  eval: (r) => `Evaluating on ${baseName(r.dataset.root)}`,
  benchmark: (r) => `Benchmarking ${baseName(r.path)}`,
  profile: (r) => `Profiling ${baseName(r.path)}`,
};

/** A job's label, and the channel and input its files are checked as (shared/file-access.ts). */
export function describeJob(job: JobRequest): { label: string; channel: ChannelName; input: unknown } {
  const label = (JOB_LABELS[job.kind] as (request: unknown) => string)(job.request);
  return { label, ...jobCheckedAs(job) };
}

function valueOf<T>(result: { ok: true; value: T } | { ok: false; error: { code: string; message: string } }): T {
  if (result.ok) return result.value;
  throw new WorkbenchError(result.error.code as never, result.error.message);
}

/** Each provider in turn; one that fails gets its error in its row and the next one runs. */
async function benchmark(
  engine: EngineClient,
  request: JobTypes['benchmark']['request'],
  control: JobControl<'benchmark'>,
): Promise<BenchRow[]> {
  const { providers, ...bench } = request;
  const rows: BenchRow[] = [];
  const total = bench.warmup + bench.runs;
  for (const [k, provider] of providers.entries()) {
    control.emit({ provider, done: 0, total, lastMs: 0, finished: rows.length, rows: rows.slice() });
    // The optimised model is written once, by the first provider's session: the write check was made
    // for one new file, and later sessions would replace it.
    const { saveOptimizedModel, ...options } = bench.options ?? {};
    const result = await engine.call(
      'model.bench',
      { ...bench, options: { ...options, ...(k === 0 && saveOptimizedModel ? { saveOptimizedModel } : {}), provider } },
      {
        signal: control.signal,
        jobId: control.jobId,
        onEvent: (e) => control.emit({ provider, ...e, finished: rows.length }),
      },
    );
    if (control.signal.aborted) throw new WorkbenchError('CANCELLED', 'Cancelled.');
    rows.push(result.ok ? { provider, result: result.value, error: null } : { provider, result: null, error: result.error });
  }
  return rows;
}

const WORKS: { [K in EngineJobKind]: (engine: EngineClient, request: JobTypes[K]['request']) => JobWork<K> } = {
  eval: (engine, request) => ({
    run: async (c) =>
      valueOf(await engine.call('eval.run', request, { signal: c.signal, jobId: c.jobId, onEvent: (e) => c.emit(e) })),
  }),
  profile: (engine, request) => ({
    run: async (c) =>
      valueOf(await engine.call('run.profile', request, { signal: c.signal, jobId: c.jobId, onEvent: (e) => c.emit(e) })),
  }),
  benchmark: (engine, request) => {
    let rows: BenchRow[] = [];
    return {
      run: (c) =>
        benchmark(engine, request, {
          ...c,
          emit: (p) => {
            if (p.rows) rows = p.rows;
            c.emit(p);
          },
        }),
      // A page that attaches late gets the rows so far with the latest progress.
      snapshot: (last) => ({ ...last, rows }),
    };
  },
};

/** The work of a job the engine does in one go (all kinds but batch). */
export function engineJobWork<K extends EngineJobKind>(
  engine: EngineClient,
  kind: K,
  request: JobTypes[K]['request'],
): JobWork<K> {
  return WORKS[kind](engine, request);
}
