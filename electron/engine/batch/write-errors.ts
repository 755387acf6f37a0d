// A failed write of a batch output, said in words: the job stops on it (the disk will not get
// better by trying the next file), and the journal written so far stays valid for resume.
import { WorkbenchError } from '../../../shared/result';
import { fsReason } from '../../common/fs';

export function writeFailed(error: unknown, path: string): WorkbenchError {
  if (error instanceof WorkbenchError && error.code === 'WRITE_FAILED') return error;
  const why = fsReason(error);
  return new WorkbenchError(
    'WRITE_FAILED',
    `Could not write ${path}: ${why}. The batch job stopped; free space or choose another output folder, then run it again to resume.`,
  );
}
