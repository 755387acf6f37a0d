// A running batch job on the desktop: progress on the taskbar / dock icon, and a system
// notification when it ends (the window may be hidden behind others for an hour-long job).
import type { BrowserWindow, Notification as NotificationType } from 'electron';
import { type BatchProgress, type BatchSummary, describeCounts } from '../../shared/batch';
import type { Result } from '../../shared/result';
import type { CallObserver } from './ipc';

const BATCH_CHANNELS = new Set(['batch.start', 'batch.resume']);

export interface BatchProgressDeps {
  window: () => BrowserWindow | null;
  notify: (title: string, body: string) => void;
}

/** Electron's Notification, when the system supports it. */
export function systemNotifier(Notification: typeof NotificationType): BatchProgressDeps['notify'] {
  return (title, body) => {
    if (Notification.isSupported()) new Notification({ title, body }).show();
  };
}

export function batchProgressObserver(deps: BatchProgressDeps): CallObserver {
  return {
    event(channel, event) {
      if (!BATCH_CHANNELS.has(channel)) return;
      const p = event as BatchProgress;
      const win = deps.window();
      if (!win || win.isDestroyed()) return;
      // Unknown total: an indeterminate bar (any value > 1).
      const fraction = p.total ? Math.min(1, p.done / p.total) : 2;
      win.setProgressBar(fraction, { mode: p.state === 'paused' ? 'paused' : p.total ? 'normal' : 'indeterminate' });
    },
    settled(channel, result) {
      if (!BATCH_CHANNELS.has(channel)) return;
      const win = deps.window();
      if (win && !win.isDestroyed()) win.setProgressBar(-1);
      const r = result as Result<BatchSummary>;
      if (!r.ok) {
        if (r.error.code !== 'CANCELLED') deps.notify('Batch job stopped', r.error.message);
        return;
      }
      const s = r.value;
      const title =
        s.state === 'finished' ? 'Batch job finished' : s.state === 'cancelled' ? 'Batch job cancelled' : 'Batch job stopped';
      deps.notify(title, `${s.name ? `${s.name}: ` : ''}${describeCounts(s)}${s.error ? ` — ${s.error.message}` : ''}`);
    },
  };
}
