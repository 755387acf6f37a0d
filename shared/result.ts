// The result envelope every call across a process boundary answers with.

/** Stable error codes the UI and the CLI can act on. */
export const ERROR_CODES = [
  'INVALID_INPUT', // the request did not match its schema
  'UNKNOWN_CHANNEL',
  'NOT_FOUND', // a file or folder does not exist
  'NOT_ONNX', // the file is not an ONNX model at all
  'CORRUPT_MODEL', // it looks like ONNX but cannot be read (truncated, broken fields)
  'EXTERNAL_DATA', // an external data file is missing or too short
  'PERMISSION_DENIED',
  'IO_ERROR',
  'WRITE_FAILED', // an output could not be written (disk full, read-only, no permission): the job stops
  'RUNTIME_ERROR', // onnxruntime refused or failed
  'PROVIDER_UNAVAILABLE', // the execution provider asked for by name is not ready here (and no CPU fallback was allowed)
  'ENGINE_CRASHED', // the engine process died while working on the request
  'CANCELLED',
  'TIMEOUT', // the call passed its deadline (it was cancelled), or the engine stopped answering
  'BUSY', // too many calls in flight (for this window or connection, or in total): try again shortly
  'TOO_MANY_FAILURES', // a batch job stopped because more files failed than its maxFailures allows
  'UNSUPPORTED', // not available in this mode or on this platform
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface WorkbenchErrorInfo {
  code: ErrorCode;
  message: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: WorkbenchErrorInfo };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail(code: ErrorCode, message: string): { ok: false; error: WorkbenchErrorInfo } {
  return { ok: false, error: { code, message } };
}

/** An error that carries a stable code; thrown inside services, turned into an envelope at the edge. */
export class WorkbenchError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'WorkbenchError';
    this.code = code;
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** Any thrown value as an envelope error; unknown errors keep their message under INTERNAL. */
export function toErrorInfo(error: unknown): WorkbenchErrorInfo {
  if (error instanceof WorkbenchError) return { code: error.code, message: error.message };
  if (error && typeof error === 'object') {
    const e = error as { code?: unknown; message?: unknown; name?: unknown };
    if (isErrorCode(e.code) && typeof e.message === 'string') return { code: e.code, message: e.message };
    if (e.name === 'AbortError') return { code: 'CANCELLED', message: 'Cancelled.' };
    if (typeof e.message === 'string') return { code: 'INTERNAL', message: e.message };
  }
  return { code: 'INTERNAL', message: String(error) };
}
