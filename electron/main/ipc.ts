// Binds the contract to Electron IPC: every call is checked for its sender and parsed by the
// backend; events go back to the frame that asked; cancel aborts the job.
import type { IpcMain, IpcMainEvent, IpcMainInvokeEvent, WebFrameMain } from 'electron';
import { IPC } from '../../shared/ipc';
import { type Result, fail } from '../../shared/result';
import type { Backend } from '../node/backend';

export interface InvokePayload {
  channel: unknown;
  input: unknown;
  jobId: unknown;
}

/** Only our own pages (the app's file:// or dev-server URL) may call the contract. */
export type SenderCheck = (frame: WebFrameMain | null) => boolean;

/** Sees every call's progress events and outcome (taskbar progress of batch jobs, notifications). */
export interface CallObserver {
  event(channel: string, event: unknown): void;
  settled(channel: string, result: Result<unknown>): void;
}

export function bindIpc(ipcMain: IpcMain, backend: Backend, isTrustedSender: SenderCheck, observer?: CallObserver): () => void {
  const jobs = new Map<string, AbortController>();

  const invoke = async (event: IpcMainInvokeEvent, payload: InvokePayload): Promise<Result<unknown>> => {
    if (!isTrustedSender(event.senderFrame)) return fail('PERMISSION_DENIED', 'This page may not use ONNX Workbench.');
    const { channel, input, jobId } = (payload ?? {}) as InvokePayload;
    if (typeof jobId !== 'string' || jobId.length > 100) return fail('INVALID_INPUT', 'A call needs a job id.');
    const controller = new AbortController();
    jobs.set(jobId, controller);
    const name = typeof channel === 'string' ? channel : '';
    try {
      const result = await backend.dispatch(channel, input, {
        signal: controller.signal,
        emit: (e) => {
          observer?.event(name, e);
          if (!event.sender.isDestroyed()) event.sender.send(IPC.event, { jobId, event: e });
        },
      });
      observer?.settled(name, result);
      return result;
    } finally {
      jobs.delete(jobId);
    }
  };
  const cancel = (event: IpcMainEvent, jobId: unknown) => {
    if (!isTrustedSender(event.senderFrame) || typeof jobId !== 'string') return;
    jobs.get(jobId)?.abort();
  };

  ipcMain.handle(IPC.invoke, invoke);
  ipcMain.on(IPC.cancel, cancel);
  return () => {
    ipcMain.removeHandler(IPC.invoke);
    ipcMain.removeListener(IPC.cancel, cancel);
    for (const controller of jobs.values()) controller.abort();
    jobs.clear();
  };
}
