// Runs a pipeline on one image: each step's model through the session cache, images prepared by
// the image code, outputs read by the task postprocessors. A step on regions runs once per region
// of an earlier step, on the upright crop of the original image, and its result goes to that region.
import { basename, dirname, extname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { readRegularFile } from '../../common/regular-file';
import type { ModelInfo, ValueInfo } from '../../../shared/model-info';
import {
  type Pipeline,
  type PipelineProgress,
  type PipelineRegion,
  type PipelineResult,
  type PipelineStep,
  type PipelineStepReport,
  parsePipeline,
  regionsText,
} from '../../../shared/pipeline';
import { type PreprocessRecipe, guessModelRecipe } from '../../../shared/recipe';
import { WorkbenchError } from '../../../shared/result';
import type { SessionOptions } from '../../../shared/run';
import type { Raster, TaskResult, TaskSettings, TextDetectionResult } from '../../../shared/tasks';
import { type ImageInput, preprocessImage, readHeader } from '../image/preprocess';
import { readModelInfo } from '../../common/onnx/reader';
import { loadOrt } from '../ort';
import { encodeResult } from '../results/encode';
import { interpretOutputs } from '../results/interpret';
import { previewDataUrl } from '../results/preview';
import { renderResultImage } from '../results/render';
import type { CachedSession, SessionCache } from '../run/session-cache';
import { describeMismatch } from '../tensors/match';
import { type Tensor, fromOrtTensor, toOrtTensor } from '../tensors/tensor';
import { fsError, writeNew } from '../../common/fs';
import { type RgbaImage, cropRegion, decodeOriginal, encodePng } from './crop';

export interface PipelineParams {
  file?: string;
  pipeline?: unknown;
  input: string;
  options: SessionOptions;
  /** Also save the original with the regions (and their text) drawn on it: .png, .jpg or .jpeg; never overwrites. */
  annotatedImage?: string;
  /** Tasks of the steps the pipeline names none for, by step id (the app's saved recipes). */
  tasks?: Record<string, TaskSettings>;
}

export interface PipelineRunContext {
  signal: AbortSignal;
  emit(event: PipelineProgress): void;
}

/** A pipeline from its file (relative paths against its folder) or given inline (absolute paths only). */
export async function loadPipeline(params: Pick<PipelineParams, 'file' | 'pipeline' | 'tasks'>): Promise<Pipeline> {
  if (params.file === undefined) return parsePipeline(params.pipeline, { tasks: params.tasks });
  const file = params.file;
  let text: string;
  try {
    text = (await readRegularFile(file, 'a pipeline file')).toString('utf8');
  } catch (error) {
    throw fsError(error, file, { what: 'pipeline file' });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new WorkbenchError('INVALID_INPUT', `${file} is not valid JSON: ${(error as Error).message}`);
  }
  return parsePipeline(json, { baseDir: dirname(file), source: file, tasks: params.tasks });
}

/** A step's model, ready: its image input, the recipe (given or guessed) and the session. */
export interface StepModel {
  info: ModelInfo;
  input: ValueInfo;
  recipe: PreprocessRecipe;
  notes: string[];
  session: CachedSession;
}

async function prepareStep(step: PipelineStep, options: SessionOptions, sessions: Pick<SessionCache, 'get'>): Promise<StepModel> {
  const info = await readModelInfo(step.model);
  const names = info.inputs.map((v) => `'${v.name}'`).join(', ');
  const input = step.input === undefined ? info.inputs[0] : info.inputs.find((v) => v.name === step.input);
  if (!input) {
    throw new WorkbenchError(
      'INVALID_INPUT',
      step.input === undefined
        ? `Step "${step.id}": ${step.model} has no inputs`
        : `Step "${step.id}": ${step.model} has no input '${step.input}'; its inputs are ${names}`,
    );
  }
  if (info.inputs.length > 1) {
    throw new WorkbenchError(
      'UNSUPPORTED',
      `Step "${step.id}": ${basename(step.model)} needs several inputs (${names}); a pipeline step feeds only one image`,
    );
  }
  let recipe = step.recipe;
  let notes = ['recipe from the pipeline file'];
  if (!recipe) ({ recipe, notes } = guessModelRecipe(info, input));
  const session = await sessions.get(step.model, options);
  return { info, input, recipe, notes, session };
}

interface StepRun {
  results: TaskResult<Raster>[];
  prepareMs: number;
  runMs: number;
  postprocessMs: number;
}

/** One image (a path or encoded bytes) through one step's model and task. */
async function runStepOnce(step: PipelineStep, model: StepModel, image: ImageInput, name: string): Promise<StepRun> {
  const ort = await loadOrt();
  const t0 = performance.now();
  const prepared = await preprocessImage(image, model.recipe, { name });
  const tensor = prepared.tensor as Tensor;
  const mismatch = describeMismatch(model.input, tensor, `the prepared ${name}`);
  if (mismatch) throw new WorkbenchError('INVALID_INPUT', `Step "${step.id}": ${mismatch}`);
  const t1 = performance.now();
  let raw;
  try {
    raw = await model.session.session.run({ [model.input.name]: toOrtTensor(ort, tensor) });
  } catch (error) {
    throw new WorkbenchError('RUNTIME_ERROR', `Step "${step.id}": the run failed: ${(error as Error).message.split('\n')[0]}`);
  }
  const t2 = performance.now();
  const outputs = new Map<string, Tensor>();
  for (const out of model.session.session.outputNames) outputs.set(out, fromOrtTensor(raw[out], `output '${out}'`));
  let results: TaskResult<Raster>[];
  try {
    results = await interpretOutputs({
      info: model.info,
      outputs,
      transforms: [prepared.transform],
      recipe: model.recipe,
      task: step.task,
    });
  } catch (error) {
    if (error instanceof WorkbenchError) throw new WorkbenchError(error.code, `Step "${step.id}": ${error.message}`);
    throw error;
  }
  return { results, prepareMs: t1 - t0, runMs: t2 - t1, postprocessMs: performance.now() - t2 };
}

/** The regions a whole-image result offers to later steps: text regions, or detection boxes as quads. */
function regionsOf(stepId: string, result: TaskResult<Raster> | undefined): PipelineRegion[] {
  if (result?.kind === 'text-detection')
    return result.regions.map((r, index) => ({ step: stepId, index, points: r.points, score: r.score, children: [] }));
  if (result?.kind === 'detection')
    return result.detections.map((d, index) => ({
      step: stepId,
      index,
      points: [
        [d.x1, d.y1],
        [d.x2, d.y1],
        [d.x2, d.y2],
        [d.x1, d.y2],
      ],
      score: d.score,
      label: d.label,
      children: [],
    }));
  return [];
}

function throwIfCancelled(signal: AbortSignal) {
  if (signal.aborted) throw new WorkbenchError('CANCELLED', 'Cancelled.');
}

/** Progress at most ten times a second, and always the last of a step. */
function throttled(emit: (e: PipelineProgress) => void) {
  let last = 0;
  return (event: PipelineProgress, force = false) => {
    const now = performance.now();
    if (!force && now - last < 100) return;
    last = now;
    emit(event);
  };
}

/** A pipeline's result on one image, and the whole-image result its annotated image draws. */
export interface PipelineOutcome {
  result: PipelineResult;
  /** The first step that found regions (or else the first step): what an annotated image shows. */
  shown: TaskResult<Raster> | undefined;
}

export async function runPipeline(
  pipeline: Pipeline,
  params: Omit<PipelineParams, 'pipeline'>,
  sessions: Pick<SessionCache, 'get'>,
  ctx: PipelineRunContext,
): Promise<PipelineResult> {
  const started = performance.now();
  const { result, shown } = await runPipelineOn(pipeline, params, sessions, ctx, { preview: true });
  if (params.annotatedImage) {
    throwIfCancelled(ctx.signal);
    ctx.emit({ stage: 'drawing the result' });
    const to = params.annotatedImage;
    const ext = extname(to).toLowerCase();
    if (ext !== '.png' && ext !== '.jpg' && ext !== '.jpeg')
      throw new WorkbenchError('INVALID_INPUT', `${to}: the annotated image is saved as .png, .jpg or .jpeg`);
    await writeNew(to, await annotatedImage(params.input, shown, ext === '.png' ? 'png' : 'jpeg'));
    result.annotatedImage = to;
  }
  result.totalMs = performance.now() - started;
  return result;
}

/** The original with the regions (and their text) drawn on it. */
export async function annotatedImage(
  input: string,
  shown: TaskResult<Raster> | undefined,
  format: 'png' | 'jpeg',
): Promise<Buffer> {
  if (!shown) throw new WorkbenchError('INTERNAL', 'The pipeline gave no result to draw');
  return renderResultImage(input, shown, { format, showLabels: true });
}

/**
 * Runs every step on one image. `preview`: also make the JPEG the app's view draws on (a job
 * over a folder needs none).
 */
export async function runPipelineOn(
  pipeline: Pipeline,
  params: Pick<PipelineParams, 'input' | 'options' | 'file'>,
  sessions: Pick<SessionCache, 'get'>,
  ctx: PipelineRunContext,
  {
    preview: withPreview,
    models,
  }: {
    preview: boolean;
    /** Each step's model info, recipe and session, kept by step id across the images of a job. */
    models?: Map<string, StepModel>;
  },
): Promise<PipelineOutcome> {
  const started = performance.now();
  const { input, options } = params;
  const header = await readHeader(input);
  // The picture the UI draws the regions on.
  const preview = withPreview ? await previewDataUrl(input) : '';
  const progress = throttled(ctx.emit);
  const raw = new Map<string, TaskResult<Raster>[]>();
  const regions = new Map<string, PipelineRegion[]>();
  const reports: PipelineStepReport[] = [];
  let original: RgbaImage | null = null;
  const wholeImageLines: string[] = [];

  for (const step of pipeline.steps) {
    throwIfCancelled(ctx.signal);
    const stepStart = performance.now();
    progress({ stage: `preparing step "${step.id}"`, step: step.id }, true);
    let model = models?.get(step.id);
    const fresh = !model;
    if (!model) {
      model = await prepareStep(step, options, sessions);
      models?.set(step.id, model);
    }
    const report: PipelineStepReport = {
      id: step.id,
      model: step.model,
      task: step.task.kind,
      from: step.from.kind === 'input' ? 'input' : step.from.step,
      provider: model.session.provider,
      runs: 0,
      ...(step.orientation ? { orientation: true } : {}),
      timings: { createMs: fresh ? model.session.createMs : 0, prepareMs: 0, runMs: 0, postprocessMs: 0, totalMs: 0 },
      notes: model.notes,
      results: [],
    };
    const add = (run: StepRun) => {
      report.runs++;
      report.timings.prepareMs += run.prepareMs;
      report.timings.runMs += run.runMs;
      report.timings.postprocessMs += run.postprocessMs;
    };

    if (step.from.kind === 'input') {
      progress({ stage: `running step "${step.id}"`, step: step.id }, true);
      const run = await runStepOnce(step, model, input, basename(input));
      add(run);
      raw.set(step.id, run.results);
      regions.set(step.id, regionsOf(step.id, run.results[0]));
      report.results = await Promise.all(run.results.map(encodeResult));
      for (const r of run.results) if (r.kind === 'text-recognition') wholeImageLines.push(...r.lines.map((l) => l.text));
    } else {
      const from = step.from;
      const sourceResult = raw.get(from.step)?.[0];
      const rotateTall = from.rotateTall ?? (sourceResult?.kind === 'text-detection' ? 1.5 : 0);
      const targets = (regions.get(from.step) ?? []).filter((r) => r.score >= from.minScore);
      if (targets.length > 0 && !original) {
        // Decoded once, for every crop of every step on regions.
        const decodeStart = performance.now();
        original = (await decodeOriginal(input)).image;
        report.timings.prepareMs += performance.now() - decodeStart;
      }
      for (const [k, region] of targets.entries()) {
        throwIfCancelled(ctx.signal);
        progress({ stage: `step "${step.id}" on the regions of "${from.step}"`, step: step.id, done: k, total: targets.length });
        const c0 = performance.now();
        const png = await encodePng(cropRegion(original!, region.points, rotateTall, region.turned));
        report.timings.prepareMs += performance.now() - c0;
        const run = await runStepOnce(step, model, png, `region ${region.index + 1} of step "${from.step}"`);
        add(run);
        for (const result of run.results) {
          region.children.push({ step: step.id, result: await encodeResult(result) });
          if (step.orientation && result.kind === 'classification') orient(region, result.top[0], step.orientation);
          if (result.kind === 'text-recognition' && result.lines[0]) attachText(region, result.lines[0], sourceResult);
        }
      }
      if (step.task.kind === 'text-recognition') {
        const read = new Set(targets);
        const below = from.dropTextBelow ?? DROP_TEXT_BELOW;
        const dropped = (r: PipelineRegion) => read.has(r) && (!r.text || (r.textScore ?? 0) < below);
        regions.set(from.step, dropRegions(regions.get(from.step) ?? [], sourceResult, dropped));
      }
      progress({ stage: `step "${step.id}" done`, step: step.id, done: targets.length, total: targets.length }, true);
    }
    report.timings.totalMs = performance.now() - stepStart;
    reports.push(report);
  }

  // The whole-image results of region steps' sources now carry the text read on their regions.
  for (const report of reports) {
    const results = raw.get(report.id);
    if (results && report.results.some((r) => r.kind === 'text-detection'))
      report.results = await Promise.all(results.map(encodeResult));
  }
  const allRegions = [...regions.values()].flat();
  const text = [regionsText(allRegions), ...wholeImageLines].filter((t) => t !== '').join('\n');
  const result: PipelineResult = {
    name: pipeline.name,
    file: params.file,
    input,
    image: { width: header.width, height: header.height, format: header.format },
    preview,
    steps: reports,
    regions: allRegions,
    text,
    totalMs: 0,
  };
  result.totalMs = performance.now() - started;
  const withRegions = pipeline.steps.find((s) => s.task.kind === 'text-detection' || s.task.kind === 'detection');
  return { result, shown: raw.get((withRegions ?? pipeline.steps[0]).id)?.[0] };
}

/** PaddleOCR's drop_score: recognised text scoring less is not kept. */
const DROP_TEXT_BELOW = 0.5;

/** An orientation step's answer on a region: upside down when its top class is the turned one, sure enough. */
function orient(
  region: PipelineRegion,
  top: { classId: number; score: number } | undefined,
  rule: NonNullable<PipelineStep['orientation']>,
) {
  if (top && top.classId === rule.turnedClass && top.score >= rule.threshold) {
    region.turned = true;
    region.turnedScore = top.score;
  } else delete region.turned;
}

/**
 * The regions without those `dropped` says (empty or unsure text), in the source step's result
 * too (what is drawn), with the kept regions' indices renumbered to match.
 */
function dropRegions(
  list: PipelineRegion[],
  source: TaskResult<Raster> | undefined,
  dropped: (r: PipelineRegion) => boolean,
): PipelineRegion[] {
  const kept = list.filter((r) => !dropped(r));
  if (kept.length === list.length) return list;
  if (source?.kind === 'text-detection') source.regions = kept.map((r) => source.regions[r.index]);
  if (source?.kind === 'detection') source.detections = kept.map((r) => source.detections[r.index]);
  kept.forEach((r, k) => (r.index = k));
  return kept;
}

function attachText(region: PipelineRegion, line: { text: string; score: number }, source: TaskResult<Raster> | undefined) {
  region.text = line.text;
  region.textScore = line.score;
  if (source?.kind === 'text-detection') {
    const r = (source as TextDetectionResult).regions[region.index];
    r.text = line.text;
    r.textScore = line.score;
  }
}

/** The engine method: a pipeline file or inline pipeline on one image. */
export async function pipelineMethod(
  params: PipelineParams,
  sessions: SessionCache,
  ctx: PipelineRunContext,
): Promise<PipelineResult> {
  const pipeline = await loadPipeline(params);
  return runPipeline(pipeline, params, sessions, ctx);
}
