// Engine process entry. The same file runs under Electron's utilityProcess (messages on
// process.parentPort) and under child_process.fork (messages on process IPC), so the CLI,
// browser mode and tests use exactly the engine the desktop app uses. It serves its channel
// table (electron/common/rpc/engine-channels.ts) through the same RPC core as every other wire.
import { parentProcessPort } from '../common/rpc/process-port';
import { serveRpc, tableHandler } from '../../shared/rpc/server';
import { createHandlers } from './handlers';
import { workerUrl } from './worker-url';

// Works offline: onnxruntime's telemetry would otherwise write a device id under ~/.cache and
// try to upload usage data. Set before onnxruntime is first loaded (lazily, by loadOrt).
process.env.ORT_DISABLE_TELEMETRY = '1';

const port = parentProcessPort();
const debug = process.env.OWB_ENGINE_DEBUG === '1';

function log(level: 'debug' | 'info' | 'warn' | 'error', message: string) {
  port.send({ type: 'notice', topic: 'log', data: { level, message } });
}

// Worker threads beside this entry (built) or from source: graph export's layout, batch jobs' decoding.
const graphWorker = workerUrl(import.meta.url, 'graph-worker.js', './graph-worker.ts');
const decodeWorker = workerUrl(import.meta.url, 'decode-worker.js', './image/decode-worker.ts');
const handlers = createHandlers({ debug, graphWorker, decodeWorker, batchSoon: process.env.OWB_ENGINE_BATCH_SOON === '1' });
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
// Under fork: if the parent goes away, so do we (no orphaned engines).
process.on('disconnect', () => process.exit(0));
// Ctrl+C in a terminal reaches the whole process group: the supervisor decides (a batch job
// finishes its files and flushes its journal first); the engine ends when the supervisor goes.
process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});
// A SIGTERM aimed at the engine alone ends it as Ctrl+C ends a job: every request is cancelled
// (batch jobs finish their files, journal and results files), answered, and then it leaves.
process.once('SIGTERM', () => {
  rpc.close();
  const leaveWhenIdle = () => (rpc.inFlight === 0 ? setTimeout(() => process.exit(0), 200) : setTimeout(leaveWhenIdle, 50));
  leaveWhenIdle();
});

port.send({ type: 'notice', topic: 'ready', data: { pid: process.pid } });
