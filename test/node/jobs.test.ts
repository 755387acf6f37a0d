// The one job registry: jobs of every kind outlive their watchers, a watcher that attaches late
// gets the latest progress first, jobs are cancelled by id, and the list carries each job's
// request (a reloaded page fills its form from it). Then jobs.* through the backend with a
// stand-in engine: a benchmark over two providers, watched from a second caller, and cancelled.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Backend } from '../../electron/node/backend';
import type { EngineClient } from '../../electron/node/engine-client';
import { type JobControl, JobRegistry } from '../../electron/node/jobs';
import { ModelLibrary } from '../../electron/node/library';
import { RecipeStore } from '../../electron/node/recipes';
import { serverHost } from '../../electron/node/services';
import type { EvalProgress, EvalReport, EvalRequest } from '../../shared/eval/report';
import type { JobInfo, JobOutcome, JobProgress } from '../../shared/jobs';
import type { ProfileProgress, ProfileSummary } from '../../shared/profile';
import { type Result, fail } from '../../shared/result';
import type { BenchmarkResult } from '../../shared/run';
import { waitFor } from '../helpers';

const evalRequest = {
  dataset: { task: 'classification', root: '/data/colours' },
  out: '/data/colours-eval',
  job: { model: '/m/a.onnx', input: { folder: '/data/colours' }, output: { folder: '/data/colours-eval/job' } },
} as unknown as EvalRequest;

/** An evaluation whose progress and end the test drives. */
function drivenEval() {
  let control: JobControl<'eval'> | null = null;
  let finish: (report: EvalReport) => void = () => {};
  let failWith: (error: Error) => void = () => {};
  const work = {
    run: (c: JobControl<'eval'>) =>
      new Promise<EvalReport>((resolve, reject) => {
        control = c;
        finish = resolve;
        failWith = reject;
        c.signal.addEventListener('abort', () => reject(new Error('stopped')));
      }),
  };
  return {
    work,
    emit: (p: EvalProgress) => control!.emit(p),
    finish: (report: EvalReport) => finish(report),
    fail: (error: Error) => failWith(error),
    signal: () => control!.signal,
    started: () => control !== null,
  };
}

const batchAt = (done: number, total: number): Pick<EvalProgress, 'batch'> => ({
  batch: { done, total } as EvalProgress['batch'],
});

describe('the job registry', () => {
  it('keeps a job running when its watcher lets go; a late watcher gets the latest progress, then the outcome', async () => {
    const jobs = new JobRegistry();
    const driven = drivenEval();
    void jobs.start({ jobId: 'e1', label: 'Evaluating on colours', kind: 'eval', request: evalRequest }, driven.work);
    await waitFor(() => driven.started());
    driven.emit({ phase: 'a', ...batchAt(3, 10) });

    const first = new AbortController();
    const firstSeen: JobProgress[] = [];
    const firstWatch = jobs.watch('e1', { signal: first.signal, emit: (p) => firstSeen.push(p) });
    expect(firstSeen).toEqual([{ kind: 'eval', progress: { phase: 'a', ...batchAt(3, 10) } }]);
    // The page goes away: its watch ends, the job does not.
    first.abort();
    await expect(firstWatch).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(driven.signal().aborted).toBe(false);

    driven.emit({ phase: 'a', ...batchAt(7, 10) });
    const list = jobs.list();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ jobId: 'e1', kind: 'eval', state: 'running', done: 7, total: 10, request: evalRequest });
    expect(jobs.active()).toEqual([
      { jobId: 'e1', kind: 'eval', label: 'Evaluating on colours', state: 'running', done: 7, total: 10 },
    ]);

    const lateSeen: JobProgress[] = [];
    const late = jobs.watch('e1', { signal: new AbortController().signal, emit: (p) => lateSeen.push(p) });
    expect(lateSeen.map((p) => p.progress)).toEqual([{ phase: 'a', ...batchAt(7, 10) }]);
    driven.emit({ phase: 'scoring' });
    const report = { task: 'classification' } as unknown as EvalReport;
    driven.finish(report);
    expect(await late).toEqual({ kind: 'eval', result: report });
    expect(lateSeen.map((p) => (p.progress as EvalProgress).phase)).toEqual(['a', 'scoring']);

    // Ended: a page that reloads as the job ends still learns how it ended.
    expect(await jobs.watch('e1', { signal: new AbortController().signal, emit: () => {} })).toEqual({
      kind: 'eval',
      result: report,
    });
    expect(jobs.list()[0]).toMatchObject({ jobId: 'e1', state: 'done' });
    expect(jobs.active()).toEqual([]);
  });

  it('cancels a job by its id; the watchers see CANCELLED and the list says cancelled', async () => {
    const jobs = new JobRegistry();
    const driven = drivenEval();
    void jobs.start({ jobId: 'e2', label: 'x', kind: 'eval', request: evalRequest }, driven.work);
    await waitFor(() => driven.started());
    const watch = jobs.watch('e2', { signal: new AbortController().signal, emit: () => {} });
    expect(jobs.cancel('e2')).toEqual({ cancelled: true });
    await expect(watch).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(driven.signal().aborted).toBe(true);
    expect(jobs.list()[0]).toMatchObject({ jobId: 'e2', state: 'cancelled', error: { code: 'CANCELLED' } });
    expect(jobs.cancel('e2')).toEqual({ cancelled: false });
  });

  it('refuses a second job of the same id, unknown ids, and pause for kinds that cannot pause', async () => {
    const jobs = new JobRegistry();
    const driven = drivenEval();
    void jobs.start({ jobId: 'e3', label: 'x', kind: 'eval', request: evalRequest }, driven.work);
    expect(() => jobs.start({ jobId: 'e3', label: 'x', kind: 'eval', request: evalRequest }, drivenEval().work)).toThrow(
      /already running/,
    );
    await expect(jobs.watch('nope', { signal: new AbortController().signal, emit: () => {} })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(jobs.control('e3', 'pause')).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    await expect(jobs.control('nope', 'pause')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await waitFor(() => driven.started());
    driven.fail(Object.assign(new Error('the dataset has no labels'), { code: 'INVALID_INPUT' }));
    await expect(jobs.watch('e3', { signal: new AbortController().signal, emit: () => {} })).rejects.toThrow(/no labels/);
    expect(jobs.list()[0].state).toBe('failed');
  });

  it('pauses a kind that can, and counts a profile by its runs', async () => {
    const jobs = new JobRegistry();
    let control: JobControl<'profile'> | null = null;
    const actions: string[] = [];
    const profileRequest = { path: '/m/a.onnx', inputs: {}, options: {}, runs: 10 } as never;
    void jobs.start(
      { jobId: 'p1', label: 'Profiling a.onnx', kind: 'profile', request: profileRequest },
      {
        run: (c) => {
          control = c;
          return new Promise<ProfileSummary>(() => {});
        },
        control: async (action) => {
          actions.push(action);
          return { paused: action === 'pause' };
        },
      },
    );
    await waitFor(() => control !== null);
    control!.emit({ stage: 'running', done: 4, total: 11 } satisfies ProfileProgress);
    expect(await jobs.control('p1', 'pause')).toEqual({ paused: true });
    expect(jobs.active()).toEqual([
      { jobId: 'p1', kind: 'profile', label: 'Profiling a.onnx', state: 'paused', done: 4, total: 11 },
    ]);
    expect(await jobs.control('p1', 'resume')).toEqual({ paused: false });
    expect(actions).toEqual(['pause', 'resume']);
    jobs.cancelAll();
  });
});

/** A stand-in engine answering model.bench: cuda fails, cpu finishes when the test says so. */
function benchEngine() {
  const pending: { provider: string; emit(e: unknown): void; resolve(r: Result<BenchmarkResult>): void }[] = [];
  const calls: { channel: string; provider?: string; jobId?: string }[] = [];
  const engine = {
    async call(
      channel: string,
      input: { options?: { provider?: string } },
      options: { signal?: AbortSignal; onEvent?: (e: unknown) => void; jobId?: string } = {},
    ): Promise<Result<unknown>> {
      const provider = input.options?.provider;
      calls.push({ channel, provider, jobId: options.jobId });
      if (channel !== 'model.bench') return fail('UNSUPPORTED', `no engine in this test (${channel})`);
      if (provider === 'cuda') return fail('PROVIDER_UNAVAILABLE', 'CUDA is not installed');
      return new Promise((resolve) => {
        pending.push({ provider: provider!, emit: (e) => options.onEvent?.(e), resolve });
        options.signal?.addEventListener('abort', () => resolve(fail('CANCELLED', 'Cancelled.')));
      });
    },
  };
  return { engine: engine as unknown as EngineClient, pending, calls };
}

function backendWith(engine: EngineClient): Backend {
  return new Backend({
    engine,
    host: serverHost(),
    version: '0.0.0-test',
    samples: async () => [],
    library: new ModelLibrary({ file: join(tmpdir(), `owb-never-${process.pid}.json`), inspect: async () => ({}) as never }),
    recipes: new RecipeStore(join(tmpdir(), `owb-never-recipes-${process.pid}`)),
  });
}

const result = (ms: number) => ({ provider: 'cpu', latencyMs: { p50: ms }, samples: [ms] }) as unknown as BenchmarkResult;
const benchJob = {
  kind: 'benchmark',
  request: { path: '/m/a.onnx', inputs: {}, options: {}, runs: 5, warmup: 1, providers: ['cuda', 'cpu'] },
} as const;

describe('jobs through the backend', () => {
  it('runs a benchmark job over each provider; a second caller attaches, sees the rows so far and the end', async () => {
    const { engine, pending, calls } = benchEngine();
    const backend = backendWith(engine);
    const started = await backend.dispatch('jobs.start', { job: benchJob, jobId: 'b1' });
    expect(started).toEqual({ ok: true, value: { jobId: 'b1' } });
    await waitFor(() => pending.length === 1);
    pending[0].emit({ done: 3, total: 6, lastMs: 2 });

    // Another tab: the list carries the request (its form shows the settings), then it watches.
    const list = (await backend.dispatch('jobs.list', {})) as Result<JobInfo[]>;
    expect(list.ok && list.value[0]).toMatchObject({
      jobId: 'b1',
      kind: 'benchmark',
      label: 'Benchmarking a.onnx',
      state: 'running',
      request: { path: '/m/a.onnx', providers: ['cuda', 'cpu'], runs: 5 },
      // cuda's 6 runs count as finished, cpu's 3 of 6.
      done: 9,
      total: 12,
    });
    const seen: JobProgress[] = [];
    const watching = backend.dispatch('jobs.watch', { jobId: 'b1' }, { emit: (e) => seen.push(e as JobProgress) });
    await waitFor(() => seen.length === 1);
    expect(seen[0]).toMatchObject({
      kind: 'benchmark',
      progress: {
        provider: 'cpu',
        done: 3,
        finished: 1,
        rows: [{ provider: 'cuda', result: null, error: { code: 'PROVIDER_UNAVAILABLE' } }],
      },
    });
    pending[0].resolve({ ok: true, value: result(2) });
    const outcome = (await watching) as Result<JobOutcome>;
    expect(outcome.ok && outcome.value).toEqual({
      kind: 'benchmark',
      result: [
        { provider: 'cuda', result: null, error: { code: 'PROVIDER_UNAVAILABLE', message: 'CUDA is not installed' } },
        { provider: 'cpu', result: result(2), error: null },
      ],
    });
    // The engine's calls were made for the job (the status bar shows the job, not the calls).
    expect(calls.map((c) => [c.provider, c.jobId])).toEqual([
      ['cuda', 'b1'],
      ['cpu', 'b1'],
    ]);
  });

  it('cancels a benchmark job by id from another caller; its watcher gets CANCELLED', async () => {
    const { engine, pending } = benchEngine();
    const backend = backendWith(engine);
    await backend.dispatch('jobs.start', {
      job: { ...benchJob, request: { ...benchJob.request, providers: ['cpu'] } },
      jobId: 'b2',
    });
    await waitFor(() => pending.length === 1);
    const watching = backend.dispatch('jobs.watch', { jobId: 'b2' });
    expect(await backend.dispatch('jobs.cancel', { jobId: 'b2' })).toEqual({ ok: true, value: { cancelled: true } });
    expect(await watching).toMatchObject({ ok: false, error: { code: 'CANCELLED' } });
    // The batch channels reach the same registry.
    expect(await backend.dispatch('batch.watch', { jobId: 'b2' })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
  });

  it('checks a job’s writes as the one-off call of its kind', async () => {
    const { engine } = benchEngine();
    const backend = backendWith(engine);
    const options = { saveOptimizedModel: '/etc/not-chosen.onnx' };
    const call = await backend.dispatch('model.bench', { path: '/m/a.onnx', inputs: {}, options, runs: 5, warmup: 1 });
    const job = await backend.dispatch('jobs.start', { job: { ...benchJob, request: { ...benchJob.request, options } } });
    expect(call.ok).toBe(false);
    expect(job).toEqual(call);
  });
});
