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

const OPEN_HINTS: Partial<Record<ErrorCode, string>> = {
  NOT_FOUND: 'It may have been moved, renamed or deleted since it was chosen.',
  NOT_ONNX:
    'ONNX Workbench opens ONNX model files (.onnx). Models from PyTorch, TensorFlow or Paddle must be exported to ONNX first.',
  CORRUPT_MODEL:
    'The file starts like an ONNX model but cannot be read to the end. It may have been cut off while downloading or copying.',
  EXTERNAL_DATA: 'This model keeps its weights in separate files next to it. Copy those files into the same folder as the model.',
  PERMISSION_DENIED: 'Check the file permissions, or copy the model somewhere you can read.',
  ENGINE_CRASHED: 'The process that reads models stopped unexpectedly. Trying again starts a fresh one.',
};

/** What the user can do about an error opening a model, when there is something to say. */
export function openErrorHint(code: ErrorCode): string | undefined {
  return OPEN_HINTS[code];
}

/** Errors where trying the same thing again can help. */
export function isRetryable(code: ErrorCode): boolean {
  return code === 'ENGINE_CRASHED' || code === 'IO_ERROR' || code === 'INTERNAL';
}
