// A stand-in for the engine supervisor in tests of the wires and of job lifetime: batch runs
// that the test drives by hand (progress, finish), cancelled through the call's signal.
import type { BatchJobInput, BatchProgress, BatchSummary } from '../../shared/batch';
import { type Result, fail } from '../../shared/result';

interface Run {
  jobId: string;
  emit(p: BatchProgress): void;
  resolve(r: Result<BatchSummary>): void;
}

/** A running job's progress before its first file: nothing done, nothing counted yet. */
export const batchProgress = (over: Partial<BatchProgress> = {}): BatchProgress => ({
  jobId: 'j1',
  state: 'running',
  done: 0,
  ok: 0,
  failed: 0,
  skipped: 0,
  total: null,
  left: null,
  processed: 0,
  imagesPerSecond: 0,
  etaSeconds: null,
  current: null,
  latest: [],
  failures: [],
  ...over,
});

export function fakeBatchEngine() {
  let current: Run | null = null;
  const job: BatchJobInput = { model: '/models/m.onnx', input: { folder: '/data/in' }, output: { folder: '/data/out' } };
  return {
    job,
    calls: [] as string[],
    async call(
      channel: string,
      input: { jobId?: string; action?: string },
      options: { signal?: AbortSignal; onEvent?: (e: unknown) => void } = {},
    ): Promise<Result<unknown>> {
      this.calls.push(channel);
      if (channel === 'engine.batchControl') return { ok: true, value: { paused: input.action === 'pause' } };
      if (channel !== 'engine.batchRun') return fail('UNSUPPORTED', `no engine in this test (${channel})`);
      return new Promise((resolve) => {
        const run: Run = { jobId: input.jobId!, emit: (p) => options.onEvent?.(p), resolve };
        current = run;
        options.signal?.addEventListener('abort', () => {
          if (current === run) current = null;
          resolve(fail('CANCELLED', 'Cancelled.'));
        });
      });
    },
    /** A progress event of the running job. */
    progress(over: Partial<BatchProgress>) {
      if (!current) throw new Error('no batch job is running');
      current.emit(batchProgress({ jobId: current.jobId, ...over }));
    },
    /** Ends the running job as finished. */
    finish() {
      if (!current) throw new Error('no batch job is running');
      const { jobId, resolve } = current;
      current = null;
      resolve({
        ok: true,
        value: {
          jobId,
          state: 'finished',
          total: 1,
          done: 1,
          ok: 1,
          failed: 0,
          skipped: 0,
          processed: 1,
          elapsedMs: 1,
          imagesPerSecond: 1,
          outputFolder: '/data/out',
          written: [],
          failures: [],
        },
      });
    },
    running: () => current !== null,
    state: () => ({ engine: 'ready' as const, calls: [] }),
    onChange: () => () => {},
    kill() {},
  };
}
