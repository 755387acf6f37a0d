// A stand-in for an unpacked Linux Electron release, so `electron-builder --dir` can lay out
// the app offline (it copies this folder and renames `electron` to the app's executable).
// Only the app's own files are real; the Electron files here are placeholders and never run.
import { chmod, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface StandInElectron {
  dir: string;
  version: string;
}

/** The Electron version electron-builder must be told (it cannot read it from a stand-in). */
export async function installedElectronVersion(root: string): Promise<string> {
  const pkg = JSON.parse(await readFile(join(root, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version?: unknown };
  if (typeof pkg.version !== 'string') throw new Error(`node_modules/electron/package.json in ${root} has no version`);
  return pkg.version;
}

// The names of a real linux-x64 Electron zip's top level, minus the big binaries' contents.
const PLACEHOLDERS = [
  'LICENSE',
  'LICENSES.chromium.html',
  'chrome_100_percent.pak',
  'chrome_200_percent.pak',
  'icudtl.dat',
  'libEGL.so',
  'libGLESv2.so',
  'libffmpeg.so',
  'libvk_swiftshader.so',
  'resources.pak',
  'snapshot_blob.bin',
  'v8_context_snapshot.bin',
  'vk_swiftshader_icd.json',
  'locales/en-US.pak',
];
const EXECUTABLES = ['electron', 'chrome-sandbox', 'chrome_crashpad_handler'];

/** @electron/fuses' marker, then wire version 1, 8 fuses, and Electron's own defaults ('1' on, '0' off). */
export const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const DEFAULT_FUSES = '10110001';

export async function createStandInElectron(root: string, parent = tmpdir()): Promise<StandInElectron> {
  const version = await installedElectronVersion(root);
  const dir = await mkdtemp(join(parent, 'owb-electron-stand-in-'));
  await mkdir(join(dir, 'locales'), { recursive: true });
  await mkdir(join(dir, 'resources'), { recursive: true });
  await writeFile(join(dir, 'version'), version);
  for (const name of PLACEHOLDERS) await writeFile(join(dir, name), `stand-in for Electron ${version}: ${name}\n`);
  for (const name of EXECUTABLES) {
    const script = `#!/bin/sh\necho "stand-in Electron ${version}: not runnable" >&2\nexit 1\n`;
    // The fuse wire, as a real binary carries it, so that electron-builder can flip the fuses it is configured with.
    const wire =
      name === 'electron'
        ? Buffer.concat([
            Buffer.from(`# ${FUSE_SENTINEL}`),
            Buffer.from([1, DEFAULT_FUSES.length]),
            Buffer.from(`${DEFAULT_FUSES}\n`),
          ])
        : Buffer.alloc(0);
    await writeFile(join(dir, name), Buffer.concat([Buffer.from(script), wire]));
    await chmod(join(dir, name), 0o755);
  }
  return { dir, version };
}
