// The decode worker's entry (out/main/decode-worker.js; see decode-pool.ts): takes requests as
// they come, decodes at most `concurrency` at once, and sends each image back with its pixel
// buffer moved to the engine's main thread. Says it is ready first (a thread that never says so
// did not start, and the engine decodes in place).
import { parentPort, workerData } from 'node:worker_threads';
import sharp from 'sharp';
import { toErrorInfo } from '../../../shared/result';
import { channelCount, type PreprocessRecipe } from '../../../shared/recipe';
import { decodeImage } from './decode';
import { withoutCache } from './sharp';
import type { DecodeReply, DecodeRequest, DecodeWorkerData, RecycleRequest, WorkerImage } from './decode-pool';
import { allocateData, dataView, packPixels } from './pack';

// Each image on one libvips thread: the pool decodes `concurrency` at once, which is where the
// cores go (sharp's default elsewhere than glibc Linux is a thread per core for every image, and
// the decoders would fight each other and the model's threads). libvips' setting is the process's.
sharp.concurrency(1);
withoutCache(sharp);

const port = parentPort;
if (!port) throw new Error('decode-worker runs as a worker thread of the engine');
const { concurrency, finished } = workerData as DecodeWorkerData;
const queue: (DecodeRequest & { recipe: PreprocessRecipe })[] = [];
let running = 0;
/** The recipe of the last request that carried one (a request without one has the same). */
let recipe: PreprocessRecipe | null = null;

async function decodeOne(r: DecodeRequest & { recipe: PreprocessRecipe }): Promise<void> {
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
    reply = { id: r.id, ok: true, image, ms: performance.now() - t0 };
  } catch (error) {
    reply = { id: r.id, ok: false, error: toErrorInfo(error) };
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

port.on('message', (r: DecodeRequest | RecycleRequest) => {
  if ('recycle' in r) {
    spare.push(r.recycle);
    if (spare.length > MAX_SPARE) spare.shift();
    return;
  }
  // A new recipe is a new job (or tensor size): the spares of the last are not kept idle.
  if (r.recipe) spare.length = 0;
  recipe = r.recipe ?? recipe;
  if (!recipe) {
    port.postMessage({ id: r.id, ok: false, error: { code: 'INTERNAL', message: 'The decoder got no recipe' } });
    return;
  }
  queue.push({ ...r, recipe });
  pump();
});
port.postMessage({ ready: true } satisfies DecodeReply);
