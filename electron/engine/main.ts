// Engine process entry. The same file runs under Electron's utilityProcess (messages on
// process.parentPort) and under child_process.fork (messages on process IPC), so the CLI,
// browser mode and tests use exactly the engine the desktop app uses. It only makes its port
// (which keeps what comes meanwhile) and, when a batch job is coming, starts the decoder's thread,
// then loads the rest (serve.ts): the thread loads sharp beside the engine's own modules, and lists
// and decodes the job's first images while the engine plans it (batch/prefetch.ts).
import { availableParallelism } from 'node:os';
import { parentProcessPort } from '../common/rpc/process-port';
import { DecodeWorker } from './image/decode-pool';
import { workerUrl } from './worker-url';

// Works offline: onnxruntime's telemetry would otherwise write a device id under ~/.cache and
// try to upload usage data. Set before onnxruntime is first loaded (lazily, by loadOrt).
process.env.ORT_DISABLE_TELEMETRY = '1';

const port = parentProcessPort();
// Before the rest loads, so that no signal finds the engine without them. Under fork: if the
// parent goes away, so do we (no orphaned engines). Ctrl+C in a terminal reaches the whole
// process group: the supervisor decides (a batch job finishes its files and flushes its journal
// first); the engine ends when the supervisor goes. SIGTERM is serve.ts's: it needs the RPC.
process.on('disconnect', () => process.exit(0));
process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});
/** A batch job is coming (the CLI's batch command): the decoder thread and the provider probe start now. */
const batchSoon = process.env.OWB_ENGINE_BATCH_SOON === '1';
// Worker threads beside this entry (built) or from source: batch jobs' decoding, graph export's layout.
// Sharp decodes an image on one thread: as many at once as cores, 2 to 4 (libuv's pool has 4).
const decodeThreads = Math.min(4, Math.max(2, availableParallelism()));
const decoder = new DecodeWorker(workerUrl(import.meta.url, 'decode-worker.js', './image/decode-worker.ts'), decodeThreads);
if (batchSoon) decoder.warm();
const graphWorker = workerUrl(import.meta.url, 'graph-worker.js', './graph-worker.ts');

const { serveEngine } = await import('./serve');
serveEngine({ port, decoder, graphWorker, batchSoon });
