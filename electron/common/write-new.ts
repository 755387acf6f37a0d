// Files the engine writes for the user (exports, saved outputs): atomic, and never over an
// existing file.
import { rename, stat, writeFile } from 'node:fs/promises';
import { WorkbenchError } from '../../shared/result';

/** Temporary name, then rename: a crash never leaves half a file; an existing file is kept. */
export async function writeNew(path: string, bytes: Uint8Array): Promise<void> {
  const exists = await stat(path).then(
    () => true,
    () => false,
  );
  if (exists) throw new WorkbenchError('IO_ERROR', `${path} already exists; choose another name.`);
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    await writeFile(tmp, bytes, { flag: 'wx' });
    await rename(tmp, path);
  } catch (error) {
    throw new WorkbenchError('IO_ERROR', `Could not write ${path}: ${(error as Error).message}`);
  }
}
