// What image and audio jobs alike record for a file their engine died on, and the rule that stops
// a job once more files failed than its maxFailures allows.
import type { BatchJob } from '../../../shared/batch';
import { WorkbenchError, type WorkbenchErrorInfo } from '../../../shared/result';

export const CRASHED: WorkbenchErrorInfo = {
  code: 'ENGINE_CRASHED',
  message: 'The engine process stopped while processing this file (it may have caused the crash); it was not run again',
};

/**
 * The error that stops a job whose failures passed its maxFailures (earlier runs' failures count:
 * they are still failed), or null. A share is of the files the job takes, so it waits for the
 * count; past it, no later file can bring the share back under.
 */
export function tooManyFailures(max: BatchJob['maxFailures'], failed: number, total: number | null): WorkbenchError | null {
  if (!max) return null;
  let limit: string;
  if ('count' in max) {
    if (failed <= max.count) return null;
    limit = `${max.count}`;
  } else {
    if (total === null || failed <= (max.percent / 100) * total) return null;
    limit = `${max.percent}% of ${total}`;
  }
  return new WorkbenchError(
    'TOO_MANY_FAILURES',
    `${failed} files failed, more than the ${limit} allowed (maxFailures); the job stopped. Fix the cause and run it again (with retry-failed to run the failed files again)`,
  );
}
