// An evaluation: the model's batch job over the dataset (journal, resume, bounded memory: the
// batch engine's), then its results scored against the truth; with `against`, the second model's
// job over the same files and the files where the two disagree. Writes eval.json, per-file.jsonl
// and the plots (SVG and PNG) to the output folder.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BatchJob, BatchProgress } from '../../../shared/batch';
import { boxIou } from '../../../shared/postprocess';
import { segmentationModeFor } from '../../../shared/postprocess/segmentation';
import {
  type Disagreement,
  type EvalFileResult,
  type EvalMetrics,
  type EvalProgress,
  type EvalReport,
  type EvalRequest,
  type ModelEvaluation,
} from '../../../shared/eval/report';
import { classBarsSvg, confusionMatrixSvg, prCurvesSvg } from '../../../shared/eval/plots';
import { SegmentationTally, segmentationMetrics } from '../../../shared/eval/segmentation';
import { WorkbenchError } from '../../../shared/result';
import { readModelInfo } from '../../common/onnx/reader';
import { runBatchJob, type BatchRunOptions } from '../batch/job';
import { exists, writeAtomic } from '../../common/fs';
import { loadDataset, type LoadedDataset } from './dataset';
import { type ResultRow, readClassMask, readResults, scoreJob } from './score';
import { loadSharp } from '../image/sharp';

export interface EvalRunOptions extends Pick<
  BatchRunOptions,
  'sessions' | 'decoder' | 'lowerDecoders' | 'modelCpuMs' | 'signal' | 'gate' | 'progressIntervalMs'
> {
  jobId?: string;
  onProgress?: (p: EvalProgress) => void;
}

export const EVAL_FORMAT = 'onnx-workbench/eval';
const INPUTS_FILE = 'inputs.txt';

/** The labelled files, one per line: the jobs take only these (not every image of the folder). */
function labelledFiles(dataset: LoadedDataset): string[] {
  const t = dataset.truth;
  const keys =
    t.task === 'classification'
      ? t.labels.keys()
      : t.task === 'detection'
        ? (t.coco ?? t.yolo!).keys()
        : t.task === 'segmentation'
          ? t.masks.keys()
          : t.texts.keys();
  return [...keys].sort();
}

/** The job as the evaluation needs it: the labelled files of the dataset folder, results.jsonl (and masks) written. */
function evalJob(job: BatchJob, dataset: LoadedDataset, root: string, list: string): BatchJob {
  const write = new Set(job.output.write);
  write.add('jsonl');
  if (dataset.truth.task === 'segmentation') write.add('masks');
  return {
    ...job,
    input: { ...job.input, folder: root, list, exclude: [...job.input.exclude, ...dataset.exclude] },
    output: { ...job.output, write: [...write] },
  };
}

/** The output folder holds nothing of ours' names that we did not write (an earlier eval.json of ours is fine). */
async function checkOutFolder(out: string): Promise<void> {
  const report = join(out, 'eval.json');
  if (await exists(report)) {
    let format: unknown;
    try {
      format = (JSON.parse(await readFile(report, 'utf8')) as { format?: unknown }).format;
    } catch {
      format = undefined;
    }
    if (format !== EVAL_FORMAT)
      throw new WorkbenchError(
        'INVALID_INPUT',
        `${report} was not written by an ONNX Workbench evaluation; it was kept: choose another output folder`,
      );
    return;
  }
  const plots = ['confusion', 'recall', 'precision', 'ap', 'pr', 'iou'].flatMap((n) =>
    ['', 'a-', 'b-'].flatMap((p) => [`${p}${n}.svg`, `${p}${n}.png`]),
  );
  for (const name of ['per-file.jsonl', INPUTS_FILE, ...plots])
    if (await exists(join(out, name)))
      throw new WorkbenchError(
        'INVALID_INPUT',
        `${join(out, name)} is in the output folder but not from an evaluation; it was kept: choose another output folder`,
      );
}

async function isBinary(job: BatchJob): Promise<boolean> {
  const task = job.recipe.task;
  if (task?.kind !== 'segmentation') return false;
  if (task.mode !== 'auto') return task.mode === 'binary';
  const info = await readModelInfo(job.model);
  const shapes = info.outputs
    .filter((v) => v.kind === 'tensor')
    .map((v) => ({
      name: v.name,
      dtype: v.dtype ?? 'float32',
      dims: (v.shape ?? []).map((d) => (typeof d === 'number' ? d : -1)),
    }));
  return segmentationModeFor(shapes) === 'binary';
}

async function evaluateModel(
  job: BatchJob,
  dataset: LoadedDataset,
  request: EvalRequest,
  phase: 'a' | 'b',
  options: EvalRunOptions,
): Promise<{ evaluation: ModelEvaluation; perFile: EvalFileResult[]; warnings: string[] }> {
  const summary = await runBatchJob(evalJob(job, dataset, request.dataset.root, join(request.out, INPUTS_FILE)), {
    sessions: options.sessions,
    // The batch job's decoder thread too: an evaluation runs at the batch job's speed.
    ...(options.decoder ? { decoder: options.decoder } : {}),
    lowerDecoders: options.lowerDecoders,
    modelCpuMs: options.modelCpuMs,
    signal: options.signal,
    gate: options.gate,
    progressIntervalMs: options.progressIntervalMs,
    jobId: options.jobId ? `${options.jobId}-${phase}` : undefined,
    onProgress: (batch: BatchProgress) => options.onProgress?.({ phase, batch }),
  });
  if (summary.state === 'cancelled')
    throw new WorkbenchError('CANCELLED', 'The evaluation was cancelled; run it again to resume.');
  if (summary.state !== 'finished')
    throw new WorkbenchError(
      summary.error?.code ?? 'INTERNAL',
      summary.error?.message ?? `The batch job of ${job.model} stopped`,
    );
  options.onProgress?.({ phase: 'scoring' });
  const scored = await scoreJob(dataset, job.output.folder, {
    binary: await isBinary(job),
    ignoreLabel: request.dataset.ignoreLabel,
  });
  const ok = scored.perFile.filter((f) => f.status === 'ok').length;
  return {
    evaluation: {
      model: job.model,
      outputFolder: job.output.folder,
      files: ok,
      failed: scored.failed,
      missing: scored.missing,
      metrics: scored.metrics,
    },
    perFile: scored.perFile,
    warnings: scored.warnings,
  };
}

function found(row: ResultRow | undefined, minScore: number) {
  return (row?.result?.detections ?? []).filter((d) => d.score >= minScore);
}

/** Boxes of one that the other has no box of the same class for (IoU ≥ 0.5). */
function unmatchedBoxes(a: ReturnType<typeof found>, b: ReturnType<typeof found>): number {
  const taken = new Set<number>();
  let lonely = 0;
  for (const d of a) {
    const j = b.findIndex(
      (e, k) => !taken.has(k) && e.classId === d.classId && boxIou([d.x1, d.y1, d.x2, d.y2, e.x1, e.y1, e.x2, e.y2], 0, 1) >= 0.5,
    );
    if (j < 0) lonely += 1;
    else taken.add(j);
  }
  return lonely + (b.length - taken.size);
}

async function disagreements(request: EvalRequest, a: BatchJob, b: BatchJob, files: string[]): Promise<Disagreement[]> {
  const [ra, rb] = await Promise.all([readResults(a.output.folder), readResults(b.output.folder)]);
  const out: Disagreement[] = [];
  for (const file of files) {
    const x = ra.get(file);
    const y = rb.get(file);
    if (!x || !y) continue;
    if (x.status !== y.status) {
      out.push({
        file,
        a: x.status === 'ok' ? (x.result?.text ?? 'ok') : 'failed',
        b: y.status === 'ok' ? (y.result?.text ?? 'ok') : 'failed',
      });
      continue;
    }
    if (x.status !== 'ok') continue;
    switch (request.dataset.task) {
      case 'classification': {
        const p = x.result?.top?.[0];
        const q = y.result?.top?.[0];
        if (p?.label !== q?.label) out.push({ file, a: x.result?.text ?? '', b: y.result?.text ?? '' });
        break;
      }
      case 'text-recognition': {
        if ((x.result?.text ?? '') !== (y.result?.text ?? ''))
          out.push({ file, a: x.result?.text ?? '', b: y.result?.text ?? '' });
        break;
      }
      case 'detection': {
        const lonely = unmatchedBoxes(found(x, request.boxScore), found(y, request.boxScore));
        if (lonely) out.push({ file, a: x.result?.text ?? '', b: y.result?.text ?? '', measure: lonely });
        break;
      }
      case 'segmentation': {
        const pa = x.outputs?.find((o) => o.startsWith('masks/'));
        const pb = y.outputs?.find((o) => o.startsWith('masks/'));
        if (!pa || !pb) break;
        const [ma, mb] = await Promise.all([
          readClassMask(join(a.output.folder, ...pa.split('/'))),
          readClassMask(join(b.output.folder, ...pb.split('/'))),
        ]);
        let k = 1;
        for (let i = 0; i < ma.data.length; i++) k = Math.max(k, ma.data[i] + 1, mb.data[i] + 1);
        const t = new SegmentationTally(k);
        t.add(ma.data, mb.data, -1);
        const iou = segmentationMetrics(t, []).miou;
        if (iou < request.maskIou) out.push({ file, a: x.result?.text ?? '', b: y.result?.text ?? '', measure: iou });
        break;
      }
    }
  }
  return out;
}

/** The plots of one model's metrics: name → SVG. */
export function plotsFor(m: EvalMetrics, prefix = ''): Record<string, string> {
  switch (m.task) {
    case 'classification': {
      const c = m.classification;
      const names = c.perClass.map((p) => p.name);
      return {
        [`${prefix}confusion.svg`]: confusionMatrixSvg(c.confusion, names),
        [`${prefix}recall.svg`]: classBarsSvg(
          c.perClass.map((p) => ({ name: p.name, value: p.recall })),
          'Recall per class',
        ),
        [`${prefix}precision.svg`]: classBarsSvg(
          c.perClass.map((p) => ({ name: p.name, value: p.precision })),
          'Precision per class',
        ),
      };
    }
    case 'detection': {
      const d = m.detection.perClass.filter((p) => p.pr50);
      return {
        [`${prefix}ap.svg`]: classBarsSvg(
          m.detection.perClass.map((p) => ({ name: p.name, value: p.ap50 })),
          'AP@0.5 per class',
        ),
        [`${prefix}pr.svg`]: prCurvesSvg(d.map((p) => ({ name: p.name, precision: p.pr50! }))),
      };
    }
    case 'segmentation':
      return {
        [`${prefix}iou.svg`]: classBarsSvg(
          m.segmentation.perClass.map((p) => ({ name: p.name, value: p.iou })),
          'IoU per class',
        ),
      };
    case 'text-recognition':
      return {};
  }
}

async function writeReport(
  out: string,
  report: EvalReport,
  perFile: EvalFileResult[],
  plots: Record<string, string>,
): Promise<string[]> {
  const written: string[] = [INPUTS_FILE];
  const put = async (name: string, bytes: string | Uint8Array) => {
    await writeAtomic(join(out, name), bytes, { mkdir: true });
    written.push(name);
  };
  await put('per-file.jsonl', perFile.map((f) => JSON.stringify(f)).join('\n') + (perFile.length ? '\n' : ''));
  const sharp = await loadSharp();
  for (const [name, text] of Object.entries(plots)) {
    await put(name, text);
    await put(name.replace(/\.svg$/, '.png'), await sharp(Buffer.from(text)).png().toBuffer());
  }
  written.push('eval.json');
  await writeAtomic(join(out, 'eval.json'), JSON.stringify({ format: EVAL_FORMAT, ...report, written }, null, 2), {
    mkdir: true,
  });
  return written;
}

export async function runEval(request: EvalRequest, options: EvalRunOptions): Promise<EvalReport> {
  const dataset = await loadDataset(request.dataset);
  await checkOutFolder(request.out);
  // eval.json marks the folder as ours from the start, so a run killed midway resumes here.
  await writeAtomic(join(request.out, 'eval.json'), JSON.stringify({ format: EVAL_FORMAT, state: 'running' }), { mkdir: true });
  await writeAtomic(join(request.out, INPUTS_FILE), labelledFiles(dataset).join('\n') + '\n');
  const a = await evaluateModel(request.job, dataset, request, 'a', options);
  const b = request.against ? await evaluateModel(request.against, dataset, request, 'b', options) : undefined;
  const files = a.perFile.map((f) => f.file);
  const report: EvalReport = {
    task: request.dataset.task,
    dataset: request.dataset.list ?? request.dataset.annotations ?? request.dataset.root,
    files: a.evaluation.files,
    failed: a.evaluation.failed,
    a: a.evaluation,
    ...(b ? { b: b.evaluation, disagreements: await disagreements(request, request.job, request.against!, files) } : {}),
    written: [],
    warnings: [...dataset.warnings, ...a.warnings, ...(b?.warnings ?? [])],
  };
  const plots = { ...plotsFor(a.evaluation.metrics, b ? 'a-' : ''), ...(b ? plotsFor(b.evaluation.metrics, 'b-') : {}) };
  report.written = await writeReport(request.out, report, a.perFile, plots);
  return report;
}
