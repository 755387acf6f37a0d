// The batch jobs running in this engine process, by id, so that pause and resume (separate
// requests) reach the job they name.
import type { BatchAction, BatchCount, BatchJob, BatchProgress, BatchSummary } from '../../../shared/batch';
import { WorkbenchError } from '../../../shared/result';
import type { BatchRunRequest } from '../../common/rpc/engine-channels';
import type { DecodeWorker } from '../image/decode-pool';
import type { SessionCache } from '../run/session-cache';
import { PauseGate } from './flow';
import { type BatchRunOptions, countBatchFiles, runBatchJob } from './job';

export type { BatchRunRequest };

export class BatchJobs {
  private readonly gates = new Map<string, PauseGate>();

  constructor(
    private readonly sessions: Pick<SessionCache, 'get'>,
    /** Decodes off the main thread (the built engine has one; tests on source run without). */
    private readonly decoder?: DecodeWorker,
    /** Called as a job starts: work the session will need, begun while the job is planned. */
    private readonly prepare?: () => void,
    /** Puts the decoding threads below the model's, and the model's CPU time (BatchRunOptions). */
    private readonly threads?: Pick<BatchRunOptions, 'lowerDecoders' | 'modelCpuMs'>,
  ) {}

  count(job: BatchJob): Promise<BatchCount> {
    return countBatchFiles(job);
  }

  async run(
    request: BatchRunRequest,
    ctx: { signal: AbortSignal; emit(p: BatchProgress): void; log(level: 'warn', message: string): void },
  ): Promise<BatchSummary> {
    if (this.gates.has(request.jobId)) throw new WorkbenchError('INVALID_INPUT', `Batch job ${request.jobId} is already running`);
    const gate = new PauseGate();
    if (request.paused) gate.pause();
    this.gates.set(request.jobId, gate);
    this.prepare?.();
    try {
      return await runBatchJob(request.job, {
        sessions: this.sessions,
        signal: ctx.signal,
        jobId: request.jobId,
        onProgress: ctx.emit,
        gate,
        failInFlight: request.failInFlight,
        ...(this.decoder ? { decoder: this.decoder } : {}),
        ...this.threads,
        onWarning: (message) => ctx.log('warn', message),
      });
    } finally {
      this.gates.delete(request.jobId);
    }
  }

  control(jobId: string, action: BatchAction): { paused: boolean } {
    const gate = this.gates.get(jobId);
    if (!gate) throw new WorkbenchError('NOT_FOUND', `No batch job ${jobId} is running`);
    if (action === 'pause') gate.pause();
    else gate.resume();
    return { paused: gate.paused };
  }
}
