// The desktop's view of a running batch job (whichever window started it): taskbar progress while
// it runs, a notification when it ends.
import { describe, expect, it } from 'vitest';
import type { BrowserWindow } from 'electron';
import { batchProgressObserver } from '../../electron/main/batch-progress';
import { batchProgress } from './rpc-fakes';
import type { BatchSummary } from '../../shared/batch';

function fakeWindow() {
  const bars: [number, unknown][] = [];
  const win = { isDestroyed: () => false, setProgressBar: (v: number, o?: unknown) => bars.push([v, o]) };
  return { win: win as unknown as BrowserWindow, bars };
}

const progress = batchProgress;

const summary: BatchSummary = {
  jobId: 'j1',
  name: 'holiday photos',
  state: 'finished',
  total: 1234,
  done: 1234,
  ok: 1200,
  failed: 34,
  skipped: 0,
  processed: 1234,
  elapsedMs: 60_000,
  imagesPerSecond: 20.5,
  outputFolder: '/out',
  written: ['results.csv'],
  failures: [],
};

describe('batch progress on the desktop', () => {
  it('shows the fraction done on the taskbar, indeterminate while counting, paused when paused', () => {
    const { win, bars } = fakeWindow();
    const notes: string[] = [];
    const o = batchProgressObserver({ window: () => win, notify: (t, b) => notes.push(`${t}: ${b}`) });
    o({ type: 'progress', jobId: 'j1', progress: progress({ state: 'counting' }) });
    o({ type: 'progress', jobId: 'j1', progress: progress({ done: 25, total: 100 }) });
    o({ type: 'progress', jobId: 'j1', progress: progress({ state: 'paused', done: 50, total: 100 }) });
    expect(bars).toEqual([
      [2, { mode: 'indeterminate' }],
      [0.25, { mode: 'normal' }],
      [0.5, { mode: 'paused' }],
    ]);
    expect(notes).toEqual([]);
  });

  it('clears the bar and notifies with the counts when the job ends; a cancel by the user is not announced', () => {
    const { win, bars } = fakeWindow();
    const notes: string[] = [];
    const o = batchProgressObserver({ window: () => win, notify: (t, b) => notes.push(`${t}: ${b}`) });
    o({ type: 'ended', jobId: 'j1', result: { ok: true, value: summary } });
    o({ type: 'ended', jobId: 'j2', result: { ok: false, error: { code: 'CANCELLED', message: 'Cancelled.' } } });
    o({ type: 'ended', jobId: 'j3', result: { ok: false, error: { code: 'WRITE_FAILED', message: '/out is full' } } });
    expect(bars).toEqual([
      [-1, undefined],
      [-1, undefined],
      [-1, undefined],
    ]);
    expect(notes).toEqual([
      'Batch job finished: holiday photos: 1,234 files: 1,200 ok, 34 failed',
      'Batch job stopped: /out is full',
    ]);
  });

  it('does nothing to a closed window', () => {
    const o = batchProgressObserver({ window: () => null, notify: () => {} });
    expect(() => o({ type: 'progress', jobId: 'j1', progress: progress({ done: 1, total: 2 }) })).not.toThrow();
  });
});
