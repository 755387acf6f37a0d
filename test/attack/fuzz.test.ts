// Every channel fed payloads of the wrong type, depth, size and shape, prototype keys included,
// in process and over browser mode's WebSocket. Counted: payloads sent, crashes (a throw, an
// answer that is not an envelope, an internal error, a dead engine or server), pollution of
// Object.prototype. Payloads that happen to be valid requests are not sent (they would run).
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServer } from '../../electron/node/server';
import { createServices, serverHost } from '../../electron/node/services';
import { CHANNEL_NAMES, contract } from '../../shared/contract';
import { MODELS, ROOT, sourceEngineLauncher, tmpDataDir } from '../helpers';

const services = createServices({
  launch: sourceEngineLauncher(),
  host: serverHost(),
  resourcesDir: join(ROOT, 'resources'),
  dataDir: tmpDataDir(),
});
const counts = { payloads: 0, skippedValid: 0, crashes: 0, overWebSocket: 0 };
afterAll(() => {
  services.dispose();
  console.log(
    `[attack/fuzz] payloads ${counts.payloads} (${counts.overWebSocket} over WebSocket), crashes ${counts.crashes}, valid ones not sent ${counts.skippedValid}`,
  );
});

function nested(depth: number, leaf: unknown = 1, asArray = false): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = asArray ? [v] : { a: v };
  return v;
}

const WRONG_VALUES: unknown[] = [
  null,
  0,
  -1,
  1e308,
  true,
  '',
  'relative/path.onnx',
  '/',
  '\u0000',
  'x'.repeat(100_000),
  [],
  {},
  [1, 'a', null],
  nested(2000),
  nested(2000, 1, true),
];
const KEYS = [
  'path',
  'to',
  'from',
  'name',
  'runId',
  'job',
  'jobId',
  'source',
  'inputs',
  'options',
  'recipe',
  'dirs',
  'action',
  'refresh',
  'extensions',
  'what',
  'task',
  'overwrite',
  'input',
  'model',
];
const PROTO_PAYLOADS: unknown[] = [
  JSON.parse('{"__proto__": {"polluted": true}}'),
  JSON.parse('{"path": "/tmp/x.onnx", "__proto__": {"polluted": true}}'),
  JSON.parse('{"job": {"__proto__": {"polluted": true}}}'),
  { constructor: { prototype: { polluted: true } } },
  JSON.parse('{"constructor": {"prototype": {"polluted": true}}}'),
  { toString: 'x', valueOf: 1, hasOwnProperty: null },
  { path: { toString: () => '/etc/passwd' } },
];

function payloads(): unknown[] {
  const list: unknown[] = [undefined, ...WRONG_VALUES, ...PROTO_PAYLOADS];
  for (const key of KEYS) for (const value of WRONG_VALUES) list.push({ [key]: value });
  list.push(Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i])));
  list.push({ path: `/${'a/'.repeat(3000)}x.onnx` });
  return list;
}

const isEnvelope = (r: unknown): boolean =>
  typeof r === 'object' &&
  r !== null &&
  ((r as { ok: unknown }).ok === true ||
    ((r as { ok: unknown }).ok === false &&
      typeof (r as { error?: { code?: unknown } }).error?.code === 'string' &&
      typeof (r as { error?: { message?: unknown } }).error?.message === 'string'));

describe('fuzzing every channel', () => {
  it('answers every malformed payload with an error envelope, in process', async () => {
    const list = payloads();
    for (const channel of [...CHANNEL_NAMES, 'no.such.channel', '__proto__', 'constructor', 'toString']) {
      for (const payload of list) {
        const schema = (contract as Record<string, { input: { safeParse(v: unknown): { success: boolean } } }>)[channel];
        if (Object.prototype.hasOwnProperty.call(contract, channel) && schema.input.safeParse(payload).success) {
          counts.skippedValid++;
          continue;
        }
        counts.payloads++;
        try {
          const result = await services.backend.dispatch(channel, payload);
          if (!isEnvelope(result) || result.ok || ['INTERNAL', 'ENGINE_CRASHED'].includes(result.error.code)) counts.crashes++;
        } catch {
          counts.crashes++;
        }
      }
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(counts.crashes).toBe(0);
    expect(counts.payloads).toBeGreaterThan(CHANNEL_NAMES.length * 300);
    // The engine is alive and answers.
    expect(await services.backend.dispatch('model.inspect', { path: MODELS.ocrCls })).toMatchObject({ ok: true });
  });

  it('answers every malformed message over the WebSocket, and the server keeps serving', async () => {
    const rendererDir = await mkdtemp(join(tmpdir(), 'owb-fuzz-renderer-'));
    await writeFile(join(rendererDir, 'index.html'), '<!doctype html>');
    const server = await startServer({ backend: services.backend, rendererDir, token: 'fuzz' });
    const ws = await new Promise<WebSocket>((resolve, reject) => {
      const socket = new WebSocket(`ws://127.0.0.1:${server.port}/api/ws`, ['owb', 'owb-token.fuzz']);
      socket.once('open', () => resolve(socket));
      socket.once('error', reject);
    });
    const frames: string[] = [
      // The one valid call, first (before the per-tab cap of calls in flight fills up).
      '{"__proto__":{"polluted":true},"type":"request","callId":"p","channel":"app.info","input":{}}',
      'not json',
      '',
      '[]',
      'null',
      '{"type":"request"}',
      '{"type":"request","callId":{"a":1}}',
      `{"type":"request","callId":"${'j'.repeat(1000)}","channel":"app.info","input":{}}`,
      '{"type":"cancel","callId":"nothing"}',
    ];
    let n = 0;
    for (const channel of CHANNEL_NAMES) {
      for (const payload of [null, 1, 'x', [], ...PROTO_PAYLOADS, { path: 12 }, { to: '/../../etc/x' }]) {
        if (contract[channel].input.safeParse(payload).success) continue;
        frames.push(JSON.stringify({ type: 'request', callId: `f${n++}`, channel, input: payload }));
      }
    }
    const answers: unknown[] = [];
    ws.on('message', (data) => answers.push(JSON.parse(String(data))));
    const expected = frames.length - 1; // a cancel of nothing is not answered
    for (const frame of frames) ws.send(frame);
    counts.overWebSocket += frames.length;
    counts.payloads += frames.length;
    await new Promise<void>((resolve) => {
      const check = () => (answers.length >= expected ? resolve() : setTimeout(check, 20));
      check();
    });
    const results = answers.filter((a) => (a as { type: string }).type === 'response') as { result: unknown }[];
    for (const r of results) {
      const code = (r.result as { error?: { code: string } }).error?.code ?? '';
      // BUSY: more calls at once than a tab may have in flight, answered as such.
      if (!isEnvelope(r.result) || ['INTERNAL', 'ENGINE_CRASHED'].includes(code)) counts.crashes++;
    }
    // Only the one valid call (app.info, a __proto__ key beside it) succeeded.
    expect(results.filter((r) => (r.result as { ok: boolean }).ok).length).toBe(1);
    expect(answers.length).toBe(expected);
    expect(counts.crashes).toBe(0);
    const alive = await fetch(`http://127.0.0.1:${server.port}/`);
    expect(alive.status).toBe(200);
    ws.close();
    await server.close();
  });
});
