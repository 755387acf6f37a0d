// Decoding on a thread of its own. onnxruntime-node's run() is synchronous: while a model runs,
// the engine's main thread handles nothing, so an image decoded on the main thread's sharp calls
// (open, header, decode: each a hop through the event loop) stalls at every hop until the run
// ends, and decoding and inference take turns instead of overlapping. A worker thread keeps its
// own event loop: it goes on decoding the images it was given while a run holds the main thread,
// at most `concurrency` at once (sharp decodes each on one thread); the pixels come back moved,
// not copied. Built as out/main/decode-worker.js beside the engine.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import type { PreprocessRecipe } from '../../../shared/recipe';
import { WorkbenchError, type WorkbenchErrorInfo } from '../../../shared/result';
import type { DecodedImage, DecodeOptions } from './decode';

export interface DecodeRequest {
  id: number;
  path: string;
  recipe: PreprocessRecipe;
  options: DecodeOptions;
}

export type DecodeReply =
  { id: number; ok: true; image: DecodedImage; ms: number } | { id: number; ok: false; error: WorkbenchErrorInfo };

/** Settings the worker gets when it starts. */
export interface DecodeWorkerData {
  concurrency: number;
}

/** A decoded image and the time the worker spent decoding it (ms, its queue left out). */
export type TimedImage = DecodedImage & { ms?: number };

interface Pending {
  resolve(image: TimedImage): void;
  reject(error: Error): void;
}

/** The worker from its TypeScript source (engine run from source, tests): tsx registered in the thread first. */
function sourceWorker(entry: string, options: WorkerOptions): Worker {
  const tsxDir = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const tsx = pathToFileURL(join(tsxDir, 'dist', 'esm', 'api', 'index.mjs')).href;
  const code = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(pathToFileURL(entry).href)}); })`;
  return new Worker(code, { ...options, eval: true });
}

export class DecodeWorker {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(
    private readonly entry: string,
    readonly concurrency: number,
    /** Node options for the thread (default: this process's own). */
    private readonly execArgv?: string[],
  ) {}

  /** Starts the thread ahead of the first image (it loads sharp while the job is planned). */
  warm(): void {
    if (!this.worker) this.start();
  }

  /** Decodes one image file as decodeImage does, on the worker thread. */
  decode(path: string, recipe: PreprocessRecipe, options: DecodeOptions = {}): Promise<TimedImage> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise<TimedImage>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, path, recipe, options } satisfies DecodeRequest);
    });
  }

  private start(): Worker {
    const options = {
      workerData: { concurrency: this.concurrency } satisfies DecodeWorkerData,
      ...(this.execArgv ? { execArgv: this.execArgv } : {}),
    };
    const worker = this.entry.endsWith('.ts') ? sourceWorker(this.entry, options) : new Worker(this.entry, options);
    // The worker never keeps the engine alive: requests in flight are what it waits on.
    worker.unref();
    worker.on('message', (reply: DecodeReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (reply.ok) p.resolve({ ...reply.image, ms: reply.ms });
      else p.reject(new WorkbenchError(reply.error.code, reply.error.message));
    });
    const gone = (why: string) => {
      if (this.worker !== worker) return;
      this.worker = null;
      const error = new WorkbenchError('INTERNAL', `The image decoder stopped (${why}); the image was not decoded`);
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
    };
    worker.on('error', (e) => gone(e.message));
    worker.on('exit', (code) => gone(`exit code ${code}`));
    this.worker = worker;
    return worker;
  }

  /** Ends the worker (images in flight fail). */
  async close(): Promise<void> {
    const w = this.worker;
    if (w) await w.terminate();
  }
}
