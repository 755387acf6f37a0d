// The worker thread of `graph.export`: reading, grouping and laying out a big graph takes seconds
// of synchronous work (dagre), which here leaves the engine's request loop free to answer others.
import { parentPort } from 'node:worker_threads';
import type { GraphExpand } from '../../shared/graph/export';
import { toErrorInfo } from '../../shared/result';
import { graphSvg } from './graph-svg';

export type GraphWorkerRequest = { path: string; expand: GraphExpand };
export type GraphWorkerMessage =
  | { stage: 'reading' | 'laying out' }
  | { done: { svg: string; width: number; height: number } }
  | { error: { code: string; message: string } };

const port = parentPort;
port?.once('message', (req: GraphWorkerRequest) => {
  const send = (m: GraphWorkerMessage) => port.postMessage(m);
  graphSvg(req.path, req.expand, (stage) => {
    if (stage === 'reading' || stage === 'laying out') send({ stage });
  }).then(
    (done) => send({ done }),
    (e: unknown) => send({ error: toErrorInfo(e) }),
  );
});
