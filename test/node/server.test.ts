// Browser mode's server: loopback only, token required, foreign Host/Origin refused, and the
// contract over WebSocket (including validation errors and cancel).
import { mkdtemp, readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createServices, serverHost } from '../../electron/node/services';
import { type RunningServer, startServer } from '../../electron/node/server';
import { MODELS, ROOT, sourceEngineLauncher, tmpDataDir } from '../helpers';

let server: RunningServer;
const services = createServices({
  launch: sourceEngineLauncher(),
  host: serverHost(),
  resourcesDir: join(ROOT, 'resources'),
  dataDir: tmpDataDir(),
});

beforeAll(async () => {
  const rendererDir = await mkdtemp(join(tmpdir(), 'owb-renderer-'));
  await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>ONNX Workbench</title>');
  await mkdir(join(rendererDir, 'assets'));
  await writeFile(join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
  server = await startServer({ backend: services.backend, rendererDir, token: 'secret-token' });
});
afterAll(async () => {
  await server.close();
  services.dispose();
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(path: string, headers: Record<string, string> = {}, method = 'GET', body?: Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: server.port, path, method, headers: { host: `127.0.0.1:${server.port}`, ...headers } },
      (res) => {
        let data = '';
        res.on('data', (c) => (data += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function connect(headers: Record<string, string> = {}, query = '?token=secret-token'): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/ws${query}`, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

function call(
  ws: WebSocket,
  message: object,
): Promise<{ result: { ok: boolean; value?: unknown; error?: { code: string; message: string } }; events: unknown[] }> {
  const callId = (message as { callId: string }).callId;
  const events: unknown[] = [];
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const msg = JSON.parse(String(data));
      if (msg.callId !== callId) return;
      if (msg.type === 'event') events.push(msg.event);
      if (msg.type === 'response') {
        ws.off('message', onMessage);
        resolve({ result: msg.result, events });
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify(message));
  });
}

describe('browser-mode server', () => {
  it('listens on loopback and prints a URL with the token in its fragment', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/#token=secret-token`);
  });

  it('serves the app (which holds no secret) with a CSP, and never sets a cookie', async () => {
    for (const path of ['/', '/?token=secret-token', '/assets/app.js']) {
      const reply = await get(path);
      expect(reply.status).toBe(200);
      expect(reply.headers['set-cookie']).toBeUndefined();
    }
    const page = await get('/');
    expect(page.body).toContain('ONNX Workbench');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['referrer-policy']).toBe('no-referrer');
  });

  it('refuses the API without the token, with a wrong one, or with the token only in a cookie', async () => {
    const upload = (headers: Record<string, string>) =>
      get('/api/upload?name=a.onnx', { origin: `http://127.0.0.1:${server.port}`, ...headers }, 'POST', Buffer.from('x'));
    expect((await upload({})).status).toBe(403);
    expect((await upload({ authorization: 'Bearer wrong' })).status).toBe(403);
    expect((await upload({ cookie: `owb_token_${server.port}=secret-token` })).status).toBe(403);
    expect((await upload({ authorization: 'Bearer secret-token' })).status).toBe(200);
  });

  it('refuses a foreign Host header (DNS rebinding) even with the token', async () => {
    expect((await get('/', { host: 'evil.example:80', authorization: 'Bearer secret-token' })).status).toBe(403);
  });

  it('refuses a foreign Origin even with the token', async () => {
    expect((await get('/', { origin: 'http://evil.example', authorization: 'Bearer secret-token' })).status).toBe(403);
  });

  it('does not serve files outside the renderer folder', async () => {
    const reply = await get('/../../../../etc/passwd', { authorization: 'Bearer secret-token' });
    expect(reply.status).toBe(404);
    const encoded = await get('/%2e%2e/%2e%2e/etc/passwd', { authorization: 'Bearer secret-token' });
    expect(encoded.status).toBe(404);
  });

  it('takes the token as a WebSocket subprotocol and never echoes it', async () => {
    const ws = await new Promise<WebSocket>((resolve, reject) => {
      const socket = new WebSocket(`ws://127.0.0.1:${server.port}/api/ws`, ['owb', 'owb-token.secret-token']);
      socket.once('open', () => resolve(socket));
      socket.once('error', reject);
    });
    expect(ws.protocol).toBe('owb');
    expect((await call(ws, { type: 'request', callId: 'p1', channel: 'app.info', input: {} })).result.ok).toBe(true);
    ws.close();
  });

  it('refuses WebSocket upgrades without the token, with it only in a cookie, or from a foreign origin', async () => {
    await expect(connect({}, '')).rejects.toThrow(/403/);
    await expect(connect({ cookie: `owb_token_${server.port}=secret-token` }, '')).rejects.toThrow(/403/);
    await expect(connect({ origin: 'http://evil.example' })).rejects.toThrow(/403/);
  });

  it('carries the contract over WebSocket', async () => {
    const ws = await connect({ origin: `http://127.0.0.1:${server.port}` });
    const info = await call(ws, { type: 'request', callId: 'j1', channel: 'app.info', input: {} });
    expect(info.result).toMatchObject({ ok: true, value: { mode: 'browser' } });
    const model = await call(ws, { type: 'request', callId: 'j2', channel: 'model.inspect', input: { path: MODELS.ocrCls } });
    expect(model.result.ok).toBe(true);
    ws.close();
  });

  it('answers a malformed payload with INVALID_INPUT and keeps the connection', async () => {
    const ws = await connect();
    const bad = await call(ws, { type: 'request', callId: 'b1', channel: 'model.inspect', input: { path: 12 } });
    expect(bad.result).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    const garbage = new Promise<string>((resolve) => ws.once('message', (d) => resolve(String(d))));
    ws.send('this is not json');
    expect(JSON.parse(await garbage)).toMatchObject({ type: 'error' });
    const good = await call(ws, { type: 'request', callId: 'b2', channel: 'app.info', input: {} });
    expect(good.result.ok).toBe(true);
    ws.close();
  });

  it('relays progress events and cancels on request', async () => {
    const ws = await connect();
    const checked = await call(ws, {
      type: 'request',
      callId: 'c1',
      channel: 'model.checkRuntime',
      input: { path: MODELS.ocrCls },
    });
    expect(checked.result.ok).toBe(true);
    expect(checked.events.length).toBeGreaterThan(0);
    ws.close();
  });

  it('stores a dropped file upload in its private folder and answers its path', async () => {
    const bytes = await readFile(MODELS.ocrCls);
    const reply = await get(
      '/api/upload?name=my%20model.onnx',
      {
        authorization: 'Bearer secret-token',
        origin: `http://127.0.0.1:${server.port}`,
        'content-type': 'application/octet-stream',
      },
      'POST',
      bytes,
    );
    const answer = JSON.parse(reply.body) as { ok: boolean; value: string };
    expect(answer.ok).toBe(true);
    expect(answer.value.startsWith(`${server.uploadDir}/`)).toBe(true);
    expect(answer.value).toMatch(/\/[0-9a-f]{16}\/my model\.onnx$/);
    expect((await readFile(answer.value)).equals(bytes)).toBe(true);
    expect((await stat(server.uploadDir)).mode & 0o777).toBe(0o700);
  });

  it('refuses an upload without an Origin header', async () => {
    const reply = await get('/api/upload?name=a.onnx', { authorization: 'Bearer secret-token' }, 'POST', Buffer.from('x'));
    expect(reply.status).toBe(403);
  });
});
