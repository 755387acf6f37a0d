// File-system errors in words a user understands, always naming the path.
import { WorkbenchError } from '../../shared/result';

export function describeFsError(error: unknown, path: string, what: 'file' | 'folder' = 'file'): WorkbenchError {
  const code = (error as { code?: string } | null)?.code;
  switch (code) {
    case 'ENOENT':
      return new WorkbenchError('NOT_FOUND', `${what === 'file' ? 'File' : 'Folder'} not found: ${path}`);
    case 'EACCES':
    case 'EPERM':
      return new WorkbenchError('PERMISSION_DENIED', `Permission denied: ${path}`);
    case 'ENOTDIR':
      return new WorkbenchError('INVALID_INPUT', `Not a folder: ${path}`);
    case 'EISDIR':
      return new WorkbenchError('INVALID_INPUT', `${path} is a folder, not a file`);
    default: {
      const message = error instanceof Error ? error.message : String(error);
      return new WorkbenchError('IO_ERROR', `Could not read ${path}: ${message}`);
    }
  }
}
