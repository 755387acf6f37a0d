// Batch progress as plain lines, for a stderr that is not a terminal (a scheduler's log, a pipe):
// no carriage returns, a line every few seconds and at every tenth of the job, and one when the
// job pauses or goes on, so that a long job is never silent.
import { type BatchProgress, describeSpeed } from '../../shared/batch';

/** "44 s", "3 min 5 s", "1 h 20 min". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  const m = Math.floor((s % 3600) / 60);
  return `${Math.floor(s / 3600)} h${m ? ` ${m} min` : ''}`;
}

/** "batch: 120/300 done, 2 failed, 4.1 img/s of ~5 possible, inference-bound, about 44 s left". */
export function progressLine(p: BatchProgress): string {
  const parts = [`${p.done}/${p.total ?? '…'} done`, `${p.failed} failed`];
  if (p.state === 'counting') parts.push('counting the files');
  if (p.processed > 0 || p.imagesPerSecond > 0) parts.push(describeSpeed(p));
  if (p.state === 'paused') parts.push('paused');
  else if (p.etaSeconds !== null && p.left) parts.push(`about ${formatDuration(p.etaSeconds)} left`);
  return `batch: ${parts.join(', ')}`;
}

/** "Cancelled: 120 of 300 files done (118 ok, 2 failed), 180 left; run the same command again to resume." */
export function cancelledLine(p: BatchProgress | null, signal: string): string {
  const again = 'run the same command again to resume';
  if (!p) return `Cancelled (${signal}) before any file was done; ${again}.`;
  const of = p.total === null ? '' : ` of ${p.total}`;
  const left = p.left === null ? '' : `, ${p.left} left`;
  return `Cancelled (${signal}): ${p.done}${of} files done (${p.ok} ok, ${p.failed} failed)${left}; ${again}.`;
}

export class ProgressLines {
  private last: BatchProgress | null = null;
  private lastAt = -Infinity;
  private lastTenth = 0;
  private lastState: BatchProgress['state'] | null = null;

  constructor(
    private readonly write: (line: string) => void,
    private readonly clock: () => number = Date.now,
    readonly everyMs = 5000,
  ) {}

  /** The latest event seen (for the counts after a cancel). */
  get latest(): BatchProgress | null {
    return this.last;
  }

  update(p: BatchProgress): void {
    this.last = p;
    if (p.state === 'finished' || p.state === 'cancelled' || p.state === 'failed') return;
    const tenth = p.total ? Math.floor((10 * p.done) / p.total) : 0;
    const stateChanged = this.lastState !== null && p.state !== this.lastState && p.state !== 'counting';
    this.lastState = p.state;
    if (tenth > this.lastTenth || stateChanged || this.clock() - this.lastAt >= this.everyMs) this.print(p);
  }

  /** Called on a timer: a line even when no event came (a slow image, a model loading). */
  tick(): void {
    const p = this.last;
    if (!p || p.state === 'finished' || p.state === 'cancelled' || p.state === 'failed') return;
    if (this.clock() - this.lastAt >= this.everyMs) this.print(p);
  }

  private print(p: BatchProgress) {
    this.lastAt = this.clock();
    if (p.total) this.lastTenth = Math.max(this.lastTenth, Math.floor((10 * p.done) / p.total));
    this.write(progressLine(p));
  }
}
