// The CLI's early engine (electron/cli/early-engine.ts): forked before the CLI's code loads, for
// the commands that start an engine at once, and adopted by the command's services; the engine
// pipe's port keeps what the engine says before anyone listens (its ready notice), and the
// engine's end what the supervisor sends before the engine's server listens.
import { EventEmitter } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { childProcessPort, parentProcessPort } from '../../electron/common/rpc/process-port';
import { BATCH_SOON, dropEarlyEngine, engineFork, startEarlyEngine, takeEarlyEngine } from '../../electron/cli/early-engine';
import { EngineClient, forkLauncher } from '../../electron/node/engine-client';
import { ROOT, waitFor } from '../helpers';

/** A forked child as far as the port sees one: messages, disconnect, exit. */
function fakeChild() {
  const child = new EventEmitter() as EventEmitter & { connected: boolean; send: () => boolean; disconnect: () => void };
  child.connected = true;
  child.send = () => true;
  child.disconnect = () => {
    child.connected = false;
    child.emit('disconnect');
  };
  return child;
}

describe('the engine pipe before anyone listens', () => {
  it('keeps what the child said for the first listener, in order and after its setup; later messages go straight through', async () => {
    const child = fakeChild();
    const port = childProcessPort(child as unknown as ChildProcess);
    child.emit('message', { n: 1 });
    child.emit('message', { n: 2 });
    const heard: unknown[] = [];
    const second: unknown[] = [];
    port.onMessage((m) => heard.push(m));
    // A second listener added in the same turn (a constructor's) hears the kept messages too.
    port.onMessage((m) => second.push(m));
    expect(heard).toEqual([]);
    await Promise.resolve();
    expect(heard).toEqual([{ n: 1 }, { n: 2 }]);
    child.emit('message', { n: 3 });
    expect(heard).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(second).toEqual(heard);
  });

  it('the engine’s own end keeps what the supervisor sent while the engine was loading (utilityProcess’s parentPort)', async () => {
    const parentPort = new EventEmitter() as EventEmitter & { postMessage: (m: unknown) => void };
    const sent: unknown[] = [];
    parentPort.postMessage = (m) => sent.push(m);
    const host = process as unknown as { parentPort?: unknown };
    host.parentPort = parentPort;
    try {
      const port = parentProcessPort();
      // The engine's entry makes its port first; requests come before the RPC server listens.
      parentPort.emit('message', { data: { type: 'ping', n: 1 } });
      parentPort.emit('message', { data: { type: 'ping', n: 2 } });
      const heard: unknown[] = [];
      port.onMessage((m) => heard.push(m));
      await Promise.resolve();
      expect(heard).toEqual([
        { type: 'ping', n: 1 },
        { type: 'ping', n: 2 },
      ]);
      parentPort.emit('message', { data: { type: 'ping', n: 3 } });
      expect(heard.map((m) => (m as { n: number }).n)).toEqual([1, 2, 3]);
      port.send({ type: 'pong', n: 1 });
      expect(sent).toEqual([{ type: 'pong', n: 1 }]);
    } finally {
      delete host.parentPort;
    }
  });

  it('tells a close listener added after the pipe closed', async () => {
    const child = fakeChild();
    const port = childProcessPort(child as unknown as ChildProcess);
    child.disconnect();
    const reasons: string[] = [];
    port.onClose((r) => reasons.push(r));
    await Promise.resolve();
    expect(reasons).toEqual(['the process pipe closed']);
  });
});

describe('the early engine', () => {
  const source = process.env.OWB_ENGINE_SOURCE;
  afterEach(() => {
    dropEarlyEngine();
    if (source === undefined) delete process.env.OWB_ENGINE_SOURCE;
    else process.env.OWB_ENGINE_SOURCE = source;
  });

  it('is forked for a command that starts an engine, not for help, merge, inspect or serve', () => {
    process.env.OWB_ENGINE_SOURCE = '1';
    for (const argv of [['inspect', 'm.onnx'], ['batch', 'merge', 'out'], ['run', '--help'], [], ['serve']]) {
      expect(startEarlyEngine(argv, ROOT), argv.join(' ')).toBeNull();
      expect(takeEarlyEngine(engineFork(ROOT)), argv.join(' ')).toBeNull();
      expect(takeEarlyEngine(engineFork(ROOT, BATCH_SOON)), argv.join(' ')).toBeNull();
    }
  });

  it('is adopted by services asking for the same engine, once, and answers them', async () => {
    process.env.OWB_ENGINE_SOURCE = '1';
    const started = startEarlyEngine(['batch', 'model.onnx', 'photos', '--out', 'out'], ROOT);
    // Another environment is another engine: not this one.
    expect(takeEarlyEngine(engineFork(ROOT))).toBeNull();
    const early = takeEarlyEngine(engineFork(ROOT, BATCH_SOON));
    expect(early).toBe(started);
    expect(takeEarlyEngine(engineFork(ROOT, BATCH_SOON))).toBeNull();
    // Adopted only once it had time to say it is ready: that notice was kept for the client.
    await new Promise((r) => setTimeout(r, 3_000));
    let handed = false;
    const client = new EngineClient({
      launch: forkLauncher({
        ...engineFork(ROOT, BATCH_SOON),
        adopt: () => {
          handed = true;
          return early;
        },
      }),
    });
    try {
      const pong = await client.call('engine.ping', {});
      expect(pong.ok && pong.value.pid).toBe(early!.pid);
      expect(handed).toBe(true);
    } finally {
      client.kill();
    }
  });

  it('is ended when nobody takes it', async () => {
    process.env.OWB_ENGINE_SOURCE = '1';
    const engine = startEarlyEngine(['eval', 'model.onnx', '--data', 'd'], ROOT)!;
    expect(engine.ended).toBe(false);
    dropEarlyEngine();
    await waitFor(() => engine.ended === true, 10_000);
    expect(takeEarlyEngine(engineFork(ROOT, BATCH_SOON))).toBeNull();
  });
});
