// The CLI's engine, forked before the CLI loads the rest of its code: the engine's own start-up
// (its modules, onnxruntime, the decoder thread) overlaps the CLI's, and a command's first result
// comes that much sooner. Only commands that start an engine at once get one; a command that
// ends without taking it (a usage error, say) leaves it, and it exits with its pipe.
import { join } from 'node:path';
import { type EngineProcess, type ForkOptions, forkEngine, sameFork } from '../common/engine-fork';
import { layoutFromRoot } from '../common/layout';

/** What the engine of a batch-like command starts at once (its decoder thread, the provider probe). */
export const BATCH_SOON: NodeJS.ProcessEnv = { OWB_ENGINE_BATCH_SOON: '1' };

/** The commands that start an engine as they start, and the environment each gives it. */
const EARLY: Record<string, NodeJS.ProcessEnv> = {
  batch: BATCH_SOON,
  eval: BATCH_SOON,
  run: {},
  bench: {},
  profile: {},
  pipeline: {},
  check: {},
};

/** Not for these: help, and the one subcommand that starts no engine of its own kind. */
const NOT_EARLY = new Set(['-h', '--help', 'merge']);

/**
 * How the CLI forks its engine. OWB_ENGINE_SOURCE=1 (a dev/test aid) runs it from
 * electron/engine/main.ts through tsx instead of the built out/main/engine.js.
 */
export function engineFork(root: string, env: NodeJS.ProcessEnv = {}): ForkOptions {
  return process.env.OWB_ENGINE_SOURCE === '1'
    ? { entry: join(root, 'electron', 'engine', 'main.ts'), execArgv: ['--import', 'tsx'], env }
    : { entry: layoutFromRoot(root).engineEntry, env };
}

let early: { options: ForkOptions; engine: EngineProcess } | null = null;

/** Forks the engine now when `argv`'s command will want one; that engine, else null. */
export function startEarlyEngine(argv: string[], root: string): EngineProcess | null {
  const [command, ...rest] = argv;
  const env = command === undefined ? undefined : EARLY[command];
  if (!env || rest.some((a) => NOT_EARLY.has(a)) || early) return null;
  const options = engineFork(root, env);
  early = { options, engine: forkEngine(options) };
  return early.engine;
}

/** The engine forked early, when it was forked with these options; once. */
export function takeEarlyEngine(options: ForkOptions): EngineProcess | null {
  const taken = early && sameFork(early.options, options) ? early.engine : null;
  if (taken) early = null;
  return taken;
}

/** Ends an early engine nobody took (it would keep the CLI alive). */
export function dropEarlyEngine(): void {
  early?.engine.leave?.();
  early?.engine.kill();
  early = null;
}
