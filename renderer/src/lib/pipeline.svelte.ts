// The Pipeline view's state: which pipeline file runs on which image with which provider, the
// run with its progress events, the region under the cursor, and "Save annotated image" (the
// same pipeline run again with an output path, since the engine draws the file it writes).
// It lives as long as the workbench, so a run survives switching views.
import type { Api } from '../../../shared/api';
import type { SampleModel } from '../../../shared/contract';
import type { JobInfo } from '../../../shared/jobs';
import { type Drawing, paletteColor, scoreLabel } from '../../../shared/drawing';
import type { PipelineProgress, PipelineRegion, PipelineRequest, PipelineResult } from '../../../shared/pipeline';
import type { ProviderId } from '../../../shared/providers';
import type { WorkbenchErrorInfo } from '../../../shared/result';
import { baseName, dirName, joinPath, stem } from './paths';
import { PipelineFolderJob } from './pipeline-folder.svelte';
import { Task } from './task.svelte';

/** The example shipped with the app: resources/pipelines/, beside resources/samples/. */
export const EXAMPLE_PIPELINE = 'paddleocr.json';
/** The same with PaddleOCR's text direction classifier between detection and recognition. */
export const EXAMPLE_ORIENTATION_PIPELINE = 'paddleocr-orientation.json';

/** The bundled example pipeline's path, found from a sample model's path (null without samples). */
export function examplePipelinePath(samples: readonly SampleModel[] | null): string | null {
  const sample = samples?.[0];
  if (!sample) return null;
  const resources = dirName(dirName(sample.path));
  return joinPath(joinPath(resources, 'pipelines'), EXAMPLE_PIPELINE);
}

/** What a region says: its text when a step read it, else its class or "region", with the score. */
export function regionLabel(r: PipelineRegion): string {
  if (r.text !== undefined) return r.text;
  const top = r.children.flatMap((c) => (c.result.kind === 'classification' ? c.result.top.slice(0, 1) : []))[0];
  if (top) return scoreLabel(top.label, top.score);
  return scoreLabel(r.label ?? 'region', r.score);
}

/** Every region of the result as a polygon on the original, ids = indices in `result.regions`. */
export function regionsDrawing(result: PipelineResult, showLabels: boolean): Drawing {
  return {
    width: result.image.width,
    height: result.image.height,
    showLabels,
    layers: result.regions.map((r, id) => ({
      type: 'polygon' as const,
      id,
      points: r.points.map(([x, y]): [number, number] => [x, y]),
      color: paletteColor(id),
      label: regionLabel(r),
      score: r.score,
    })),
  };
}

/** "running step "det"", with "3 of 12" when the step counts regions. */
export function stageText(event: PipelineProgress | undefined): string {
  if (!event) return 'Starting';
  const count = event.total !== undefined ? ` (${Math.min(event.done ?? 0, event.total)} of ${event.total})` : '';
  return `${event.stage.charAt(0).toUpperCase()}${event.stage.slice(1)}${count}`;
}

/** Milliseconds with the digits that matter: "0.42", "12.3", "340". */
export function formatMs(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

/** Where "Save annotated image" proposes to write: beside the image, named after it and the pipeline. */
export function defaultAnnotatedPath(input: string, file: string): string {
  return joinPath(dirName(input), `${stem(input)}-${stem(file) || 'pipeline'}.png`);
}

export type ProviderPick = ProviderId | 'auto';

type Request = Omit<PipelineRequest, 'pipeline' | 'annotatedImage'> & { file: string };

export class PipelineSession {
  readonly api: Api;
  /** The pipeline file; the bundled example until the user picks another. */
  file = $state('');
  /** The image to read. */
  input = $state('');
  provider = $state<ProviderPick>('auto');
  /** Labels on the picture. */
  showLabels = $state(true);
  /** The region under the cursor, in the picture or the list (index into result.regions). */
  hovered = $state<number | null>(null);
  /** Drops and other things to say that are not errors of the run. */
  note = $state<string | null>(null);

  readonly run: Task<PipelineResult, PipelineProgress>;
  /** One image (`run`), or every image of a folder as a job (`folderJob`). */
  over = $state<'image' | 'folder'>('image');
  readonly folderJob: PipelineFolderJob;
  /** What the result on screen was run with ("Save annotated image" runs exactly this again). */
  ran = $state.raw<Request | null>(null);

  saveTo = $state('');
  saving = $state(false);
  saved = $state<string | null>(null);
  saveError = $state.raw<WorkbenchErrorInfo | null>(null);

  #request: Request | null = null;
  /** The example was put in the field, or the user chose a file: the example never comes back. */
  #fileSet = false;
  #saveController: AbortController | null = null;

  constructor(api: Api) {
    this.api = api;
    this.run = new Task((options) => this.api.call('pipeline.run', this.#request!, options));
    this.folderJob = new PipelineFolderJob(api);
  }

  get result(): PipelineResult | null {
    return this.run.value;
  }

  /** Why Run is not possible yet, in words (null: it is). */
  get missing(): string | null {
    if (!this.file.trim()) return 'choose a pipeline file';
    if (!this.input.trim()) return 'choose an image';
    return null;
  }

  /** Puts the bundled example in the field once, unless a pipeline was given already. */
  useSamples(samples: readonly SampleModel[] | null): void {
    if (this.#fileSet) return;
    const example = examplePipelinePath(samples);
    if (!example) return;
    this.#fileSet = true;
    if (!this.file.trim()) this.file = example;
  }

  /** Whether the bundled example in the field has the orientation step; null when the field holds another file. */
  get exampleOrientation(): boolean | null {
    const name = baseName(this.file.trim());
    return name === EXAMPLE_ORIENTATION_PIPELINE ? true : name === EXAMPLE_PIPELINE ? false : null;
  }

  /** Switches the bundled example to the one with (or without) the orientation step, in the same folder. */
  setExampleOrientation(on: boolean): void {
    if (this.exampleOrientation === null) return;
    const file = this.file.trim();
    this.file = joinPath(dirName(file), on ? EXAMPLE_ORIENTATION_PIPELINE : EXAMPLE_PIPELINE);
  }

  /** Follows a pipeline job over a folder running on the main side (a reloaded page): the view shows it with its file. */
  attachFolderJob(info: JobInfo): void {
    if (info.kind !== 'batch' || !info.request.pipeline || this.folderJob.running) return;
    this.chooseFile(info.request.model);
    this.over = 'folder';
    this.folderJob.attach(info);
  }

  chooseFile(path: string): void {
    this.#fileSet = true;
    this.file = path;
  }

  chooseInput(path: string): void {
    this.input = path;
    this.note = null;
  }

  async start(): Promise<void> {
    if (this.missing || this.run.running) return;
    const request: Request = { file: this.file.trim(), input: this.input.trim(), options: { provider: this.provider } };
    this.#request = request;
    this.hovered = null;
    this.note = null;
    await this.run.start();
    if (this.run.state === 'done' && this.#request === request) {
      this.ran = request;
      this.saveTo = defaultAnnotatedPath(request.input, request.file);
      this.saved = null;
      this.saveError = null;
    }
  }

  cancel(): void {
    this.run.cancel();
  }

  /** Runs the shown pipeline again with an output path: the engine draws and writes the file (never over one). */
  async saveAnnotated(): Promise<void> {
    const ran = this.ran;
    const to = this.saveTo.trim();
    if (!ran || !to || this.saving) return;
    this.#saveController?.abort();
    const controller = new AbortController();
    this.#saveController = controller;
    this.saving = true;
    this.saved = null;
    this.saveError = null;
    const result = await this.api.call('pipeline.run', { ...ran, annotatedImage: to }, { signal: controller.signal });
    if (this.#saveController !== controller) return;
    this.#saveController = null;
    this.saving = false;
    if (result.ok) this.saved = result.value.annotatedImage ?? to;
    else if (result.error.code !== 'CANCELLED') this.saveError = result.error;
  }

  cancelSave(): void {
    this.#saveController?.abort();
    this.#saveController = null;
    this.saving = false;
  }

  /** The file name shown for the pipeline before it ran (its name comes with the result). */
  get fileName(): string {
    return this.file.trim() ? baseName(this.file.trim()) : '';
  }
}
