// Stored runs read through a task (run.interpret), their results written to files
// (run.exportResult), and the task suggested for a model (task.suggest). The run's first image
// input gives the originals, their transforms and the recipe.
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  type ExportResultRequest,
  type InterpretedImage,
  type Interpretation,
  PREVIEW_LIMIT,
  type TaskSuggestion,
} from '../../../shared/interpretation';
import type { ModelInfo } from '../../../shared/model-info';
import { WorkbenchError } from '../../../shared/result';
import type { RunInputSource } from '../../../shared/run';
import type { Raster, TaskResult, TaskSettings } from '../../../shared/tasks';
import { readHeader } from '../image/decode';
import { readModelInfo } from '../../common/onnx/reader';
import { suggestTaskFor } from '../../common/task-suggest';
import type { StoredRun } from '../run/runner';
import { writeNew } from '../../common/fs';
import { encodeResult, rasterToPng } from './encode';
import { writeResultJson } from './export';
import { interpretOutputs } from './interpret';
import { previewDataUrl } from './preview';
import { renderResultImage } from './render';

/** What RunResults needs of the runner: the kept runs. */
export interface StoredRuns {
  stored(runId: string): StoredRun;
}

type ImageSource = Extract<RunInputSource, { kind: 'image' }>;

/** The run's first image input, by its name. */
function imageInput(run: StoredRun): { name: string; source: ImageSource } | null {
  for (const [name, source] of Object.entries(run.inputs)) if (source.kind === 'image') return { name, source };
  return null;
}

/** A run's result for one batch image (text recognition: its one result, with a line per image). */
export function resultFor(results: TaskResult<Raster>[], index: number): TaskResult<Raster> {
  const found = results.find((r) => 'image' in r && r.image === index) ?? results.find((r) => !('image' in r));
  if (!found) {
    const count = results.length;
    throw new WorkbenchError(
      'NOT_FOUND',
      `There is no result for image ${index}: the run has ${count} result${count === 1 ? '' : 's'}`,
    );
  }
  return found;
}

const PREVIEW_CACHE_LIMIT = 32;

export class RunResults {
  /** ModelInfo per kept run (runs never change once stored). */
  private readonly infos = new WeakMap<StoredRun, ModelInfo>();
  private readonly previews = new Map<string, string>();

  constructor(private readonly runs: StoredRuns) {}

  private async info(run: StoredRun): Promise<ModelInfo> {
    let info = this.infos.get(run);
    if (!info) {
      info = await readModelInfo(run.model);
      this.infos.set(run, info);
    }
    return info;
  }

  /** The raw results (rasters as pixels) of a kept run under a task. */
  async results(runId: string, task: TaskSettings): Promise<{ run: StoredRun; results: TaskResult<Raster>[] }> {
    const run = this.runs.stored(runId);
    const input = imageInput(run);
    const results = await interpretOutputs({
      info: await this.info(run),
      outputs: run.outputs,
      transforms: input ? (run.transforms[input.name] ?? []) : [],
      recipe: input?.source.recipe,
      task,
    });
    return { run, results };
  }

  async interpret({ runId, task }: { runId: string; task: TaskSettings }): Promise<Interpretation> {
    const started = performance.now();
    const { run, results } = await this.results(runId, task);
    const input = imageInput(run);
    const [encoded, images] = await Promise.all([
      Promise.all(results.map(encodeResult)),
      input ? Promise.all(input.source.paths.map((path, index) => this.image(input.name, index, path))) : [],
    ]);
    return { task, results: encoded, images, ms: performance.now() - started };
  }

  private async image(input: string, index: number, path: string): Promise<InterpretedImage> {
    const header = await readHeader(path);
    const preview = index < PREVIEW_LIMIT ? await this.preview(path) : '';
    return { input, index, path, width: header.width, height: header.height, preview };
  }

  /** The original as shown (EXIF orientation applied), as a JPEG small enough to send; cached by path and modification. */
  private async preview(path: string): Promise<string> {
    const facts = await stat(path);
    const key = `${path}\0${facts.mtimeMs}\0${facts.size}`;
    const hit = this.previews.get(key);
    if (hit) return hit;
    const url = await previewDataUrl(path);
    this.previews.set(key, url);
    while (this.previews.size > PREVIEW_CACHE_LIMIT) this.previews.delete(this.previews.keys().next().value!);
    return url;
  }

  async exportResult(request: ExportResultRequest): Promise<{ path: string; bytes: number }> {
    const { run, results } = await this.results(request.runId, request.task);
    const index = request.image ?? 0;
    const result = resultFor(results, index);
    const input = imageInput(run);
    const original = input?.source.paths[index];
    const to = request.to;
    const ext = extname(to).toLowerCase();
    const needPng = (what: string) => {
      if (ext !== '.png') throw new WorkbenchError('INVALID_INPUT', `${to}: ${what} is written as PNG; use a .png name`);
    };
    const needOriginal = (): string => {
      if (!original) throw new WorkbenchError('INVALID_INPUT', `${run.model}: this run had no image input to draw the result on`);
      return original;
    };
    const needSegmentation = (what: string) => {
      if (result.kind !== 'segmentation')
        throw new WorkbenchError('INVALID_INPUT', `${what} needs a segmentation result; this one is ${result.kind}`);
      return result;
    };
    switch (request.what) {
      case 'json': {
        const file = await writeResultJson(to, result, { model: run.model, image: original, settings: request.task });
        return { path: file.path, bytes: file.bytes };
      }
      case 'mask': {
        // Instance masks of a -seg detector: detection index + 1 per pixel.
        const mask = result.kind === 'detection' && result.instances ? result.instances.mask : needSegmentation('A mask').mask;
        needPng('the mask');
        return written(to, await rasterToPng(mask));
      }
      case 'cutout': {
        // A -seg detector's cut-out keeps every instance.
        if (!(result.kind === 'detection' && result.instances)) needSegmentation('A cutout');
        needPng('a cutout');
        return written(to, await renderResultImage(needOriginal(), result, { format: 'png', cutout: true }));
      }
      case 'image': {
        const format = ext === '.png' ? 'png' : ext === '.jpg' || ext === '.jpeg' ? 'jpeg' : null;
        if (!format) throw new WorkbenchError('INVALID_INPUT', `${to}: use a .png, .jpg or .jpeg name for the image`);
        const bytes = await renderResultImage(needOriginal(), result, {
          format,
          maskOpacity: request.maskOpacity,
          showLabels: request.showLabels,
        });
        return written(to, bytes);
      }
    }
  }

  /** The suggested task, with a charset or labels file found beside the model (shared with the CLI). */
  async suggestTask({ path }: { path: string }): Promise<TaskSuggestion> {
    return suggestTaskFor(path, await readModelInfo(path));
  }
}

async function written(to: string, bytes: Uint8Array): Promise<{ path: string; bytes: number }> {
  await writeNew(to, bytes);
  return { path: to, bytes: bytes.byteLength };
}
