// `npm start`: the desktop app (electron-vite preview), once Electron's binary is known to be there.
// Without it (installed with ELECTRON_SKIP_BINARY_DOWNLOAD=1, or offline), electron's own package
// would try to download it and fail with "Electron failed to install correctly … uninstall"; this
// says what to do instead. Never loads the `electron` package itself (that starts the download).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

/** The Electron executable electron-vite would start, or null with the reason it is not there. */
export function findElectronBinary(electronDir, env = process.env) {
  if (!electronDir) return { path: null, why: 'the electron package is not installed (run npm ci)' };
  const pathFile = join(electronDir, 'path.txt');
  const name = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : null;
  if (env.ELECTRON_OVERRIDE_DIST_PATH) {
    const p = join(env.ELECTRON_OVERRIDE_DIST_PATH, name || 'electron');
    return existsSync(p) ? { path: p } : { path: null, why: `ELECTRON_OVERRIDE_DIST_PATH has no ${p}` };
  }
  if (!name) return { path: null, why: `Electron's binary was never downloaded (${pathFile} is missing)` };
  const p = join(electronDir, 'dist', name);
  return existsSync(p) ? { path: p } : { path: null, why: `${p} is missing` };
}

export function missingElectronMessage(why) {
  return [
    `npm start needs Electron's binary, which is not installed: ${why}.`,
    'It is skipped by ELECTRON_SKIP_BINARY_DOWNLOAD=1 (the offline install) and needs internet to fetch.',
    'Either:',
    '  - fetch it:            node node_modules/electron/install.js   (then npm start again)',
    '  - use the browser app: npx onnx-workbench serve                (the same app, in your browser)',
    '  - use the CLI:         npx onnx-workbench --help',
    '',
  ].join('\n');
}

function electronDir() {
  try {
    return dirname(require.resolve('electron/package.json'));
  } catch {
    return null;
  }
}

function main() {
  const found = findElectronBinary(electronDir());
  if (!found.path) {
    process.stderr.write(missingElectronMessage(found.why));
    process.exit(1);
  }
  const bin = join(dirname(require.resolve('electron-vite/package.json')), 'bin', 'electron-vite.js');
  const child = spawn(process.execPath, [bin, 'preview', ...process.argv.slice(2)], { stdio: 'inherit' });
  child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
