// `onnx-workbench batch MODEL FOLDER --out DIR`: a folder of images through a model, with a
// progress bar on a terminal, plain progress lines elsewhere (JSON lines with --progress json),
// resumed when run again, and a last line with the counts. Exit 0 when the job finished, even
// with failed files; 7 when more failed than --max-failures allows; after Ctrl+C, SIGTERM or
// SIGHUP the counts done and left are printed. `--shard I/N|auto` runs one shard of the folder;
// `batch merge DIR` puts the shards' results together.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  BATCH_OUTPUTS,
  type BatchJob,
  type BatchJobInput,
  type BatchOutputKind,
  type BatchProgress,
  type BatchSummary,
  batchJobSchema,
  describeCounts,
  describeSpeed,
  MAX_BATCH_SIZE,
} from '../../../shared/batch';
import { ANY_INPUT, recipeForInput } from '../../../shared/model-recipe';
import type { ModelInfo } from '../../../shared/model-info';
import { guessModelRecipe } from '../../../shared/recipe';
import { TASK_KINDS, type TaskSettings } from '../../../shared/tasks';
import { WorkbenchError } from '../../../shared/result';
import { type ShardSpec, ShardSpecError, describeShard, parseShardSpec, shardFromEnv } from '../../../shared/shard';
import { readModelInfo } from '../../common/onnx/reader';
import type { Services } from '../../node/services';
import { type CliContext, CliFailure, UsageError, parseCount, startServices, withServices } from '../args';
import { BATCH_SOON } from '../early-engine';
import { checkTiles, parseTileFlags, readRecipeFile, tileFlags } from '../inputs';
import { ProgressLines, cancelledLine, formatDuration } from '../progress-lines';
import { suggestTaskFor } from '../../common/task-suggest';
import { resolveTask, taskFlags, taskSettings, type TaskFlags } from '../task';
import { parseFallback, parseProvider } from './run';
import { SPEECH_TASK, checkSpeechFlags, speechFlags, speechSettingsFrom } from './speech';

/** The signals that cancel a job, and the exit code each gives (128 + its number, as shells do). */
const CANCEL_SIGNALS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
type CancelSignal = keyof typeof CANCEL_SIGNALS;

const flags = {
  out: { type: 'string' },
  recipe: { type: 'string' },
  ...taskFlags,
  ...speechFlags,
  'sample-rate': { type: 'string' },
  recursive: { type: 'boolean' },
  'no-recursive': { type: 'boolean' },
  include: { type: 'string', multiple: true },
  exclude: { type: 'string', multiple: true },
  provider: { type: 'string' },
  fallback: { type: 'string' },
  threads: { type: 'string' },
  write: { type: 'string' },
  'coco-masks': { type: 'string' },
  'batch-size': { type: 'string' },
  'max-pixels': { type: 'string' },
  name: { type: 'string' },
  progress: { type: 'string' },
  job: { type: 'string' },
  'retry-failed': { type: 'boolean' },
  overwrite: { type: 'boolean' },
  'allow-inside-input': { type: 'boolean' },
  shard: { type: 'string' },
  'input-list': { type: 'string' },
  'max-failures': { type: 'string' },
  ...tileFlags,
} as const;

/** Flags that may go with --job (the rest of the job comes from the file). */
const WITH_JOB = new Set(['job', 'progress', 'retry-failed', 'overwrite', 'fallback', 'shard', 'input-list', 'max-failures']);

/** The exit code of a job stopped by --max-failures (distinct from usage errors and other failures). */
export const EXIT_TOO_MANY_FAILURES = 7;

/** --shard I/N, or auto: from a scheduler's environment. */
export function parseShard(value: string, env: NodeJS.ProcessEnv, note: (l: string) => void): ShardSpec {
  try {
    if (value.trim() !== 'auto') return parseShardSpec(value);
    const found = shardFromEnv(env);
    note(`Shard: ${found.index}/${found.count} (from ${found.source})`);
    return { index: found.index, count: found.count };
  } catch (error) {
    if (error instanceof ShardSpecError) throw new UsageError(error.message);
    throw error;
  }
}

/** --max-failures N (files) or P% (of the files the job takes). */
export function parseMaxFailures(value: string): NonNullable<BatchJob['maxFailures']> {
  const v = value.trim();
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(v);
  if (percent && Number(percent[1]) <= 100) return { percent: Number(percent[1]) };
  if (/^\d+$/.test(v)) return { count: Number(v) };
  throw new UsageError(`--max-failures takes a number of files (10) or a share of them (5%), not "${value}"`);
}

/** The flags that shape which files a job takes and when it gives up, over a job from flags or a file. */
function withRunFlags(job: BatchJob, values: Record<string, unknown>, note: (l: string) => void): BatchJob {
  let out = job;
  if (typeof values.shard === 'string') out = { ...out, shard: parseShard(values.shard, process.env, note) };
  if (typeof values['input-list'] === 'string') out = { ...out, input: { ...out.input, list: resolve(values['input-list']) } };
  if (typeof values['max-failures'] === 'string') out = { ...out, maxFailures: parseMaxFailures(values['max-failures']) };
  return out;
}

function parseWrite(value: string | undefined): BatchOutputKind[] | undefined {
  if (value === undefined) return undefined;
  const kinds = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const k of kinds)
    if (!(BATCH_OUTPUTS as readonly string[]).includes(k))
      throw new UsageError(`--write takes a list of ${BATCH_OUTPUTS.join(', ')}; "${k}" is not one`);
  if (!kinds.length) throw new UsageError(`--write needs at least one of ${BATCH_OUTPUTS.join(', ')}`);
  return kinds as BatchOutputKind[];
}

/** --coco-masks polygon|rle: how coco.json gives instance masks. */
function parseCocoMasks(value: string | undefined, write: BatchOutputKind[] | undefined): 'polygon' | 'rle' | undefined {
  if (value === undefined) return undefined;
  if (value !== 'polygon' && value !== 'rle') throw new UsageError(`--coco-masks takes polygon or rle, not "${value}"`);
  if (!write?.includes('coco')) throw new UsageError('--coco-masks needs --write with coco');
  return value;
}

async function readJobFile(file: string): Promise<BatchJob> {
  const path = resolve(file);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new CliFailure(`job file not found: ${path}`, 3);
    throw new CliFailure(`${path} is not a JSON batch job: ${(error as Error).message}`);
  }
  const parsed = batchJobSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CliFailure(`${path} is not a valid batch job: ${issue?.path.map(String).join('.')}: ${issue?.message}`);
  }
  return parsed.data;
}

/**
 * The task: --task (auto: the model's suggestion), else the recipe file's, else the model's
 * suggestion (with a charset or labels file found beside the model, as the app does).
 */
async function chooseTask(
  model: string,
  info: ModelInfo,
  recipeTask: TaskSettings | undefined,
  values: TaskFlags,
  note: (l: string) => void,
): Promise<TaskSettings | undefined> {
  if (values.task === 'none') return undefined;
  if (values.task !== undefined && values.task !== 'auto' && !(TASK_KINDS as readonly string[]).includes(values.task))
    throw new UsageError(`unknown task "${values.task}" (one of: auto, none, ${TASK_KINDS.join(', ')})`);
  if (values.task === undefined && recipeTask) return taskSettings(recipeTask, values);
  if (values.task === undefined || values.task === 'auto') {
    const suggestion = await suggestTaskFor(model, info);
    note(`Task: ${suggestion.settings.kind} (${suggestion.reason}); choose another with --task`);
    return taskSettings(suggestion.settings, values);
  }
  return resolveTask(values.task as TaskSettings['kind'], values, model, info, note);
}

/** The job from the command line: model, folder, recipe (given or guessed), task and outputs. */
export async function jobFromFlags(
  values: Record<string, unknown> & TaskFlags,
  positionals: string[],
  note: (l: string) => void,
): Promise<BatchJobInput> {
  if (positionals.length !== 2) throw new UsageError('batch takes a model and an image folder (or --job FILE)');
  if (typeof values.out !== 'string') throw new UsageError('batch needs --out DIR: the folder results go to');
  if (values.recursive && values['no-recursive']) throw new UsageError('give --recursive or --no-recursive, not both');
  const model = resolve(positionals[0]);
  checkSpeechFlags(values as Parameters<typeof checkSpeechFlags>[0], values.task);
  if (values.task === SPEECH_TASK) return speechJobFromFlags(model, values, positionals[1]);
  const info = await readModelInfo(model);
  const input = info.inputs[0];
  if (!input) throw new CliFailure(`${model} has no inputs to feed images to`);
  const recipeFile = await readRecipeFile(values.recipe as string | undefined);
  const named = recipeFile ? Object.keys(recipeFile.inputs).filter((k) => k !== ANY_INPUT) : [];
  const inputName = named[0] ?? input.name;
  let recipe = recipeFile ? recipeForInput(recipeFile, inputName) : undefined;
  if (!recipe) {
    const guess = guessModelRecipe(info, input);
    note(`Recipe for "${input.name}" (guessed; save one and pass --recipe to change it):`);
    for (const n of guess.notes) note(`  - ${n}`);
    recipe = guess.recipe;
  }
  const write = parseWrite(values.write as string | undefined);
  const cocoMasks = parseCocoMasks(values['coco-masks'] as string | undefined, write);
  const task = await chooseTask(model, info, recipeFile?.task, values, note);
  const options: Record<string, unknown> = { ...recipeFile?.options };
  if (values.provider !== undefined) options.provider = parseProvider(values.provider as string);
  options.fallback = parseFallback(values.fallback as string | undefined);
  if (values.threads !== undefined) options.intraOpThreads = parseCount('--threads', values.threads as string, 0);
  const batchSize =
    values['batch-size'] === undefined || values['batch-size'] === 'auto'
      ? 'auto'
      : parseCount('--batch-size', values['batch-size'] as string, 1, 1);
  if (batchSize !== 'auto' && batchSize > MAX_BATCH_SIZE) throw new UsageError(`--batch-size must be at most ${MAX_BATCH_SIZE}`);
  const tile = parseTileFlags(values as { tile?: string; 'tile-overlap'?: string });
  const tiled = tile === undefined ? recipe.tile : tile === 'off' ? undefined : tile;
  if (tiled) {
    if (batchSize !== 'auto' && batchSize > 1)
      throw new UsageError('--batch-size does not go with tiles: a tiled image is one run per tile');
    const target = info.inputs.find((v) => v.name === inputName) ?? input;
    note(`Tiles: ${checkTiles(tiled, target, recipe.layout).note}`);
  }
  return {
    ...(tile !== undefined ? { tile } : {}),
    ...(values.name ? { name: values.name as string } : {}),
    model,
    recipe: { inputs: { [inputName]: recipe }, ...(task ? { task } : {}) },
    input: {
      folder: resolve(positionals[1]),
      recursive: !values['no-recursive'],
      include: (values.include as string[] | undefined) ?? [],
      exclude: (values.exclude as string[] | undefined) ?? [],
    },
    output: {
      folder: resolve(values.out),
      ...(write ? { write } : {}),
      ...(cocoMasks ? { cocoMasks } : {}),
      overwrite: !!values.overwrite,
      allowInsideInput: !!values['allow-inside-input'],
    },
    options,
    batchSize,
    ...(values['max-pixels'] !== undefined
      ? { maxPixels: parseCount('--max-pixels', values['max-pixels'] as string, 1, 1) }
      : {}),
    retryFailed: !!values['retry-failed'],
  };
}

/** `--task speech-activity`: the folder's .wav files through a voice-activity model, speech segments per file. */
function speechJobFromFlags(model: string, values: Record<string, unknown>, folder: string): BatchJobInput {
  const { rate, settings } = speechSettingsFrom(values as Parameters<typeof speechSettingsFrom>[0]);
  for (const flag of ['recipe', 'labels', 'charset', 'conf', 'iou', 'top', 'batch-size', 'max-pixels', 'tile', 'tile-overlap'])
    if (values[flag] !== undefined) throw new UsageError(`--${flag} does not go with --task ${SPEECH_TASK}`);
  return {
    ...(values.name ? { name: values.name as string } : {}),
    model,
    speech: { settings, sampleRate: rate },
    input: {
      folder: resolve(folder),
      recursive: !values['no-recursive'],
      include: (values.include as string[] | undefined) ?? [],
      exclude: (values.exclude as string[] | undefined) ?? [],
    },
    output: {
      folder: resolve(values.out as string),
      ...(parseWrite(values.write as string | undefined) ? { write: parseWrite(values.write as string) } : {}),
      overwrite: !!values.overwrite,
      allowInsideInput: !!values['allow-inside-input'],
    },
    options: {
      ...(values.provider !== undefined ? { provider: parseProvider(values.provider as string) } : {}),
      fallback: parseFallback(values.fallback as string | undefined),
      ...(values.threads !== undefined ? { intraOpThreads: parseCount('--threads', values.threads as string, 0) } : {}),
    },
    retryFailed: !!values['retry-failed'],
  };
}

function bar(p: BatchProgress, width = 24): string {
  const frac = p.total ? Math.min(1, p.done / p.total) : 0;
  const filled = Math.round(frac * width);
  const total = p.total === null ? '…' : String(p.total);
  const eta = p.etaSeconds === null ? '' : ` · ETA ${formatDuration(p.etaSeconds)}`;
  const state = p.state === 'paused' ? ' (paused)' : '';
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.done}/${total} · ${p.ok} ok · ${p.failed} failed · ${describeSpeed(p)}${eta}${state}`;
}

export function summaryLine(s: BatchSummary): string {
  const how = s.state === 'finished' ? 'Finished' : s.state === 'cancelled' ? 'Cancelled' : 'Stopped';
  const rate = s.processed ? ` in ${(s.elapsedMs / 1000).toFixed(1)}s (${s.imagesPerSecond.toFixed(1)} img/s)` : '';
  return `${how}: ${describeCounts(s)}${rate} → ${s.outputFolder}`;
}

/** A summary as the progress event it ends on. */
function progressOf(s: BatchSummary): BatchProgress {
  return { ...s, state: s.state, left: Math.max(0, s.total - s.done), etaSeconds: null, current: null, latest: [] };
}

export async function batchCommand(args: string[], ctx: CliContext): Promise<void> {
  if (args[0] === 'merge') return mergeCommand(args.slice(1), ctx);
  const { values, positionals } = parseArgs({ args, options: flags, allowPositionals: true });
  const mode = values.progress ?? (process.stderr.isTTY ? 'bar' : 'lines');
  if (!['json', 'bar', 'lines', 'none'].includes(mode))
    throw new UsageError(`--progress takes json, bar, lines or none, not "${values.progress}"`);
  const note = mode === 'json' ? () => {} : (line: string) => process.stderr.write(`${line}\n`);
  // The engine starts (a process of its own) while the job is read and checked here, and begins
  // what a batch job needs (its decoder thread, the provider probe) as it starts.
  const services = startServices(ctx, BATCH_SOON);
  void services.engine.call('engine.ping', {});
  try {
    await runJob(values, positionals, mode, note, services);
  } finally {
    services.dispose();
  }
}

async function runJob(
  values: ReturnType<typeof parseArgs<{ options: typeof flags; allowPositionals: true }>>['values'],
  positionals: string[],
  mode: string,
  note: (line: string) => void,
  services: Services,
): Promise<void> {
  let job: BatchJob;
  if (values.job !== undefined) {
    const extra = Object.keys(values).filter((k) => !WITH_JOB.has(k));
    if (positionals.length || extra.length)
      throw new UsageError(
        `--job FILE holds the whole job; only --progress, --retry-failed, --overwrite, --fallback, --shard, --input-list and --max-failures go with it`,
      );
    job = await readJobFile(values.job);
    if (values['retry-failed']) job = { ...job, retryFailed: true };
    if (values.overwrite) job = { ...job, output: { ...job.output, overwrite: true } };
    // A saved job from the app may predate the choice: the command line's rule applies.
    if (values.fallback !== undefined || job.options?.fallback === undefined)
      job = { ...job, options: { ...job.options, fallback: parseFallback(values.fallback) } };
  } else {
    const parsed = batchJobSchema.safeParse(await jobFromFlags(values, positionals, note));
    if (!parsed.success) throw new UsageError(parsed.error.issues[0]?.message ?? 'invalid job');
    job = parsed.data;
  }
  job = withRunFlags(job, values, note);
  await watchBatchJob(job, mode, note, services);
}

/**
 * Starts a batch job (a pipeline job too) and follows it to its end: progress as `mode` says,
 * the summary line, and the exit code (130/143/129 after a signal, 7 after --max-failures).
 */
export async function watchBatchJob(
  job: BatchJob,
  mode: string,
  note: (line: string) => void,
  services: Services,
): Promise<void> {
  // Ctrl+C, SIGTERM or SIGHUP cancels the job: it finishes the files in flight, and the journal
  // keeps what was done for the next run of the same command.
  let jobId: string | null = null;
  let cancelledBy: CancelSignal | null = null;
  const handlers = (Object.keys(CANCEL_SIGNALS) as CancelSignal[]).map((signal) => {
    const handler = () => {
      cancelledBy ??= signal;
      if (jobId) void services.client.call('batch.cancel', { jobId });
    };
    process.once(signal, handler);
    return [signal, handler] as const;
  });
  let lastBar = '';
  let latest: BatchProgress | null = null;
  const lines = new ProgressLines((line) => process.stderr.write(`${line}\n`));
  const ticker = mode === 'lines' ? setInterval(() => lines.tick(), 1000) : null;
  ticker?.unref();
  // The job counts its files as it starts: the line saying how many comes with the first count.
  let counted = mode === 'json';
  const onEvent = (p: BatchProgress) => {
    latest = p;
    if (!counted && p.total !== null) {
      counted = true;
      const share = job.shard ? ` (${describeShard(job.shard)})` : '';
      if (lastBar) process.stderr.write('\r\x1b[K');
      note(`${p.total} files to process in ${job.input.folder}${share}`);
      if (lastBar) process.stderr.write(`\r${lastBar}\x1b[K`);
    }
    if (mode === 'json') process.stdout.write(`${JSON.stringify(p)}\n`);
    else if (mode === 'lines') lines.update(p);
    else if (mode === 'bar') {
      const line = bar(p);
      if (line !== lastBar) process.stderr.write(`\r${line}\x1b[K`);
      lastBar = line;
    }
  };
  try {
    const started = await services.client.call('batch.start', { job });
    const result = started.ok
      ? await (() => {
          jobId = started.value.jobId;
          if (cancelledBy) void services.client.call('batch.cancel', { jobId });
          return services.client.call('batch.watch', { jobId }, { onEvent });
        })()
      : started;
    if (mode === 'bar' && lastBar) process.stderr.write('\n');
    const done = result.ok ? result.value : null;
    const cancelled = done ? done.state === 'cancelled' : !result.ok && result.error.code === 'CANCELLED';
    if (cancelled && (cancelledBy || !done)) {
      // The summary's counts when the job got to write one, else the last progress event's.
      const counts: BatchProgress | null = done
        ? { ...(latest ?? progressOf(done)), ...done, left: Math.max(0, done.total - done.done) }
        : latest;
      process.stderr.write(`${cancelledLine(counts, cancelledBy ?? 'cancelled')}\n`);
      if (done && mode === 'json') process.stdout.write(`${JSON.stringify({ summary: done })}\n`);
      process.exitCode = cancelledBy ? CANCEL_SIGNALS[cancelledBy] : 130;
      return;
    }
    if (!result.ok) {
      // A job that cannot run because of what it was given (folders, recipe) is a failure, not wrong usage.
      if (result.error.code === 'INVALID_INPUT') throw new CliFailure(result.error.message, 1);
      if (result.error.code === 'TOO_MANY_FAILURES') throw new CliFailure(result.error.message, EXIT_TOO_MANY_FAILURES);
      throw new WorkbenchError(result.error.code, result.error.message);
    }
    const summary: BatchSummary = result.value;
    if (mode === 'json') process.stdout.write(`${JSON.stringify({ summary })}\n`);
    else {
      process.stdout.write(`${summaryLine(summary)}\n`);
      const t = summary.modelThreads;
      if (t)
        note(
          `The model ran on ${t.to} of ${t.from} threads${t.batchSize ? `, ${t.batchSize} images a run,` : ''} after its first ${t.after} images: they took ${t.inferenceMs} CPU ms each in the model, ${t.otherMs} in decoding and the rest`,
        );
    }
    if (summary.state === 'cancelled') {
      process.stderr.write('Cancelled; run the same command again to resume.\n');
      process.exitCode = 130;
    } else if (summary.state !== 'finished') process.exitCode = 1;
  } finally {
    if (ticker) clearInterval(ticker);
    for (const [signal, handler] of handlers) process.off(signal, handler);
  }
}

/** `batch merge DIR`: the shards' results as one; exit 1 (after writing what there is) when a shard is missing or unfinished. */
async function mergeCommand(args: string[], ctx: CliContext): Promise<void> {
  const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean' } }, allowPositionals: true });
  if (positionals.length !== 1) throw new UsageError('batch merge takes one output folder: the --out DIR the shards wrote to');
  const folder = resolve(positionals[0]);
  const report = await withServices(ctx, (call) => call('batch.merge', { folder }));
  const complete = report.problems.length === 0;
  if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else {
    const done = report.shards.filter((s) => s.state === 'finished').length;
    process.stdout.write(
      `${complete ? 'Merged' : 'Merged (incomplete)'}: ${describeCounts({ total: report.files, ok: report.ok, failed: report.failed, skipped: 0 })} from ${done} of ${report.count} shards finished → ${report.outputFolder} (${report.written.join(', ')})\n`,
    );
  }
  if (!complete) throw new CliFailure(report.problems.join('; '), 1);
}
