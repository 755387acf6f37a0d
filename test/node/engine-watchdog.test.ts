// The RPC core over the engine's process pipe (electron/common/rpc/process-port.ts) and the
// supervisor's watchdog: duplicate call ids refused by the engine, an engine stopped with SIGSTOP
// killed and restarted with a clear error and the reason kept, a call past its deadline stopped
// (TIMEOUT) while the engine lives on, deep payloads and too many calls refused before sending.
import { afterEach, describe, expect, it } from 'vitest';
import { EngineClient, describeExit } from '../../electron/node/engine-client';
import type { EngineContract } from '../../electron/common/rpc/engine-channels';
import { RpcClient } from '../../shared/rpc/client';
import type { RpcMessage } from '../../shared/rpc/messages';
import { MODELS, sourceEngineLauncher, waitFor } from '../helpers';

const clients: EngineClient[] = [];
const kills: (() => void)[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.kill();
  for (const k of kills.splice(0)) k();
});

function engine(options: Partial<ConstructorParameters<typeof EngineClient>[0]> = {}) {
  const logs: string[] = [];
  const client = new EngineClient({ launch: sourceEngineLauncher(), log: (l, m) => logs.push(`${l}: ${m}`), ...options });
  clients.push(client);
  return { client, logs };
}

describe('the engine pipe', () => {
  it('carries the RPC core: the engine answers by channel name and refuses a duplicate call id', async () => {
    const proc = sourceEngineLauncher()();
    kills.push(() => proc.kill());
    const heard: RpcMessage[] = [];
    proc.port.onMessage((m) => heard.push(m as RpcMessage));
    const client = new RpcClient<EngineContract>(proc.port);
    await waitFor(() => heard.some((m) => m.type === 'notice' && m.topic === 'ready'), 30_000);
    const info = await client.call('model.inspect', { path: MODELS.ocrCls });
    expect(info.ok && info.value.inputs.length).toBe(1);
    const sleeping = client.call('debug.sleep', { ms: 30_000, blocking: false }, { callId: 'same' });
    await waitFor(() => heard.some((m) => m.type === 'ack' && m.callId === 'same'));
    proc.port.send({ type: 'request', callId: 'same', channel: 'engine.ping', input: {} });
    await waitFor(() => heard.some((m) => m.type === 'error'));
    expect(heard.find((m) => m.type === 'error')).toMatchObject({ callId: 'same', error: { code: 'INVALID_INPUT' } });
    // The pipe closing (the process dies, with no time to answer) fails the call still pending.
    // (A SIGTERM would let the engine answer CANCELLED first.)
    process.kill(proc.pid!, 'SIGKILL');
    expect(await sleeping).toMatchObject({ ok: false, error: { code: 'IO_ERROR' } });
  });

  it('kills an engine stopped with SIGSTOP, answers the caller in words, and starts a fresh one', async () => {
    const { client, logs } = engine({ heartbeatMs: 100, heartbeatTimeoutMs: 1_500 });
    const first = await client.call('engine.ping', {});
    expect(first.ok).toBe(true);
    const pid = client.pid!;
    process.kill(pid, 'SIGSTOP');
    kills.push(() => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    });
    const stuck = await client.call('model.inspect', { path: MODELS.ocrCls });
    expect(stuck.ok).toBe(false);
    if (stuck.ok) return;
    expect(stuck.error.code).toBe('ENGINE_CRASHED');
    expect(stuck.error.message).toMatch(/stopped responding .* "model\.inspect"; it was killed and will be restarted/);
    expect(client.state().lastExit?.reason).toBe('killed because it stopped responding (stopped or wedged)');
    expect(logs.some((l) => /killing \(it stopped responding\)/.test(l))).toBe(true);
    const again = await client.call('engine.ping', {});
    expect(again.ok && again.value.pid).not.toBe(pid);
  });

  it('stops a call past its deadline with TIMEOUT, and the engine lives on', async () => {
    const { client } = engine({ heartbeatMs: 100 });
    await client.call('engine.ping', {});
    const pid = client.pid;
    const late = await client.call('debug.sleep', { ms: 30_000, blocking: false }, { deadlineMs: 500 });
    expect(late).toEqual({
      ok: false,
      error: { code: 'TIMEOUT', message: '"debug.sleep" got no answer from the engine for 1 s and was stopped.' },
    });
    expect(client.pid).toBe(pid);
    expect((await client.call('engine.ping', {})).ok).toBe(true);
  });

  it('refuses a deep payload and calls beyond the cap before sending them', async () => {
    const { client } = engine({ maxInFlight: 2 });
    let deep: unknown = '/m.onnx';
    for (let i = 0; i < 2000; i++) deep = { path: deep };
    const refused = await client.call('model.inspect', deep as { path: string });
    expect(refused).toMatchObject({
      ok: false,
      error: { code: 'INVALID_INPUT', message: expect.stringMatching(/nested deeper/) },
    });
    const a = client.call('debug.sleep', { ms: 30_000, blocking: false });
    const b = client.call('debug.sleep', { ms: 30_000, blocking: false });
    expect(await client.call('engine.ping', {})).toMatchObject({ ok: false, error: { code: 'BUSY' } });
    client.kill();
    await Promise.all([a, b]);
  });
});

describe('why an engine ended, in words', () => {
  it.each([
    [{ code: null, signal: 'SIGKILL' }, null, false, 'was killed (SIGKILL; the system may have run out of memory)'],
    [{ code: null, signal: 'SIGSEGV' }, null, false, 'crashed with SIGSEGV (a native crash)'],
    [{ code: 134, signal: null }, null, true, 'ran out of memory'],
    [{ code: 1, signal: null, reason: 'oom' }, null, false, 'ran out of memory'],
    [{ code: 9, signal: null, reason: 'crashed' }, null, false, 'crashed (code 9)'],
    [{ code: 70, signal: null }, null, false, 'exited with code 70'],
    [{ code: null, signal: 'SIGTERM' }, 'cancel', false, 'killed to stop a cancelled run that did not respond'],
    [{ code: null, signal: 'SIGTERM' }, 'shutdown', false, 'stopped by the app'],
  ] as const)('%j (%s) → %s', (exit, killedFor, oom, words) => {
    expect(describeExit(exit, killedFor, oom)).toBe(words);
  });
});
