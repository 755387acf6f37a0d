// A batch job that takes its files one at a time through a function of its own: an audio job
// (thousands of small sequential runs per file already) or a pipeline job (several models per
// image). Everything but the file's own work is the batch job's: the listing, the output folder's
// lock and journal (resume, a crash's file in flight recorded as failed), progress, pause and
// cancel, failures and maxFailures, and results.csv/jsonl rebuilt from the journal.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type {
  BatchFailure,
  BatchItemRecord,
  BatchItemTimings,
  BatchJob,
  BatchResultSummary,
  BatchSummary,
} from '../../../shared/batch';
import { WorkbenchError, toErrorInfo } from '../../../shared/result';
import { CRASHED, tooManyFailures } from './failures';
import { PauseGate } from './flow';
import type { BatchRunOptions } from './job';
import { latestItems } from './journal';
import { type ListedFile, countImages, listImages, listingOptions } from './listing';
import { openOutputFolder } from './output-folder';
import { JOURNAL_FILE, writeJobFiles } from './outputs';
import { placeFolders, stateDirOf } from './plan';
import { ProgressTracker } from './progress';
import { writeShardState } from './shard-state';

/** What one file gave: its summary for the journal, and the per-image files written. */
export interface FileOutcome {
  result: BatchResultSummary;
  width?: number;
  height?: number;
  /** Per-image files written, relative to the output folder. */
  outputs?: string[];
  ms: BatchItemTimings;
}

export interface FileContext {
  signal: AbortSignal;
  outputFolder: string;
  /** The journal knew this file before this run: its earlier outputs are ours to replace. */
  known: boolean;
}

/** A job's own work: its key (what "the same job" means on resume), then per file. */
export interface FileByFileWork {
  key: string;
  /** Makes the sessions; answers the provider used. Runs once the folder is locked and the listing started. */
  open(): Promise<BatchSummary['provider']>;
  /** One file; throws when it fails (the error is its journal line's reason). */
  run(file: ListedFile, ctx: FileContext): Promise<FileOutcome>;
}

export async function runFileByFile(
  job: BatchJob,
  options: BatchRunOptions,
  jobId: string,
  plan: (folders: { outputFolder: string }) => Promise<FileByFileWork>,
): Promise<BatchSummary> {
  const folders = await placeFolders(job);
  const stateDir = stateDirOf(job, folders.outputFolder);
  const work = await plan(folders);
  const { key } = work;
  const resultsDir = job.shard ? stateDir : folders.outputFolder;
  const folder = await openOutputFolder({ job, outputFolder: folders.outputFolder, stateDir, key }, jobId);
  const journal = folder.journal;
  const gate = options.gate ?? new PauseGate();
  const stop = new AbortController();
  options.signal?.addEventListener('abort', () => stop.abort(), { once: true });
  if (options.signal?.aborted) stop.abort();
  const progress = new ProgressTracker(jobId, (p) => options.onProgress?.(p), { intervalMs: options.progressIntervalMs });
  gate.listen((paused) => progress.setState(paused ? 'paused' : 'running'));
  let fatal: WorkbenchError | null = null;
  let provider: BatchSummary['provider'];
  try {
    if (options.failInFlight) {
      // The file the engine died on (its 'started' line has no result): failed, not run again, as
      // for images (a file that crashes the engine would otherwise crash every resume).
      const at = new Date().toISOString();
      for (const file of journal.lastStarted) {
        const entry = journal.entries.get(file);
        if (entry?.status !== 'started' || entry.key !== key) continue;
        await journal.append({
          type: 'item',
          file,
          status: 'failed',
          error: CRASHED,
          ms: { decode: 0, run: 0, post: 0 },
          key,
          at,
        });
      }
    }
    // Files earlier runs of this job settled: counted at once, not run again (failed ones with
    // retryFailed, but not one the engine died on just now).
    const settled = new Set<string>();
    const known = new Set<string>();
    const failures: BatchFailure[] = [];
    let ok = 0;
    for (const [file, entry] of journal.entries) {
      if (entry.key !== key) continue;
      known.add(file);
      if (entry.status === 'started') continue;
      if (entry.status === 'failed' && job.retryFailed && !(options.failInFlight && entry.crashed)) continue;
      settled.add(file);
      if (entry.status === 'ok') ok++;
      else failures.push({ file, error: entry.error ?? 'failed' });
    }
    progress.settledBefore(ok, failures.length, failures);
    progress.setState(gate.paused ? 'paused' : 'running');
    const listing = listingOptions(job, folders.skipDirs);
    void countImages(listing, 0).then(
      (c) => progress.setTotal(c.files),
      () => {},
    );
    provider = await work.open();
    progress.begin();
    for await (const file of listImages({ ...listing, signal: stop.signal, onWarning: options.onWarning })) {
      if (settled.has(file.rel)) continue;
      await gate.wait(stop.signal);
      progress.current = file.rel;
      const at = () => new Date().toISOString();
      journal.writeNow({ type: 'started', files: [file.rel], key, at: at() });
      const started = performance.now();
      let record: BatchItemRecord;
      try {
        const { outputs, ...done } = await work.run(file, {
          signal: stop.signal,
          outputFolder: folders.outputFolder,
          known: known.has(file.rel),
        });
        record = { type: 'item', file: file.rel, status: 'ok', ...done, ...(outputs?.length ? { outputs } : {}), key, at: at() };
      } catch (error) {
        if (stop.signal.aborted) break;
        const ms = { decode: performance.now() - started, run: 0, post: 0 };
        record = { type: 'item', file: file.rel, status: 'failed', error: toErrorInfo(error), ms, key, at: at() };
      }
      await journal.append(record);
      progress.finish({
        file: record.file,
        status: record.status,
        text: record.result?.text ?? record.error?.message ?? '',
        ...(record.outputs ? { outputs: record.outputs } : {}),
      });
      const tooMany = record.status === 'failed' ? tooManyFailures(job.maxFailures, progress.failed, progress.total) : null;
      if (tooMany) throw tooMany;
    }
  } catch (error) {
    const info = toErrorInfo(error);
    if (info.code !== 'CANCELLED') fatal = error instanceof WorkbenchError ? error : new WorkbenchError(info.code, info.message);
  }
  const cancelled = !fatal && stop.signal.aborted;
  let written: string[] = [];
  try {
    written = await writeJobFiles(resultsDir, latestItems(join(stateDir, JOURNAL_FILE), key), job.output.write, stateDir, null);
  } catch (error) {
    fatal ??= error instanceof WorkbenchError ? error : new WorkbenchError('WRITE_FAILED', toErrorInfo(error).message);
  }
  const counts = progress.conclude(fatal ? 'failed' : cancelled ? 'cancelled' : 'finished', !cancelled && !fatal);
  const summary: BatchSummary = {
    jobId,
    ...(job.name ? { name: job.name } : {}),
    ...counts,
    outputFolder: folders.outputFolder,
    written,
    ...(provider ? { provider } : {}),
    ...(fatal ? { error: toErrorInfo(fatal) } : {}),
  };
  try {
    await writeShardState(stateDir, job, key, folder.startedAt, summary);
  } finally {
    await folder.release();
  }
  return summary;
}
