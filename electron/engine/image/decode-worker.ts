// The decode worker's entry (out/main/decode-worker.js; see decode-pool.ts): takes requests as
// they come, decodes at most `concurrency` at once, and sends each image back with its pixel
// buffer moved to the engine's main thread. Says it is ready first (a thread that never says so
// did not start, and the engine decodes in place).
import { parentPort, workerData } from 'node:worker_threads';
import { toErrorInfo } from '../../../shared/result';
import { channelCount, type PreprocessRecipe } from '../../../shared/recipe';
import { decodeImage } from './decode';
import { requireSharp } from './sharp';
import type {
  CancelPrefetch,
  DecodeReply,
  DecodeRequest,
  DecodeWorkerData,
  PrefetchRequest,
  RecycleRequest,
  WorkerImage,
} from './decode-pool';
import { allocateData, dataView, packPixels } from './pack';

// Each image on one libvips thread: the pool decodes `concurrency` at once, which is where the
// cores go (sharp's default elsewhere than glibc Linux is a thread per core for every image, and
// the decoders would fight each other and the model's threads). libvips' setting is the process's.
requireSharp().concurrency(1);

const port = parentPort;
if (!port) throw new Error('decode-worker runs as a worker thread of the engine');
const { concurrency, finished } = workerData as DecodeWorkerData;
/** A decode to do: asked for by the engine (its id), or by a prefetch of this thread's own listing. */
type Queued = Omit<DecodeRequest, 'id'> & { recipe: PreprocessRecipe; tag: { id: number } | { prefetch: number; path: string } };
const queue: Queued[] = [];
let running = 0;
/** The recipe of the last request that carried one (a request without one has the same). */
let recipe: PreprocessRecipe | null = null;

async function decodeOne(r: Queued): Promise<void> {
  const t0 = performance.now();
  let reply: DecodeReply;
  let transfer: ArrayBuffer[] = [];
  try {
    const image: WorkerImage = await decodeImage(r.path, r.recipe, r.options);
    if (r.pack) {
      // The image's part of the model's input, made here rather than on the thread that runs the model.
      const { tensorWidth: w, tensorHeight: h } = image.transform;
      const n = w * h * channelCount(r.recipe);
      const used = takeBuffer(n * allocateData(r.recipe.dtype, 0).BYTES_PER_ELEMENT);
      const packed = used ? dataView(r.recipe.dtype, used) : allocateData(r.recipe.dtype, n);
      packPixels(image.pixels, image.channels, w, h, r.recipe, packed, 0);
      image.packed = packed;
      image.pixels = new Uint8Array(0);
      transfer = [packed.buffer as ArrayBuffer];
    } else {
      const { pixels } = image;
      // The whole buffer is the image's own (sharp allocates it): moved, not copied.
      const own = pixels.byteOffset === 0 && pixels.byteLength === pixels.buffer.byteLength;
      image.pixels = own ? pixels : new Uint8Array(pixels);
      transfer = [image.pixels.buffer as ArrayBuffer];
    }
    reply = { ...r.tag, ok: true, image, ms: performance.now() - t0 };
  } catch (error) {
    reply = { ...r.tag, ok: false, error: toErrorInfo(error) };
  }
  // Counted before the reply: the engine reads the count while a run holds its thread.
  if (finished) Atomics.add(finished, 0, 1);
  try {
    port!.postMessage(reply, transfer);
  } catch {
    // A buffer that cannot be moved is copied.
    port!.postMessage(reply);
  }
}

function pump() {
  while (running < concurrency && queue.length) {
    const r = queue.shift()!;
    running += 1;
    void decodeOne(r).finally(() => {
      running -= 1;
      pump();
    });
  }
}

/** Buffers of packed images given back by the engine, to pack the next ones into (a few at most). */
const spare: ArrayBuffer[] = [];
const MAX_SPARE = 16;

function takeBuffer(bytes: number): ArrayBuffer | undefined {
  const k = spare.findIndex((b) => b.byteLength === bytes);
  return k < 0 ? undefined : spare.splice(k, 1)[0];
}

/** The listings of prefetches under way: stopped when the engine cancels them. */
const listings = new Map<number, AbortController>();

/** Lists a job's first files as the job will, queueing each one's decode as it is listed. */
async function prefetch(r: PrefetchRequest): Promise<void> {
  const { prefetch: id, recipe: own, options } = r;
  const stop = new AbortController();
  listings.set(id, stop);
  let n = 0;
  try {
    const { listImages } = await listing;
    if (r.count > 0 && !stop.signal.aborted) {
      for await (const file of listImages({ ...r.listing, signal: stop.signal })) {
        if (stop.signal.aborted) break;
        port!.postMessage({ prefetch: id, listed: file } satisfies DecodeReply);
        queue.push({ path: file.path, recipe: own, options, pack: true, tag: { prefetch: id, path: file.path } });
        pump();
        // Done at the count: the rest of the folder (a large tree with few matches) is the job's to walk.
        if (++n >= r.count) break;
      }
    }
  } catch {
    // The job's own listing meets the same problem, and says what it is.
  } finally {
    listings.delete(id);
  }
  port!.postMessage({ prefetch: id, end: true } satisfies DecodeReply);
}

port.on('message', (r: DecodeRequest | RecycleRequest | PrefetchRequest | CancelPrefetch) => {
  if ('recycle' in r) {
    spare.push(r.recycle);
    if (spare.length > MAX_SPARE) spare.shift();
    return;
  }
  if ('cancelPrefetch' in r) {
    listings.get(r.cancelPrefetch)?.abort();
    const kept = queue.filter((q) => !('prefetch' in q.tag && q.tag.prefetch === r.cancelPrefetch));
    queue.splice(0, queue.length, ...kept);
    return;
  }
  // A new recipe is a new job (or tensor size): the spares of the last are not kept idle.
  if (r.recipe) spare.length = 0;
  recipe = r.recipe ?? recipe;
  if ('prefetch' in r) {
    void prefetch(r);
    return;
  }
  if (!recipe) {
    port.postMessage({ id: r.id, ok: false, error: { code: 'INTERNAL', message: 'The decoder got no recipe' } });
    return;
  }
  queue.push({ path: r.path, recipe, options: r.options, pack: r.pack, tag: { id: r.id } });
  pump();
});
port.postMessage({ ready: true } satisfies DecodeReply);
// The listing's code (and its glob matcher) is loaded once the thread is up, for the first prefetch.
const listing = import('../batch/listing');
listing.catch(() => {});
