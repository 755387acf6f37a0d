// `onnx-workbench run MODEL`: one run with inputs from files, images, audio or generators.
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { PROVIDER_IDS, type ProviderId } from '../../../shared/providers';
import { GRAPH_OPTIMIZATION_LEVELS, type RunResult, type SessionOptionsInput } from '../../../shared/run';
import { readModelInfo } from '../../common/onnx/reader';
import type { RunExpectation } from '../../../shared/compare';
import {
  type Caller,
  type CliContext,
  CliFailure,
  UsageError,
  parseCount,
  parseNumber,
  parsePairs,
  printJson,
  withServices,
} from '../args';
import { formatRunResult } from '../format';
import { buildInputs, inputOptions, namedDims, parseTileFlags, tileFlags, withTiles } from '../inputs';
import { type InterpretedRun, formatTaskResult, interpretRun, planTask, saveTaskFiles, taskFlags, taskRecord } from '../task';
import { exists } from '../../common/fs';
import { SPEECH_TASK, checkSpeechFlags, speechCommand, speechFlags } from './speech';

export const inputFlags = {
  input: { type: 'string', multiple: true },
  recipe: { type: 'string' },
  'sample-rate': { type: 'string' },
  set: { type: 'string', multiple: true },
  dim: { type: 'string', multiple: true },
  threads: { type: 'string' },
  optimization: { type: 'string' },
  fallback: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/**
 * The arguments of a command over one model that takes run inputs (run, bench, profile): the
 * inputs' and session's flags plus the command's own, the model, the --dim sizes, and where notes go.
 */
export function parseModelCommand<const O extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  args: string[],
  options: O,
) {
  const { values, positionals } = parseArgs({ args, options: { ...inputFlags, ...options }, allowPositionals: true });
  if (positionals.length !== 1) throw new UsageError(`${command} takes exactly one model file`);
  const model = resolve(positionals[0]);
  const common = values as { dim?: string[]; json?: boolean };
  const dims = parsePairs('--dim', common.dim);
  const note = common.json ? () => {} : (line: string) => process.stderr.write(`${line}\n`);
  return { values, model, dims, note };
}

/**
 * --fallback cpu: a provider asked for by name that is not ready (or cannot load the model) runs
 * on the CPU instead, saying why. Without it, that is an error (exit 6); --provider auto always
 * takes the best ready provider.
 */
export function parseFallback(value: string | undefined): 'cpu' | 'none' {
  if (value === undefined) return 'none';
  if (value === 'cpu') return 'cpu';
  throw new UsageError(`--fallback takes cpu, not "${value}"`);
}

export function parseProvider(value: string): ProviderId | 'auto' {
  if (value === 'auto' || (PROVIDER_IDS as readonly string[]).includes(value)) return value as ProviderId | 'auto';
  throw new UsageError(`unknown provider "${value}" (one of: auto, ${PROVIDER_IDS.join(', ')})`);
}

export function parseOptimization(value: string): (typeof GRAPH_OPTIMIZATION_LEVELS)[number] {
  if ((GRAPH_OPTIMIZATION_LEVELS as readonly string[]).includes(value))
    return value as (typeof GRAPH_OPTIMIZATION_LEVELS)[number];
  throw new UsageError(`unknown optimization level "${value}" (one of: ${GRAPH_OPTIMIZATION_LEVELS.join(', ')})`);
}

export function sessionOptions(
  provider: ProviderId | 'auto',
  threads: string | undefined,
  dims: Map<string, number>,
  fallback?: string,
  optimization?: string,
) {
  const options: SessionOptionsInput = { provider, fallback: parseFallback(fallback) };
  if (threads !== undefined) options.intraOpThreads = parseCount('--threads', threads, 0);
  if (optimization !== undefined) options.graphOptimization = parseOptimization(optimization);
  const free = namedDims(dims);
  if (free) options.freeDimensionOverrides = free;
  return options;
}

/** A file name from an output name: only safe characters, never empty, unique in the folder. */
export function outputFileNames(names: string[]): Map<string, string> {
  const used = new Set<string>(['result']);
  const out = new Map<string, string>();
  for (const name of names) {
    const base =
      name
        .replace(/[^A-Za-z0-9._-]+/g, '_')
        .replace(/^[.]+/, '_')
        .slice(0, 100) || 'output';
    let candidate = base;
    for (let k = 2; used.has(candidate.toLowerCase()); k++) candidate = `${base}_${k}`;
    used.add(candidate.toLowerCase());
    out.set(name, `${candidate}.npy`);
  }
  return out;
}

export async function runCommand(args: string[], ctx: CliContext): Promise<void> {
  const { values, model, dims, note } = parseModelCommand('run', args, {
    provider: { type: 'string' },
    out: { type: 'string' },
    'generate-missing': { type: 'boolean' },
    ...taskFlags,
    profile: { type: 'boolean' },
    'save-optimized': { type: 'string' },
    ...speechFlags,
    expect: { type: 'string' },
    atol: { type: 'string' },
    rtol: { type: 'string' },
    ...tileFlags,
  });
  const tile = parseTileFlags(values);
  if ((values.atol !== undefined || values.rtol !== undefined) && values.expect === undefined)
    throw new UsageError('--atol and --rtol go with --expect DIR');
  const expectDir = values.expect === undefined ? undefined : resolve(values.expect);
  const tolerance = { atol: parseNumber('--atol', values.atol), rtol: parseNumber('--rtol', values.rtol) };
  let expectation: RunExpectation | undefined;
  const provider = parseProvider(values.provider ?? 'auto');
  const options = sessionOptions(provider, values.threads, dims, values.fallback, values.optimization);
  if (values.profile) options.profiling = true;
  if (values['save-optimized'] !== undefined) {
    const to = resolve(values['save-optimized']);
    if (!to.toLowerCase().endsWith('.onnx')) throw new UsageError('--save-optimized needs a file name ending in .onnx');
    if (await exists(to)) throw new CliFailure(`${to} already exists: choose another --save-optimized name`);
    options.saveOptimizedModel = to;
  }
  checkSpeechFlags(values, values.task);
  if (values.task === SPEECH_TASK) {
    if (expectDir) throw new UsageError(`--expect does not go with --task ${SPEECH_TASK}`);
    if (tile !== undefined) throw new UsageError(`--tile does not go with --task ${SPEECH_TASK}: tiles are for images`);
    return speechCommand(model, values, options, ctx);
  }
  const outDir = values.out === undefined ? undefined : resolve(values.out);
  const info = await readModelInfo(model);
  const task = await planTask(values, model, info, note);
  let interpreted: InterpretedRun | undefined;

  const result = await withServices(ctx, async (call) => {
    const inputs = withTiles(
      info,
      await buildInputs(call, model, info, inputOptions(values, dims, values['generate-missing'] ? 'zeros' : null, note)),
      tile,
    );
    const run = await call('model.run', { path: model, inputs, options });
    if (task) interpreted = await interpretRun(call, run, inputs, task, note);
    if (outDir) await saveRun(call, run, outDir, interpreted);
    if (expectDir) expectation = await call('run.expect', { runId: run.runId, dir: expectDir, ...tolerance });
    return run;
  });
  if (values.json)
    printJson({
      ...result,
      ...(interpreted ? { task: interpreted.settings, result: taskRecord(interpreted, !!outDir) } : {}),
      ...(expectation ? { expect: expectation } : {}),
    });
  else {
    process.stdout.write(formatRunResult(result));
    for (const r of interpreted?.interpretation.results ?? []) process.stdout.write(`\n${formatTaskResult(r)}`);
    if (outDir) process.stdout.write(`\nSaved ${result.outputs.length} outputs and result.json to ${outDir}\n`);
    const drawn = Object.values(interpreted?.files ?? {}).filter((f) => f !== undefined);
    if (outDir && drawn.length) process.stdout.write(`Saved the result as ${drawn.join(' and ')}\n`);
    if (expectation) process.stdout.write(`\n${formatExpectation(expectation)}`);
  }
  if (expectation && !expectation.pass) process.exitCode = 1;
}

/** "Expected (DIR, atol 1e-5, rtol 0.001): 2 of 2 outputs within tolerance" and a line per output. */
function formatExpectation(e: RunExpectation): string {
  const compared = e.outputs.filter((o) => o.file);
  const ok = compared.filter((o) => o.pass).length;
  const lines = [`Expected (${e.dir}, atol ${e.atol}, rtol ${e.rtol}): ${ok} of ${compared.length} outputs within tolerance`];
  for (const o of e.outputs) {
    if (!o.file) lines.push(`    ${o.name}: not compared (${o.reason})`);
    else if (o.pass) lines.push(`    ${o.name}: ok (max abs error ${o.maxAbsError.toExponential(2)}) ← ${o.file}`);
    else {
      const first = o.firstMismatch
        ? `; first at ${o.firstMismatch.index}: ${o.firstMismatch.actual} vs ${o.firstMismatch.expected}`
        : '';
      lines.push(`    ${o.name}: FAILED ${o.reason ?? `${o.mismatches} values out of tolerance${first}`} ← ${o.file}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

async function saveRun(call: Caller, run: RunResult, dir: string, interpreted?: InterpretedRun) {
  const files = outputFileNames(run.outputs.map((o) => o.name));
  const taskFiles = Object.values(interpreted?.files ?? {}).filter((f) => f !== undefined);
  const targets = [...files.values(), 'result.json', ...taskFiles].map((f) => join(dir, f));
  // Check every target first, so a rerun into the same folder changes nothing.
  for (const target of targets)
    if (await exists(target)) throw new CliFailure(`${target} already exists: choose another --out folder (nothing was written)`);
  await mkdir(dir, { recursive: true });
  const saved: Record<string, string> = {};
  for (const [name, file] of files) {
    await call('run.saveOutput', { runId: run.runId, name, to: join(dir, file) });
    saved[name] = file;
  }
  if (interpreted) await saveTaskFiles(call, run.runId, dir, interpreted);
  const record = {
    model: run.model,
    provider: run.provider,
    timings: run.timings,
    inputs: run.inputs,
    outputs: run.outputs.map((o) => ({ ...o, file: saved[o.name] })),
    ...(interpreted ? { task: interpreted.settings, result: taskRecord(interpreted, true) } : {}),
  };
  await writeFile(join(dir, 'result.json'), `${JSON.stringify(record, null, 2)}\n`, { flag: 'wx' });
}
