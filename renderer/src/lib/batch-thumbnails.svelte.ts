// Small previews of a batch job's results for the live strip: the drawn result (boxes, mask,
// cut-out) the job wrote for a file, else the original. The engine makes each one from the file
// on disk (image.thumbnail); only the few-kilobyte preview crosses, a few at a time, cached.
import { SvelteMap } from 'svelte/reactivity';
import type { Api } from '../../../shared/api';
import type { BatchItemBrief } from '../../../shared/batch';
import { THUMBNAIL_SIDE } from '../../../shared/interpretation';
import { joinPath } from './paths';

/** Per-image outputs in the order a thumbnail prefers them: what the result looks like drawn. */
const DRAWN = ['images/', 'cutouts/', 'masks/'];

/** The file a finished item's thumbnail is made from: its drawn result, else the original; null for a failure. */
export function thumbnailSource(item: BatchItemBrief, folders: { input: string; output: string }): string | null {
  if (item.status !== 'ok') return null;
  for (const folder of DRAWN) {
    const drawn = item.outputs?.find((o) => o.startsWith(folder));
    if (drawn) return joinPath(folders.output, drawn);
  }
  return joinPath(folders.input, item.file);
}

const CACHE = 64;
const PARALLEL = 2;

export class BatchThumbnails {
  readonly #api: Api;
  /** data URL by file path; null: it could not be made (the file is gone, or not an image). */
  readonly #urls = new SvelteMap<string, string | null>();
  // Bookkeeping only (never shown): plain, so that asking while rendering changes no state.
  #wanted: string[] = [];
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #asked = new Set<string>();
  #active = 0;

  constructor(api: Api) {
    this.#api = api;
  }

  /** The preview of a file: undefined while it is being made (asked for on the first read). */
  url(path: string): string | null | undefined {
    const url = this.#urls.get(path);
    if (url === undefined && !this.#asked.has(path)) {
      this.#asked.add(path);
      this.#wanted.push(path);
      queueMicrotask(() => this.#pump());
    }
    return url;
  }

  #pump(): void {
    while (this.#active < PARALLEL && this.#wanted.length) {
      // Newest first: the strip shows the latest files, and older ones may have scrolled away.
      const path = this.#wanted.pop()!;
      this.#active++;
      void this.#api.call('image.thumbnail', { path, size: THUMBNAIL_SIDE }).then((r) => {
        this.#active--;
        this.#urls.set(path, r.ok ? r.value.dataUrl : null);
        while (this.#urls.size > CACHE) {
          const oldest = this.#urls.keys().next().value!;
          this.#urls.delete(oldest);
          this.#asked.delete(oldest);
        }
        this.#pump();
      });
    }
    // Only the latest requests matter: a fast job finishes files faster than previews are made.
    if (this.#wanted.length > CACHE)
      for (const dropped of this.#wanted.splice(0, this.#wanted.length - CACHE)) this.#asked.delete(dropped);
  }
}
