// A batch job's counts, speed and ETA, sent about ten times a second at most (and at once when
// the state changes), so that a job of 100,000 tiny images does not flood the UI.
//
// Speed is a moving window over the last files this run completed, measured in running time:
// time spent paused is left out, so a pause neither lowers the speed nor counts towards the ETA.
// Images finish in bursts (a batch of 8 at once); the window ends now, not at the last burst, so
// a stall shows as a falling speed rather than the speed of the last burst.
//
// Over the same window: the CPU one image costs (all the process's threads), the bound that
// cost sets on the machine's cores (cores × 1000 ÷ CPU ms), and which stage holds the job back:
// decoding when the model waited for images longer than the decoders waited for room.
import type { BatchFailure, BatchItemBrief, BatchProgress, BatchState, BatchSummary } from '../../../shared/batch';
import { type Clock, realClock } from './timing';

const LATEST = 8;
const FAILURES = 50;
/** Failures a summary (or the first event after a resume) lists at most; the journal keeps every one. */
export const MAX_LISTED_FAILURES = 1000;
/** Files in the speed window. */
export const RATE_WINDOW_FILES = 64;

/** Where the job's CPU time and waits are read (the job supplies it; tests pass their own). */
export interface ProgressMeter {
  /** The cores the job may use. */
  cores: number;
  /** CPU time of the process so far (ms). */
  cpuMs(): number;
  /** Time waited so far (ms): the model for decoded images; the decoders for room, per decoder. */
  waits(): { model: number; decoders: number };
}

export interface ProgressTrackerOptions {
  /** Least time between events (default 100 ms; 0: every change). */
  intervalMs?: number;
  clock?: Clock;
  meter?: ProgressMeter;
}

/** What the meter said at a moment of running time. */
interface Sample {
  at: number;
  cpu: number;
  model: number;
  decoders: number;
}

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
  /** Every failure known, by file (earlier runs' of a resumed job too): in the summary, and in full in the first event after a resume. */
  private readonly all = new Map<string, BatchFailure>();
  private earlierSent = true;
  /** When each of the last files finished, oldest first (one more than the window: its start). */
  private readonly finishedAt: Sample[] = [];
  /** When the job began sending images through; null before. */
  private begunAt: Sample | null = null;
  private readonly meter: ProgressMeter | undefined;
  private pausedMs = 0;
  private pausedSince: number | null = null;
  private lastEmit = -Infinity;
  private timer: NodeJS.Timeout | null = null;
  private readonly intervalMs: number;
  readonly clock: Clock;
  readonly startedAt: number;

  constructor(
    private readonly jobId: string,
    private readonly emit: (p: BatchProgress) => void,
    options: ProgressTrackerOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 100;
    this.clock = options.clock ?? realClock;
    this.meter = options.meter;
    this.startedAt = this.clock();
  }

  private sample(at = this.runningMs()): Sample {
    const m = this.meter;
    const w = m?.waits();
    return { at, cpu: m?.cpuMs() ?? 0, model: w?.model ?? 0, decoders: w?.decoders ?? 0 };
  }

  get done(): number {
    return this.ok + this.failed;
  }

  /** Wall time since the tracker started, less the time paused. */
  runningMs(now = this.clock()): number {
    const paused = this.pausedMs + (this.pausedSince === null ? 0 : now - this.pausedSince);
    return now - this.startedAt - paused;
  }

  /** Time paused so far. */
  get pausedTotalMs(): number {
    return this.pausedMs + (this.pausedSince === null ? 0 : this.clock() - this.pausedSince);
  }

  /** Images start going through: the speed is measured from here. */
  begin() {
    this.begunAt ??= this.sample();
  }

  /**
   * Files earlier runs settled, counted before the listing reaches them (a resumed job shows its
   * progress at once); negative counts take back those the listing never found. `failures`: the
   * files that failed in those runs, so that the list of failures is complete after a resume.
   */
  settledBefore(ok: number, failed: number, failures: readonly BatchFailure[] = []) {
    this.ok += ok;
    this.failed += failed;
    this.skipped += ok + failed;
    for (const f of failures) this.all.set(f.file, f);
    if (failures.length) this.earlierSent = false;
  }

  /** Every failure known (at most MAX_LISTED_FAILURES): earlier runs' (less the files run again that are ok now), then this run's. */
  allFailures(): BatchFailure[] {
    return [...this.all.values()].slice(0, MAX_LISTED_FAILURES);
  }

  /** Leaves out failures of files the job no longer has (deleted, or filtered out). */
  dropFailures(gone: (f: BatchFailure) => boolean) {
    for (const [file, f] of this.all) if (gone(f)) this.all.delete(file);
  }

  private addFailure(f: BatchFailure) {
    this.all.delete(f.file);
    this.all.set(f.file, f);
  }

  /** A file finished in this run; `ran` false: settled without a run (left failed by a crash). */
  finish(brief: BatchItemBrief, ran = true) {
    if (ran) this.processed += 1;
    if (brief.status === 'ok') {
      this.ok += 1;
      // Failed before, run again (retry failed) and ok now: no longer a failure.
      this.all.delete(brief.file);
    } else {
      this.failed += 1;
      this.addFailure({ file: brief.file, error: brief.text });
    }
    this.latest.push(brief);
    if (this.latest.length > LATEST) this.latest.shift();
    if (ran) {
      this.finishedAt.push(this.sample());
      if (this.finishedAt.length > RATE_WINDOW_FILES + 1) this.finishedAt.shift();
    }
    this.changed();
  }

  setState(state: BatchState) {
    if (this.state === state) return;
    const now = this.clock();
    if (state === 'paused' && this.pausedSince === null) this.pausedSince = now;
    if (state !== 'paused' && this.pausedSince !== null) {
      this.pausedMs += now - this.pausedSince;
      this.pausedSince = null;
    }
    this.state = state;
    this.flush();
  }

  setTotal(total: number) {
    this.total = total;
    this.changed();
  }

  /**
   * Files per second of running time over the window: the files finished since its start, over
   * the time from its start to now. The window starts at the file finished just before the last
   * RATE_WINDOW_FILES ones, or, while fewer have finished, when the first image went in.
   */
  imagesPerSecond(): number {
    return this.window()?.imagesPerSecond ?? 0;
  }

  /** The speed window's files, speed, CPU per image and waits; null before a file finished. */
  private window() {
    const full = this.finishedAt.length > RATE_WINDOW_FILES;
    const start = full ? this.finishedAt[0] : this.begunAt;
    const files = full ? this.finishedAt.length - 1 : this.finishedAt.length;
    if (start === null || files === 0) return null;
    const now = this.sample();
    const ms = now.at - start.at;
    const cpuMsPerImage = this.meter ? (now.cpu - start.cpu) / files : null;
    let limitedBy: BatchProgress['limitedBy'] = null;
    if (this.meter && ms > 0) limitedBy = now.model - start.model > now.decoders - start.decoders ? 'decode' : 'inference';
    return { imagesPerSecond: ms > 0 ? (files * 1000) / ms : 0, cpuMsPerImage, limitedBy };
  }

  snapshot(): BatchProgress {
    const w = this.window();
    const ips = w?.imagesPerSecond ?? 0;
    const cpu = w?.cpuMsPerImage ?? null;
    const round = (x: number) => Math.round(x * 100) / 100;
    const left = this.total === null ? null : Math.max(0, this.total - this.done);
    const eta = left === null ? null : left === 0 ? 0 : this.state === 'paused' || !(ips > 0) ? null : Math.round(left / ips);
    return {
      jobId: this.jobId,
      state: this.state,
      done: this.done,
      left,
      ok: this.ok,
      failed: this.failed,
      skipped: this.skipped,
      processed: this.processed,
      total: this.total,
      imagesPerSecond: round(ips),
      cpuMsPerImage: cpu !== null && cpu > 0 ? round(cpu) : null,
      boundImagesPerSecond: this.meter && cpu !== null && cpu > 0 ? round((this.meter.cores * 1000) / cpu) : null,
      limitedBy: w?.limitedBy ?? null,
      etaSeconds: eta,
      current: this.current,
      latest: [...this.latest],
      // The last few (earlier runs' first, then this run's); all of them once after a resume.
      failures: this.earlierSent ? [...this.all.values()].slice(-FAILURES) : this.allFailures(),
    };
  }

  /** Something changed: send now if the last event is old enough, else once the interval is over. */
  changed() {
    const wait = this.lastEmit + this.intervalMs - this.clock();
    if (wait <= 0) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), wait);
  }

  flush() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.lastEmit = this.clock();
    this.emit(this.snapshot());
    this.earlierSent = true;
  }

  /**
   * The job's end: the total settled (`complete`: every file was reached), the last state sent,
   * events stopped; the counts, times and failures of its summary.
   */
  conclude(state: BatchSummary['state'], complete: boolean): Omit<BatchSummary, 'jobId' | 'outputFolder' | 'written'> {
    if (complete) this.total = this.done;
    this.current = null;
    this.setState(state);
    this.stop();
    const elapsedMs = this.clock() - this.startedAt;
    const pausedMs = this.pausedTotalMs;
    const runningSecs = (elapsedMs - pausedMs) / 1000;
    return {
      state,
      total: this.total ?? this.done,
      done: this.done,
      ok: this.ok,
      failed: this.failed,
      skipped: this.skipped,
      processed: this.processed,
      elapsedMs,
      ...(pausedMs > 0 ? { pausedMs } : {}),
      imagesPerSecond: runningSecs > 0 ? Math.round((this.processed / runningSecs) * 100) / 100 : 0,
      failures: this.allFailures(),
    };
  }

  stop() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
