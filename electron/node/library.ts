// The model library: folders the user added, scanned recursively for .onnx files. Each model's
// summary is cached by path, size and mtime, so a library of hundreds opens at once and only
// changed files are read again; broken files stay listed with their error.
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import {
  type LibraryModel,
  type LibraryScanProgress,
  type LibrarySnapshot,
  type ModelSummary,
  type RecentModel,
  hasDynamicDims,
} from '../../shared/library';
import type { ModelInfo } from '../../shared/model-info';
import { type Result, type WorkbenchErrorInfo, WorkbenchError } from '../../shared/result';
import { fsError, isFolder } from '../common/fs';
import { JsonStore } from '../common/json-store';

const MODEL_EXTENSIONS = ['.onnx'];
const MAX_DEPTH = 12;
const MAX_RECENT = 20;
/** Folders never worth walking into. */
const SKIP_DIRS = new Set(['node_modules', '.git', '__pycache__', '$RECYCLE.BIN', 'System Volume Information']);

interface CacheEntry {
  size: number;
  mtimeMs: number;
  summary: ModelSummary | null;
  error: WorkbenchErrorInfo | null;
}

interface LibraryState {
  version: 1;
  folders: string[];
  recent: RecentModel[];
  cache: Record<string, CacheEntry>;
}

function isState(value: unknown): value is LibraryState {
  const v = value as Partial<LibraryState> | null;
  return (
    !!v &&
    v.version === 1 &&
    Array.isArray(v.folders) &&
    Array.isArray(v.recent) &&
    typeof v.cache === 'object' &&
    v.cache !== null
  );
}

export function summarize(info: ModelInfo): ModelSummary {
  const entry = (v: ModelInfo['inputs'][number]) => ({ name: v.name, dtype: v.dtype, shape: v.shape });
  return {
    irVersion: info.irVersion,
    opset: info.opsets.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? null,
    producer: [info.producer.name, info.producer.version].filter(Boolean).join(' '),
    inputs: info.inputs.map(entry),
    outputs: info.outputs.map(entry),
    parameters: info.initializers.parameters + info.initializers.constants.parameters,
    task: info.task,
    dynamicInputs: hasDynamicDims(info.inputs.map(entry)),
  };
}

export interface LibraryOptions {
  /** The JSON file the library lives in. */
  file: string;
  /** Reads one model (in the engine process). */
  inspect: (path: string, signal?: AbortSignal) => Promise<Result<ModelInfo>>;
}

export class ModelLibrary {
  private readonly store: JsonStore<LibraryState>;
  private state: LibraryState | null = null;
  /** One scan at a time: a second caller waits for the running one. */
  private scanning: Promise<void> | null = null;

  constructor(private readonly options: LibraryOptions) {
    this.store = new JsonStore(options.file, () => ({ version: 1, folders: [], recent: [], cache: {} }), isState);
  }

  private async load(): Promise<LibraryState> {
    this.state ??= await this.store.read();
    return this.state;
  }

  async snapshot(
    options: { refresh?: boolean; signal?: AbortSignal; onProgress?: (p: LibraryScanProgress) => void } = {},
  ): Promise<LibrarySnapshot> {
    const state = await this.load();
    const found = await this.scan(state.folders, options);
    return this.describe(state, found);
  }

  async addFolder(
    path: string,
    options: { signal?: AbortSignal; onProgress?: (p: LibraryScanProgress) => void } = {},
  ): Promise<LibrarySnapshot> {
    try {
      const s = await stat(path);
      if (!s.isDirectory()) throw new WorkbenchError('INVALID_INPUT', `Not a folder: ${path}`);
    } catch (error) {
      if (error instanceof WorkbenchError) throw error;
      throw fsError(error, path, { folder: true });
    }
    const state = await this.load();
    if (!state.folders.includes(path)) {
      state.folders.push(path);
      await this.store.write(state);
    }
    return this.snapshot({ ...options, refresh: true });
  }

  async removeFolder(path: string): Promise<LibrarySnapshot> {
    const state = await this.load();
    state.folders = state.folders.filter((f) => f !== path);
    for (const key of Object.keys(state.cache)) {
      if (!state.folders.some((f) => isInside(key, f)) && !state.recent.some((r) => r.path === key)) delete state.cache[key];
    }
    await this.store.write(state);
    return this.snapshot();
  }

  async markOpened(path: string): Promise<RecentModel[]> {
    const state = await this.load();
    state.recent = [{ path, openedMs: Date.now() }, ...state.recent.filter((r) => r.path !== path)].slice(0, MAX_RECENT);
    await this.store.write(state);
    return state.recent;
  }

  async forgetRecent(path?: string): Promise<RecentModel[]> {
    const state = await this.load();
    state.recent = path ? state.recent.filter((r) => r.path !== path) : [];
    await this.store.write(state);
    return state.recent;
  }

  /** Walks every folder, re-reading only files whose size or mtime changed. */
  private async scan(
    folders: string[],
    options: { refresh?: boolean; signal?: AbortSignal; onProgress?: (p: LibraryScanProgress) => void },
  ): Promise<Map<string, { folder: string; size: number; mtimeMs: number }>> {
    while (this.scanning) await this.scanning;
    const state = await this.load();
    const found = new Map<string, { folder: string; size: number; mtimeMs: number }>();
    let done!: () => void;
    this.scanning = new Promise((r) => (done = r));
    try {
      for (const folder of folders) {
        const progress: LibraryScanProgress = { folder, found: 0, read: 0, current: null };
        for await (const file of walk(folder, 0, options.signal)) {
          let s;
          try {
            s = await stat(file);
          } catch {
            continue; // removed while we walked
          }
          if (found.has(file)) continue;
          found.set(file, { folder, size: s.size, mtimeMs: s.mtimeMs });
          progress.found += 1;
          const cached = state.cache[file];
          if (cached && cached.size === s.size && cached.mtimeMs === s.mtimeMs) continue;
          progress.current = file;
          options.onProgress?.({ ...progress });
          state.cache[file] = await this.read(file, s.size, s.mtimeMs, options.signal);
          progress.read += 1;
        }
        options.onProgress?.({ ...progress, current: null });
      }
      // Recent models outside the folders are kept fresh too.
      for (const recent of state.recent) {
        if (found.has(recent.path)) continue;
        try {
          const s = await stat(recent.path);
          const cached = state.cache[recent.path];
          if (!cached || cached.size !== s.size || cached.mtimeMs !== s.mtimeMs) {
            state.cache[recent.path] = await this.read(recent.path, s.size, s.mtimeMs, options.signal);
          }
          found.set(recent.path, { folder: '', size: s.size, mtimeMs: s.mtimeMs });
        } catch {
          /* a recent file that is gone is listed without a card */
        }
      }
      // Forget the cache of files that are gone.
      for (const key of Object.keys(state.cache)) if (!found.has(key)) delete state.cache[key];
      await this.store.write(state);
    } finally {
      this.scanning = null;
      done();
    }
    return found;
  }

  private async read(path: string, size: number, mtimeMs: number, signal?: AbortSignal): Promise<CacheEntry> {
    const result = await this.options.inspect(path, signal);
    if (!result.ok && result.error.code === 'CANCELLED') throw new WorkbenchError('CANCELLED', 'Cancelled.');
    return result.ok
      ? { size, mtimeMs, summary: summarize(result.value), error: null }
      : { size, mtimeMs, summary: null, error: result.error };
  }

  private async describe(
    state: LibraryState,
    found: Map<string, { folder: string; size: number; mtimeMs: number }>,
  ): Promise<LibrarySnapshot> {
    const opened = new Map(state.recent.map((r) => [r.path, r.openedMs]));
    const models: LibraryModel[] = [];
    for (const [path, f] of found) {
      const cached = state.cache[path];
      models.push({
        path,
        name: basename(path),
        folder: f.folder,
        size: f.size,
        mtimeMs: f.mtimeMs,
        summary: cached?.summary ?? null,
        error: cached?.error ?? null,
        lastOpenedMs: opened.get(path) ?? null,
      });
    }
    models.sort((a, b) => a.path.localeCompare(b.path));
    const folders = await Promise.all(
      state.folders.map(async (path) => ({
        path,
        exists: await isFolder(path),
        models: models.filter((m) => m.folder === path).length,
      })),
    );
    return { folders, models, recent: state.recent };
  }
}

function isInside(file: string, folder: string): boolean {
  const prefix = folder.endsWith('/') || folder.endsWith('\\') ? folder : `${folder}/`;
  return file.startsWith(prefix) || file.startsWith(prefix.replace(/\/$/, '\\'));
}

/** Model files under a folder, depth-first, skipping hidden and tool folders; never follows links. */
async function* walk(dir: string, depth: number, signal?: AbortSignal): AsyncGenerator<string> {
  if (depth > MAX_DEPTH) return;
  if (signal?.aborted) throw new WorkbenchError('CANCELLED', 'Cancelled.');
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return; // unreadable or gone: the folder list shows it as missing
  }
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) yield* walk(full, depth + 1, signal);
    } else if (entry.isFile() && MODEL_EXTENSIONS.some((ext) => entry.name.toLowerCase().endsWith(ext))) {
      yield full;
    }
  }
}
