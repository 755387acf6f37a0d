// The server-side file browser (browser mode's "Open model"), also used by the library.
import { readdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, parse } from 'node:path';
import type { DirEntry, DirListing, SampleModel } from '../../shared/contract';
import { fsError } from '../common/fs';

export interface ListOptions {
  extensions?: string[];
  showHidden?: boolean;
}

const STAT_CONCURRENCY = 32;

async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  });
  await Promise.all(workers);
  return out;
}

export async function listDirectory(
  path: string,
  options: ListOptions,
  samples?: () => Promise<SampleModel[]>,
): Promise<DirListing> {
  let dirents;
  try {
    dirents = await readdir(path, { withFileTypes: true });
  } catch (error) {
    throw fsError(error, path, { folder: true });
  }
  const extensions = options.extensions?.map((e) => e.toLowerCase());
  let hidden = 0;
  const kept = dirents.filter((d) => {
    const isHidden = d.name.startsWith('.');
    if (isHidden && !options.showHidden) {
      hidden += 1;
      return false;
    }
    if (d.isDirectory()) return true;
    if (!extensions) return true;
    const ok = extensions.some((ext) => d.name.toLowerCase().endsWith(ext));
    if (!ok) hidden += 1;
    return ok;
  });
  const entries: DirEntry[] = await mapLimited(kept, STAT_CONCURRENCY, async (d) => {
    const full = join(path, d.name);
    try {
      // stat (not lstat): a link to a folder is browsed like a folder.
      const s = await stat(full);
      return {
        name: d.name,
        path: full,
        kind: s.isDirectory() ? 'dir' : 'file',
        size: s.isDirectory() ? null : s.size,
        mtimeMs: s.mtimeMs,
      };
    } catch {
      return { name: d.name, path: full, kind: d.isDirectory() ? 'dir' : 'file', size: null, mtimeMs: null };
    }
  });
  entries.sort((a, b) =>
    a.kind === b.kind ? a.name.localeCompare(b.name, undefined, { numeric: true }) : a.kind === 'dir' ? -1 : 1,
  );
  const root = parse(path).root;
  const places = [
    { name: 'Home', path: homedir() },
    { name: 'File system', path: root || '/' },
  ];
  const sampleList = samples ? await samples().catch(() => []) : [];
  if (sampleList.length > 0) places.push({ name: 'Sample models', path: dirname(sampleList[0].path) });
  return { path, parent: path === root ? null : dirname(path), entries, places, hidden };
}
