// The RPC core over browser mode's WebSocket (electron/common/rpc/ws-port.ts on both ends): a
// dropped socket fails the calls on it, duplicate call ids and deep payloads are refused, calls
// are capped per tab, and a batch job outlives the tab that started it: a new tab lists it,
// re-attaches to its progress and cancels it by id.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Backend } from '../../electron/node/backend';
import { BatchService } from '../../electron/node/batch-service';
import type { EngineClient } from '../../electron/node/engine-client';
import { ModelLibrary } from '../../electron/node/library';
import { RecipeStore } from '../../electron/node/recipes';
import { type RunningServer, startServer } from '../../electron/node/server';
import { serverHost } from '../../electron/node/services';
import { wsPort } from '../../electron/common/rpc/ws-port';
import type { BatchProgress } from '../../shared/batch';
import type { Contract } from '../../shared/contract';
import { RpcClient } from '../../shared/rpc/client';
import type { RpcMessage } from '../../shared/rpc/messages';
import { waitFor } from '../helpers';
import { fakeBatchEngine } from './rpc-fakes';

let server: RunningServer;
let backend: Backend;
let engine: ReturnType<typeof fakeBatchEngine>;
const sockets: WebSocket[] = [];

beforeEach(async () => {
  engine = fakeBatchEngine();
  const fake = engine as unknown as EngineClient;
  backend = new Backend({
    engine: fake,
    host: serverHost(),
    version: '1.2.3',
    samples: async () => [],
    library: new ModelLibrary({ file: '/nonexistent/library.json', inspect: async () => Promise.reject(new Error('no')) }),
    recipes: new RecipeStore('/nonexistent/recipes'),
    batch: new BatchService({ engine: fake }),
  });
  const rendererDir = await mkdtemp(join(tmpdir(), 'owb-renderer-'));
  await writeFile(join(rendererDir, 'index.html'), '<!doctype html>');
  server = await startServer({ backend, rendererDir, token: 'tok' });
});
afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await server.close();
});

/** A tab: one WebSocket with the RPC client on it. */
async function tab() {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/ws?token=tok`);
  sockets.push(ws);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const heard: RpcMessage[] = [];
  const port = wsPort(ws);
  port.onMessage((m) => heard.push(m as RpcMessage));
  return {
    ws,
    port,
    heard,
    client: new RpcClient<Contract>(port, { closedError: () => ({ code: 'IO_ERROR', message: 'lost' }) }),
  };
}

/** A channel whose calls wait until they are cancelled. */
function holdSamples() {
  const signals: AbortSignal[] = [];
  backend.handlers['samples.list'] = (_input, ctx) =>
    new Promise((resolve) => {
      signals.push(ctx.signal);
      ctx.signal.addEventListener('abort', () => resolve([]));
    });
  return signals;
}

describe('the RPC core over WebSocket', () => {
  it('carries calls and fails the pending ones when the socket drops; the server cancels its side', async () => {
    const signals = holdSamples();
    const t = await tab();
    expect(await t.client.call('app.info', {})).toMatchObject({ ok: true, value: { version: '1.2.3' } });
    const pending = [t.client.call('samples.list', {}), t.client.call('samples.list', {})];
    await waitFor(() => signals.length === 2);
    await server.close();
    for (const r of await Promise.all(pending)) expect(r).toEqual({ ok: false, error: { code: 'IO_ERROR', message: 'lost' } });
    await waitFor(() => signals.every((s) => s.aborted));
  });

  it('cancels a call through its signal', async () => {
    const signals = holdSamples();
    const t = await tab();
    const controller = new AbortController();
    const call = t.client.call('samples.list', {}, { signal: controller.signal });
    await waitFor(() => signals.length === 1);
    controller.abort();
    expect(await call).toMatchObject({ ok: false, error: { code: 'CANCELLED' } });
    expect(signals[0].aborted).toBe(true);
  });

  it('refuses a duplicate call id sent raw, and the first call still answers', async () => {
    const signals = holdSamples();
    const t = await tab();
    const controller = new AbortController();
    const first = t.client.call('samples.list', {}, { callId: 'dup', signal: controller.signal });
    await waitFor(() => signals.length === 1);
    t.ws.send(JSON.stringify({ type: 'request', callId: 'dup', channel: 'app.info', input: {} }));
    await waitFor(() => t.heard.some((m) => m.type === 'error'));
    expect(t.heard.find((m) => m.type === 'error')).toMatchObject({ callId: 'dup', error: { code: 'INVALID_INPUT' } });
    expect(signals).toHaveLength(1);
    controller.abort();
    expect(await first).toMatchObject({ ok: false, error: { code: 'CANCELLED' } });
  });

  it('answers a pipeline.run whose task nests 2,000 levels with a validation error, and keeps serving', async () => {
    const t = await tab();
    let task: Record<string, unknown> = { kind: 'text-detection' };
    for (let i = 0; i < 2000; i++) task = { kind: 'text-detection', nested: task };
    const input = { pipeline: { steps: [{ id: 'det', model: '/m.onnx', task }] }, input: '/img.png' };
    const result = await t.client.callUntyped('pipeline.run', input);
    expect(result).toMatchObject({
      ok: false,
      error: { code: 'INVALID_INPUT', message: expect.stringMatching(/nested deeper than 64/) },
    });
    expect(engine.calls).toEqual([]);
    expect(await t.client.call('app.info', {})).toMatchObject({ ok: true });
  });

  it('caps the calls in flight of one tab with BUSY while another tab is still served', async () => {
    holdSamples();
    const greedy = await tab();
    const held = Array.from({ length: 32 }, () => greedy.client.call('samples.list', {}));
    const over = await greedy.client.call('app.info', {});
    expect(over).toMatchObject({ ok: false, error: { code: 'BUSY', message: expect.stringMatching(/this tab/) } });
    const other = await tab();
    expect(await other.client.call('app.info', {})).toMatchObject({ ok: true });
    void held;
  });

  it('a batch job outlives the tab that started it; a new tab lists it, re-attaches and cancels it by id', async () => {
    const first = await tab();
    expect(await first.client.call('batch.start', { job: engine.job, jobId: 'job-ws' })).toEqual({
      ok: true,
      value: { jobId: 'job-ws' },
    });
    const firstSeen: BatchProgress[] = [];
    const firstWatch = first.client.call('batch.watch', { jobId: 'job-ws' }, { onEvent: (p) => firstSeen.push(p) });
    engine.progress({ done: 5, total: 40, failures: [{ file: 'a.jpg', error: 'broken' }] });
    await waitFor(() => firstSeen.length === 1);

    // The tab is closed (or reloaded): its watch ends, the job does not.
    first.ws.close();
    expect(await firstWatch).toMatchObject({ ok: false, error: { code: 'IO_ERROR' } });
    engine.progress({ done: 6, total: 40 });
    expect(engine.running()).toBe(true);

    const second = await tab();
    const jobs = await second.client.call('batch.jobs', {});
    expect(jobs.ok && jobs.value.find((j) => j.id === 'job-ws')?.state).toBe('running');
    const seen: BatchProgress[] = [];
    const watch = second.client.call('batch.watch', { jobId: 'job-ws' }, { onEvent: (p) => seen.push(p) });
    await waitFor(() => seen.length === 1);
    // The latest state at once, with every failure so far (events carry only the last few).
    expect(seen[0]).toMatchObject({ jobId: 'job-ws', done: 6, total: 40, failures: [{ file: 'a.jpg', error: 'broken' }] });

    expect(await second.client.call('batch.cancel', { jobId: 'job-ws' })).toEqual({ ok: true, value: { cancelled: true } });
    expect(await watch).toMatchObject({ ok: false, error: { code: 'CANCELLED' } });
    expect(engine.running()).toBe(false);
    const after = await second.client.call('batch.jobs', {});
    expect(after.ok && after.value.find((j) => j.id === 'job-ws')?.state).toBe('cancelled');
    // Cancelling a job that is not running says so.
    expect(await second.client.call('batch.cancel', { jobId: 'job-ws' })).toEqual({ ok: true, value: { cancelled: false } });
  });

  it('a watch of a job that already ended answers its outcome at once', async () => {
    const t = await tab();
    await t.client.call('batch.start', { job: engine.job, jobId: 'job-done' });
    engine.finish();
    await waitFor(() => !engine.running());
    const summary = await t.client.call('batch.watch', { jobId: 'job-done' });
    expect(summary).toMatchObject({ ok: true, value: { jobId: 'job-done', state: 'finished' } });
    expect(await t.client.call('batch.watch', { jobId: 'no-such-job' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
  });
});
