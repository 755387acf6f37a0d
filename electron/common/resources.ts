// Files the app ships in resources/ (label lists, charsets), found the same way from source, from
// the bundle and from the packaged app, by the engine and by the command line.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Where resources/NAME is: the packaged app's resources folder (Electron sets
 * process.resourcesPath), else the project's resources/ found upwards from this file (from
 * source: electron/common/; bundled: out/main/ or out/cli/).
 */
export function findResource(name: string): string | null {
  if (!resourcePaths.has(name)) resourcePaths.set(name, lookUpResource(name));
  return resourcePaths.get(name)!;
}

/** Where each resource was found (the installation does not move while the engine runs). */
const resourcePaths = new Map<string, string | null>();

function lookUpResource(name: string): string | null {
  const candidates: string[] = [];
  const packaged = (process as { resourcesPath?: string }).resourcesPath;
  if (packaged) candidates.push(join(packaged, name));
  let dir = import.meta.dirname;
  for (let k = 0; k < 5; k++) {
    candidates.push(join(dir, 'resources', name));
    // Packaged without process.resourcesPath: extraResources sit beside app.asar.
    if (dir.endsWith('.asar')) candidates.push(join(dirname(dir), name));
    dir = dirname(dir);
  }
  return candidates.find((p) => existsSync(p)) ?? null;
}
