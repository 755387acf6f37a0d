// The files a batch job takes, streamed: folders are read one at a time (each sorted, so every
// run takes the files in the same order), never the whole tree into one array. Hidden and
// system files are skipped, and so is the job's own output folder when it sits in the input.
// With an input list, the files are the list's lines instead. A shard keeps only its share.
import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import { opendir, stat } from 'node:fs/promises';
import { extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { createInterface } from 'node:readline';
import type Picomatch from 'picomatch';
import type { BatchJob } from '../../../shared/batch';
import { fsError } from '../../common/fs';
import { WorkbenchError } from '../../../shared/result';
import { type ShardSpec, inShard } from '../../../shared/shard';

// Required when a job has patterns, not imported at start: the ESM loader's scan of a CommonJS
// package costs as much as loading it, on the decoder thread's start too.
const requireCjs = createRequire(import.meta.url);
const picomatch = (...args: Parameters<typeof Picomatch>) => (requireCjs('picomatch') as typeof Picomatch)(...args);

export interface ListedFile {
  /** Relative to the input folder, '/' separators. */
  rel: string;
  path: string;
}

export interface ListingOptions {
  folder: string;
  recursive: boolean;
  include: readonly string[];
  exclude: readonly string[];
  types: readonly string[];
  /** Folders never entered (absolute): the output folder when it is inside the input. */
  skipDirs?: readonly string[];
  signal?: AbortSignal;
  /** A subfolder that cannot be read is reported here and left out. */
  onWarning?: (message: string) => void;
  /** A file of paths (one per line) taken instead of the folder's listing. */
  list?: string;
  /** Only the files of this shard. */
  shard?: ShardSpec;
}

const SYSTEM_FILES = new Set(['thumbs.db', 'desktop.ini', 'ehthumbs.db', '$recycle.bin', 'system volume information']);

/** Dot files (.DS_Store, ._photo.jpg from macOS, .git …) and Windows' own files. */
export function isHiddenOrSystem(name: string): boolean {
  return name.startsWith('.') || SYSTEM_FILES.has(name.toLowerCase());
}

export function listingOptions(job: BatchJob, skipDirs: string[] = []): ListingOptions {
  // An audio job reads the folder's .wav files (its image types do not apply).
  return { ...job.input, ...(job.speech ? { types: ['wav'] } : {}), skipDirs, ...(job.shard ? { shard: job.shard } : {}) };
}

type Matcher = (rel: string) => boolean;

function matcher(options: ListingOptions): Matcher {
  // Case-insensitive where the file systems usually are.
  const nocase = process.platform === 'win32' || process.platform === 'darwin';
  const include = options.include.length ? picomatch([...options.include], { nocase, dot: true }) : () => true;
  const exclude = options.exclude.length ? picomatch([...options.exclude], { nocase, dot: true }) : () => false;
  const types = new Set(options.types.map((t) => t.toLowerCase()));
  return (rel) => types.has(extname(rel).slice(1).toLowerCase()) && include(rel) && !exclude(rel);
}

interface Entry {
  name: string;
  kind: 'file' | 'dir' | 'link' | 'other';
}

/** Code-unit order: the same on every machine and locale. */
const byName = (a: Entry, b: Entry): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

async function readFolder(path: string): Promise<Entry[]> {
  const dir = await opendir(path, { bufferSize: 256 });
  const entries: Entry[] = [];
  for await (const d of dir) {
    if (isHiddenOrSystem(d.name)) continue;
    const kind = d.isFile() ? 'file' : d.isDirectory() ? 'dir' : d.isSymbolicLink() ? 'link' : 'other';
    entries.push({ name: d.name, kind });
  }
  return entries.sort(byName);
}

const folderError = (path: string, error: unknown) => fsError(error, path, { what: 'input folder', folder: true });

/**
 * The paths of an input list, in its order, each once: relative to the folder, or absolute inside
 * it; blank lines are skipped. A line that points outside the folder stops the listing with an
 * error naming the list and the line (outputs mirror the paths, so they must stay inside).
 */
export async function* readInputList(list: string, folder: string): AsyncGenerator<ListedFile> {
  const root = resolve(folder);
  const seen = new Set<string>();
  const stream = createReadStream(list, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const raw of lines) {
      n += 1;
      const line = n === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      if (!line.trim()) continue;
      const path = isAbsolute(line) ? resolve(line) : resolve(root, line);
      const rel = relative(root, path);
      if (!rel || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel))
        throw new WorkbenchError(
          'INVALID_INPUT',
          `${list} line ${n}: ${line} is not inside the input folder ${root}; list files inside it (relative to it, or absolute)`,
        );
      const posix = rel.split(sep).join('/');
      if (seen.has(posix)) continue;
      seen.add(posix);
      yield { rel: posix, path };
    }
  } catch (error) {
    throw fsError(error, list, { what: 'input list' });
  } finally {
    lines.close();
    stream.destroy();
  }
}

/**
 * The image files of a job, in a stable order (each folder sorted, subfolders where they sort;
 * an input list's order), a shard's share only.
 */
export async function* listImages(options: ListingOptions): AsyncGenerator<ListedFile> {
  const { shard } = options;
  const source = options.list ? listedImages(options) : walkImages(options);
  for await (const file of source) if (inShard(file.rel, shard)) yield file;
}

/** The input list's files that pass the job's filters and are not in a skipped folder. */
async function* listedImages(options: ListingOptions): AsyncGenerator<ListedFile> {
  const matches = matcher(options);
  const skip = (options.skipDirs ?? []).map((p) => resolve(p));
  for await (const file of readInputList(options.list!, options.folder)) {
    if (options.signal?.aborted) return;
    if (skip.some((dir) => file.path.startsWith(dir + sep))) continue;
    if (matches(file.rel)) yield file;
  }
}

/**
 * The folder's image files. Symbolic links to files are followed; links to folders are not (no
 * loops); a link that cannot be followed is still listed, so that the job reports it as a failed file.
 */
async function* walkImages(options: ListingOptions): AsyncGenerator<ListedFile> {
  const matches = matcher(options);
  const skip = new Set((options.skipDirs ?? []).map((p) => resolve(p)));
  const root = resolve(options.folder);
  let top: Entry[];
  try {
    top = await readFolder(root);
  } catch (error) {
    throw folderError(root, error);
  }

  async function* walk(dir: string, prefix: string, entries: Entry[]): AsyncGenerator<ListedFile> {
    for (const entry of entries) {
      if (options.signal?.aborted) return;
      const path = join(dir, entry.name);
      const rel = prefix + entry.name;
      let kind = entry.kind;
      if (kind === 'link') {
        kind = await stat(path).then(
          (s) => (s.isFile() ? 'file' : s.isDirectory() ? 'other' : 'other'),
          () => 'file' as const,
        );
      }
      if (kind === 'file') {
        if (matches(rel)) yield { rel, path };
      } else if (kind === 'dir' && options.recursive && !skip.has(path)) {
        let inner: Entry[];
        try {
          inner = await readFolder(path);
        } catch (error) {
          options.onWarning?.(folderError(path, error).message);
          continue;
        }
        yield* walk(path, `${rel}/`, inner);
      }
    }
  }

  yield* walk(root, '', top);
}

/** How many files a job will take, and the first few of them. */
export async function countImages(options: ListingOptions, sampleSize = 5): Promise<{ files: number; sample: string[] }> {
  let files = 0;
  const sample: string[] = [];
  for await (const f of listImages(options)) {
    if (files < sampleSize) sample.push(f.rel);
    files += 1;
  }
  return { files, sample };
}
