// The engine's channel table: the contract's channels it answers, by their own names, plus a few
// channels only the supervisor uses (never reachable from a renderer). The backend forwards every
// channel of ENGINE_CHANNELS to the engine untouched; the engine's handlers are typed from this table.
import { z } from 'zod';
import type { BatchJob, BatchProgress, BatchSummary } from '../../../shared/batch';
import { type ChannelName, type Contract, channel, contract } from '../../../shared/contract';
import type { ProviderStatus } from '../../../shared/providers';

/** Contract channels answered by the engine process, input as parsed by the backend. */
export const ENGINE_CHANNELS = [
  'model.inspect',
  'model.nodes',
  'model.initializers',
  'model.graph',
  'graph.export',
  'model.initializerStats',
  'model.exportInitializer',
  'model.checkRuntime',
  'model.run',
  'model.bench',
  'run.profile',
  'model.close',
  'tensor.read',
  'image.preview',
  'image.thumbnail',
  'image.guessRecipe',
  'run.outputValues',
  'run.outputPlane',
  'run.saveOutput',
  'run.interpret',
  'run.exportResult',
  'run.compare',
  'run.expect',
  'task.suggest',
  'pipeline.run',
  'check.run',
  'batch.count',
  'batch.merge',
  'eval.run',
  'providers.installCuda',
  'audio.speech',
  'audio.exportSpeech',
] as const satisfies readonly ChannelName[];
export type ForwardedChannel = (typeof ENGINE_CHANNELS)[number];

const FORWARDED: ReadonlySet<string> = new Set(ENGINE_CHANNELS);
export function isForwarded(name: ChannelName): name is ForwardedChannel {
  return FORWARDED.has(name);
}

export interface EngineVersions {
  node: string;
  onnxruntime: string | null;
  sharp: string | null;
}

export interface BatchRunRequest {
  job: BatchJob;
  jobId: string;
  /** The engine died during this job's last run: its files in flight are recorded as failed. */
  failInFlight?: boolean;
  /** Start paused (the user paused before the job got going). */
  paused?: boolean;
}

// Supervisor-only channels: their inputs come from our own code, typed, never parsed.
const internal = <T>() => z.custom<T>(() => true);

const supervisorOnly = {
  'engine.ping': channel<{ pid: number; versions: EngineVersions }>()(internal<Record<string, never>>()),
  'engine.probeProviders': channel<ProviderStatus[]>()(internal<{ refresh?: boolean }>()),
  /** A batch job to its end, resuming from its journal; cancel stops it within one item. */
  'engine.batchRun': channel<BatchSummary, BatchProgress>()(internal<BatchRunRequest>()),
  /** Pause or resume a batch job running in this engine. */
  'engine.batchControl': channel<{ paused: boolean }>()(internal<{ jobId: string; action: 'pause' | 'resume' }>()),
  /** Test aid, only when OWB_ENGINE_DEBUG=1: wait (or block the thread) for ms. */
  'debug.sleep': channel<{ slept: number }, { tick: number }>()(internal<{ ms: number; blocking: boolean }>()),
  /** Test aid, only when OWB_ENGINE_DEBUG=1: exit the process at once, as a native crash would. */
  'debug.crash': channel<never>()(internal<Record<string, never>>()),
};

export const engineContract = {
  ...(Object.fromEntries(ENGINE_CHANNELS.map((name) => [name, contract[name]])) as Pick<Contract, ForwardedChannel>),
  ...supervisorOnly,
};
export type EngineContract = typeof engineContract;
export type EngineChannel = keyof EngineContract;
export type EngineInput<C extends EngineChannel> = z.output<EngineContract[C]['input']>;
export type EngineOutput<C extends EngineChannel> = Exclude<EngineContract[C]['output'], undefined>;
export type EngineEvent<C extends EngineChannel> = NonNullable<EngineContract[C]['event']>;
