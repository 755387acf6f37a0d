// A run's outputs read through a task: the task the user picked (suggested, saved or changed),
// the interpretation the engine returns for it, the image of the batch on screen, and exports.
// Settings changes re-interpret the stored run (debounced, the previous call cancelled), so
// thresholds redraw the picture without running the model again.
import type { Api } from '../../../shared/api';
import type { ExportResult } from '../../../shared/contract';
import type { ExportKind, InterpretedImage, Interpretation, TaskSuggestion } from '../../../shared/interpretation';
import type { WorkbenchErrorInfo } from '../../../shared/result';
import { type TaskKindId, type TaskResult, type TaskSettings, taskSettingsSchema } from '../../../shared/tasks';
import type { EncodedRaster } from '../../../shared/tasks';
import { dirName, joinPath, stem } from './paths';

export const TASK_NAMES: Record<TaskKindId, string> = {
  classification: 'Classification',
  detection: 'Object detection',
  segmentation: 'Segmentation / matting',
  'image-to-image': 'Image to image',
  'text-detection': 'Text detection (OCR)',
  'text-recognition': 'Text recognition (OCR)',
  generic: 'Any tensor (heatmap, plot)',
};

/** How long settings must rest before the run is interpreted again (slider drags). */
export const INTERPRET_DELAY_MS = 120;

/** Default settings of a kind. Text recognition has no default charset: an empty list stands for "not chosen". */
export function defaultSettings(kind: TaskKindId): TaskSettings {
  if (kind === 'text-recognition') return taskSettingsSchema.parse({ kind, charset: { kind: 'list', chars: [] } });
  return taskSettingsSchema.parse({ kind });
}

/** Why these settings cannot be interpreted yet, in words (null: they can). */
export function settingsGap(s: TaskSettings): string | null {
  if (s.kind === 'text-recognition' && s.charset.kind === 'list' && s.charset.chars.length === 0)
    return 'Choose the charset file of the recognition model (one character per line, e.g. ppocr_keys_v1.txt).';
  return null;
}

/** The results of one image of the batch (text recognition: its one result holds every line). */
export function resultsOfImage(results: TaskResult<EncodedRaster>[], image: number): TaskResult<EncodedRaster>[] {
  return results.filter((r) => !('image' in r) || r.image === image);
}

/** What can be exported for a result. */
export function exportKinds(result: TaskResult<EncodedRaster> | undefined): ExportKind[] {
  if (!result) return [];
  switch (result.kind) {
    case 'detection':
      // -seg detectors: the instance mask too (detection index + 1 per pixel) and the cut-out of the instances.
      return result.instances ? ['image', 'json', 'mask', 'cutout'] : ['image', 'json'];
    case 'text-detection':
    case 'image-to-image':
      return ['image', 'json'];
    case 'segmentation':
      return result.mode === 'binary' ? ['image', 'json', 'mask', 'cutout'] : ['image', 'json', 'mask'];
    default:
      return ['json'];
  }
}

/** A new file name for an export, next to the image (or the model when the inputs were not images). */
export function defaultExportPath(what: ExportKind, kind: TaskKindId, modelPath: string, image?: InterpretedImage): string {
  const source = image?.path ?? modelPath;
  const suffix = what === 'image' ? `${kind}.png` : what === 'json' ? `${kind}.json` : `${what}.png`;
  return joinPath(dirName(source), `${stem(source)}-${suffix}`);
}

export const percent = (x: number): string => `${(x * 100).toFixed(x >= 0.9995 || x === 0 ? 0 : x < 0.1 ? 2 : 1)}%`;
export const cssRgb = ([r, g, b]: readonly number[]): string => `rgb(${r} ${g} ${b})`;

/** Opens the app's file chooser (native dialog or the server-side browser), as the input forms do. */
export type ChooseFile = (title: string, extensions: string[], onChoose: (path: string) => void) => void;

export interface ResultsOptions {
  api: Api;
  modelPath: string;
  /** The task saved in the model's recipe; the suggestion is used when there is none. */
  saved?: TaskSettings | null;
  /** Called with the settings after the user changed them (debounced), so the recipe keeps them. */
  onTaskChange?: (settings: TaskSettings) => void;
}

export class ResultsState {
  readonly api: Api;
  readonly modelPath: string;
  runId = $state<string | null>(null);
  settings = $state.raw<TaskSettings | null>(null);
  suggestion = $state.raw<TaskSuggestion | null>(null);
  suggestionError = $state.raw<WorkbenchErrorInfo | null>(null);
  interpretation = $state.raw<Interpretation | null>(null);
  error = $state.raw<WorkbenchErrorInfo | null>(null);
  interpreting = $state(false);
  /** Which image of the batch is on screen. */
  image = $state(0);
  /** Drawing options (screen and "Export image"). */
  maskOpacity = $state(0.55);
  showLabels = $state(true);

  exporting = $state<ExportKind | null>(null);
  exported = $state.raw<ExportResult | null>(null);
  exportError = $state.raw<WorkbenchErrorInfo | null>(null);

  readonly #onTaskChange: ((settings: TaskSettings) => void) | undefined;
  /** The last settings of each kind, so switching back restores them. */
  #byKind: Partial<Record<TaskKindId, TaskSettings>> = {};
  #timer: ReturnType<typeof setTimeout> | null = null;
  #controller: AbortController | null = null;
  #suggesting: Promise<void> | null = null;

  constructor(options: ResultsOptions) {
    this.api = options.api;
    this.modelPath = options.modelPath;
    this.#onTaskChange = options.onTaskChange;
    if (options.saved) this.#adopt(options.saved);
  }

  get kind(): TaskKindId | null {
    return this.settings?.kind ?? null;
  }

  get suggestedKind(): TaskKindId | null {
    return this.suggestion?.settings.kind ?? null;
  }

  get gap(): string | null {
    return this.settings ? settingsGap(this.settings) : null;
  }

  get images(): InterpretedImage[] {
    return this.interpretation?.images ?? [];
  }

  /** Batch size as the results see it (images, or results when the inputs were not images). */
  get batch(): number {
    const results = this.interpretation?.results ?? [];
    const imageIds = results.flatMap((r) => ('image' in r ? [r.image] : []));
    return Math.max(this.images.length, imageIds.length ? Math.max(...imageIds) + 1 : 0, 1);
  }

  get current(): TaskResult<EncodedRaster>[] {
    return resultsOfImage(this.interpretation?.results ?? [], this.image);
  }

  get currentImage(): InterpretedImage | undefined {
    return this.images.find((i) => i.index === this.image) ?? this.images[this.image];
  }

  /** A new run to read (or the first): settings are kept, the run is interpreted at once. */
  async show(runId: string): Promise<void> {
    if (this.runId === runId) return;
    this.runId = runId;
    this.exported = null;
    this.exportError = null;
    if (this.image >= this.batch) this.image = 0;
    if (!this.suggestion && !this.suggestionError) {
      this.#suggesting ??= this.#suggest();
      // Without a saved task, the suggestion decides what to show.
      if (!this.settings) await this.#suggesting;
    }
    if (this.runId === runId) await this.interpret();
  }

  /** Asks for the model's suggested task once (to show it and its reason), without a run. */
  suggest(): Promise<void> {
    this.#suggesting ??= this.#suggest();
    return this.#suggesting;
  }

  /** Another task kind: its last settings, or the suggested ones, or its defaults. */
  setKind(kind: TaskKindId): void {
    if (kind === this.kind) return;
    const suggested = this.suggestion?.settings.kind === kind ? this.suggestion.settings : null;
    this.#change(this.#byKind[kind] ?? suggested ?? defaultSettings(kind));
  }

  /** Changes some settings of the current kind; false (and nothing changes) when the values are not valid. */
  update(patch: Record<string, unknown>): boolean {
    if (!this.settings) return false;
    const parsed = taskSettingsSchema.safeParse({ ...this.settings, ...patch, kind: this.settings.kind });
    if (parsed.success) this.#change(parsed.data);
    return parsed.success;
  }

  /** Interprets the current run with the current settings, cancelling a call in flight. */
  async interpret(): Promise<void> {
    this.#clearTimer();
    this.#controller?.abort();
    const settings = this.settings;
    const runId = this.runId;
    if (!settings || !runId || settingsGap(settings)) {
      this.#controller = null;
      this.interpreting = false;
      return;
    }
    const controller = new AbortController();
    this.#controller = controller;
    this.interpreting = true;
    const result = await this.api.call('run.interpret', { runId, task: settings }, { signal: controller.signal });
    if (this.#controller !== controller) return; // superseded
    this.#controller = null;
    this.interpreting = false;
    if (result.ok) {
      this.interpretation = result.value;
      this.error = null;
      if (this.image >= this.batch) this.image = 0;
    } else if (result.error.code !== 'CANCELLED') {
      this.error = result.error;
    }
  }

  setImage(index: number): void {
    this.image = Math.min(Math.max(0, Math.trunc(index)), this.batch - 1);
    this.exported = null;
    this.exportError = null;
  }

  async exportResult(what: ExportKind, to: string): Promise<void> {
    if (!this.settings || !this.runId || this.exporting) return;
    this.exporting = what;
    this.exported = null;
    this.exportError = null;
    const result = await this.api.call('run.exportResult', {
      runId: this.runId,
      task: this.settings,
      image: this.image,
      what,
      to,
      maskOpacity: this.maskOpacity,
      showLabels: this.showLabels,
    });
    this.exporting = null;
    if (result.ok) this.exported = result.value;
    else this.exportError = result.error;
  }

  /** Stops a pending or running interpretation (the view went away). */
  dispose(): void {
    this.#clearTimer();
    this.#controller?.abort();
    this.#controller = null;
  }

  #adopt(settings: TaskSettings): void {
    this.settings = settings;
    this.#byKind[settings.kind] = settings;
  }

  #change(settings: TaskSettings): void {
    this.#adopt(settings);
    this.#clearTimer();
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#onTaskChange?.(settings);
      void this.interpret();
    }, INTERPRET_DELAY_MS);
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  async #suggest(): Promise<void> {
    const result = await this.api.call('task.suggest', { path: this.modelPath });
    if (result.ok) {
      this.suggestion = result.value;
      this.#byKind[result.value.settings.kind] ??= result.value.settings;
      if (!this.settings) this.#adopt(result.value.settings);
    } else {
      this.suggestionError = result.error;
      if (!this.settings) this.#adopt(defaultSettings('generic'));
    }
  }
}
