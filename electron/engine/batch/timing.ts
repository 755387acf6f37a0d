// Per-file timings that mean what their names say. onnxruntime-node's run() is synchronous: while
// the model runs, the engine's thread is held and nothing else can notice that a decode or a write
// has finished. A stopwatch around asynchronous work therefore counts, besides the work, the
// model runs that happened meanwhile; HeldTime keeps the total of those runs so that a stopwatch
// can leave them out (they are reported as waiting instead).
import { performance } from 'node:perf_hooks';

/** Milliseconds from an arbitrary origin; injected so that tests control time. */
export type Clock = () => number;

export const realClock: Clock = () => performance.now();

export class HeldTime {
  private total = 0;
  private since: number | null = null;

  constructor(readonly clock: Clock = realClock) {}

  /**
   * Marks the thread as held from the next check phase, where onnxruntime-node runs the model
   * (its run() defers the synchronous call with setImmediate; this one is queued just before it).
   * Call the returned function once the run's promise settles: it ends the hold and gives its length.
   */
  holdForNextImmediate(): () => number {
    let closed = false;
    setImmediate(() => {
      if (!closed) this.since = this.clock();
    });
    return () => {
      closed = true;
      if (this.since === null) return 0;
      const ms = this.clock() - this.since;
      this.total += ms;
      this.since = null;
      return ms;
    };
  }

  /** Held milliseconds so far. */
  now(): number {
    return this.total + (this.since === null ? 0 : this.clock() - this.since);
  }

  /** A stopwatch: `work` is the time since it started minus the holds meanwhile, which are `held`. */
  start(): { stop(): { work: number; held: number } } {
    const t0 = this.clock();
    const h0 = this.now();
    return {
      stop: () => {
        const held = this.now() - h0;
        return { work: Math.max(0, this.clock() - t0 - held), held };
      },
    };
  }
}
