// The pieces that keep a batch pipeline's memory bounded and let a user pause it: a bounded
// queue between stages (a full queue makes the stage before it wait), and a pause gate.
import { WorkbenchError } from '../../../shared/result';

const cancelled = () => new WorkbenchError('CANCELLED', 'Cancelled.');

/**
 * A queue of at most `capacity` items; put waits while full, take waits while empty. First in,
 * first out; or, given `before`, the waiting item that comes first by it (items put out of order,
 * taken in order as far as they are there).
 */
export class BoundedQueue<T> {
  private readonly items: T[] = [];
  private closed = false;
  private readonly takers: ((item: T | undefined) => void)[] = [];
  private readonly putters: (() => void)[] = [];

  constructor(
    readonly capacity: number,
    private readonly before?: (a: T, b: T) => boolean,
  ) {}

  get size(): number {
    return this.items.length;
  }

  /** Waits for room; false when the queue was closed (the item was not added). */
  async put(item: T): Promise<boolean> {
    while (this.items.length >= this.capacity && !this.closed) await new Promise<void>((r) => this.putters.push(r));
    if (this.closed) return false;
    const taker = this.takers.shift();
    if (taker) taker(item);
    else if (!this.before) this.items.push(item);
    else {
      // Mostly in order already: from the end.
      let i = this.items.length;
      while (i > 0 && this.before(item, this.items[i - 1])) i -= 1;
      this.items.splice(i, 0, item);
    }
    return true;
  }

  /** The next item, or undefined once the queue is closed and empty. */
  async take(): Promise<T | undefined> {
    const item = this.takeNow();
    if (item !== undefined || this.closed) return item;
    return new Promise<T | undefined>((r) => this.takers.push(r));
  }

  /** The next item if one is waiting. */
  takeNow(): T | undefined {
    if (!this.items.length) return undefined;
    const item = this.items.shift();
    this.putters.shift()?.();
    return item;
  }

  /** No more puts; takers get what is left, then undefined. */
  close(): void {
    this.closed = true;
    for (const t of this.takers.splice(0)) t(undefined);
    for (const p of this.putters.splice(0)) p();
  }

  /** Drops what is waiting (cancel): returns the dropped items. */
  clear(): T[] {
    const dropped = this.items.splice(0);
    for (const p of this.putters.splice(0)) p();
    return dropped;
  }
}

/** Pause and resume for a running job; stages wait at the gate between items. */
export class PauseGate {
  private waiting: { resolve(): void; reject(e: Error): void }[] = [];
  private onChange: ((paused: boolean) => void) | null = null;
  paused = false;

  /** Called on every change (the job reports its state). */
  listen(listener: (paused: boolean) => void): void {
    this.onChange = listener;
  }

  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.onChange?.(true);
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    for (const w of this.waiting.splice(0)) w.resolve();
    this.onChange?.(false);
  }

  /** Resolves at once when running, else when resumed; rejects with CANCELLED on abort. */
  wait(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(cancelled());
    if (!this.paused) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const entry = { resolve, reject };
      this.waiting.push(entry);
      signal.addEventListener(
        'abort',
        () => {
          this.waiting = this.waiting.filter((w) => w !== entry);
          reject(cancelled());
        },
        { once: true },
      );
    });
  }
}

/** Waits for `work`, or for the signal's abort, whichever comes first (then undefined); the listener goes either way. */
export async function unlessAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T | undefined> {
  if (!signal) return work;
  if (signal.aborted) return undefined;
  let stop = () => {};
  const aborted = new Promise<undefined>((resolve) => {
    stop = () => resolve(undefined);
    signal.addEventListener('abort', stop, { once: true });
  });
  try {
    return await Promise.race([work, aborted]);
  } finally {
    signal.removeEventListener('abort', stop);
  }
}
