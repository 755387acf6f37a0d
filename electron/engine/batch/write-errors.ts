// A failed write of a batch output, said in words: the job stops on it (the disk will not get
// better by trying the next file), and the journal written so far stays valid for resume.
import { WorkbenchError } from '../../../shared/result';

const WHY: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the disk is read-only',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOTDIR: 'a file stands where a folder is needed',
  EISDIR: 'a folder stands where the file should go',
  EIO: 'the disk reported an input/output error',
};

export function writeFailed(error: unknown, path: string): WorkbenchError {
  if (error instanceof WorkbenchError && error.code === 'WRITE_FAILED') return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  const why = WHY[code] ?? (error as Error | undefined)?.message ?? String(error);
  return new WorkbenchError(
    'WRITE_FAILED',
    `Could not write ${path}: ${why}. The batch job stopped; free space or choose another output folder, then run it again to resume.`,
  );
}
