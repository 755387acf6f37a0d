// `npm start` without Electron's binary says what to do instead of electron's own
// "Electron failed to install correctly" (scripts/start.js).
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain JavaScript build script, without type declarations
import { findElectronBinary } from '../../scripts/start.js';
import { ROOT } from '../helpers';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'owb-start-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('finds the binary where electron keeps it, or says what is missing', async () => {
    const pkg = join(dir, 'electron');
    await mkdir(join(pkg, 'dist'), { recursive: true });
    expect(findElectronBinary(pkg, {})).toEqual({
      path: null,
      why: expect.stringMatching(/never downloaded .*path\.txt is missing/),
    });
    await writeFile(join(pkg, 'path.txt'), 'electron');
    expect(findElectronBinary(pkg, {})).toEqual({ path: null, why: `${join(pkg, 'dist', 'electron')} is missing` });
    await writeFile(join(pkg, 'dist', 'electron'), '');
    expect(findElectronBinary(pkg, {})).toEqual({ path: join(pkg, 'dist', 'electron') });
    await mkdir(join(dir, 'other'), { recursive: true });
    expect(findElectronBinary(pkg, { ELECTRON_OVERRIDE_DIST_PATH: join(dir, 'other') }).path).toBeNull();
    expect(findElectronBinary(null, {}).why).toMatch(/not installed/);
  });

  it('without the binary, exits 1 with what to do, and never tries to download it', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'start.js')], {
      encoding: 'utf8',
      cwd: ROOT,
      env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: join(dir, 'nowhere') },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^npm start needs Electron's binary, which is not installed: /);
    expect(r.stderr).toContain('npx onnx-workbench serve');
    expect(r.stderr).not.toMatch(/Downloading Electron|failed to install correctly/);
  });
});
