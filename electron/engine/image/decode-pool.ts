// Decoding on a thread of its own. onnxruntime-node's run() is synchronous: while a model runs,
// the engine's main thread handles nothing, so an image decoded on the main thread's sharp calls
// (open, header, decode: each a hop through the event loop) stalls at every hop until the run
// ends, and decoding and inference take turns instead of overlapping. A worker thread keeps its
// own event loop: it goes on decoding the images it was given while a run holds the main thread,
// at most `concurrency` at once (sharp decodes each on one thread); the pixels come back moved,
// not copied. Built as out/main/decode-worker.js beside the engine.
import { Worker } from 'node:worker_threads';
import type { PreprocessRecipe } from '../../../shared/recipe';
import { WorkbenchError, type WorkbenchErrorInfo } from '../../../shared/result';
import type { ListedFile, ListingOptions } from '../batch/listing';
import type { DecodedImage, DecodeOptions } from './decode';
import type { ImageTensorData } from './pack';

export interface DecodeRequest {
  id: number;
  path: string;
  /** Left out when it is the recipe of the request before (the worker keeps the last one). */
  recipe?: PreprocessRecipe;
  options: DecodeOptions;
  /** Also pack the pixels into the recipe's tensor values (the image's part of the model's input), on the worker. */
  pack: boolean;
}

/**
 * A job's first files, listed and decoded (packed) on the thread itself: the engine's main thread
 * is busy making the job's plan and session then (onnxruntime creates a session synchronously),
 * and a listing there would wait for it. The thread lists as the job will (the same options),
 * and queues each file's decode as it lists it, ahead of any request sent after.
 */
export interface PrefetchRequest {
  prefetch: number;
  listing: PrefetchListing;
  /** Files to list and decode, at most. */
  count: number;
  recipe: PreprocessRecipe;
  options: DecodeOptions;
}

/** The listing's options that cross to the thread (its warnings are the job's own listing's to give). */
export type PrefetchListing = Omit<ListingOptions, 'signal' | 'onWarning'>;

/** Stops a prefetch: what it has not decoded yet is dropped, and it lists no further. */
export interface CancelPrefetch {
  cancelPrefetch: number;
}

/** What a prefetch tells as it goes: a file listed (its decode is queued), then each one decoded. */
export interface PrefetchHandler {
  listed(file: ListedFile): void;
  /** No more files will be listed. */
  end(): void;
  decoded(path: string, result: { ok: true; image: TimedImage } | { ok: false; error: Error }): void;
  /** The thread stopped: what it had not sent will not come. */
  stopped(error: Error): void;
}

/** A packed image's buffer, given back once its values are in the batch: the worker packs the next into it. */
export interface RecycleRequest {
  recycle: ArrayBuffer;
}

/** A decoded image; when packed, its tensor values instead of its pixels (pixels then empty). */
export type WorkerImage = DecodedImage & { packed?: ImageTensorData };

export type DecodeReply =
  | { id: number; ok: true; image: WorkerImage; ms: number }
  | { id: number; ok: false; error: WorkbenchErrorInfo }
  /** The thread is up (sent once, first). */
  | { ready: true }
  /** A prefetch listed this file and queued its decode. */
  | { prefetch: number; listed: ListedFile }
  /** A prefetch lists no more files (it has its count, the folder ended, or the listing failed). */
  | { prefetch: number; end: true }
  /** A prefetch's image. */
  | ({ prefetch: number; path: string } & (
      { ok: true; image: WorkerImage; ms: number } | { ok: false; error: WorkbenchErrorInfo }
    ));

/** Settings the worker gets when it starts. */
export interface DecodeWorkerData {
  concurrency: number;
  /** One Int32 the thread adds 1 to as each image is finished (read while a run holds the main thread). */
  finished: Int32Array;
}

/** A decoded image and the time the worker spent decoding it (ms, its queue left out). */
export type TimedImage = WorkerImage & { ms?: number };

interface Pending {
  request: DecodeRequest & { recipe: PreprocessRecipe };
  resolve(image: TimedImage): void;
  reject(error: Error): void;
}

export class DecodeWorker {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private readonly prefetches = new Map<number, PrefetchHandler>();
  private nextId = 1;
  /** No thread could start here (a packaged app that forbids it): decode on this one. */
  private inPlace = false;
  /** The thread said it is up: until then, images are decoded here (the first ones do not wait for it). */
  private ready = false;
  private readonly readyWaiters: ((up: boolean) => void)[] = [];
  /** Images finished, here or on the thread (shared with it: it counts as it goes). */
  private readonly count = new Int32Array(new SharedArrayBuffer(4));

  constructor(
    /** The worker's script (worker-url.ts: built, or from source). */
    private readonly entry: URL,
    readonly concurrency: number,
    /** Node options for the thread (default: this process's own). */
    private readonly execArgv?: string[],
  ) {}

  /** Starts the thread ahead of the first image (it loads sharp while the job is planned). */
  warm(): void {
    if (!this.worker && !this.inPlace) this.start();
  }

  /** Starts the thread if needed; true once it is up, false when it cannot start (images are decoded here). */
  started(): Promise<boolean> {
    if (this.ready || this.inPlace) return Promise.resolve(this.ready);
    this.warm();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  private tellReady(up: boolean) {
    for (const w of this.readyWaiters.splice(0)) w(up);
  }

  /** Images finished so far (decoded or failed), here or on the thread, up to this moment. */
  finished(): number {
    return Atomics.load(this.count, 0);
  }

  /** Counts an image decoded here (before the thread is up, or without one); decode.ts is loaded only then. */
  private async inPlaceDecode(path: string, recipe: PreprocessRecipe, options: DecodeOptions): Promise<TimedImage> {
    const { decodeImage } = await import('./decode');
    return decodeImage(path, recipe, options).finally(() => Atomics.add(this.count, 0, 1));
  }

  /**
   * Lists and decodes a job's first files on the thread (PrefetchRequest), starting it if needed;
   * the handler hears of each. Returns the prefetch's cancel, or null where no thread can start
   * (nothing is decoded ahead then). A thread that stops fails the images it had not sent.
   */
  prefetch(request: Omit<PrefetchRequest, 'prefetch'>, handler: PrefetchHandler): (() => void) | null {
    if (this.inPlace) return null;
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    this.prefetches.set(id, handler);
    worker.postMessage({ ...request, prefetch: id } satisfies PrefetchRequest);
    // The thread keeps the recipe of the last message that carried one.
    this.sentRecipe = request.recipe;
    return () => {
      if (!this.prefetches.delete(id)) return;
      this.worker?.postMessage({ cancelPrefetch: id } satisfies CancelPrefetch);
    };
  }

  /** The recipe the worker was last sent (requests are taken in order: the next may leave it out). */
  private sentRecipe: PreprocessRecipe | null = null;

  /**
   * Decodes one image file as decodeImage does, on the worker thread (here until it is up). With
   * `pack`, the worker also packs it (packPixels) and sends the tensor values instead of the pixels,
   * so that the engine's main thread, which runs the model, does not; decoded here, it is not packed.
   */
  decode(path: string, recipe: PreprocessRecipe, options: DecodeOptions = {}, pack = false): Promise<TimedImage> {
    if (this.inPlace || !this.ready) {
      if (!this.inPlace) this.warm();
      return this.inPlaceDecode(path, recipe, options);
    }
    const worker = this.worker ?? this.start();
    const request = { id: this.nextId++, path, recipe, options, pack };
    const sameRecipe = recipe === this.sentRecipe;
    this.sentRecipe = recipe;
    return new Promise<TimedImage>((resolve, reject) => {
      this.pending.set(request.id, { request, resolve, reject });
      worker.postMessage(sameRecipe ? { ...request, recipe: undefined } : request);
    });
  }

  private start(): Worker {
    const options = {
      workerData: { concurrency: this.concurrency, finished: this.count } satisfies DecodeWorkerData,
      ...(this.execArgv ? { execArgv: this.execArgv } : {}),
    };
    const worker = new Worker(this.entry, options);
    // The worker never keeps the engine alive: requests in flight are what it waits on.
    worker.unref();
    let ready = false;
    worker.on('message', (reply: DecodeReply) => {
      if ('ready' in reply) {
        ready = true;
        this.ready = true;
        this.tellReady(true);
        return;
      }
      if ('prefetch' in reply) {
        const h = this.prefetches.get(reply.prefetch);
        if (!h) return;
        if ('listed' in reply) h.listed(reply.listed);
        else if ('end' in reply) h.end();
        else if (reply.ok) h.decoded(reply.path, { ok: true, image: { ...reply.image, ms: reply.ms } });
        else h.decoded(reply.path, { ok: false, error: new WorkbenchError(reply.error.code, reply.error.message) });
        return;
      }
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (reply.ok) p.resolve({ ...reply.image, ms: reply.ms });
      else p.reject(new WorkbenchError(reply.error.code, reply.error.message));
    });
    const gone = (why: string) => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.ready = false;
      this.sentRecipe = null;
      const pending = [...this.pending.values()];
      this.pending.clear();
      const prefetches = [...this.prefetches.values()];
      this.prefetches.clear();
      const error = new WorkbenchError('INTERNAL', `The image decoder stopped (${why}); the image was not decoded`);
      // A prefetch tells of no file before the thread is up: it has nothing to fail then.
      for (const h of prefetches) h.stopped(error);
      if (!ready) {
        // It never came up: every image is decoded here instead, from now on.
        this.inPlace = true;
        this.tellReady(false);
        for (const p of pending)
          this.inPlaceDecode(p.request.path, p.request.recipe, p.request.options).then(p.resolve, p.reject);
        return;
      }
      for (const p of pending) p.reject(error);
    };
    worker.on('error', (e) => gone(e.message));
    worker.on('exit', (code) => gone(`exit code ${code}`));
    this.worker = worker;
    return worker;
  }

  /**
   * Gives a packed image's buffer back to the worker (moved, not copied) once it is no longer
   * read: a new buffer per image would be hundreds of megabytes of garbage over a job.
   */
  recycle(values: ArrayBufferView): void {
    const buffer = values.buffer;
    if (!this.worker || !this.ready || !(buffer instanceof ArrayBuffer) || buffer.byteLength !== values.byteLength) return;
    this.worker.postMessage({ recycle: buffer } satisfies RecycleRequest, [buffer]);
  }

  /** Ends the worker (images in flight fail). */
  async close(): Promise<void> {
    const w = this.worker;
    if (w) await w.terminate();
  }
}
