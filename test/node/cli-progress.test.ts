// The CLI's batch progress where stderr is not a terminal: plain lines every few seconds and at
// every tenth of the job, and the counts done and left when the job is cancelled.
import { describe, expect, it } from 'vitest';
import type { BatchProgress } from '../../shared/batch';
import { batchProgress } from './rpc-fakes';
import { ProgressLines, cancelledLine, formatDuration, progressLine } from '../../electron/cli/progress-lines';

// A 300-file job.
const p = (over: Partial<BatchProgress>): BatchProgress => batchProgress({ left: 300, total: 300, ...over });

describe('batch progress lines', () => {
  it('say the counts, the speed and the time left in words', () => {
    expect(
      progressLine(p({ done: 120, left: 180, ok: 118, failed: 2, processed: 120, imagesPerSecond: 4.1, etaSeconds: 44 })),
    ).toBe('batch: 120/300 done, 2 failed, 4.1 img/s, about 44 s left');
    expect(progressLine(p({ state: 'paused', done: 120, left: 180, processed: 120, imagesPerSecond: 4.1 }))).toBe(
      'batch: 120/300 done, 0 failed, 4.1 img/s, paused',
    );
    expect(progressLine(p({ done: 3, total: null, left: null }))).toBe('batch: 3/… done, 0 failed');
    expect(formatDuration(185)).toBe('3 min 5 s');
    expect(formatDuration(4800)).toBe('1 h 20 min');
  });

  it('come every 5 s of the clock and at every tenth of the job, and on pause and resume', () => {
    let now = 0;
    const out: string[] = [];
    const lines = new ProgressLines(
      (l) => out.push(l),
      () => now,
    );
    lines.update(p({ done: 1, left: 299 })); // the first one at once
    now += 1000;
    lines.update(p({ done: 2, left: 298 })); // too soon
    lines.update(p({ done: 30, left: 270 })); // a tenth
    now += 1000;
    lines.update(p({ done: 31, left: 269 })); // too soon
    now += 5000;
    lines.update(p({ done: 32, left: 268 })); // 5 s
    lines.update(p({ state: 'paused', done: 32, left: 268 }));
    now += 4000;
    lines.tick(); // paused for 4 s: nothing new yet
    now += 1000;
    lines.tick(); // 5 s with no event: a line anyway
    lines.update(p({ done: 32, left: 268 })); // resumed
    lines.update(p({ state: 'finished', done: 300, left: 0 })); // the summary line says it
    expect(out.map((l) => l.split(',')[0])).toEqual([
      'batch: 1/300 done',
      'batch: 30/300 done',
      'batch: 32/300 done',
      'batch: 32/300 done',
      'batch: 32/300 done',
      'batch: 32/300 done',
    ]);
    expect(out.filter((l) => l.endsWith('paused'))).toHaveLength(2);
    expect(lines.latest?.state).toBe('finished');
  });

  it('after a cancel, say how many files were done and how many are left', () => {
    expect(cancelledLine(p({ state: 'cancelled', done: 120, left: 180, ok: 118, failed: 2 }), 'SIGTERM')).toBe(
      'Cancelled (SIGTERM): 120 of 300 files done (118 ok, 2 failed), 180 left; run the same command again to resume.',
    );
    expect(cancelledLine(null, 'SIGINT')).toBe(
      'Cancelled (SIGINT) before any file was done; run the same command again to resume.',
    );
  });
});
