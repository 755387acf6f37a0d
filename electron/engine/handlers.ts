// The engine's channels, by the contract's own names (electron/common/rpc/engine-channels.ts).
// onnxruntime-node and sharp load lazily, in this process only (ort.ts, image/sharp.ts).
import { WorkbenchError } from '../../shared/result';
import type { EngineChannel, EngineEvent, EngineInput, EngineOutput } from '../common/rpc/engine-channels';
import { readInitializerData, readInitializers, readModelInfo, readNodes } from '../common/onnx/reader';
import { exportGraph } from './graph-export';
import { GraphCache } from './graph-cache';
import { tensorStats } from '../common/onnx/tensor-stats';
import { encodeNpy } from '../common/onnx/npy';
import { checkRuntime } from './runtime-check';
import { loadOrt } from './ort';
import { installCudaProviderLibraries } from './providers/install-cuda';
import { probeProviders } from './providers/probe';
import { findTestCases } from './check/find';
import { runCheck } from './check/run';
import { imagePreview, loadImageInput, recipeFor } from './run/images';
import { thumbnail } from './results/preview';
import { ModelRunner } from './run/runner';
import { pipelineMethod } from './pipeline/run';
import { RunResults } from './results/run-results';
import { writeNew } from '../common/fs';
import { BatchJobs } from './batch/jobs';
import { mergeShards } from './batch/merge';
import { runEval } from './eval/run';
import { expectOutputs } from './run/expect';
import { SessionCache } from './run/session-cache';
import { lowerOtherThreads, threadsCpuMs } from './run/thread-priority';
import { profileModel } from './profile/run';
import { readTensorForInput } from './run/tensor-read';
import { exportSpeech, speechChannel } from './audio/speech-channel';
import type { DecodeWorker } from './image/decode-pool';

export interface EngineContext {
  signal: AbortSignal;
  emit(event: unknown): void;
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void;
}

export type EngineHandlers = {
  [C in EngineChannel]: (
    input: EngineInput<C>,
    ctx: EngineContext & { emit(event: EngineEvent<C>): void },
  ) => Promise<EngineOutput<C>>;
};

/** Nodes of a profile sent across processes unless the request asks for another bound. */
const DEFAULT_PROFILE_NODES = 20_000;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new WorkbenchError('CANCELLED', 'Cancelled.'));
    });
  });
}

export function createHandlers(options: {
  debug: boolean;
  graphWorker?: URL | null;
  /** Batch jobs' decoder thread (main.ts starts it). */
  decoder?: DecodeWorker;
  /** A batch job is coming (the CLI's batch command): the decoder thread and the provider probe start now. */
  batchSoon?: boolean;
}): EngineHandlers {
  const sessions = new SessionCache({ providerStatuses: () => probeProviders() });
  const runner = new ModelRunner(sessions, loadImageInput);
  const { decoder } = options;
  // The providers are probed while the job is planned (the session needs them; cached after).
  const probeSoon = () => void probeProviders().catch(() => {});
  // A batch job's model runs ahead of its decoding, and its threads' CPU time is measured (thread-priority.ts).
  const threads = {
    lowerDecoders: (step: number) => void lowerOtherThreads(sessions.modelThreads(), step),
    modelCpuMs: () => threadsCpuMs([process.pid, ...sessions.modelThreads()]),
  };
  const batches = new BatchJobs(sessions, decoder, probeSoon, threads);
  if (options.batchSoon) probeSoon();
  const results = new RunResults(runner);
  const graphs = new GraphCache();
  const debugOnly = () => {
    if (!options.debug) throw new WorkbenchError('UNSUPPORTED', 'Debug methods are off in this engine.');
  };
  return {
    async 'engine.ping'() {
      let onnxruntime: string | null = null;
      try {
        onnxruntime = (await loadOrt()).env.versions.node ?? null;
      } catch {
        onnxruntime = null;
      }
      return { pid: process.pid, versions: { node: process.versions.node, onnxruntime, sharp: null } };
    },
    'model.inspect': ({ path }) => readModelInfo(path),
    'model.nodes': ({ path }) => readNodes(path),
    'model.initializers': ({ path }) => readInitializers(path),
    'model.graph': ({ path }) => graphs.get(path),
    'graph.export': (params, ctx) =>
      exportGraph(params, { worker: options.graphWorker ?? null, signal: ctx.signal, onStage: (stage) => ctx.emit({ stage }) }),
    async 'model.initializerStats'({ path, name }) {
      const { data } = await readInitializerData(path, name);
      return tensorStats(data);
    },
    async 'model.exportInitializer'({ path, name, to }) {
      const { info, data } = await readInitializerData(path, name);
      if (!info.dtype || Array.isArray(data)) {
        throw new WorkbenchError(
          'UNSUPPORTED',
          `Initializer "${name}" has dtype ${info.dtype ?? 'unknown'}, which .npy export does not support.`,
        );
      }
      const bytes = encodeNpy(data, info.shape, info.dtype);
      // Atomic, and never over an existing file.
      await writeNew(to, bytes);
      return { path: to, bytes: bytes.byteLength };
    },
    'model.checkRuntime': ({ path }, ctx) => checkRuntime(path, ctx),
    'engine.probeProviders': ({ refresh }) => probeProviders({ refresh }),
    'providers.installCuda': (_params, ctx) => installCudaProviderLibraries({ signal: ctx.signal, onProgress: ctx.emit }),
    'model.run': (params, ctx) => runner.run(params, ctx),
    'model.bench': (params, ctx) => runner.benchmark(params, ctx),
    'run.profile': (params, ctx) =>
      profileModel({ maxNodes: DEFAULT_PROFILE_NODES, ...params }, { sessions, loadImage: loadImageInput }, ctx),
    'tensor.read': (params) => readTensorForInput(params),
    'run.outputValues': async ({ runId, name, offset, count }) => runner.outputValues(runId, name, offset, count),
    'run.outputPlane': async ({ runId, name, index, maxSize }) => runner.outputPlane(runId, name, index, maxSize),
    'run.saveOutput': ({ runId, name, to }) => runner.saveOutput(runId, name, to),
    'run.compare': async ({ a, b, atol, rtol }) => runner.compare(a, b, { atol, rtol }),
    'run.expect': ({ runId, dir, atol, rtol }) => expectOutputs(runId, runner.stored(runId).outputs, dir, { atol, rtol }),
    'run.interpret': (params) => results.interpret(params),
    'run.exportResult': (params) => results.exportResult(params),
    'task.suggest': (params) => results.suggestTask(params),
    async 'check.run'({ dirs, provider, atol, rtol }, ctx) {
      const cases = await findTestCases(dirs);
      return runCheck(cases, { provider, atol, rtol, signal: ctx.signal, onProgress: ctx.emit });
    },
    'pipeline.run': (params, ctx) => pipelineMethod(params, sessions, ctx),
    'batch.count': ({ job }) => batches.count(job),
    'batch.merge': ({ folder }) => mergeShards(folder),
    'eval.run': (request, ctx) => {
      probeSoon();
      return runEval(request, { sessions, decoder, ...threads, signal: ctx.signal, onProgress: ctx.emit });
    },
    'engine.batchRun': (params, ctx) => batches.run(params, ctx),
    'engine.batchControl': async ({ jobId, action }) => batches.control(jobId, action),
    'image.preview': ({ path, recipe }) => imagePreview(path, recipe),
    'image.thumbnail': ({ path, size }) => thumbnail(path, size),
    'image.guessRecipe': ({ modelPath, input }) => recipeFor(modelPath, input),
    'audio.speech': (request, ctx) => speechChannel(request, sessions, ctx),
    'audio.exportSpeech': (request) => exportSpeech(request),
    'model.close': async ({ path }) => ({ released: await sessions.release(path) }),
    async 'debug.sleep'({ ms, blocking }, ctx) {
      debugOnly();
      const start = Date.now();
      if (blocking) {
        // Stands in for a synchronous native call that cannot be interrupted.
        while (Date.now() - start < ms) {
          /* spin */
        }
      } else {
        ctx.emit({ tick: 0 });
        await sleep(ms, ctx.signal);
      }
      return { slept: Date.now() - start };
    },
    async 'debug.crash'() {
      debugOnly();
      process.exit(70);
    },
  };
}
