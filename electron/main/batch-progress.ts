// A running batch job on the desktop: progress on the taskbar / dock icon, and a system
// notification when it ends (the window may be hidden behind others for an hour-long job).
import type { BrowserWindow, Notification as NotificationType } from 'electron';
import { type BatchSummary, describeCounts } from '../../shared/batch';
import type { Result } from '../../shared/result';
import type { BatchJobEvent } from '../node/batch-service';

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

/** Follows every running job (whichever window started it, or none): see BatchService.observe. */
export function batchProgressObserver(deps: BatchProgressDeps): (event: BatchJobEvent) => void {
  const progress = (p: Extract<BatchJobEvent, { type: 'progress' }>['progress']) => {
    const win = deps.window();
    if (!win || win.isDestroyed()) return;
    // Unknown total: an indeterminate bar (any value > 1).
    const fraction = p.total ? Math.min(1, p.done / p.total) : 2;
    win.setProgressBar(fraction, { mode: p.state === 'paused' ? 'paused' : p.total ? 'normal' : 'indeterminate' });
  };
  const ended = (r: Result<BatchSummary>) => {
    const win = deps.window();
    if (win && !win.isDestroyed()) win.setProgressBar(-1);
    if (!r.ok) {
      if (r.error.code !== 'CANCELLED') deps.notify('Batch job stopped', r.error.message);
      return;
    }
    const s = r.value;
    const title =
      s.state === 'finished' ? 'Batch job finished' : s.state === 'cancelled' ? 'Batch job cancelled' : 'Batch job stopped';
    deps.notify(title, `${s.name ? `${s.name}: ` : ''}${describeCounts(s)}${s.error ? ` — ${s.error.message}` : ''}`);
  };
  return (event) => (event.type === 'progress' ? progress(event.progress) : ended(event.result));
}
