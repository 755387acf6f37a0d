// `onnx-workbench eval MODEL DATASET`: the model over a labelled dataset through the batch engine
// (progress, cancel, resume), scored as top-1/top-5, mAP, mIoU or CER/WER; `--against MODEL_B`
// runs a second model over the same files and lists where the two disagree.
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { batchJobSchema, type BatchJob, type BatchProgress } from '../../../shared/batch';
import {
  EVAL_TASKS,
  type EvalMetrics,
  type EvalProgress,
  type EvalReport,
  type EvalTask,
  evalRequestSchema,
  headlineMetrics,
} from '../../../shared/eval/report';
import { suggestTask } from '../../../shared/postprocess';
import { defaultDataDir } from '../../common/data-dir';
import { readModelInfo } from '../../common/onnx/reader';
import { type Caller, type CliContext, UsageError, callerOf, printJson, startServices } from '../args';
import { BATCH_SOON } from '../early-engine';
import { readRecipeFile } from '../inputs';
import { taskFlags } from '../task';
import { jobFromFlags } from './batch';

const flags = {
  ...taskFlags,
  recipe: { type: 'string' },
  'recipe-b': { type: 'string' },
  against: { type: 'string' },
  annotations: { type: 'string' },
  masks: { type: 'string' },
  list: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  provider: { type: 'string' },
  fallback: { type: 'string' },
  threads: { type: 'string' },
  'batch-size': { type: 'string' },
  'ignore-label': { type: 'string' },
} as const;

const LIST_TYPES = new Set(['.csv', '.tsv', '.txt', '.jsonl']);

/** The evaluation task: --task, else what the dataset's form says, else the model's suggestion. */
async function evalTask(
  model: string,
  task: string | undefined,
  hints: { annotations?: string; masks?: string },
): Promise<EvalTask> {
  if (task !== undefined) {
    if ((EVAL_TASKS as readonly string[]).includes(task)) return task as EvalTask;
    throw new UsageError(`eval reads ${EVAL_TASKS.join(', ')}; "${task}" is not one of them`);
  }
  if (hints.annotations) return 'detection';
  if (hints.masks) return 'segmentation';
  const suggested = suggestTask(await readModelInfo(model)).settings.kind;
  if ((EVAL_TASKS as readonly string[]).includes(suggested)) return suggested as EvalTask;
  throw new UsageError(`${model} is suggested as ${suggested}, which eval cannot score; give --task (${EVAL_TASKS.join(', ')})`);
}

/** The stable default output folder for a model, dataset and task: an evaluation run again resumes there. */
function defaultOut(model: string, dataset: string, task: string, against?: string): string {
  const h = createHash('sha256')
    .update([model, dataset, task, against ?? ''].join('\0'))
    .digest('hex')
    .slice(0, 12);
  return join(defaultDataDir(), 'evals', `${basename(model, extname(model))}-${h}`);
}

const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`);
const num = (x: number | null) => (x === null ? 'n/a' : x.toFixed(3));

function metricLines(m: EvalMetrics): string[] {
  switch (m.task) {
    case 'classification': {
      const c = m.classification;
      const lines = [
        `  top-1 ${pct(c.top1)}   top-5 ${pct(c.top5)}   (${c.samples} files)`,
        '  class                 precision  recall  support',
      ];
      for (const p of c.perClass.slice(0, 50))
        lines.push(
          `  ${p.name.slice(0, 20).padEnd(20)}  ${num(p.precision).padStart(9)}  ${num(p.recall).padStart(6)}  ${String(p.support).padStart(7)}`,
        );
      if (c.perClass.length > 50) lines.push(`  … ${c.perClass.length - 50} more classes in eval.json`);
      return lines;
    }
    case 'detection': {
      const d = m.detection;
      const lines = [
        `  mAP@0.5 ${num(d.map50)}   mAP@0.5:0.95 ${num(d.map50_95)}   mAP@0.75 ${num(d.map75)}   AR@100 ${num(d.mar100)}`,
        `  by size: small ${num(d.mapByArea.small)}  medium ${num(d.mapByArea.medium)}  large ${num(d.mapByArea.large)}`,
        '  class                 AP@0.5  AP@.5:.95  boxes',
      ];
      for (const p of d.perClass.slice(0, 80))
        lines.push(
          `  ${p.name.slice(0, 20).padEnd(20)}  ${num(p.ap50).padStart(6)}  ${num(p.ap).padStart(9)}  ${String(p.groundTruth).padStart(5)}`,
        );
      return lines;
    }
    case 'segmentation': {
      const s = m.segmentation;
      const lines = [`  mIoU ${num(s.miou)}   pixel accuracy ${pct(s.pixelAccuracy)}`, '  class                 IoU     pixels'];
      for (const p of s.perClass)
        lines.push(`  ${p.name.slice(0, 20).padEnd(20)}  ${num(p.iou).padStart(6)}  ${String(p.pixels).padStart(8)}`);
      return lines;
    }
    case 'text-recognition': {
      const t = m.text;
      return [
        `  CER ${pct(t.cer)}   WER ${pct(t.wer)}   read exactly ${pct(t.exact)}   (${t.samples} lines, ${t.chars} characters)`,
      ];
    }
  }
}

/** `--json`: the flat metric names, then the per-class tables. */
export function evalJson(report: EvalReport) {
  const side = (m: EvalMetrics) => {
    const head = headlineMetrics(m);
    switch (m.task) {
      case 'classification':
        return { ...head, per_class: m.classification.perClass, confusion: m.classification.confusion };
      case 'detection':
        return {
          ...head,
          map_by_area: m.detection.mapByArea,
          per_class: m.detection.perClass.map(({ pr50: _pr, ...rest }) => rest),
        };
      case 'segmentation':
        return { ...head, per_class: m.segmentation.perClass };
      case 'text-recognition':
        return { ...head, lines: m.text.samples, chars: m.text.chars, words: m.text.words };
    }
  };
  return {
    task: report.task,
    files: report.files,
    failed: report.failed,
    metrics: side(report.a.metrics),
    ...(report.b
      ? {
          against: { model: report.b.model, files: report.b.files, failed: report.b.failed, metrics: side(report.b.metrics) },
          disagreements: report.disagreements,
        }
      : {}),
    warnings: report.warnings,
  };
}

type EvalFlags = ReturnType<typeof parseEvalArgs>['values'];
const parseEvalArgs = (args: string[]) => parseArgs({ args, options: flags, allowPositionals: true });

export async function evalCommand(args: string[], ctx: CliContext): Promise<void> {
  const { values, positionals } = parseEvalArgs(args);
  if (positionals.length !== 2) throw new UsageError('eval takes a model and a dataset (a folder, or a file,label list)');
  // As `batch` does: the engine starts (and its decoder thread and provider probe) while the
  // dataset and the job are read and checked here.
  const services = startServices(ctx, BATCH_SOON);
  void services.engine.call('engine.ping', {});
  try {
    await evaluate(values, positionals, callerOf(services));
  } finally {
    services.dispose();
  }
}

async function evaluate(values: EvalFlags, positionals: string[], call: Caller): Promise<void> {
  const model = resolve(positionals[0]);
  let root = resolve(positionals[1]);
  let list = values.list === undefined ? undefined : resolve(values.list);
  const st = await stat(root).catch(() => null);
  if (st?.isFile() && LIST_TYPES.has(extname(root).toLowerCase())) {
    list = root;
    root = dirname(root);
  }
  const annotations = values.annotations === undefined ? undefined : resolve(values.annotations);
  const masks = values.masks === undefined ? undefined : resolve(values.masks);
  const task = await evalTask(model, values.task, { annotations, masks });
  const against = values.against === undefined ? undefined : resolve(values.against);
  const out = resolve(values.out ?? defaultOut(model, list ?? root, task, against));
  const note = values.json ? () => {} : (line: string) => process.stderr.write(`${line}\n`);

  const job = async (modelPath: string, recipe: string | undefined, folder: string): Promise<BatchJob> => {
    // A recipe file's own task settings (labels, charset…) are kept when they are of this task.
    const recipeTask = (await readRecipeFile(recipe))?.task;
    const input = await jobFromFlags(
      {
        ...values,
        task: recipeTask?.kind === task ? undefined : task,
        recipe,
        out: folder,
        // mAP needs the low-scored boxes too (as Ultralytics' val uses 0.001).
        conf: values.conf ?? (task === 'detection' ? '0.001' : undefined),
        top: values.top ?? (task === 'classification' ? '5' : undefined),
      },
      [modelPath, root],
      note,
    );
    const parsed = batchJobSchema.parse(input);
    const t = parsed.recipe.task;
    if (t?.kind === 'detection' && values.conf === undefined) t.maxDetections = Math.max(t.maxDetections, 300);
    return parsed;
  };
  const request = evalRequestSchema.parse({
    dataset: {
      task,
      root,
      ...(list ? { list } : {}),
      ...(annotations ? { annotations } : {}),
      ...(masks ? { masks } : {}),
      ...(values['ignore-label'] !== undefined ? { ignoreLabel: Number(values['ignore-label']) } : {}),
    },
    out,
    job: await job(model, values.recipe, against ? join(out, 'a') : join(out, 'job')),
    ...(against ? { against: await job(against, values['recipe-b'] ?? values.recipe, join(out, 'b')) } : {}),
  });

  const controller = new AbortController();
  const onSignal = () => controller.abort();
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(s, onSignal);
  let last = '';
  const onEvent = (event: unknown) => {
    const e = event as EvalProgress;
    if (values.json || !process.stderr.isTTY) return;
    const p: BatchProgress | undefined = e.batch;
    const line =
      e.phase === 'scoring'
        ? 'scoring…'
        : `model ${e.phase.toUpperCase()}: ${p?.done ?? 0}/${p?.total ?? '…'} · ${p?.failed ?? 0} failed · ${(p?.imagesPerSecond ?? 0).toFixed(1)} img/s`;
    if (line !== last) process.stderr.write(`\r${line}\x1b[K`);
    last = line;
  };
  try {
    note(`Evaluating ${model} as ${task} on ${list ?? annotations ?? root}; results in ${out}`);
    const report = await call('eval.run', request, onEvent, controller.signal);
    if (controller.signal.aborted) process.exitCode = 130;
    if (last) process.stderr.write('\n');
    if (values.json) {
      printJson({ ...evalJson(report), out });
      return;
    }
    const lines = [
      `${task}: ${report.files} files scored, ${report.failed} failed`,
      `A ${report.a.model}`,
      ...metricLines(report.a.metrics),
    ];
    if (report.b) {
      lines.push(`B ${report.b.model}`, ...metricLines(report.b.metrics));
      const d = report.disagreements ?? [];
      lines.push(`${d.length} files where A and B disagree${d.length ? ':' : ''}`);
      for (const x of d.slice(0, 20))
        lines.push(`  ${x.file}: A ${x.a} · B ${x.b}${x.measure !== undefined ? ` (${num(x.measure)})` : ''}`);
      if (d.length > 20) lines.push(`  … ${d.length - 20} more in eval.json`);
    }
    for (const w of report.warnings) lines.push(`warning: ${w}`);
    lines.push(
      `Report: ${join(out, 'eval.json')} (per-file.jsonl, ${report.written.filter((f) => f.endsWith('.png')).join(', ') || 'no plots'})`,
    );
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(s, onSignal);
  }
}
