// `onnx-workbench pipeline FILE.json --input IMAGE`: a pipeline of models on one image (OCR:
// text detection → recognition of each region), printed as regions with their text. With a
// folder as --input it is a batch job (the same progress, resume and exit codes as `batch`):
// results.csv/jsonl with each image's text and regions, and with --write images the regions drawn.
import { mkdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PROVIDER_NAMES } from '../../../shared/providers';
import {
  BATCH_JOURNAL_FILE,
  BATCH_STATE_DIR,
  type BatchJob,
  type BatchOutputKind,
  PIPELINE_JOB,
  batchJobSchema,
  outputUnavailable,
} from '../../../shared/batch';
import { type PipelineRegion, type PipelineResult, regionJson } from '../../../shared/pipeline';
import { resultJson } from '../../../shared/postprocess';
import { exists, writeNew } from '../../common/fs';
import { type CliContext, CliFailure, UsageError, parseCount, printJson, startServices, withServices } from '../args';
import { table } from '../format';
import { parseMaxFailures, watchBatchJob } from './batch';
import { parseFallback, parseProvider } from './run';

export const RESULT_FILE = 'result.json';
export const IMAGE_FILE = 'result.png';
export const PIPELINE_RESULT_FORMAT = 'onnx-workbench/pipeline-result';

const ms = (x: number): string => (x < 10 ? x.toFixed(2) : x.toFixed(0));

function formatRegion(r: PipelineRegion, k: number, turns: boolean): string[] {
  const corners = r.points.map(([x, y]) => `(${Math.round(x)}, ${Math.round(y)})`).join(' ');
  const text = r.text === undefined ? '' : JSON.stringify(r.text);
  const textScore = r.textScore === undefined ? '' : r.textScore.toFixed(2);
  const row = [String(k + 1), r.label ?? '', corners, r.score.toFixed(2), text, textScore];
  return turns ? [...row, r.turned ? 'turned 180°' : 'upright'] : row;
}

export function formatPipelineResult(r: PipelineResult): string {
  const out: string[] = [];
  out.push(`Pipeline: ${r.file ? basename(r.file) : '(inline)'}${r.name ? ` · ${r.name}` : ''}\n`);
  out.push(`Image: ${r.input} (${r.image.width}×${r.image.height} ${r.image.format})\n`);
  out.push(`\nSteps (${r.steps.length})\n`);
  out.push(
    table(
      r.steps.map((s) => [
        s.id,
        s.task,
        basename(s.model),
        s.from === 'input' ? 'whole image' : `regions of ${s.from}`,
        `${s.runs} run${s.runs === 1 ? '' : 's'}`,
        PROVIDER_NAMES[s.provider.used],
        `session ${s.timings.createMs ? `${ms(s.timings.createMs)} ms` : 'cached'} · run ${ms(s.timings.runMs)} ms · total ${ms(s.timings.totalMs)} ms`,
      ]),
    ),
  );
  // The same reason for every step (no GPU here) is said once.
  const reasons = new Set(r.steps.flatMap((s) => (s.provider.fallbackReason ? [s.provider.fallbackReason] : [])));
  for (const reason of reasons) out.push(`    note: ${reason}\n`);
  out.push(`\nRegions (${r.regions.length})\n`);
  // An orientation step says which regions it turned.
  const turns = r.steps.some((s) => s.orientation);
  out.push(table(r.regions.map((g, k) => formatRegion(g, k, turns))));
  out.push(`\nText\n${r.text ? r.text.replace(/^/gm, '    ') : '    (none)'}\n`);
  out.push(`\nTotal ${ms(r.totalMs)} ms\n`);
  return out.join('');
}

/** result.json: the pipeline's result with coordinates and scores rounded, each task result as `run --out` writes it. */
export function pipelineResultJson(r: PipelineResult, files: { image?: string } = {}): Record<string, unknown> {
  return {
    format: PIPELINE_RESULT_FORMAT,
    version: 1,
    ...(r.file ? { pipeline: r.file } : {}),
    ...(r.name ? { name: r.name } : {}),
    input: r.input,
    image: r.image,
    text: r.text,
    steps: r.steps.map((s) => ({
      id: s.id,
      model: s.model,
      task: s.task,
      from: s.from,
      provider: s.provider,
      runs: s.runs,
      timings: s.timings,
      notes: s.notes,
      results: s.results.map((x) => resultJson(x)),
    })),
    regions: r.regions.map((g) => ({
      ...regionJson(g),
      children: g.children.map((c) => ({ step: c.step, result: resultJson(c.result) })),
    })),
    ...(files.image ? { annotatedImage: files.image } : {}),
    totalMs: r.totalMs,
  };
}

const PIPELINE_OUTPUTS = ['csv', 'jsonl', 'images'] as const satisfies readonly BatchOutputKind[];

/** --write for a folder: csv, jsonl and images (the regions drawn on each image). */
function parsePipelineWrite(value: string | undefined): BatchOutputKind[] {
  if (value === undefined) return ['csv', 'jsonl'];
  const kinds = value
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  for (const k of kinds) {
    if (!(PIPELINE_OUTPUTS as readonly string[]).includes(k))
      throw new UsageError(`--write takes a list of ${PIPELINE_OUTPUTS.join(', ')}; "${k}" is not one`);
    const why = outputUnavailable(k as BatchOutputKind, PIPELINE_JOB);
    if (why) throw new UsageError(`--write ${k}: ${why}`);
  }
  if (!kinds.length) throw new UsageError(`--write needs at least one of ${PIPELINE_OUTPUTS.join(', ')}`);
  return kinds as BatchOutputKind[];
}

type PipelineValues = {
  out?: string;
  write?: string;
  resume?: boolean;
  json?: boolean;
  progress?: string;
  'max-failures'?: string;
  'retry-failed'?: boolean;
};

/** The pipeline over a folder, as a batch job; an output folder holding an earlier run is gone on with only with --resume. */
async function folderCommand(
  file: string,
  folder: string,
  values: PipelineValues,
  options: BatchJob['options'],
  ctx: CliContext,
) {
  if (values.out === undefined) throw new UsageError('pipeline over a folder needs an output folder: --out DIR');
  const write = parsePipelineWrite(values.write);
  const mode = values.progress ?? (values.json ? 'json' : process.stderr.isTTY ? 'bar' : 'lines');
  if (!['json', 'bar', 'lines', 'none'].includes(mode))
    throw new UsageError(`--progress takes json, bar, lines or none, not "${values.progress}"`);
  const out = resolve(values.out);
  const journal = join(out, BATCH_STATE_DIR, BATCH_JOURNAL_FILE);
  if (!values.resume && (await exists(journal)))
    throw new CliFailure(`${out} holds an earlier run of a job: pass --resume to go on with it, or choose another --out`, 1);
  const parsed = batchJobSchema.safeParse({
    model: file,
    pipeline: {},
    input: { folder },
    output: { folder: out, write },
    options,
    retryFailed: !!values['retry-failed'],
    ...(values['max-failures'] !== undefined ? { maxFailures: parseMaxFailures(values['max-failures']) } : {}),
  });
  if (!parsed.success) throw new UsageError(parsed.error.issues[0]?.message ?? 'invalid job');
  const note = mode === 'json' ? () => {} : (line: string) => process.stderr.write(`${line}\n`);
  const services = startServices(ctx);
  try {
    await watchBatchJob(parsed.data, mode, note, services);
  } finally {
    services.dispose();
  }
}

export async function pipelineCommand(args: string[], ctx: CliContext): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      input: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean' },
      provider: { type: 'string' },
      fallback: { type: 'string' },
      threads: { type: 'string' },
      write: { type: 'string' },
      resume: { type: 'boolean' },
      progress: { type: 'string' },
      'max-failures': { type: 'string' },
      'retry-failed': { type: 'boolean' },
    },
    allowPositionals: true,
  });
  if (positionals.length !== 1) throw new UsageError('pipeline takes exactly one pipeline file (.json)');
  if (values.input === undefined) throw new UsageError('pipeline needs an image: --input IMAGE');
  const file = resolve(positionals[0]);
  const input = resolve(values.input);
  const options: { provider: ReturnType<typeof parseProvider>; fallback: 'cpu' | 'none'; intraOpThreads?: number } = {
    provider: parseProvider(values.provider ?? 'auto'),
    fallback: parseFallback(values.fallback),
  };
  if (values.threads !== undefined) options.intraOpThreads = parseCount('--threads', values.threads, 0);
  const isFolder = await stat(input).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (isFolder) return folderCommand(file, input, values, options, ctx);
  for (const flag of ['write', 'resume', 'progress', 'max-failures', 'retry-failed'] as const)
    if (values[flag] !== undefined) throw new UsageError(`--${flag} goes with a folder as --input (a job), not one image`);
  const outDir = values.out === undefined ? undefined : resolve(values.out);
  let annotatedImage: string | undefined;
  if (outDir) {
    annotatedImage = join(outDir, IMAGE_FILE);
    // Check both targets first, so a rerun into the same folder changes nothing.
    for (const target of [join(outDir, RESULT_FILE), annotatedImage])
      if (await exists(target))
        throw new CliFailure(`${target} already exists: choose another --out folder (nothing was written)`);
    await mkdir(outDir, { recursive: true });
  }
  const result = await withServices(ctx, (call) => call('pipeline.run', { file, input, options, annotatedImage }));
  if (outDir) {
    const record = pipelineResultJson(result, { image: IMAGE_FILE });
    await writeNew(join(outDir, RESULT_FILE), new TextEncoder().encode(`${JSON.stringify(record, null, 2)}\n`));
  }
  if (values.json) {
    // The preview (a JPEG for the app's view) would be hundreds of KB of base64 on stdout.
    const { preview: _preview, ...rest } = result;
    printJson(rest);
  } else {
    process.stdout.write(formatPipelineResult(result));
    if (outDir) process.stdout.write(`\nSaved ${RESULT_FILE} and ${IMAGE_FILE} (regions drawn on the image) to ${outDir}\n`);
  }
}
