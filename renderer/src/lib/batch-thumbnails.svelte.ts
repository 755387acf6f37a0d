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
/** Previews waiting to be asked for, at most: the newest ones (the strip shows a handful). */
const WANTED = 16;
/**
 * Least time between two previews asked for. Each is a decode of the file by the engine that runs
 * the job, on the same cores: asked as fast as a job finishes files, they took half its speed
 * (a MobileNetV2-class job in the Batch view, 2 cores: 52 img/s against the CLI's 100). A few a
 * second keep the strip live for a few percent of one core.
 */
export const THUMBNAIL_GAP_MS = 250;

export class BatchThumbnails {
  readonly #api: Api;
  /** data URL by file path; null: it could not be made (the file is gone, or not an image). */
  readonly #urls = new SvelteMap<string, string | null>();
  // Bookkeeping only (never shown): plain, so that asking while rendering changes no state.
  #wanted: string[] = [];
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #asked = new Set<string>();
  #active = 0;
  #lastAsked = -Infinity;
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(api: Api) {
    this.#api = api;
  }

  /** Where the next path asked in this pass goes in #wanted (null: a new pass starts at the front). */
  #insertAt: number | null = null;

  /**
   * The preview of a file: undefined while it is being made (asked for on the first read). The
   * paths one rendering asks for, in its order (the strip's: newest first), go ahead of those
   * asked before, so that the newest files' previews come first.
   */
  url(path: string): string | null | undefined {
    const url = this.#urls.get(path);
    if (url === undefined && !this.#asked.has(path)) {
      this.#asked.add(path);
      if (this.#insertAt === null) {
        this.#insertAt = 0;
        queueMicrotask(() => {
          this.#insertAt = null;
          this.#pump();
        });
      }
      this.#wanted.splice(this.#insertAt++, 0, path);
    }
    return url;
  }

  #pump(): void {
    while (this.#active < PARALLEL && this.#wanted.length) {
      const wait = this.#lastAsked + THUMBNAIL_GAP_MS - Date.now();
      if (wait > 0) {
        if (this.#timer === null)
          this.#timer = setTimeout(() => {
            this.#timer = null;
            this.#pump();
          }, wait);
        break;
      }
      this.#lastAsked = Date.now();
      // Newest first: the strip shows the latest files, and older ones may have scrolled away.
      const path = this.#wanted.shift()!;
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
    if (this.#wanted.length > WANTED) for (const dropped of this.#wanted.splice(WANTED)) this.#asked.delete(dropped);
  }
}
