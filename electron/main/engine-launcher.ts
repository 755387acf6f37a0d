// Starts the engine as an Electron utility process: a native crash there cannot take the
// window down, and a stuck synchronous run can be ended by killing it. Electron's
// child-process-gone event says why it ended (oom, crashed, killed), kept for the supervisor.
import { app, utilityProcess } from 'electron';
import type { Port } from '../../shared/rpc/port';
import type { EngineLauncher, ProcessExit } from '../node/engine-client';
import { engineEnv } from '../common/engine-fork';

const SERVICE_NAME = 'ONNX Workbench engine';
const KILL_GRACE_MS = 1_000;

export function utilityLauncher(entry: string): EngineLauncher {
  return () => {
    const child = utilityProcess.fork(entry, [], { serviceName: SERVICE_NAME, stdio: 'pipe', env: engineEnv(process.env) });
    const pid = child.pid;
    let reason: string | undefined;
    let exited = false;
    const onGone = (_e: unknown, details: { type: string; reason: string; name?: string; serviceName?: string }) => {
      if (details.type === 'Utility' && (details.serviceName === SERVICE_NAME || details.name === SERVICE_NAME))
        reason = details.reason;
    };
    app.on('child-process-gone', onGone);
    const messageListeners: ((m: unknown) => void)[] = [];
    const closeListeners: ((r: string) => void)[] = [];
    child.on('message', (m) => {
      for (const l of messageListeners) l(m);
    });
    const port: Port = {
      send: (message) => {
        if (!exited) child.postMessage(message);
      },
      onMessage: (l) => void messageListeners.push(l),
      onClose: (l) => void closeListeners.push(l),
      close: () => child.kill(),
    };
    const exitListeners: ((exit: ProcessExit) => void)[] = [];
    child.on('exit', (code) => {
      exited = true;
      // child-process-gone comes first when Electron knows more than the code.
      setImmediate(() => {
        app.off('child-process-gone', onGone);
        const exit: ProcessExit = { code, signal: null, ...(reason ? { reason } : {}) };
        for (const l of closeListeners) l(`the engine process ended (code ${code})`);
        for (const l of exitListeners) l(exit);
      });
    });
    return {
      get pid() {
        return child.pid ?? pid;
      },
      port,
      onExit: (l) => void exitListeners.push(l),
      kill: () => {
        if (exited) return;
        child.kill();
        // A stopped or wedged process may ignore the first request: SIGKILL after a moment.
        const id = child.pid ?? pid;
        setTimeout(() => {
          if (!exited && id) {
            try {
              process.kill(id, 'SIGKILL');
            } catch {
              /* already gone */
            }
          }
        }, KILL_GRACE_MS).unref();
      },
      stdout: child.stdout,
      stderr: child.stderr,
    };
  };
}
