// The engine process and its supervisor: lazy start, requests, progress events, crash and
// restart, and cancellation of a run that blocks its thread (by killing the process).
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SET_ASIDE_CA_CERTS, engineEnv, forkEngine, withExtraCaCerts } from '../../electron/common/engine-fork';
import type { EngineClient } from '../../electron/node/engine-client';
import { MODELS, sourceEngine, waitFor } from '../helpers';

let client: EngineClient | null = null;
afterEach(() => client?.kill());

describe('engine process', () => {
  it('starts lazily on the first request and answers it', async () => {
    const engine = sourceEngine();
    client = engine.client;
    expect(client.pid).toBeUndefined();
    const result = await client.call('engine.ping', {});
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.pid).toBe(client.pid);
    expect(result.value.pid).not.toBe(process.pid);
    expect(result.value.versions.onnxruntime).toMatch(/^\d+\.\d+/);
  });

  it('forks the engine with NODE_EXTRA_CA_CERTS set aside, and a program it starts gets it back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'owb-env-'));
    try {
      const entry = join(dir, 'entry.mjs');
      const out = join(dir, 'env.json');
      await writeFile(
        entry,
        `import { writeFileSync } from 'node:fs';\n` +
          `writeFileSync(${JSON.stringify(out)}, JSON.stringify({ certs: process.env.NODE_EXTRA_CA_CERTS ?? null, aside: process.env.${SET_ASIDE_CA_CERTS} ?? null }));\n`,
      );
      const engine = forkEngine({ entry, env: { NODE_EXTRA_CA_CERTS: '/etc/proxy-ca.pem' } });
      await new Promise<void>((resolve) => engine.onExit(() => resolve()));
      expect(JSON.parse(await readFile(out, 'utf8'))).toEqual({ certs: null, aside: '/etc/proxy-ca.pem' });
      expect(withExtraCaCerts(engineEnv({ NODE_EXTRA_CA_CERTS: '/etc/proxy-ca.pem', PATH: '/bin' }))).toEqual({
        NODE_EXTRA_CA_CERTS: '/etc/proxy-ca.pem',
        PATH: '/bin',
      });
      expect(engineEnv({ PATH: '/bin' })).toEqual({ PATH: '/bin' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('inspects a real model in the engine process', async () => {
    client = sourceEngine().client;
    const result = await client.call('model.inspect', { path: MODELS.vadV5 });
    expect(result.ok && result.value.inputs.map((i) => i.name)).toEqual(['input', 'state', 'sr']);
  });

  it('relays progress events of a request', async () => {
    client = sourceEngine().client;
    const events: unknown[] = [];
    const result = await client.call('model.checkRuntime', { path: MODELS.ocrCls }, { onEvent: (e) => events.push(e) });
    expect(result.ok && result.value.ok).toBe(true);
    expect(events).toContainEqual({ stage: 'creating session' });
  });

  it('fails the request in flight with a clear error when the engine dies, then restarts on the next one', async () => {
    const engine = sourceEngine();
    client = engine.client;
    const first = await client.call('engine.ping', {});
    const firstPid = first.ok ? first.value.pid : -1;
    const waiting = client.call('debug.sleep', { ms: 30_000, blocking: false });
    await waitFor(() => client!.inFlight === 1);
    process.kill(firstPid, 'SIGKILL');
    const failed = await waiting;
    expect(failed.ok).toBe(false);
    if (failed.ok) return;
    expect(failed.error.code).toBe('ENGINE_CRASHED');
    expect(failed.error.message).toMatch(/stopped unexpectedly/);
    expect(failed.error.message).toContain('debug.sleep');

    const again = await client.call('engine.ping', {});
    expect(again.ok).toBe(true);
    expect(again.ok && again.value.pid).not.toBe(firstPid);
    expect(client.restartCount).toBe(1);
    expect(engine.logs.some((l) => l.startsWith('error:') && /killed|exited/.test(l))).toBe(true);
  });

  it('survives an engine that exits by itself (a native crash)', async () => {
    client = sourceEngine().client;
    const crashed = await client.call('debug.crash', {});
    expect(!crashed.ok && crashed.error.code).toBe('ENGINE_CRASHED');
    const next = await client.call('model.inspect', { path: MODELS.ocrCls });
    expect(next.ok).toBe(true);
  });

  it('cancels a cooperative request without restarting the engine', async () => {
    client = sourceEngine().client;
    await client.call('engine.ping', {});
    const pid = client.pid;
    const controller = new AbortController();
    const waiting = client.call('debug.sleep', { ms: 30_000, blocking: false }, { signal: controller.signal });
    await waitFor(() => client!.inFlight === 1);
    controller.abort();
    const result = await waiting;
    expect(!result.ok && result.error.code).toBe('CANCELLED');
    expect(client.pid).toBe(pid);
  });

  it('kills the engine to cancel a run that blocks its thread, and the next request works', async () => {
    client = sourceEngine({ cancelGraceMs: 300 }).client;
    await client.call('engine.ping', {});
    const pid = client.pid;
    const controller = new AbortController();
    const started = Date.now();
    const waiting = client.call('debug.sleep', { ms: 60_000, blocking: true }, { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 200));
    controller.abort();
    const result = await waiting;
    expect(!result.ok && result.error.code).toBe('CANCELLED');
    expect(Date.now() - started).toBeLessThan(10_000);
    const next = await client.call('engine.ping', {});
    expect(next.ok && next.value.pid).not.toBe(pid);
  });

  it('answers errors as envelopes with codes, naming the file', async () => {
    client = sourceEngine().client;
    const result = await client.call('model.inspect', { path: '/nonexistent/model.onnx' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('NOT_FOUND');
    expect(result.error.message).toContain('/nonexistent/model.onnx');
  });
});
