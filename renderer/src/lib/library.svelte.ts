// The model library as the renderer sees it: the last snapshot, a scan in progress, recent models,
// and the search/filter choices (kept here so they survive switching views).
import type { Api } from '../../../shared/api';
import type { LibraryScanProgress, LibrarySnapshot, RecentModel } from '../../../shared/library';
import type { WorkbenchErrorInfo } from '../../../shared/result';
import type { TaskKind } from '../../../shared/model-info';
import type { Result } from '../../../shared/result';

export type SizeBucket = 'any' | 'small' | 'medium' | 'large' | 'huge';

export interface LibraryQuery {
  text: string;
  task: TaskKind | 'any';
  /** Default-domain opset version, or 'any'. */
  opset: number | 'any';
  size: SizeBucket;
  dynamicOnly: boolean;
  showBroken: boolean;
}

export function emptyQuery(): LibraryQuery {
  return { text: '', task: 'any', opset: 'any', size: 'any', dynamicOnly: false, showBroken: true };
}

export class Library {
  readonly #api: Api;
  snapshot = $state.raw<LibrarySnapshot | null>(null);
  recent = $state.raw<RecentModel[]>([]);
  /** Set while a folder is added or the library is re-scanned. */
  scanning = $state(false);
  progress = $state.raw<LibraryScanProgress | null>(null);
  error = $state.raw<WorkbenchErrorInfo | null>(null);
  /** A short note for the user (e.g. why a drop did nothing). */
  note = $state<string | null>(null);
  query = $state<LibraryQuery>(emptyQuery());

  #request = 0;

  constructor(api: Api) {
    this.#api = api;
  }

  /** Reads the library; `refresh` re-scans every folder for added and removed files. */
  async load(refresh = false): Promise<void> {
    await this.#scan(() => this.#api.call('library.get', refresh ? { refresh } : {}, { onEvent: (p) => this.#onProgress(p) }));
  }

  /** Only the recent list, quietly (start screen); failures leave it empty. */
  async loadRecent(): Promise<void> {
    const result = await this.#api.call('library.get', {});
    if (result.ok) {
      this.recent = result.value.recent;
      if (!this.scanning) this.snapshot = result.value;
    }
  }

  async addFolder(path: string): Promise<void> {
    this.note = null;
    await this.#scan(() => this.#api.call('library.addFolder', { path }, { onEvent: (p) => this.#onProgress(p) }));
  }

  async removeFolder(path: string): Promise<void> {
    const result = await this.#api.call('library.removeFolder', { path });
    if (result.ok) this.#take(result.value);
    else this.error = result.error;
  }

  /** Records a successful open; the engine answers with the new recent list. */
  async opened(path: string): Promise<void> {
    const result = await this.#api.call('library.opened', { path });
    if (result.ok) this.recent = result.value;
  }

  /** Forgets one recent model, or all of them without a path. */
  async forgetRecent(path?: string): Promise<void> {
    const result = await this.#api.call('library.forgetRecent', path ? { path } : {});
    if (result.ok) this.recent = result.value;
    else this.error = result.error;
  }

  dismissError(): void {
    this.error = null;
  }

  async #scan(call: () => Promise<Result<LibrarySnapshot>>): Promise<void> {
    const mine = ++this.#request;
    this.scanning = true;
    this.progress = null;
    this.error = null;
    const result = await call();
    if (mine !== this.#request) return; // a newer scan replaced this one
    this.scanning = false;
    this.progress = null;
    if (result.ok) this.#take(result.value);
    else this.error = result.error;
  }

  #onProgress(progress: LibraryScanProgress): void {
    this.progress = progress;
  }

  #take(snapshot: LibrarySnapshot): void {
    this.snapshot = snapshot;
    this.recent = snapshot.recent;
  }
}
