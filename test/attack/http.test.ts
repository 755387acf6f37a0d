// Browser mode under attack, over raw sockets: request targets the URL parser rejects, bad %
// escapes in paths and cookies, huge headers, garbage, bad WebSocket frames, hostile uploads, a
// stolen cookie, another local server fishing for the token, and a bounded load on loopback.
// Each answer is a 4xx (or a closed socket), and the server keeps answering afterwards.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { mkdir, mkdtemp, readdir, stat, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type RunningServer, startServer } from '../../electron/node/server';
import { testServices } from '../helpers';

const { services } = testServices();
let server: RunningServer;
let uploadParent: string;
const counts = { rawRequests: 0, answered4xx: 0, crashes: 0 };

beforeAll(async () => {
  const rendererDir = await mkdtemp(join(tmpdir(), 'owb-attack-renderer-'));
  await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>ONNX Workbench</title>');
  await mkdir(join(rendererDir, 'assets'));
  await writeFile(join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
  uploadParent = await mkdtemp(join(tmpdir(), 'owb-attack-uploads-'));
  server = await startServer({
    backend: services.backend,
    rendererDir,
    token: 'attack-token',
    uploadParent,
    maxUploadBytes: 64 * 1024,
  });
});
afterAll(async () => {
  await server.close();
  services.dispose();
  console.log(`[attack/http] raw requests ${counts.rawRequests}, 4xx ${counts.answered4xx}, crashes ${counts.crashes}`);
});

/** Sends bytes on a fresh socket; resolves with everything the server answered before closing. */
function raw(bytes: string | Buffer): Promise<string> {
  counts.rawRequests++;
  return new Promise((resolve) => {
    const socket = connect(server.port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => (answer += d.toString('latin1')));
    socket.on('error', () => resolve(answer));
    socket.on('close', () => resolve(answer));
    // Every case makes the server close the socket (Connection: close, an error, a refusal).
    socket.write(bytes);
  });
}

const statusOf = (answer: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
const host = () => `Host: 127.0.0.1:${server.port}\r\n`;

async function stillServing(): Promise<void> {
  const answer = await raw(`GET / HTTP/1.1\r\n${host()}Connection: close\r\n\r\n`);
  if (statusOf(answer) !== 200) counts.crashes++;
  expect(statusOf(answer)).toBe(200);
}

describe('malformed HTTP requests', () => {
  const cases: [string, string, number[]][] = [
    ['a request target the URL parser rejects', `GET //[ HTTP/1.1\r\n${'HOST'}\r\n\r\n`, [400]],
    ['a malformed % escape in the path', `GET /%E0%A4%A HTTP/1.1\r\n${'HOST'}\r\n\r\n`, [400]],
    ['a lone % in the path', `GET /assets/% HTTP/1.1\r\n${'HOST'}\r\n\r\n`, [400]],
    ['a target that is not a path', `GET http://[::1 HTTP/1.1\r\n${'HOST'}\r\n\r\n`, [400]],
    ['NUL in the path', `GET /%00 HTTP/1.1\r\n${'HOST'}\r\n\r\n`, [400]],
    ['garbage instead of a request line', '\u0000\u0001\u0002 garbage\r\n\r\n', [400]],
    ['an invalid header line', `GET / HTTP/1.1\r\n${'HOST'}\r\nBad Header\r\n\r\n`, [400]],
    ['headers larger than 16 KiB', `GET / HTTP/1.1\r\n${'HOST'}\r\nX-Big: ${'a'.repeat(40_000)}\r\n\r\n`, [431]],
    [
      'a broken chunked body',
      `POST /api/upload?name=a.onnx HTTP/1.1\r\n${'HOST'}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`,
      [400, 403],
    ],
    ['a foreign Host', 'GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n', [403]],
    ['no Host at all', 'GET / HTTP/1.1\r\n\r\n', [400, 403]],
    [
      'a WebSocket upgrade without the token',
      `GET /api/ws HTTP/1.1\r\n${'HOST'}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      [403],
    ],
    [
      'an upgrade with a malformed target',
      `GET //[ HTTP/1.1\r\n${'HOST'}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      [403],
    ],
  ];
  it.each(cases)('%s gets a 4xx and the server keeps serving', async (_name, request, statuses) => {
    const answer = await raw(request.replace('HOST', host().trimEnd()));
    expect(statuses).toContain(statusOf(answer));
    counts.answered4xx++;
    await stillServing();
  });

  it('a malformed % escape in a cookie (planted by another local page) changes nothing', async () => {
    const cookie = `Cookie: owb_token_${server.port}=%E0%A4%A; other=%%%\r\n`;
    const page = await raw(`GET / HTTP/1.1\r\n${host()}${cookie}Connection: close\r\n\r\n`);
    expect(statusOf(page)).toBe(200);
    const upgrade = await raw(
      `GET /api/ws HTTP/1.1\r\n${host()}${cookie}Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    expect(statusOf(upgrade)).toBe(403);
    await stillServing();
  });

  it('bad WebSocket frames close that socket only', async () => {
    const frames = [
      Buffer.from([0x81, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f]), // unmasked client frame
      Buffer.from([0x83, 0x80, 0, 0, 0, 0]), // reserved opcode
      Buffer.from([0xf1, 0x80, 0, 0, 0, 0]), // reserved bits set
      Buffer.from([0x81, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4]), // 2^63 bytes announced
      Buffer.from([0x88, 0x82, 1, 2, 3, 4, 0x02, 0xea]), // close with an invalid code
    ];
    for (const frame of frames) {
      const answer = await raw(
        Buffer.concat([
          Buffer.from(
            `GET /api/ws?token=attack-token HTTP/1.1\r\n${host()}Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
          ),
          frame,
        ]),
      );
      expect(statusOf(answer)).toBe(101);
    }
    await stillServing();
  });
});

describe('uploads', () => {
  const upload = (name: string, body: Buffer, extra = '') =>
    raw(
      Buffer.concat([
        Buffer.from(
          `POST /api/upload?name=${name} HTTP/1.1\r\n${host()}Origin: http://127.0.0.1:${server.port}\r\nAuthorization: Bearer attack-token\r\nContent-Length: ${body.length}\r\n${extra}Connection: close\r\n\r\n`,
        ),
        body,
      ]),
    );

  it.each(['.', '..', '..%2F..%2Fetc%2Fx', 'a%2Fb', 'a%5Cb', '', '.hidden', '%00x', 'x%0Ay'])(
    'refuses the name "%s"',
    async (name) => {
      expect(statusOf(await upload(name, Buffer.from('x')))).toBe(400);
    },
  );

  it('refuses a file over the size cap, announced or not, and keeps nothing of it', async () => {
    expect(statusOf(await upload('big.onnx', Buffer.alloc(65 * 1024)))).toBe(413);
    // Chunked: no length announced, counted as it streams.
    const chunk = Buffer.alloc(32 * 1024, 1);
    const body = Buffer.concat(
      [0, 1, 2].flatMap(() => [Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]),
    );
    const answer = await raw(
      Buffer.concat([
        Buffer.from(
          `POST /api/upload?name=big.onnx HTTP/1.1\r\n${host()}Origin: http://127.0.0.1:${server.port}\r\nAuthorization: Bearer attack-token\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`,
        ),
        body,
        Buffer.from('0\r\n\r\n'),
      ]),
    );
    expect(statusOf(answer)).toBe(413);
    expect(await readdir(server.uploadDir)).toEqual([]);
    await stillServing();
  });

  it('keeps uploads in a private folder of this process, removed when the server closes', async () => {
    const s = await stat(server.uploadDir);
    expect(s.mode & 0o777).toBe(0o700);
    expect(server.uploadDir.startsWith(join(uploadParent, 'onnx-workbench-uploads-'))).toBe(true);
    const second = await startServer({ backend: services.backend, rendererDir: uploadParent, uploadParent });
    expect(second.uploadDir).not.toBe(server.uploadDir);
    await second.close();
    await expect(stat(second.uploadDir)).rejects.toThrow();
  });
});

describe('the token', () => {
  it('a second local server receives nothing that grants access, and a stolen cookie gives nothing', async () => {
    // Everything a browser would keep from a whole session with the workbench: its cookie jar.
    const jar: string[] = [];
    const keep = (headers: IncomingHttpHeaders) => jar.push(...(headers['set-cookie'] ?? []));
    for (const path of ['/', '/?token=attack-token', '/assets/app.js', '/index.html']) {
      const res = await fetch(`http://127.0.0.1:${server.port}${path}`);
      keep(Object.fromEntries(res.headers) as IncomingHttpHeaders);
      await res.arrayBuffer();
    }
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/ws`, ['owb', 'owb-token.attack-token']);
    ws.on('upgrade', (res) => keep(res.headers));
    await new Promise((r) => ws.once('open', r));
    ws.close();
    expect(jar).toEqual([]);
    // The other server (another port, another user's dev server) gets what the browser sends it.
    const received: IncomingHttpHeaders[] = [];
    const other = createServer((req, res) => {
      received.push(req.headers);
      res.end('ok');
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', () => r()));
    const port = (other.address() as { port: number }).port;
    await fetch(`http://127.0.0.1:${port}/`, { headers: jar.length ? { cookie: jar.join('; ') } : {} });
    other.close();
    expect(JSON.stringify(received)).not.toContain('attack-token');
    // Even a cookie with the token itself opens nothing.
    const stolen = `owb_token_${server.port}=attack-token`;
    const socket = new WebSocket(`ws://127.0.0.1:${server.port}/api/ws`, { headers: { cookie: stolen } });
    const status = await new Promise<number>((resolve) => {
      socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.once('open', () => resolve(101));
    });
    expect(status).toBe(403);
  });
});

describe('load on loopback', () => {
  it('answers every request of 4 clients × 3 rounds of 30 concurrent calls, and still serves', async () => {
    const clients = await Promise.all(
      [0, 1, 2, 3].map(
        () =>
          new Promise<WebSocket>((resolve, reject) => {
            const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/ws`, ['owb', 'owb-token.attack-token']);
            ws.once('open', () => resolve(ws));
            ws.once('error', reject);
          }),
      ),
    );
    for (const ws of clients) ws.setMaxListeners(200);
    // Rounds of 30 calls per tab at once (under the per-tab cap of calls in flight).
    const answers: boolean[] = [];
    for (let round = 0; round < 3; round++) {
      answers.push(
        ...(await Promise.all(
          clients.flatMap((ws, c) =>
            Array.from({ length: 30 }, (_, i) => {
              const callId = `load-${round}-${c}-${i}`;
              return new Promise<boolean>((resolve) => {
                const onMessage = (data: WebSocket.RawData) => {
                  const msg = JSON.parse(String(data)) as { callId?: string; type: string; result?: { ok: boolean } };
                  if (msg.callId !== callId || msg.type !== 'response') return;
                  ws.off('message', onMessage);
                  resolve(msg.result?.ok === true);
                };
                ws.on('message', onMessage);
                ws.send(JSON.stringify({ type: 'request', callId, channel: i % 2 ? 'app.info' : 'samples.list', input: {} }));
              });
            }),
          ),
        )),
      );
    }
    for (const ws of clients) ws.close();
    console.log(`[attack/http] load: ${answers.length} requests, ${answers.filter(Boolean).length} answered ok`);
    expect(answers.filter(Boolean).length).toBe(360);
    await stillServing();
  });
});
