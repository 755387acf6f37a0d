// The one RPC core (shared/rpc) over an in-memory port pair: request/event/response, cancel,
// a closed port failing every pending call, duplicate call ids refused on both sides, the
// per-connection and total caps on calls in flight, and the payload depth limit.
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { Channel } from '../../shared/contract';
import { RpcClient } from '../../shared/rpc/client';
import { InFlightBudget, payloadProblem } from '../../shared/rpc/limits';
import type { RpcMessage } from '../../shared/rpc/messages';
import { memoryPortPair } from '../../shared/rpc/port';
import { type RpcHandler, serveRpc, tableHandler } from '../../shared/rpc/server';
import { waitFor } from '../helpers';

// The test's channel table, declared the way shared/contract.ts declares the contract.
type Table = {
  echo: Channel<z.ZodObject<{ say: z.ZodString }>, { said: string }, { step: number }>;
  hold: Channel<z.ZodObject<Record<string, never>>, null, never>;
  deep: Channel<z.ZodUnknown, null, never>;
};

/** A server whose `hold` calls wait until released or cancelled. */
function setup(options: Parameters<typeof serveRpc>[2] = {}) {
  const [near, far] = memoryPortPair();
  const held: { signal: AbortSignal; release(): void }[] = [];
  const handler = tableHandler({
    echo: async ({ say }: { say: string }, ctx: { emit(e: unknown): void }) => {
      ctx.emit({ step: 1 });
      ctx.emit({ step: 2 });
      return { said: say };
    },
    hold: (_input: unknown, ctx: { signal: AbortSignal }) =>
      new Promise((resolve, reject) => {
        held.push({ signal: ctx.signal, release: () => resolve(null) });
        ctx.signal.addEventListener('abort', () => reject(new Error('stopped')));
      }),
    deep: async () => null,
  });
  const server = serveRpc(far, handler, options);
  const sent: unknown[] = [];
  far.onMessage((m) => sent.push(m));
  const client = new RpcClient<Table>(near);
  return { client, server, held, near, far, sent };
}

describe('the RPC core', () => {
  it('answers a call with its events first, then its response', async () => {
    const { client } = setup();
    const events: unknown[] = [];
    expect(await client.call('echo', { say: 'hi' }, { onEvent: (e) => events.push(e) })).toEqual({
      ok: true,
      value: { said: 'hi' },
    });
    expect(events).toEqual([{ step: 1 }, { step: 2 }]);
    expect(client.inFlight).toBe(0);
  });

  it('turns a handler that throws, or an unknown channel, into an error response', async () => {
    const [near, far] = memoryPortPair();
    serveRpc(far, tableHandler({ boom: async () => Promise.reject(new Error('kaput')) }));
    const client = new RpcClient<Table>(near);
    expect(await client.callUntyped('boom', {})).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'kaput' } });
    expect(await client.callUntyped('nope', {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } });
  });

  it('cancel aborts the handler, and the call answers CANCELLED', async () => {
    const { client, held } = setup();
    const controller = new AbortController();
    const call = client.call('hold', {}, { signal: controller.signal });
    await waitFor(() => held.length === 1);
    controller.abort();
    expect(await call).toEqual({ ok: false, error: { code: 'CANCELLED', message: 'Cancelled.' } });
    expect(held[0].signal.aborted).toBe(true);
  });

  it('still delivers the events a cancelled call sends while it winds down', async () => {
    const [near, far] = memoryPortPair();
    serveRpc(far, async (_channel, _input, ctx) => {
      await new Promise((r) => ctx.signal.addEventListener('abort', r));
      ctx.emit({ final: 42 });
      return { ok: true, value: null };
    });
    const client = new RpcClient<Table>(near);
    const controller = new AbortController();
    const events: unknown[] = [];
    const call = client.callUntyped('hold', {}, { signal: controller.signal, onEvent: (e) => events.push(e) });
    await new Promise((r) => setTimeout(r, 0));
    controller.abort();
    expect(await call).toMatchObject({ ok: false, error: { code: 'CANCELLED' } });
    expect(events).toEqual([{ final: 42 }]);
  });

  it('fails every pending call when the port closes, and calls after it at once', async () => {
    const { client, held, far } = setup();
    const a = client.call('hold', {});
    const b = client.call('hold', {});
    await waitFor(() => held.length === 2);
    far.close('the other side went away');
    for (const r of await Promise.all([a, b])) expect(r).toMatchObject({ ok: false, error: { code: 'IO_ERROR' } });
    // The server side aborted its calls too.
    expect(held.every((h) => h.signal.aborted)).toBe(true);
    expect(await client.call('echo', { say: 'late' })).toMatchObject({ ok: false, error: { code: 'IO_ERROR' } });
    expect(client.inFlight).toBe(0);
  });

  it('says why in the error the caller chose for a closed connection', async () => {
    const [near, far] = memoryPortPair();
    serveRpc(far, async () => new Promise(() => {}));
    const client = new RpcClient<Table>(near, {
      closedError: (reason) => ({ code: 'ENGINE_CRASHED', message: `gone: ${reason}` }),
    });
    const call = client.call('hold', {});
    near.close('pipe broke');
    expect(await call).toEqual({ ok: false, error: { code: 'ENGINE_CRASHED', message: 'gone: pipe broke' } });
  });

  it('refuses a call id already in flight, on the calling side and on the answering side', async () => {
    const { client, held, near } = setup();
    const first = client.call('hold', {}, { callId: 'same' });
    await waitFor(() => held.length === 1);
    expect(await client.call('hold', {}, { callId: 'same' })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_INPUT', message: 'Call id same is already in flight.' },
    });
    // A raw duplicate reaches the server: it is refused, and the first call is untouched.
    near.send({ type: 'request', callId: 'same', channel: 'hold', input: {} });
    const far: RpcMessage[] = [];
    near.onMessage((m) => far.push(m as RpcMessage));
    await waitFor(() => far.some((m) => m.type === 'error'));
    expect(far.find((m) => m.type === 'error')).toMatchObject({ callId: 'same', error: { code: 'INVALID_INPUT' } });
    expect(held).toHaveLength(1);
    held[0].release();
    expect(await first).toEqual({ ok: true, value: null });
  });

  it('answers malformed messages with an error and keeps serving', async () => {
    const { client, near } = setup();
    const back: RpcMessage[] = [];
    near.onMessage((m) => back.push(m as RpcMessage));
    for (const junk of [null, 42, 'text', [], { type: 'request' }, { type: 'request', callId: 'x'.repeat(101), channel: 'echo' }])
      near.send(junk as never);
    await waitFor(() => back.length === 6);
    expect(back.every((m) => m.type === 'error')).toBe(true);
    expect(await client.call('echo', { say: 'still here' })).toMatchObject({ ok: true });
  });

  it('caps calls in flight per connection with BUSY, and frees the slot when one ends', async () => {
    const { client, held } = setup({ maxInFlight: 2, who: 'this tab' });
    const a = client.call('hold', {});
    void client.call('hold', {});
    await waitFor(() => held.length === 2);
    expect(await client.call('echo', { say: 'x' })).toEqual({
      ok: false,
      error: { code: 'BUSY', message: 'Too many requests in flight from this tab (2); wait for some to finish.' },
    });
    held[0].release();
    await a;
    expect(await client.call('echo', { say: 'x' })).toMatchObject({ ok: true });
  });

  it('caps calls in flight in total over connections that share a budget', async () => {
    const budget = new InFlightBudget(3);
    const one = setup({ budget });
    const two = setup({ budget });
    void one.client.call('hold', {});
    void one.client.call('hold', {});
    void two.client.call('hold', {});
    await waitFor(() => one.held.length + two.held.length === 3);
    expect(await two.client.call('echo', { say: 'x' })).toMatchObject({ ok: false, error: { code: 'BUSY' } });
    expect(budget.inFlight).toBe(3);
    one.held[0].release();
    await waitFor(() => budget.inFlight === 2);
    expect(await two.client.call('echo', { say: 'x' })).toMatchObject({ ok: true });
    expect(budget.inFlight).toBe(2);
  });

  it('refuses a payload nested 2,000 levels deep with a validation error, never calling the handler', async () => {
    let called = false;
    const [near, far] = memoryPortPair();
    const handler: RpcHandler = async () => {
      called = true;
      return { ok: true, value: null };
    };
    serveRpc(far, handler);
    const client = new RpcClient<Table>(near);
    let deep: unknown = { kind: 'classification' };
    for (let i = 0; i < 2000; i++) deep = { task: deep };
    const result = await client.call('deep', deep);
    expect(result).toEqual({
      ok: false,
      error: { code: 'INVALID_INPUT', message: 'Invalid request for deep: it is nested deeper than 64 levels.' },
    });
    expect(called).toBe(false);
    // A client with a depth limit refuses it before sending.
    const careful = new RpcClient<Table>(memoryPortPair()[0], { maxDepth: 64 });
    expect(await careful.call('deep', deep)).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
  });

  it('measures depth and size without recursion', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(payloadProblem(deep)).toMatch(/nested deeper than 64/);
    expect(payloadProblem({ a: [1, 2, { b: new Float32Array(10) }] })).toBeNull();
    expect(
      payloadProblem(
        Array.from({ length: 20 }, () => 0),
        64,
        10,
      ),
    ).toMatch(/more than 10 values/);
  });

  it('answers pings with pongs on both sides', async () => {
    const { client, near } = setup();
    const back: RpcMessage[] = [];
    near.onMessage((m) => back.push(m as RpcMessage));
    client.ping(7);
    await waitFor(() => back.length === 1);
    expect(back[0]).toEqual({ type: 'pong', n: 7 });
  });
});
