// The desktop's engine launcher (Electron's utilityProcess, mocked): messages both ways through its
// port, the reason Electron gives for the end of the process kept (out of memory, crashed), and a
// kill that follows up with SIGKILL when the process does not go.
import { type EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';

type FakeChild = EventEmitter & { pid: number; postMessage: ReturnType<typeof vi.fn>; kill: ReturnType<typeof vi.fn> };
const electron = vi.hoisted(() => ({
  children: [] as FakeChild[],
  app: null as unknown as EventEmitter,
  envs: [] as (NodeJS.ProcessEnv | undefined)[],
}));
vi.mock('electron', async () => {
  const { EventEmitter: Emitter } = await import('node:events');
  electron.app = new Emitter();
  return {
    app: electron.app,
    utilityProcess: {
      fork: (_entry: string, _args: string[], options: { env?: NodeJS.ProcessEnv }) => {
        electron.envs.push(options.env);
        const child = Object.assign(new Emitter(), {
          pid: 4242,
          postMessage: vi.fn(),
          kill: vi.fn(),
          stdout: null,
          stderr: null,
        });
        electron.children.push(child);
        return child;
      },
    },
  };
});

import { utilityLauncher } from '../../electron/main/engine-launcher';
import { describeExit } from '../../electron/node/engine-client';
import { SET_ASIDE_CA_CERTS } from '../../electron/common/engine-fork';

afterEach(() => vi.useRealTimers());

describe('the utility-process launcher', () => {
  it('starts the engine with NODE_EXTRA_CA_CERTS set aside (Node would read the file as it starts)', () => {
    const was = process.env.NODE_EXTRA_CA_CERTS;
    process.env.NODE_EXTRA_CA_CERTS = '/etc/ssl/certs/ca-certificates.crt';
    try {
      utilityLauncher('/app/out/main/engine.js')();
    } finally {
      if (was === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
      else process.env.NODE_EXTRA_CA_CERTS = was;
    }
    const env = electron.envs.at(-1)!;
    expect(env).not.toHaveProperty('NODE_EXTRA_CA_CERTS');
    expect(env[SET_ASIDE_CA_CERTS]).toBe('/etc/ssl/certs/ca-certificates.crt');
    expect(env.PATH).toBe(process.env.PATH);
  });

  it('relays messages, and keeps why Electron says the engine ended', async () => {
    const proc = utilityLauncher('/app/out/main/engine.js')();
    const child = electron.children.at(-1)!;
    proc.port.send({ type: 'ping', n: 1 });
    expect(child.postMessage).toHaveBeenCalledWith({ type: 'ping', n: 1 });
    const heard: unknown[] = [];
    proc.port.onMessage((m) => heard.push(m));
    child.emit('message', { type: 'pong', n: 1 });
    expect(heard).toEqual([{ type: 'pong', n: 1 }]);

    const exits: unknown[] = [];
    const closes: string[] = [];
    proc.onExit((e) => exits.push(e));
    proc.port.onClose((r) => closes.push(r));
    electron.app.emit(
      'child-process-gone',
      {},
      { type: 'Utility', reason: 'oom', exitCode: 9, serviceName: 'ONNX Workbench engine' },
    );
    child.emit('exit', 9);
    await new Promise((r) => setImmediate(r));
    expect(exits).toEqual([{ code: 9, signal: null, reason: 'oom' }]);
    expect(describeExit(exits[0] as never, null)).toBe('ran out of memory');
    expect(closes).toHaveLength(1);
  });

  it('ignores the end of another utility process', async () => {
    const proc = utilityLauncher('/app/out/main/engine.js')();
    const child = electron.children.at(-1)!;
    const exits: unknown[] = [];
    proc.onExit((e) => exits.push(e));
    electron.app.emit('child-process-gone', {}, { type: 'Utility', reason: 'crashed', serviceName: 'Network Service' });
    child.emit('exit', 0);
    await new Promise((r) => setImmediate(r));
    expect(exits).toEqual([{ code: 0, signal: null }]);
  });

  it('asks the engine to go, then kills it with SIGKILL if it is still there a moment later', () => {
    vi.useFakeTimers();
    const kill = vi.spyOn(process, 'kill').mockImplementation(() => true);
    const proc = utilityLauncher('/app/out/main/engine.js')();
    const child = electron.children.at(-1)!;
    proc.kill();
    expect(child.kill).toHaveBeenCalledTimes(1);
    expect(kill).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1_000);
    expect(kill).toHaveBeenCalledWith(4242, 'SIGKILL');
    kill.mockRestore();
  });
});
