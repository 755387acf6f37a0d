// `profile`: runs a model with onnxruntime's profiler on (one warm-up run, then N measured runs),
// reads the profile as a stream and folds it into a ProfileSummary. At optimisation levels above
// "disabled" the optimised graph is saved next to the profile too, for two facts the profile
// lacks: the executed nodes' output names, and which original nodes each fused node replaces.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeInfo } from '../../../shared/model-info';
import type { ProfileProgress, ProfileSummary } from '../../../shared/profile';
import type { ProviderId } from '../../../shared/providers';
import { WorkbenchError } from '../../../shared/result';
import type { RunInputSource, SessionOptions } from '../../../shared/run';
import { readModelInfo, readNodes } from '../../common/onnx/reader';
import { loadOrt } from '../ort';
import { type ImageLoader, prepareInputs } from '../run/inputs';
import type { SessionCache } from '../run/session-cache';
import { readProfileEvents } from './events';
import { fusedNodes } from './fusion';
import { ProfileAccumulator } from './summary';

export interface ProfileRequest {
  path: string;
  inputs: Record<string, RunInputSource>;
  options: SessionOptions;
  /** Measured runs after the one warm-up run. */
  runs: number;
  /** The slowest nodes kept when a model has more (the UI gets a bounded list). */
  maxNodes?: number;
}

/** onnxruntime's names of the providers, as its profile writes them. */
export const ORT_PROVIDER_NAMES: Record<ProviderId, string> = {
  cpu: 'CPUExecutionProvider',
  cuda: 'CUDAExecutionProvider',
  tensorrt: 'TensorrtExecutionProvider',
  dml: 'DmlExecutionProvider',
  coreml: 'CoreMLExecutionProvider',
  webgpu: 'WebGpuExecutionProvider',
};

const WARMUP_RUNS = 1;
/** Above this the optimised graph is not written (a protobuf holds 2 GB at most; and it costs a copy of the weights). */
const MAX_SAVED_MODEL_BYTES = 1.5 * 2 ** 30;

export async function profileModel(
  request: ProfileRequest,
  deps: { sessions: SessionCache; loadImage?: ImageLoader },
  ctx: { signal: AbortSignal; emit(event: ProfileProgress): void },
): Promise<ProfileSummary> {
  const cancelled = () => {
    if (ctx.signal.aborted) throw new WorkbenchError('CANCELLED', 'Cancelled.');
  };
  const ort = await loadOrt();
  ctx.emit({ stage: 'reading the model' });
  const info = await readModelInfo(request.path);
  const original = await readNodes(request.path);
  const level = request.options.graphOptimization ?? 'all';
  const size = (await stat(request.path)).size;
  const saveGraph = level !== 'disabled' && size < MAX_SAVED_MODEL_BYTES;
  const scratch = await mkdtemp(join(tmpdir(), 'owb-profile-'));
  const optimizedPath = join(scratch, 'optimized.onnx');
  try {
    ctx.emit({ stage: 'creating the session' });
    const session = await deps.sessions.get(request.path, {
      ...request.options,
      profiling: true,
      ...(saveGraph ? { saveOptimizedModel: optimizedPath } : {}),
    });
    let profilePath: string | undefined;
    try {
      ctx.emit({ stage: 'preparing inputs' });
      const { feeds } = await prepareInputs(ort, info, request.inputs, {
        dimOverrides: request.options.freeDimensionOverrides,
        loadImage: deps.loadImage,
        signal: ctx.signal,
      });
      const total = WARMUP_RUNS + request.runs;
      for (let i = 0; i < total; i++) {
        cancelled();
        ctx.emit({ stage: i < WARMUP_RUNS ? 'warm-up run' : 'profiling', done: i, total });
        try {
          await session.session.run(feeds);
        } catch (error) {
          throw new WorkbenchError('RUNTIME_ERROR', `The run failed: ${(error as Error).message.split('\n')[0]}`);
        }
      }
    } finally {
      profilePath = (await session.finish?.())?.profilePath;
    }
    if (!profilePath) throw new WorkbenchError('RUNTIME_ERROR', 'onnxruntime wrote no profile for this session.');

    let graphNodes: readonly NodeInfo[] = original;
    let fused: Map<string, string[]> | undefined;
    let fusionNote: string | undefined;
    if (saveGraph) {
      try {
        graphNodes = await readNodes(optimizedPath);
        fused = fusedNodes(original, graphNodes);
      } catch {
        fusionNote = 'onnxruntime did not save its optimised graph, so fused nodes are not matched to the nodes they replace.';
      }
    } else if (level !== 'disabled') {
      fusionNote = 'The model is too big to save its optimised graph, so fused nodes are not matched to the nodes they replace.';
    }

    ctx.emit({ stage: 'reading the profile' });
    const acc = new ProfileAccumulator(WARMUP_RUNS);
    for await (const event of readProfileEvents(profilePath, { signal: ctx.signal })) acc.add(event);
    const summary = acc.summary({
      graphNodes,
      fused,
      requestedProvider: checkedProvider(session.provider.requested, session.provider.used),
    });
    // A provider asked for by name and not used is a warning; 'auto' settling for the CPU is not.
    const { requested, used, fallbackReason } = session.provider;
    if (fallbackReason && requested !== 'auto' && requested !== used)
      summary.warnings = [fallbackReason, ...(summary.warnings ?? [])];
    summary.model = request.path;
    summary.provider = session.provider;
    summary.optimization = level;
    summary.profile_path = profilePath;
    if (fusionNote) summary.fusion_note = fusionNote;
    return capNodes(summary, request.maxNodes);
  } finally {
    await rm(scratch, { recursive: true, force: true }).catch(() => {});
  }
}

/** The GPU provider whose coverage the report checks: the one used, else the one asked for. */
function checkedProvider(requested: ProviderId | 'auto', used: ProviderId): string | undefined {
  if (used !== 'cpu') return ORT_PROVIDER_NAMES[used];
  return requested === 'auto' || requested === 'cpu' ? undefined : ORT_PROVIDER_NAMES[requested];
}

/** Keeps the slowest `max` nodes, in execution order; the totals stay those of all nodes. */
export function capNodes(summary: ProfileSummary, max: number | undefined): ProfileSummary {
  if (max === undefined || summary.nodes.length <= max) return summary;
  const keep = new Set(
    summary.nodes
      .map((n, i) => [n.ms, i] as const)
      .sort((a, b) => b[0] - a[0])
      .slice(0, max)
      .map(([, i]) => i),
  );
  return { ...summary, nodes: summary.nodes.filter((_, i) => keep.has(i)) };
}
