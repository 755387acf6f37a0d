// electron/common/fs.ts: one table of file-system errors, and writes that never leave half a
// file or replace one they should not. Real errors from a real temporary folder.
import { mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { exists, fsError, fsReason, isFile, isFolder, moveNew, writeAtomic, writeNew } from '../../electron/common/fs';
import { WorkbenchError } from '../../shared/result';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'owb-fs-'));
  await writeFile(join(dir, 'a.txt'), 'a');
  await mkdir(join(dir, 'sub'));
});

async function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error,
  );
}

describe('fsError', () => {
  it.each([
    {
      what: 'a missing file',
      error: () => caught(readFile(join(dir, 'missing.json'))),
      path: () => join(dir, 'missing.json'),
      subject: { what: 'pipeline file' },
      code: 'NOT_FOUND',
      message: (p: string) => `Pipeline file not found: ${p}`,
    },
    {
      what: 'a file below a file (ENOTDIR) is not found',
      error: () => caught(readFile(join(dir, 'a.txt', 'b'))),
      path: () => join(dir, 'a.txt', 'b'),
      subject: {},
      code: 'NOT_FOUND',
      message: (p: string) => `File not found: ${p}`,
    },
    {
      what: 'a folder read as a file (EISDIR)',
      error: () => caught(readFile(join(dir, 'sub'))),
      path: () => join(dir, 'sub'),
      subject: { what: 'image' },
      code: 'INVALID_INPUT',
      message: (p: string) => `${p} is a folder, not an image`,
    },
    {
      what: 'a file listed as a folder (ENOTDIR)',
      error: () => caught(readdir(join(dir, 'a.txt'))),
      path: () => join(dir, 'a.txt'),
      subject: { folder: true },
      code: 'INVALID_INPUT',
      message: (p: string) => `${p} is a file, not a folder`,
    },
    {
      what: 'a missing folder',
      error: () => caught(readdir(join(dir, 'gone'))),
      path: () => join(dir, 'gone'),
      subject: { what: 'input folder', folder: true },
      code: 'NOT_FOUND',
      message: (p: string) => `Input folder not found: ${p}`,
    },
  ])('$what', async ({ error, path, subject, code, message }) => {
    const e = fsError(await error(), path(), subject);
    expect([e.code, e.message]).toEqual([code, message(path())]);
  });

  it.each([
    ['EACCES', 'PERMISSION_DENIED', '/x/y cannot be read: permission denied'],
    ['EPERM', 'PERMISSION_DENIED', '/x/y cannot be read: permission denied'],
    ['ENOSPC', 'IO_ERROR', '/x/y cannot be read: the disk is full'],
    ['EXYZ', 'IO_ERROR', '/x/y cannot be read: something odd'],
  ])('%s is %s', (errno, code, message) => {
    const e = fsError(Object.assign(new Error('something odd'), { code: errno }), '/x/y');
    expect([e.code, e.message]).toEqual([code, message]);
  });

  it('says what a failed write was, and keeps a WorkbenchError as it is', () => {
    expect(fsError(Object.assign(new Error('x'), { code: 'EROFS' }), '/x/y', { writing: true }).message).toBe(
      '/x/y cannot be written: the disk is read-only',
    );
    expect(fsReason(Object.assign(new Error('x'), { code: 'EDQUOT' }))).toBe('the disk quota is used up');
    const own = new WorkbenchError('NOT_ONNX', 'no');
    expect(fsError(own, '/x')).toBe(own);
  });
});

describe('exists, isFile, isFolder', () => {
  it('tells files, folders and nothing apart', async () => {
    const [f, s, m] = [join(dir, 'a.txt'), join(dir, 'sub'), join(dir, 'missing')];
    expect([await exists(f), await exists(s), await exists(m)]).toEqual([true, true, false]);
    expect([await isFile(f), await isFile(s), await isFile(m)]).toEqual([true, false, false]);
    expect([await isFolder(f), await isFolder(s), await isFolder(m)]).toEqual([false, true, false]);
  });
});

describe('writes', () => {
  it('writeNew writes a new file and refuses an existing one, leaving no temporary file', async () => {
    const to = join(dir, 'w', 'new.json');
    await writeNew(to, '{"a":1}', { mkdir: true });
    expect(await readFile(to, 'utf8')).toBe('{"a":1}');
    const again = (await caught(writeNew(to, 'other'))) as WorkbenchError;
    expect([again.code, again.message]).toEqual(['IO_ERROR', `${to} already exists; choose another name.`]);
    expect(await readFile(to, 'utf8')).toBe('{"a":1}');
    expect(await readdir(join(dir, 'w'))).toEqual(['new.json']);
  });

  it('writeNew into a missing folder names the folder', async () => {
    const to = join(dir, 'nowhere', 'x.json');
    const e = (await caught(writeNew(to, 'x'))) as WorkbenchError;
    expect([e.code, e.message]).toEqual(['NOT_FOUND', `${to} cannot be written: folder not found: ${join(dir, 'nowhere')}`]);
  });

  it('writeAtomic replaces a file whole', async () => {
    const to = join(dir, 'atomic.json');
    await writeAtomic(to, 'one');
    await writeAtomic(to, 'two', { fsync: true });
    expect(await readFile(to, 'utf8')).toBe('two');
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('moveNew gives a finished file its name, never over another, and removes the temporary name', async () => {
    const tmp = join(dir, 'made.tmp');
    const to = join(dir, 'made.bin');
    await writeFile(tmp, 'made');
    await moveNew(tmp, to);
    expect([await readFile(to, 'utf8'), await exists(tmp)]).toEqual(['made', false]);
    await writeFile(tmp, 'second');
    const e = (await caught(moveNew(tmp, to))) as WorkbenchError;
    expect(e.message).toContain('already exists');
    expect([await readFile(to, 'utf8'), await exists(tmp)]).toEqual(['made', false]);
  });
});
