// The first images of a batch job, listed and decoded while the job is planned. Reading the
// model's description, probing the providers and creating the session hold the engine's main
// thread for 100–300 ms before the first run; the decoder thread would wait all that time, and
// the first runs then wait for it (measured on 2 cores: the first MobileNetV2-class image was
// decoded 70 ms after the session was ready). Here the decoder starts on the job's own recipe as
// soon as the job arrives, and the job takes these images (and the listing, where it got to)
// when it starts. It only reads: it lists the folders as the plan placed them (nothing, when
// the plan refuses them), and an image decoded for a job that then fails its plan is dropped unread.
import type { BatchJob } from '../../../shared/batch';
import type { PreprocessRecipe } from '../../../shared/recipe';
import type { DecodeOptions } from '../image/decode';
import type { TimedImage } from '../image/decode-pool';
import { type ListedFile, type ListingOptions, listImages, listingOptions } from './listing';
import { type PlacedFolders, jobRecipe, stableJson } from './plan';

/** How many images are decoded ahead: two batches' worth, about 10 MB of tensor values at 224×224. */
export const PREFETCH_IMAGES = 16;

/** The decoder a prefetch uses: a thread of its own (never the main thread, which plans the job meanwhile). */
export interface PrefetchDecoder {
  decode(path: string, recipe: PreprocessRecipe, options: DecodeOptions, pack?: boolean): Promise<TimedImage>;
  /** True once the thread is up; false when it cannot start. */
  started(): Promise<boolean>;
}

export class Prefetch {
  private readonly abort = new AbortController();
  private readonly listed: ListedFile[] = [];
  private readonly decodes = new Map<string, Promise<TimedImage>>();
  /** Files the job took itself (or skipped) before the decodes here were all asked for: not asked for then. */
  private readonly claimed = new Set<string>();
  /** Every decode here is asked for (or never will be): nothing more to claim. */
  private issued = false;
  private listing: AsyncGenerator<ListedFile> | null = null;
  /** The listing failed here: the job lists afresh and says why. */
  private failed = false;
  private closed = false;
  private readonly warnings: string[] = [];
  private warn: ((message: string) => void) | null = null;
  private readonly pulled: Promise<void>;

  private constructor(
    private readonly job: BatchJob,
    private readonly decoder: PrefetchDecoder,
    readonly recipe: PreprocessRecipe,
    folders: Promise<PlacedFolders>,
    count: number,
  ) {
    this.pulled = this.pull(folders, count)
      .catch(() => {
        this.failed = true;
      })
      .finally(() => {
        this.issued = true;
        this.claimed.clear();
      });
  }

  /**
   * Starts listing and decoding the job's first `count` images; null where nothing can be
   * prepared ahead: no decoder thread, a recipe the plan has to guess, tiles (full-size images).
   */
  static start(
    job: BatchJob,
    decoder: Partial<PrefetchDecoder> | undefined,
    /** The plan's placing of the job's folders (the same promise the plan awaits). */
    folders: Promise<PlacedFolders>,
    count = PREFETCH_IMAGES,
  ): Prefetch | null {
    const recipe = jobRecipe(job);
    if (!recipe || recipe.tile || !decoder?.decode || !decoder.started || count < 1) return null;
    return new Prefetch(job, decoder as PrefetchDecoder, recipe, folders, count);
  }

  private async pull(folders: Promise<PlacedFolders>, count: number): Promise<void> {
    // Refused folders throw here as in the plan, which then says so; nothing is listed.
    const { skipDirs } = await folders;
    const listing = listImages({
      ...listingOptions(this.job, skipDirs),
      signal: this.abort.signal,
      onWarning: (message) => (this.warn ? this.warn(message) : this.warnings.push(message)),
    });
    this.listing = listing;
    while (this.listed.length < count && !this.closed) {
      const next = await listing.next();
      if (next.done) break;
      this.listed.push(next.value);
    }
    // Decoded on the decoder's thread only: until it is up, the main thread has the plan to make.
    if (this.closed || !(await this.decoder.started())) return;
    const options = { maxPixels: this.job.maxPixels };
    for (const file of this.listed) {
      if (this.closed) return;
      if (this.claimed.has(file.path)) continue;
      const decoding = this.decoder.decode(file.path, this.recipe, options, true);
      // A failure is the job's to report, when it takes the file.
      decoding.catch(() => {});
      this.decodes.set(file.path, decoding);
    }
  }

  /**
   * The job's listing: the files listed here, then the rest of the same listing (afresh, with the
   * job's options, where the listing here failed). Images decoded with another recipe than the
   * plan's (it takes the job's own, so it cannot be; the plan's word decides) are let go.
   */
  async *files(options: ListingOptions, recipe: PreprocessRecipe): AsyncGenerator<ListedFile> {
    await this.pulled;
    if (recipe !== this.recipe && stableJson(recipe) !== stableJson(this.recipe)) this.decodes.clear();
    if (this.failed || this.closed || !this.listing) {
      this.close();
      yield* listImages(options);
      return;
    }
    this.warn = options.onWarning ?? (() => {});
    for (const message of this.warnings.splice(0)) this.warn(message);
    const stop = () => this.abort.abort();
    if (options.signal?.aborted) stop();
    options.signal?.addEventListener('abort', stop, { once: true });
    for (const file of this.listed) {
      if (options.signal?.aborted) return;
      yield file;
    }
    yield* this.listing;
  }

  /** The image decoded ahead for this file (packed), if there is one; the file is the job's from now on either way. */
  take(path: string): Promise<TimedImage> | undefined {
    if (!this.issued) this.claimed.add(path);
    const decoding = this.decodes.get(path);
    this.decodes.delete(path);
    return decoding;
  }

  /** Nothing more is decoded, and what was is let go (a failed plan, or the job's end). */
  close(): void {
    this.closed = true;
    this.decodes.clear();
  }

  /** Stops the listing too: the job will not take it (its plan failed). */
  cancel(): void {
    this.close();
    this.abort.abort();
  }
}
