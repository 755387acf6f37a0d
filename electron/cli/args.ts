// What every CLI command shares: usage errors, exit codes, starting the services, and calling
// a channel so that a failed Result becomes an error that names the file.
import type { ChannelEvent, ChannelInput, ChannelName, ChannelOutput } from '../../shared/contract';
import { printable } from '../../shared/format';
import { type ErrorCode, WorkbenchError, toErrorInfo } from '../../shared/result';
import { defaultDataDir } from '../common/data-dir';
import { engineFork, takeEarlyEngine } from './early-engine';
import { type Services, createServices, forkLauncher, layoutFromRoot, serverHost } from '../node/services';

export class UsageError extends Error {}

/** A failure with an exit code of its own (e.g. a bad input file is a failure, not wrong usage). */
export class CliFailure extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/**
 * Exit codes by error code (README "Exit codes"; every one is run by test/node/cli-exit-codes.test.ts).
 * Anything else is 1. A job cancelled by a signal exits 128 + the signal's number (batch).
 */
export const EXIT_CODES = {
  INVALID_INPUT: 2,
  NOT_FOUND: 3,
  NOT_ONNX: 4,
  CORRUPT_MODEL: 5,
  EXTERNAL_DATA: 5,
  PROVIDER_UNAVAILABLE: 6,
} as const satisfies Partial<Record<ErrorCode, number>>;
const EXIT: Partial<Record<string, number>> = EXIT_CODES;

/** What to do about a provider that is not ready, said once after the engine's reason. */
const PROVIDER_HINT = 'use --provider auto, or --fallback cpu to run on the CPU instead';

export function die(error: unknown): never {
  if (error instanceof UsageError) {
    process.stderr.write(`onnx-workbench: ${error.message}\nTry: onnx-workbench --help\n`);
    process.exit(2);
  }
  if (error instanceof CliFailure) {
    process.stderr.write(`onnx-workbench: ${printable(error.message.replace(/\s*\n\s*/g, ' '))}\n`);
    process.exit(error.exitCode);
  }
  const info = toErrorInfo(error);
  const hint = info.code === 'PROVIDER_UNAVAILABLE' ? `; ${PROVIDER_HINT}` : '';
  process.stderr.write(`onnx-workbench: ${printable(info.message.replace(/\s*\n\s*/g, ' '))}${hint}\n`);
  process.exit(EXIT[info.code] ?? 1);
}

export interface CliContext {
  root: string;
  resourcesDir?: string;
}

/** The app's services for one command, on the engine forked early when it fits (early-engine.ts). */
export function startServices(ctx: CliContext, engineEnv: NodeJS.ProcessEnv = {}): Services {
  const layout = layoutFromRoot(ctx.root, ctx.resourcesDir);
  const verbose = process.env.OWB_VERBOSE === '1';
  return createServices({
    launch: forkLauncher({ ...engineFork(ctx.root, engineEnv), adopt: takeEarlyEngine }),
    host: serverHost(),
    caller: 'command-line',
    resourcesDir: layout.resourcesDir,
    dataDir: defaultDataDir(),
    log: (level, message) => {
      if (verbose || level === 'error') process.stderr.write(`[${level}] ${message}\n`);
    },
  });
}

/** Runs a command with services, always stopping the engine afterwards. */
export async function withServices<T>(ctx: CliContext, body: (call: Caller) => Promise<T>): Promise<T> {
  const services = startServices(ctx);
  try {
    return await body(callerOf(services));
  } finally {
    services.dispose();
  }
}

/** Calls on started services that answer the value or throw the error (INVALID_INPUT as a CLI failure). */
export function callerOf(services: Services): Caller {
  return async (channel, input, emit, signal) => {
    const result = await services.client.call(channel, input, {
      onEvent: emit as (event: ChannelEvent<typeof channel>) => void,
      signal,
    });
    if (!result.ok) {
      // The engine's INVALID_INPUT is a bad input file or value, not wrong usage of the CLI.
      if (result.error.code === 'INVALID_INPUT') throw new CliFailure(result.error.message, 1);
      throw new WorkbenchError(result.error.code, result.error.message);
    }
    return result.value;
  };
}

export type Caller = <C extends ChannelName>(
  channel: C,
  input: ChannelInput<C>,
  emit?: (event: unknown) => void,
  signal?: AbortSignal,
) => Promise<ChannelOutput<C>>;

export function parseCount(flag: string, value: string | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} must be a whole number ≥ ${min}, not "${value}"`);
  return n;
}

export function parseNumber(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`${flag} must be a number ≥ 0, not "${value}"`);
  return n;
}

/** NAME=VALUE pairs (--set, --dim). */
export function parsePairs(flag: string, list: string[] | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of list ?? []) {
    const at = item.lastIndexOf('=');
    const value = Number(item.slice(at + 1));
    if (at <= 0 || item.slice(at + 1) === '' || !Number.isFinite(value))
      throw new UsageError(`${flag} takes NAME=NUMBER, not "${item}"`);
    out.set(item.slice(0, at), value);
  }
  return out;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
