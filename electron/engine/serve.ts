// The engine process's service, loaded by its entry (main.ts) once the entry has made its port and
// started the decoder thread: it serves the channel table (electron/common/rpc/engine-channels.ts)
// through the same RPC core as every other wire.
import type { Port } from '../../shared/rpc/port';
import { serveRpc, tableHandler } from '../../shared/rpc/server';
import { createHandlers } from './handlers';
import type { DecodeWorker } from './image/decode-pool';

export function serveEngine(options: {
  port: Port;
  decoder: DecodeWorker;
  /** The graph export's layout thread (main.ts finds it: this module is a chunk of the built engine). */
  graphWorker: URL;
  batchSoon: boolean;
}): void {
  const { port } = options;
  const debug = process.env.OWB_ENGINE_DEBUG === '1';
  const log = (level: 'debug' | 'info' | 'warn' | 'error', message: string) => {
    port.send({ type: 'notice', topic: 'log', data: { level, message } });
  };
  const { graphWorker, decoder, batchSoon } = options;
  const handlers = createHandlers({ debug, graphWorker, decoder, batchSoon });
  const handle = tableHandler(handlers, { what: 'engine channel', context: (ctx) => ({ ...ctx, log }) });
  // The supervisor bounds what it sends; no per-connection cap here. Requests are acknowledged as
  // they are taken, so the supervisor's watchdog can tell a busy engine from a stopped one.
  const rpc = serveRpc(port, handle, {
    maxInFlight: Number.POSITIVE_INFINITY,
    ack: true,
  });

  process.on('uncaughtException', (error) => {
    log('error', `uncaught: ${error.stack ?? error.message}`);
  });
  process.on('unhandledRejection', (reason) => {
    log('error', `unhandled rejection: ${String(reason)}`);
  });
  // A SIGTERM aimed at the engine alone ends it as Ctrl+C ends a job: every request is cancelled
  // (batch jobs finish their files, journal and results files), answered, and then it leaves.
  process.once('SIGTERM', () => {
    rpc.close();
    const leaveWhenIdle = () => (rpc.inFlight === 0 ? setTimeout(() => process.exit(0), 200) : setTimeout(leaveWhenIdle, 50));
    leaveWhenIdle();
  });

  port.send({ type: 'notice', topic: 'ready', data: { pid: process.pid } });
}
