// A batch job's counts, speed and ETA, sent about ten times a second at most (and at once when
// the state changes), so that a job of 100,000 tiny images does not flood the UI.
import { performance } from 'node:perf_hooks';
import type { BatchFailure, BatchItemBrief, BatchProgress, BatchState } from '../../../shared/batch';

const LATEST = 8;
const FAILURES = 50;
/** Images/s is measured over the last completions within this window. */
const RATE_WINDOW_MS = 5_000;
const RATE_SAMPLES = 256;

export class ProgressTracker {
  state: BatchState = 'counting';
  ok = 0;
  failed = 0;
  skipped = 0;
  /** Files run in this run (not skipped). */
  processed = 0;
  total: number | null = null;
  current: string | null = null;
  readonly latest: BatchItemBrief[] = [];
  readonly failures: BatchFailure[] = [];
  private readonly times: number[] = [];
  private lastEmit = -Infinity;
  private timer: NodeJS.Timeout | null = null;
  readonly startedAt = performance.now();

  constructor(
    private readonly jobId: string,
    private readonly emit: (p: BatchProgress) => void,
    private readonly intervalMs = 100,
  ) {}

  get done(): number {
    return this.ok + this.failed;
  }

  /**
   * Files earlier runs settled, counted before the listing reaches them (a resumed job shows its
   * progress at once); negative counts take back those the listing never found.
   */
  settledBefore(ok: number, failed: number) {
    this.ok += ok;
    this.failed += failed;
    this.skipped += ok + failed;
  }

  /** A file finished in this run; `ran` false: settled without a run (left failed by a crash). */
  finish(brief: BatchItemBrief, ran = true) {
    if (ran) this.processed += 1;
    if (brief.status === 'ok') this.ok += 1;
    else {
      this.failed += 1;
      this.failures.push({ file: brief.file, error: brief.text });
      if (this.failures.length > FAILURES) this.failures.shift();
    }
    this.latest.push(brief);
    if (this.latest.length > LATEST) this.latest.shift();
    if (ran) this.times.push(performance.now());
    if (this.times.length > RATE_SAMPLES) this.times.shift();
    this.changed();
  }

  setState(state: BatchState) {
    if (this.state === state) return;
    this.state = state;
    this.flush();
  }

  setTotal(total: number) {
    this.total = total;
    this.changed();
  }

  imagesPerSecond(now = performance.now()): number {
    const recent = this.times.filter((t) => now - t <= RATE_WINDOW_MS);
    if (recent.length < 2) {
      // Too few recent samples: the whole run's average.
      const secs = (now - this.startedAt) / 1000;
      return secs > 0 && this.processed > 0 ? this.processed / secs : 0;
    }
    // Up to now, not to the last completion: a stalled (paused) job's speed falls off.
    const span = (now - recent[0]) / 1000;
    return span > 0 ? (recent.length - 1) / span : 0;
  }

  snapshot(): BatchProgress {
    const ips = this.imagesPerSecond();
    const remaining = this.total === null ? null : Math.max(0, this.total - this.done);
    return {
      jobId: this.jobId,
      state: this.state,
      done: this.done,
      ok: this.ok,
      failed: this.failed,
      skipped: this.skipped,
      total: this.total,
      imagesPerSecond: Math.round(ips * 100) / 100,
      etaSeconds: remaining === null ? null : remaining === 0 ? 0 : ips > 0 ? Math.round(remaining / ips) : null,
      current: this.current,
      latest: [...this.latest],
      failures: [...this.failures],
    };
  }

  /** Something changed: send now if the last event is old enough, else once the interval is over. */
  changed() {
    const wait = this.lastEmit + this.intervalMs - performance.now();
    if (wait <= 0) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), wait);
  }

  flush() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.lastEmit = performance.now();
    this.emit(this.snapshot());
  }

  stop() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
