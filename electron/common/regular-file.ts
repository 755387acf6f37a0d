// Files read for the user (models, external data, images, tensors, job and recipe files) are
// regular files only. A FIFO would block an open() or a read forever, a device (/dev/zero)
// never ends, a socket is not data: each is refused with its kind named, before any read.
// O_NONBLOCK makes the open itself return at once for a FIFO with no writer.
import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { WorkbenchError } from '../../shared/result';

/** O_NONBLOCK (and O_NOFOLLOW when asked) where the platform has them; 0 on Windows. */
function readFlags(noFollow: boolean): number {
  return constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (noFollow ? (constants.O_NOFOLLOW ?? 0) : 0);
}

export function fileKind(s: Stats): string {
  if (s.isFile()) return 'a file';
  if (s.isDirectory()) return 'a folder';
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'a device';
  if (s.isSocket()) return 'a socket';
  return 'not a regular file';
}

export function notRegular(path: string, kind: string, what: string): WorkbenchError {
  return new WorkbenchError('INVALID_INPUT', `${path} is ${kind}, not ${what}`);
}

/**
 * Opens `path` for reading, refusing anything but a regular file. `what` names the file in
 * the error ("an ONNX model", "an image"). Other open errors (ENOENT, EACCES) are thrown as is.
 */
export async function openRegularFile(
  path: string,
  what: string,
  options: { noFollow?: boolean } = {},
): Promise<{ fh: FileHandle; size: number }> {
  let fh: FileHandle;
  try {
    fh = await open(path, readFlags(options.noFollow ?? false));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENXIO') throw notRegular(path, 'a socket', what);
    if (code === 'ELOOP' && options.noFollow) throw notRegular(path, 'a link', what);
    throw error;
  }
  try {
    const s = await fh.stat();
    if (!s.isFile()) {
      if (s.isDirectory()) throw Object.assign(new Error(`${path} is a folder`), { code: 'EISDIR' });
      throw notRegular(path, fileKind(s), what);
    }
    return { fh, size: s.size };
  } catch (error) {
    await fh.close();
    throw error;
  }
}

/** For libraries that open the path themselves (sharp, onnxruntime): refuses non-regular files first. */
export async function assertRegularFile(path: string, what: string): Promise<number> {
  const { fh, size } = await openRegularFile(path, what);
  await fh.close();
  return size;
}

/** The whole file, if it is a regular one. */
export async function readRegularFile(path: string, what: string): Promise<Buffer> {
  const { fh } = await openRegularFile(path, what);
  try {
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}
