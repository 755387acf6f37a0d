// Browser mode: the built renderer and the same contract over HTTP + WebSocket, on loopback
// only, behind a random token (as Jupyter does). Requests with a wrong token or a foreign
// Host/Origin header are refused: a web page elsewhere must not be able to drive the engine.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, extname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Result } from '../../shared/result';
import { InFlightBudget } from '../../shared/rpc/limits';
import { serveRpc } from '../../shared/rpc/server';
import { wsPort } from '../common/rpc/ws-port';
import type { Backend } from './backend';

export interface ServeOptions {
  backend: Backend;
  rendererDir: string;
  port?: number;
  /** Fixed token (tests); a random one otherwise. */
  token?: string;
  uploadDir?: string;
  log?: (message: string) => void;
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/** Calls in flight over every tab together (each tab: 32). */
const MAX_CALLS_IN_FLIGHT = 128;

function sameToken(a: string | null | undefined, b: string): boolean {
  if (!a) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieValue(req: IncomingMessage, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return null;
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const token = options.token ?? randomBytes(24).toString('hex');
  const log = options.log ?? (() => {});
  const rendererDir = resolve(options.rendererDir);
  const uploadDir = options.uploadDir ?? join(tmpdir(), 'onnx-workbench-uploads');
  let port = options.port ?? 0;
  const cookieName = () => `owb_token_${port}`;

  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const allowedOrigins = () => new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);

  /** Host must be ours (DNS rebinding); Origin, when a browser sends one, too. */
  function trustedHeaders(req: IncomingMessage): boolean {
    if (!allowedHosts().has(req.headers.host ?? '')) return false;
    const origin = req.headers.origin;
    return origin === undefined || allowedOrigins().has(origin);
  }

  function authorised(req: IncomingMessage, url: URL): boolean {
    return (
      sameToken(url.searchParams.get('token'), token) ||
      sameToken(cookieValue(req, cookieName()), token) ||
      sameToken(req.headers.authorization?.replace(/^Bearer /, ''), token)
    );
  }

  function refuse(res: ServerResponse, status: number, message: string) {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    res.end(message);
  }

  async function serveStatic(res: ServerResponse, pathname: string) {
    const relative = decodeURIComponent(pathname === '/' ? '/index.html' : pathname);
    const file = resolve(rendererDir, `.${relative}`);
    if (file !== rendererDir && !file.startsWith(rendererDir + sep)) return refuse(res, 404, 'Not found');
    try {
      const s = await stat(file);
      if (!s.isFile()) return refuse(res, 404, 'Not found');
      const headers: Record<string, string> = {
        'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
        'content-length': String(s.size),
        'x-content-type-options': 'nosniff',
        'cache-control': extname(file) === '.html' ? 'no-store' : 'max-age=3600',
      };
      if (extname(file) === '.html') {
        headers['content-security-policy'] = [
          "default-src 'self'",
          "script-src 'self'",
          "style-src 'self' 'unsafe-inline'",
          "img-src 'self' data: blob:",
          `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
          "object-src 'none'",
          "base-uri 'none'",
          "frame-ancestors 'none'",
        ].join('; ');
        headers['x-frame-options'] = 'DENY';
      }
      res.writeHead(200, headers);
      createReadStream(file).pipe(res);
    } catch {
      if (pathname === '/' || pathname === '/index.html') {
        return refuse(res, 500, `The renderer is not built (${rendererDir} is missing). Run: npm run build`);
      }
      refuse(res, 404, 'Not found');
    }
  }

  /** A dropped file has no path in a browser: it is uploaded to a private temp folder first. */
  async function receiveUpload(req: IncomingMessage, res: ServerResponse, url: URL) {
    const name = basename(url.searchParams.get('name') ?? 'upload.onnx').replace(/[^\w.\- ()]/g, '_') || 'upload.onnx';
    const folder = join(uploadDir, randomBytes(8).toString('hex'));
    const target = join(folder, name);
    let answer: Result<string>;
    try {
      await mkdir(folder, { recursive: true });
      await pipeline(req, createWriteStream(`${target}.part`, { flags: 'wx' }));
      await rename(`${target}.part`, target);
      answer = { ok: true, value: target };
    } catch (error) {
      await rm(folder, { recursive: true, force: true });
      answer = { ok: false, error: { code: 'IO_ERROR', message: `Upload of ${name} failed: ${(error as Error).message}` } };
    }
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(answer));
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!trustedHeaders(req)) return refuse(res, 403, 'Forbidden: this server only answers pages it served itself.');
    if (!authorised(req, url)) {
      return refuse(res, 403, 'Forbidden: open the URL with the token that `onnx-workbench serve` printed.');
    }
    if (url.searchParams.has('token')) {
      // Trade the token in the URL for a cookie, and drop it from the address bar.
      res.writeHead(302, {
        'set-cookie': `${cookieName()}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`,
        location: url.pathname,
        'cache-control': 'no-store',
      });
      return res.end();
    }
    if (req.method === 'POST' && url.pathname === '/api/upload') {
      if (!req.headers.origin) return refuse(res, 403, 'Forbidden: uploads need an Origin header.');
      void receiveUpload(req, res, url);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'Method not allowed');
    void serveStatic(res, url.pathname);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const budget = new InFlightBudget(MAX_CALLS_IN_FLIGHT);
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/api/ws' || !trustedHeaders(req) || !authorised(req, url)) {
      socket.write('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveSocket(ws, options.backend, budget, log));
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolveListen());
  });
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : port;

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Browser mode's wire: each WebSocket is one connection of the RPC core (calls capped per tab and in total). */
function serveSocket(ws: WebSocket, backend: Backend, budget: InFlightBudget, log: (message: string) => void) {
  serveRpc(wsPort(ws), (channel, input, ctx) => backend.dispatch(channel, input, ctx), { budget, who: 'this tab' });
  ws.on('error', (error) => log(`websocket: ${error.message}`));
}
