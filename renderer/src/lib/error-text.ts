// Titles for errors in the user's words, by stable error code.
import type { ErrorCode } from '../../../shared/result';

const OPEN_TITLES: Partial<Record<ErrorCode, string>> = {
  NOT_FOUND: 'File not found',
  NOT_ONNX: 'Not an ONNX model',
  CORRUPT_MODEL: 'The model file is damaged',
  EXTERNAL_DATA: 'External weight data is missing',
  PERMISSION_DENIED: 'No permission to read the file',
  ENGINE_CRASHED: 'The engine stopped',
};

export function openErrorTitle(code: ErrorCode): string {
  return OPEN_TITLES[code] ?? 'Could not open the model';
}

/** Errors where trying the same thing again can help. */
export function isRetryable(code: ErrorCode): boolean {
  return code === 'ENGINE_CRASHED' || code === 'IO_ERROR' || code === 'INTERNAL';
}
