// Browser mode: the built renderer and the same contract over HTTP + WebSocket, on loopback
// only, behind a random token (as Jupyter does). The token is never an ambient credential: no
// cookie is ever set (cookies ignore ports, so every other server on 127.0.0.1 would receive
// it). The page takes it from the URL's fragment, keeps it in sessionStorage and sends it with
// the WebSocket upgrade (subprotocol) and each API request (Authorization header). Static files
// hold no secret and are served to anyone on loopback with our Host header. Requests with a
// foreign Host/Origin are refused (DNS rebinding, other pages); malformed requests get a 4xx.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { tmpdir } from 'node:os';
import { extname, join, resolve, sep } from 'node:path';
import { Transform } from 'node:stream';
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
  /** Parent of the private per-process upload folder (the system temp dir by default). */
  uploadParent?: string;
  /** Largest upload accepted, in bytes (2 GiB by default: protobuf's limit for one model file). */
  maxUploadBytes?: number;
  log?: (message: string) => void;
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  /** The private folder dropped files are uploaded to (mode 0700, removed by close and at exit). */
  uploadDir: string;
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
const DEFAULT_MAX_UPLOAD_BYTES = 2 * 1024 ** 3;
/** The WebSocket subprotocol the page offers, and the prefix of the one that carries the token. */
export const WS_PROTOCOL = 'owb';
export const WS_TOKEN_PREFIX = 'owb-token.';
/** Calls in flight over every tab together (each tab: 32). */
const MAX_CALLS_IN_FLIGHT = 128;

function sameToken(a: string | null | undefined, b: string): boolean {
  if (!a) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The request's target as a URL, or null when it is not one (`GET //[`). */
function parseTarget(req: IncomingMessage): URL | null {
  const target = req.url ?? '/';
  if (!target.startsWith('/')) return null;
  try {
    return new URL(target, 'http://localhost');
  } catch {
    return null;
  }
}

/** A dropped file's name, or null when it could name anything but one file in one folder. */
export function safeUploadName(raw: string | null): string | null {
  if (raw === null || raw.length === 0 || raw.length > 255) return null;
  if (/[\\/]/.test(raw) || [...raw].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) return null;
  if (raw === '.' || raw === '..' || raw.startsWith('.')) return null;
  const name = raw.replace(/[^\w.\- ()]/g, '_');
  return name.trim().length === 0 ? null : name;
}

/** Counts bytes through; fails the stream once more than `limit` went by. */
function byteLimit(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > limit) done(Object.assign(new Error(`larger than ${limit} bytes`), { code: 'TOO_LARGE' }));
      else done(null, chunk);
    },
  });
}

/**
 * Keeps a long-running server alive through a bug in one request: logs uncaught errors and
 * rejections instead of ending the process (`serve` only; the CLI's other commands exit).
 */
export function installProcessGuards(log: (message: string) => void): () => void {
  const onError = (error: unknown) => log(`uncaught: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.on('uncaughtException', onError);
  process.on('unhandledRejection', onError);
  return () => {
    process.off('uncaughtException', onError);
    process.off('unhandledRejection', onError);
  };
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const token = options.token ?? randomBytes(24).toString('hex');
  const log = options.log ?? (() => {});
  const rendererDir = resolve(options.rendererDir);
  const maxUploadBytes = options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  // Private to this process and user: mkdtemp makes it 0700 with an unguessable name.
  const uploadDir = await mkdtemp(join(options.uploadParent ?? tmpdir(), 'onnx-workbench-uploads-'));
  const removeUploads = () => rmSync(uploadDir, { recursive: true, force: true });
  process.once('exit', removeUploads);
  let port = options.port ?? 0;

  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const allowedOrigins = () => new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);

  /** Host must be ours (DNS rebinding); Origin, when a browser sends one, too. */
  function trustedHeaders(req: IncomingMessage): boolean {
    if (!allowedHosts().has(req.headers.host ?? '')) return false;
    const origin = req.headers.origin;
    return origin === undefined || allowedOrigins().has(origin);
  }

  /** The token from a header or the WebSocket subprotocol (or the query, for scripts); never a cookie. */
  function authorised(req: IncomingMessage, url: URL): boolean {
    const header = req.headers.authorization;
    const offered = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim())
      .find((p) => p.startsWith(WS_TOKEN_PREFIX));
    return (
      sameToken(url.searchParams.get('token'), token) ||
      sameToken(typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : null, token) ||
      sameToken(offered?.slice(WS_TOKEN_PREFIX.length), token)
    );
  }

  function refuse(res: ServerResponse, status: number, message: string) {
    if (res.headersSent) return res.destroy();
    res.writeHead(status, {
      'content-type': 'text/plain; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      connection: 'close',
    });
    res.end(message);
  }

  async function serveStatic(res: ServerResponse, pathname: string) {
    let relative: string;
    try {
      relative = decodeURIComponent(pathname === '/' ? '/index.html' : pathname);
    } catch {
      return refuse(res, 400, 'Bad request: malformed % escape in the path.');
    }
    if (relative.includes('\0')) return refuse(res, 400, 'Bad request: NUL in the path.');
    const file = resolve(rendererDir, `.${relative}`);
    if (file !== rendererDir && !file.startsWith(rendererDir + sep)) return refuse(res, 404, 'Not found');
    try {
      const s = await stat(file);
      if (!s.isFile()) return refuse(res, 404, 'Not found');
      const headers: Record<string, string> = {
        'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
        'content-length': String(s.size),
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
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
          "form-action 'none'",
          "frame-ancestors 'none'",
        ].join('; ');
        headers['x-frame-options'] = 'DENY';
      }
      res.writeHead(200, headers);
      const stream = createReadStream(file);
      stream.on('error', () => res.destroy());
      stream.pipe(res);
    } catch {
      if (pathname === '/' || pathname === '/index.html') {
        return refuse(res, 500, `The renderer is not built (${rendererDir} is missing). Run: npm run build`);
      }
      refuse(res, 404, 'Not found');
    }
  }

  /** A dropped file has no path in a browser: it is uploaded to this process's private folder. */
  async function receiveUpload(req: IncomingMessage, res: ServerResponse, url: URL) {
    const name = safeUploadName(url.searchParams.get('name'));
    if (!name) return refuse(res, 400, 'Bad request: the upload needs a plain file name (no folders, not "." or "..").');
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > maxUploadBytes) {
      return refuse(res, 413, `The file is larger than the upload limit (${maxUploadBytes} bytes).`);
    }
    const folder = join(uploadDir, randomBytes(8).toString('hex'));
    const target = join(folder, name);
    let answer: Result<string>;
    try {
      await mkdir(folder, { mode: 0o700 });
      await pipeline(req, byteLimit(maxUploadBytes), createWriteStream(`${target}.part`, { flags: 'wx', mode: 0o600 }));
      await rename(`${target}.part`, target);
      answer = { ok: true, value: target };
    } catch (error) {
      await rm(folder, { recursive: true, force: true });
      if ((error as { code?: string }).code === 'TOO_LARGE') {
        return refuse(res, 413, `The file is larger than the upload limit (${maxUploadBytes} bytes).`);
      }
      answer = { ok: false, error: { code: 'IO_ERROR', message: `Upload of ${name} failed: ${(error as Error).message}` } };
    }
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(answer));
  }

  function handle(req: IncomingMessage, res: ServerResponse) {
    const url = parseTarget(req);
    if (!url) return refuse(res, 400, 'Bad request: the request target is not a URL path.');
    if (!trustedHeaders(req)) return refuse(res, 403, 'Forbidden: this server only answers pages it served itself.');
    if (url.pathname.startsWith('/api/')) {
      if (!authorised(req, url)) {
        return refuse(res, 403, 'Forbidden: open the URL with the token that `onnx-workbench serve` printed.');
      }
      if (req.method === 'POST' && url.pathname === '/api/upload') {
        if (!req.headers.origin) return refuse(res, 403, 'Forbidden: uploads need an Origin header.');
        return void receiveUpload(req, res, url).catch((error: Error) => {
          log(`upload: ${error.message}`);
          refuse(res, 500, 'Upload failed.');
        });
      }
      return refuse(res, 404, 'Not found');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'Method not allowed');
    void serveStatic(res, url.pathname).catch((error: Error) => {
      log(`static: ${error.message}`);
      refuse(res, 500, 'Internal error.');
    });
  }

  const server: Server = createServer({ maxHeaderSize: 16 * 1024 }, (req, res) => {
    try {
      handle(req, res);
    } catch (error) {
      log(`request: ${(error as Error).message}`);
      refuse(res, 400, 'Bad request.');
    }
  });
  // Unparsable requests (bad request line, headers too large, bad chunking): a 4xx, and the
  // socket closed; never an exception out of the server.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable) return socket.destroy();
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  });

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
    // Never echo the token back: answer with the plain protocol name when the page offered it.
    handleProtocols: (protocols) => (protocols.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
  });
  const budget = new InFlightBudget(MAX_CALLS_IN_FLIGHT);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', (error) => log(`upgrade socket: ${error.message}`));
    const url = parseTarget(req);
    if (!url || url.pathname !== '/api/ws' || !trustedHeaders(req) || !authorised(req, url)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    try {
      wss.handleUpgrade(req, socket, head, (ws) => serveSocket(ws, options.backend, budget, log));
    } catch (error) {
      log(`upgrade: ${(error as Error).message}`);
      socket.destroy();
    }
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolveListen());
  });
  server.on('error', (error) => log(`server: ${error.message}`));
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : port;

  return {
    // In the fragment: never sent to any server, never in a log or a Referer.
    url: `http://127.0.0.1:${port}/#token=${token}`,
    port,
    token,
    uploadDir,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      process.off('exit', removeUploads);
      await rm(uploadDir, { recursive: true, force: true });
    },
  };
}

/** Browser mode's wire: each WebSocket is one connection of the RPC core (calls capped per tab and in total). */
function serveSocket(ws: WebSocket, backend: Backend, budget: InFlightBudget, log: (message: string) => void) {
  serveRpc(wsPort(ws), (channel, input, ctx) => backend.dispatch(channel, input, ctx), { budget, who: 'this tab' });
  ws.on('error', (error) => log(`websocket: ${error.message}`));
}
