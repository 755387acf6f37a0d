// The first images of a batch job, listed and decoded while the job is planned. Reading the
// model's description, probing the providers and creating the session hold the engine's main
// thread for 100–300 ms before the first run (onnxruntime creates a session synchronously); a
// listing or a decode asked for from that thread would wait all that time, and the first runs
// then wait for them. Here the decoder's thread is given the job's listing and recipe as soon as
// the job's folders are placed: it lists the first files itself and decodes them meanwhile
// (decode-pool.ts PrefetchRequest); the job's listing starts with the files it listed (its own
// listing passes over them), and takes their images. It only reads: it lists the folders as the
// plan placed them (nothing, when the plan refuses them), with the job's own listing rules, and an
// image decoded for a job that then fails its plan is dropped unread.
import type { BatchJob } from '../../../shared/batch';
import type { PreprocessRecipe } from '../../../shared/recipe';
import type { DecodeOptions } from '../image/decode';
import type { PrefetchHandler, PrefetchRequest, TimedImage } from '../image/decode-pool';
import { type ListedFile, type ListingOptions, listImages, listingOptions } from './listing';
import { unlessAborted } from './flow';
import { type PlacedFolders, imageTensorBytes, jobRecipe, stableJson } from './plan';

/**
 * How many images are decoded ahead, at most, within PREFETCH_BYTES: what one core decodes while
 * a big model's session is made (a ResNet-50-class one: 220 ms, 60 small images), the decoders a
 * step below the engine's main thread from the job's start so that they take the core it leaves
 * (runBatchJob). Measured by bench:batch's CLI on 2 cores, medians of 4–6 interleaved rounds:
 * ResNet-50-class over 200 small images 5.57 → 5.44 s against 16 ahead, over photos and for
 * MobileNetV2-class (whose session is made before 16 are decoded) the same; without the step
 * down, more ahead slowed the session and the plan (48 took 35 ms longer).
 */
export const PREFETCH_IMAGES = 64;
/**
 * The tensor values decoded ahead: about 64 MB (13 images at 640×640 in float), counted at the
 * recipe's width × height (a resize that keeps the aspect, as shorter-side, can make more).
 */
export const PREFETCH_BYTES = 64 * 1024 * 1024;

/** The images a prefetch decodes for this recipe: PREFETCH_IMAGES within PREFETCH_BYTES, one at least. */
export function prefetchCount(recipe: PreprocessRecipe): number {
  return Math.max(1, Math.min(PREFETCH_IMAGES, Math.floor(PREFETCH_BYTES / Math.max(1, imageTensorBytes(recipe)))));
}

/** The decoder a prefetch uses: a thread of its own, which lists and decodes (DecodeWorker.prefetch). */
export interface PrefetchDecoder {
  prefetch(request: Omit<PrefetchRequest, 'prefetch'>, handler: PrefetchHandler): (() => void) | null;
}

interface Ahead {
  promise: Promise<TimedImage>;
  resolve(image: TimedImage): void;
  reject(error: Error): void;
  settled: boolean;
  taken: boolean;
}

export class Prefetch {
  /** The files the thread listed, each with its image to come (or come already). */
  private readonly ahead = new Map<string, Ahead>();
  /** The files the thread listed, in its order: the job's listing starts with them. */
  private readonly order: ListedFile[] = [];
  /** Resolves once the thread lists no more (or never will). */
  private readonly ended: Promise<void>;
  private setEnded: () => void = () => {};
  private cancelThread: (() => void) | null = null;
  private closed = false;

  private constructor(
    job: BatchJob,
    decoder: PrefetchDecoder,
    readonly recipe: PreprocessRecipe,
    folders: Promise<PlacedFolders>,
    count: number,
  ) {
    this.ended = new Promise((resolve) => (this.setEnded = resolve));
    const options: DecodeOptions = { maxPixels: job.maxPixels };
    // Refused folders: nothing is listed (the plan says why).
    folders.then(
      ({ skipDirs }) => {
        if (this.closed) return;
        try {
          this.cancelThread = decoder.prefetch(
            { listing: listingOptions(job, skipDirs), count, recipe, options },
            {
              listed: (file) => this.listed(file),
              end: () => this.setEnded(),
              decoded: (path, result) => this.decoded(path, result),
              stopped: (error) => this.stopped(error),
            },
          );
        } catch {
          // No thread after all (it could not be started): the job lists and decodes everything itself.
          this.cancelThread = null;
        }
        if (!this.cancelThread) this.setEnded();
      },
      () => this.setEnded(),
    );
  }

  /**
   * Starts listing and decoding the job's first images on the decoder's thread; null where nothing
   * can be prepared ahead: no such thread, a recipe the plan has to guess, tiles (full-size images).
   */
  static start(
    job: BatchJob,
    decoder: Partial<PrefetchDecoder> | undefined,
    /** The plan's placing of the job's folders (the same promise the plan awaits). */
    folders: Promise<PlacedFolders>,
    count?: number,
  ): Prefetch | null {
    const recipe = jobRecipe(job);
    if (!recipe || recipe.tile || !decoder?.prefetch) return null;
    const n = count ?? prefetchCount(recipe);
    return n < 1 ? null : new Prefetch(job, decoder as PrefetchDecoder, recipe, folders, n);
  }

  private listed(file: ListedFile) {
    if (this.closed) return;
    let resolve: (image: TimedImage) => void = () => {};
    let reject: (error: Error) => void = () => {};
    const promise = new Promise<TimedImage>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // A failure is the job's to report, when it takes the file.
    promise.catch(() => {});
    this.ahead.set(file.path, { promise, resolve, reject, settled: false, taken: false });
    this.order.push(file);
  }

  private decoded(path: string, result: { ok: true; image: TimedImage } | { ok: false; error: Error }) {
    const a = this.ahead.get(path);
    if (!a || a.settled) return;
    a.settled = true;
    if (result.ok) a.resolve(result.image);
    else a.reject(result.error);
    // Taken already: the job holds its promise, nothing here needs it.
    if (a.taken) this.ahead.delete(path);
  }

  private stopped(error: Error) {
    this.setEnded();
    for (const [path, a] of this.ahead) {
      if (!a.settled) a.reject(error);
      a.settled = true;
      if (a.taken) this.ahead.delete(path);
    }
  }

  /**
   * The job's listing: the files the thread listed (once it lists no more), then the rest of the
   * job's own listing, which lists from the start and passes over those. With another recipe than
   * the one the images were decoded with (the prefetch takes the job's own, so it cannot be; the
   * plan's word decides), they are let go and the job lists and decodes everything itself.
   */
  async *files(options: ListingOptions, recipe: PreprocessRecipe): AsyncGenerator<ListedFile> {
    if (recipe !== this.recipe && stableJson(recipe) !== stableJson(this.recipe)) this.cancel();
    // A job cancelled meanwhile does not wait for the thread's listing (a slow folder, a hung mount).
    await unlessAborted(this.ended, options.signal);
    if (options.signal?.aborted) return;
    const first = this.closed ? [] : this.order.splice(0);
    const passed = new Set(first.map((f) => f.path));
    for (const file of first) {
      if (options.signal?.aborted) return;
      yield file;
    }
    for await (const file of listImages(options)) if (!passed.delete(file.path)) yield file;
  }

  /** The image decoded ahead for this file (packed), if there is one; the file is the job's from now on either way. */
  take(path: string): Promise<TimedImage> | undefined {
    const a = this.ahead.get(path);
    if (!a) return undefined;
    a.taken = true;
    if (a.settled) this.ahead.delete(path);
    return a.promise;
  }

  /**
   * Nothing more is listed or decoded, and what was is let go (a failed plan, the job's end). An
   * image the job took and still waits for fails: the thread no longer sends it.
   */
  cancel(): void {
    this.closed = true;
    this.cancelThread?.();
    this.cancelThread = null;
    this.stopped(new Error('The image was not decoded: its job ended'));
    this.ahead.clear();
    this.order.length = 0;
  }
}
