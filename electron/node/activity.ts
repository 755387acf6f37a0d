// What the engine is doing, for the status bar: built from the calls really in flight to the
// engine, the jobs really running (of every kind), and the supervisor's own state (starting, crashed, why it
// last ended). Followers get the state at once and then each change, at most ten times a second.
import type { ActiveCall, EngineActivity } from '../../shared/activity';
import type { EngineClient } from './engine-client';
import type { JobRegistry } from './jobs';

const MIN_INTERVAL_MS = 100;

const VERBS: Record<string, string> = {
  'model.inspect': 'Reading',
  'model.nodes': 'Reading',
  'model.initializers': 'Reading',
  'model.initializerStats': 'Reading weights of',
  'model.exportInitializer': 'Exporting weights of',
  'model.checkRuntime': 'Loading',
  'model.run': 'Running',
  'model.bench': 'Benchmarking',
  'run.profile': 'Profiling',
  'model.close': 'Closing',
  'tensor.read': 'Reading tensor',
  'image.preview': 'Preparing',
  'image.thumbnail': 'Preparing',
  'image.guessRecipe': 'Reading',
  'run.interpret': 'Reading results',
  'run.exportResult': 'Exporting result',
  'run.saveOutput': 'Saving output',
  'task.suggest': 'Reading',
  'pipeline.run': 'Running pipeline on',
  'check.run': 'Checking test data',
  'batch.count': 'Counting files in',
  'eval.run': 'Evaluating on',
  'providers.installCuda': 'Installing CUDA libraries',
  'engine.probeProviders': 'Probing execution providers',
};

function baseName(path: string): string {
  return path.split(/[\\/]/).filter(Boolean).pop() ?? path;
}

/** A call in the user's words: "Running model.onnx", "Loading det.onnx". */
export function callLabel(channel: string, input: unknown): string {
  const verb = VERBS[channel];
  if (!verb) return channel;
  const i = (input ?? {}) as { path?: unknown; modelPath?: unknown; input?: unknown; job?: { input?: { folder?: unknown } } };
  const target = [i.path, i.modelPath, i.job?.input?.folder, typeof i.input === 'string' ? i.input : undefined].find(
    (x): x is string => typeof x === 'string',
  );
  return target ? `${verb} ${baseName(target)}` : verb;
}

export class EngineActivityFeed {
  constructor(
    private readonly engine: EngineClient,
    private readonly jobs: JobRegistry,
  ) {}

  snapshot(): EngineActivity {
    const state = this.engine.state();
    const calls: ActiveCall[] = state.calls
      // A job's calls are shown as its job, not as calls.
      .filter((c) => !c.jobId && c.channel !== 'engine.batchControl' && c.channel !== 'engine.ping')
      .map((c) => ({ channel: c.channel, label: callLabel(c.channel, c.input), since: c.since }));
    return {
      engine: state.engine,
      calls,
      jobs: this.jobs.active(),
      ...(state.lastExit ? { lastExit: state.lastExit } : {}),
    };
  }

  /** Emits the activity now and on every change until the signal aborts. */
  follow(ctx: { signal: AbortSignal; emit(activity: EngineActivity): void }): Promise<null> {
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | null = null;
      let lastSent = 0;
      let lastJson = '';
      const send = () => {
        timer = null;
        const activity = this.snapshot();
        const json = JSON.stringify(activity);
        if (json === lastJson) return;
        lastJson = json;
        lastSent = Date.now();
        ctx.emit(activity);
      };
      const changed = () => {
        if (timer) return;
        timer = setTimeout(send, Math.max(0, MIN_INTERVAL_MS - (Date.now() - lastSent)));
      };
      const offEngine = this.engine.onChange(changed);
      const offJobs = this.jobs.observe(changed);
      send();
      const stop = () => {
        offEngine();
        offJobs();
        if (timer) clearTimeout(timer);
        resolve(null);
      };
      if (ctx.signal.aborted) stop();
      else ctx.signal.addEventListener('abort', stop, { once: true });
    });
  }
}
