// Starts the engine as an Electron utility process: a native crash there cannot take the
// window down, and a stuck synchronous run can be ended by killing it.
import { utilityProcess } from 'electron';
import type { EngineLauncher } from '../node/engine-client';

export function utilityLauncher(entry: string): EngineLauncher {
  return () => {
    const child = utilityProcess.fork(entry, [], { serviceName: 'ONNX Workbench engine', stdio: 'pipe' });
    return {
      get pid() {
        return child.pid;
      },
      send: (message) => child.postMessage(message),
      onMessage: (listener) => child.on('message', listener),
      onExit: (listener) => child.on('exit', (code) => listener(code, null)),
      kill: () => {
        child.kill();
      },
      stdout: child.stdout,
      stderr: child.stderr,
    };
  };
}
