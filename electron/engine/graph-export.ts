// The Graph tab's and `onnx-workbench graph`'s export: the same grouping and dagre layout as the
// app's worker, written as SVG, or rendered to PNG by sharp. The layout runs in a worker thread
// (graph-worker.ts), so that other requests are answered while a big graph is laid out.
import { Worker } from 'node:worker_threads';
import { type GraphExpand, graphExportFormat } from '../../shared/graph/export';
import { WorkbenchError, isErrorCode } from '../../shared/result';
import { writeNew } from '../common/fs';
import { type GraphExportStage, type GraphSvg, graphSvg } from './graph-svg';
import type { GraphWorkerMessage, GraphWorkerRequest } from './graph-worker';
import { loadSharp } from './image/sharp';

/** Cairo cannot draw past 32767 px a side; stay well inside. */
const MAX_PNG_SIDE = 16_000;

export interface GraphExportOptions {
  /** The worker's script (graph-worker.ts from source, graph-worker.js built); null: lay out in place. */
  worker: URL | null;
  signal?: AbortSignal;
  onStage?: (stage: GraphExportStage) => void;
}

/** Lays the graph out in a worker thread; in place when no worker starts (a packaged app that forbids it). */
function svgInWorker(request: GraphWorkerRequest, options: GraphExportOptions): Promise<GraphSvg> {
  const onStage = options.onStage ?? (() => {});
  if (!options.worker) return graphSvg(request.path, request.expand, onStage);
  return new Promise<GraphSvg>((resolve, reject) => {
    let heard = false;
    let settled = false;
    const worker = new Worker(options.worker!);
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', abort);
      void worker.terminate();
      f();
    };
    const abort = () => finish(() => reject(new WorkbenchError('CANCELLED', 'Cancelled.')));
    options.signal?.addEventListener('abort', abort, { once: true });
    worker.on('message', (m: GraphWorkerMessage) => {
      heard = true;
      if ('stage' in m) onStage(m.stage);
      else if ('done' in m) finish(() => resolve(m.done));
      else finish(() => reject(new WorkbenchError(isErrorCode(m.error.code) ? m.error.code : 'INTERNAL', m.error.message)));
    });
    worker.on('error', (e) => {
      // A worker that could not even start: do the work here instead.
      if (!heard) finish(() => graphSvg(request.path, request.expand, onStage).then(resolve, reject));
      else finish(() => reject(e));
    });
    worker.on('exit', (code) => {
      finish(() => reject(new WorkbenchError('INTERNAL', `The graph export's worker stopped (exit code ${code}).`)));
    });
    worker.postMessage(request);
  });
}

export async function exportGraph(
  params: { path: string; to: string; expand: GraphExpand },
  options: GraphExportOptions = { worker: null },
): Promise<{ path: string; bytes: number }> {
  const format = graphExportFormat(params.to);
  if (!format) throw new WorkbenchError('INVALID_INPUT', `${params.to}: the graph is exported as .svg or .png`);
  const { svg, width, height } = await svgInWorker({ path: params.path, expand: params.expand }, options);
  options.onStage?.('drawing');
  let bytes: Uint8Array = Buffer.from(svg, 'utf8');
  if (format === 'png') {
    // sharp renders on libuv's threads: the request loop stays free here too.
    const sharp = await loadSharp();
    const scale = Math.min(2, MAX_PNG_SIDE / Math.max(width, height));
    bytes = await sharp(Buffer.from(svg, 'utf8'), { density: 72 * scale, limitInputPixels: false, unlimited: true })
      .png({ compressionLevel: 6 })
      .toBuffer();
  }
  options.onStage?.('writing');
  await writeNew(params.to, bytes);
  return { path: params.to, bytes: bytes.length };
}
