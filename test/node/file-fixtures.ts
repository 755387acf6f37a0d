// A scratch folder for one test file, and the WorkbenchError a call fails with.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { WorkbenchError } from '../../shared/result';

/** A folder made before this test file's tests and removed after them; `save` writes a file into it. */
export function scratchFolder(prefix: string) {
  const folder = {
    path: '',
    async save(name: string, bytes: Uint8Array | string): Promise<string> {
      const p = join(folder.path, name);
      await writeFile(p, bytes);
      return p;
    },
  };
  beforeAll(async () => {
    folder.path = await mkdtemp(join(tmpdir(), prefix));
  });
  afterAll(() => rm(folder.path, { recursive: true, force: true }));
  return folder;
}

/** The WorkbenchError `p` rejects with; the test fails when it resolves or rejects with something else. */
export async function workbenchError(p: Promise<unknown>): Promise<WorkbenchError> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(WorkbenchError);
  return e as WorkbenchError;
}
