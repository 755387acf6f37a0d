// The file system as the app uses it, in one place: errno codes in words (one table, so the
// same failure reads the same everywhere), existence checks, and writes that never leave half a
// file: a temporary name beside the target, then an atomic rename (or link, for a new file).
import { link, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { type ErrorCode, WorkbenchError } from '../../shared/result';

/** Every errno the app reports, with the error code the UI acts on and the reason in words. */
const ERRNO: Record<string, { code: ErrorCode; why: string }> = {
  ENOENT: { code: 'NOT_FOUND', why: 'no such file or folder' },
  // A file stands where a parent folder should be: for a reader, the path does not exist either.
  ENOTDIR: { code: 'NOT_FOUND', why: 'a file stands where a folder is needed' },
  EISDIR: { code: 'INVALID_INPUT', why: 'a folder stands where the file should go' },
  EACCES: { code: 'PERMISSION_DENIED', why: 'permission denied' },
  EPERM: { code: 'PERMISSION_DENIED', why: 'permission denied' },
  EEXIST: { code: 'IO_ERROR', why: 'it already exists' },
  ELOOP: { code: 'INVALID_INPUT', why: 'too many levels of symbolic links' },
  ENAMETOOLONG: { code: 'INVALID_INPUT', why: 'the name is too long' },
  ENOSPC: { code: 'IO_ERROR', why: 'the disk is full' },
  EDQUOT: { code: 'IO_ERROR', why: 'the disk quota is used up' },
  EROFS: { code: 'IO_ERROR', why: 'the disk is read-only' },
  EIO: { code: 'IO_ERROR', why: 'the disk reported an input/output error' },
  EMFILE: { code: 'IO_ERROR', why: 'too many files are open' },
  EBUSY: { code: 'IO_ERROR', why: 'the file is busy' },
};

export function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The reason of a file-system error in words ("the disk is full"), or the error's own message. */
export function fsReason(error: unknown): string {
  const row = ERRNO[errnoOf(error) ?? ''];
  return row?.why ?? (error instanceof Error ? error.message : String(error));
}

export interface FsSubject {
  /** What the path is, in the user's words: 'file' (default), 'image', 'pipeline file', 'folder'. */
  what?: string;
  /** The path names a folder (then ENOTDIR means "this is a file"). */
  folder?: boolean;
  /** The error came from writing (the default is reading). */
  writing?: boolean;
}

const article = (what: string) => (/^[aeiou]/i.test(what) ? `an ${what}` : `a ${what}`);
const capital = (what: string) => what.charAt(0).toUpperCase() + what.slice(1);

/** A file-system error as a WorkbenchError that names the path and says what went wrong. */
export function fsError(error: unknown, path: string, subject: FsSubject = {}): WorkbenchError {
  if (error instanceof WorkbenchError) return error;
  const what = subject.what ?? (subject.folder ? 'folder' : 'file');
  const errno = errnoOf(error);
  const row = ERRNO[errno ?? ''];
  if (errno === 'ENOTDIR' && subject.folder) return new WorkbenchError('INVALID_INPUT', `${path} is a file, not a folder`);
  if (errno === 'EISDIR') return new WorkbenchError('INVALID_INPUT', `${path} is a folder, not ${article(what)}`);
  if (errno === 'EEXIST') return new WorkbenchError('IO_ERROR', `${path} already exists; choose another name.`);
  if (row?.code === 'NOT_FOUND')
    return subject.writing
      ? new WorkbenchError('NOT_FOUND', `${path} cannot be written: folder not found: ${dirname(path)}`)
      : new WorkbenchError('NOT_FOUND', `${capital(what)} not found: ${path}`);
  return new WorkbenchError(
    row?.code ?? 'IO_ERROR',
    `${path} cannot be ${subject.writing ? 'written' : 'read'}: ${fsReason(error)}`,
  );
}

const statOrNull = (path: string) => stat(path).catch(() => null);

/** Whether anything (a file, a folder) is at `path`. */
export async function exists(path: string): Promise<boolean> {
  return (await statOrNull(path)) !== null;
}

/** Whether `path` is a file (following links). */
export async function isFile(path: string): Promise<boolean> {
  return (await statOrNull(path))?.isFile() ?? false;
}

/** Whether `path` is a folder (following links). */
export async function isFolder(path: string): Promise<boolean> {
  return (await statOrNull(path))?.isDirectory() ?? false;
}

let tmpCounter = 0;

/** A hidden temporary name beside the target (the same folder, so that a rename is atomic). */
export function tempNameFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}-${++tmpCounter}.tmp`);
}

export interface WriteOptions {
  /** Make the target's folder first. */
  mkdir?: boolean;
  /** Flush to the disk before the rename, so that the file survives a power cut once it has its name. */
  fsync?: boolean;
}

async function writeTemp(path: string, bytes: Uint8Array | string, options: WriteOptions): Promise<string> {
  if (options.mkdir) await mkdir(dirname(path), { recursive: true });
  const tmp = tempNameFor(path);
  const fh = await open(tmp, 'wx');
  try {
    await fh.writeFile(bytes);
    if (options.fsync) await fh.sync();
  } finally {
    await fh.close();
  }
  return tmp;
}

/** Writes `path` whole or not at all, replacing what is there (for the app's own files). */
export async function writeAtomic(path: string, bytes: Uint8Array | string, options: WriteOptions = {}): Promise<void> {
  let tmp: string | undefined;
  try {
    tmp = await writeTemp(path, bytes, options);
    await rename(tmp, path);
  } catch (error) {
    if (tmp) await rm(tmp, { force: true }).catch(() => {});
    throw fsError(error, path, { writing: true });
  }
}

const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);

/**
 * Gives a finished temporary file its name, never over an existing file: the temporary file is
 * linked to the name, which fails if anything is there, even a file made a moment ago by someone
 * else. The temporary name is gone afterwards, whatever happened.
 */
export async function moveNew(tmp: string, path: string): Promise<void> {
  try {
    await link(tmp, path).catch(async (error: unknown) => {
      // Some file systems (FAT, exFAT, some network shares) have no hard links: check, then rename.
      if (!NO_LINKS.has(errnoOf(error) ?? '')) throw error;
      if (await exists(path)) throw Object.assign(new Error(`${path} exists`), { code: 'EEXIST' });
      await rename(tmp, path);
    });
  } catch (error) {
    throw fsError(error, path, { writing: true });
  } finally {
    await rm(tmp, { force: true }).catch(() => {});
  }
}

/** Writes a new file whole or not at all, never over an existing one (files the user names). */
export async function writeNew(path: string, bytes: Uint8Array | string, options: WriteOptions = {}): Promise<void> {
  let tmp: string;
  try {
    tmp = await writeTemp(path, bytes, options);
  } catch (error) {
    throw fsError(error, path, { writing: true });
  }
  await moveNew(tmp, path);
}
