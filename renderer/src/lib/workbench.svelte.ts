// The app's shared state: what the app is (AppInfo), which view shows, which model is open, and
// every session (run, inspection, pipeline, batch). Sessions are created here, when a model opens
// or with the workbench, never inside a component; components get the workbench from the context.
import { createContext } from 'svelte';
import type { ActiveCall, ActiveJob, EngineActivity } from '../../../shared/activity';
import type { Api } from '../../../shared/api';
import type { AppInfo, SampleModel } from '../../../shared/contract';
import { type JobInfo, isRunningJob } from '../../../shared/jobs';
import type { MenuCommand } from '../../../shared/ipc';
import type { ModelInfo } from '../../../shared/model-info';
import type { ProfileSummary } from '../../../shared/profile';
import type { WorkbenchErrorInfo } from '../../../shared/result';
import { BatchSession } from './batch.svelte';
import { EvalSession } from './eval.svelte';
import { EngineStatus, localActivity } from './engine-status.svelte';
import { Hardware } from './hardware.svelte';
import { ModelInspection } from './inspection.svelte';
import { Library } from './library.svelte';
import { baseName } from './paths';
import { PipelineSession } from './pipeline.svelte';
import { isPipelineJob } from './pipeline-folder.svelte';
import { RunSession } from './run.svelte';

export type ViewId = 'start' | 'model' | 'run' | 'pipeline' | 'batch' | 'evaluate' | 'library' | 'hardware';
export type ModelTab = 'overview' | 'operators' | 'nodes' | 'graph' | 'weights' | 'runtime';

export interface OpenError {
  /** The file that failed, when known (drop uploads can fail before there is a path). */
  path: string | null;
  error: WorkbenchErrorInfo;
}

/** What the file browser dialog is open for; `null` when it is closed. */
export interface FileBrowserRequest {
  mode: 'file' | 'folder';
  title: string;
  extensions?: string[];
  startPath?: string;
  onChoose(path: string): void;
}

/** How long to wait before following the engine's activity again after the stream ended. */
const ACTIVITY_RETRY_MS = 3000;

export class Workbench {
  readonly api: Api;
  appInfo = $state.raw<AppInfo | null>(null);
  samples = $state.raw<SampleModel[] | null>(null);
  samplesError = $state.raw<WorkbenchErrorInfo | null>(null);
  view = $state<ViewId>('start');
  modelTab = $state<ModelTab>('overview');

  /** The model on screen (kept while another one loads). */
  modelPath = $state<string | null>(null);
  model = $state.raw<ModelInfo | null>(null);
  inspection = $state.raw<ModelInspection | null>(null);
  /** The Run view's session for the open model (a new one per opened model). */
  run = $state.raw<RunSession | null>(null);

  /** The file being opened right now. */
  loadingPath = $state<string | null>(null);
  error = $state.raw<OpenError | null>(null);

  fileBrowser = $state.raw<FileBrowserRequest | null>(null);
  /** Where the model file browser was last; it reopens there. */
  lastFolder = $state<string | undefined>(undefined);

  readonly library: Library;
  readonly hardware: Hardware;
  /** The pipeline and batch forms live as long as the app, so a running job survives switching views. */
  readonly pipeline: PipelineSession;
  readonly batch: BatchSession;
  /** The Evaluate view's form and its evaluation (it survives switching views too). */
  readonly evaluation: EvalSession;
  /** What the engine is doing, for the status bar. */
  readonly engine: EngineStatus;

  #openController: AbortController | null = null;
  #choosing = false;

  constructor(api: Api) {
    this.api = api;
    this.library = new Library(api);
    this.hardware = new Hardware(api);
    this.pipeline = new PipelineSession(api);
    this.batch = new BatchSession(api, () => this.modelPath);
    this.evaluation = new EvalSession(api, () => this.modelPath);
    this.engine = new EngineStatus();
  }

  get loading(): boolean {
    return this.loadingPath !== null;
  }

  /** The open model's latest profile (the Graph tab overlays it), or null. */
  get profile(): ProfileSummary | null {
    return this.inspection?.profile.summary ?? null;
  }

  get modelName(): string | null {
    return this.modelPath ? baseName(this.modelPath) : null;
  }

  /** What the engine is doing: the host's report, else what this window is waiting for. */
  get activity(): EngineActivity {
    return this.engine.activity ?? localActivity(this.#localCalls(), this.#localJobs());
  }

  #localCalls(): ActiveCall[] {
    const calls: ActiveCall[] = [];
    const add = (busy: boolean | undefined, channel: string, label: string) => {
      if (busy) calls.push({ channel, label, since: 0 });
    };
    const name = this.modelName ?? 'the model';
    add(this.loadingPath !== null, 'model.inspect', `Opening ${baseName(this.loadingPath ?? '')}`);
    const i = this.inspection;
    add(i?.nodes.running, 'model.nodes', `Reading the nodes of ${name}`);
    add(i?.initializers.running, 'model.initializers', `Reading the weights of ${name}`);
    add(i?.runtime.running, 'model.checkRuntime', `Checking ${name} with ONNX Runtime`);
    const r = this.run;
    add(r?.run.running, 'model.run', `Running ${name}`);
    add(r?.compare.running, 'model.run', `Comparing providers on ${name}`);
    add(r?.check.running, 'check.run', 'Checking test data');
    add(r?.benchRunning, 'model.bench', `Benchmarking ${name}`);
    add(this.pipeline.run.running, 'pipeline.run', `Running pipeline ${this.pipeline.fileName}`.trim());
    add(this.evaluation.running, 'eval.run', 'Evaluating on labelled data');
    return calls;
  }

  #localJobs(): ActiveJob[] {
    const b = this.batch;
    if (!b.running) return [];
    const p = b.progress;
    return [
      {
        jobId: b.jobId ?? '',
        kind: 'batch',
        label: 'Batch',
        state: b.paused ? 'paused' : 'running',
        done: p?.done ?? 0,
        total: p?.total ?? null,
      },
    ];
  }

  /** Loads AppInfo and the samples and listens to native menu commands. */
  async start(): Promise<void> {
    this.api.onCommand((command) => this.handleCommand(command));
    this.api.onOpenPath((path) => void this.openModel(path));
    void this.library.loadRecent();
    void this.#watchActivity();
    // Jobs still running (started before a reload, or in another tab) show again, with their settings.
    void this.batch.loadJobs();
    void this.attachJobs();
    const [info, samples] = await Promise.all([this.api.call('app.info', {}), this.api.call('samples.list', {})]);
    if (info.ok) {
      this.appInfo = info.value;
      // Only the desktop app can show a folder in the system's file manager.
      if (info.value.mode === 'electron') {
        this.batch.openFolder = (path) => this.#showFolder(path);
        this.pipeline.folderJob.openFolder = (path) => this.#showFolder(path);
      }
    }
    if (samples.ok) {
      this.samples = samples.value;
      this.pipeline.useSamples(samples.value);
    } else {
      this.samples = [];
      this.samplesError = samples.error;
    }
  }

  /**
   * Follows the jobs running on the main side that this page does not follow yet: a batch job and
   * an evaluation in their views; a benchmark or profile in the Run view of its model, which is
   * opened for it when no model is open (a reloaded page, a new tab).
   */
  async attachJobs(): Promise<void> {
    const result = await this.api.call('jobs.list', {});
    if (!result.ok) return;
    const running = result.value.filter(isRunningJob);
    for (const info of running) {
      // A pipeline over a folder is a batch job that the Pipeline view follows.
      if (isPipelineJob(info)) this.pipeline.attachFolderJob(info);
      else if (info.kind === 'batch') this.batch.attach(info);
      else if (info.kind === 'eval') this.evaluation.attach(info);
    }
    const ofModel = running.filter(
      (j): j is Extract<JobInfo, { kind: 'benchmark' | 'profile' }> => j.kind === 'benchmark' || j.kind === 'profile',
    );
    if (ofModel.length === 0) return;
    if (!this.modelPath && !this.loadingPath) await this.openModel(ofModel[0].request.path);
    const run = this.run;
    if (!run) return;
    for (const info of ofModel) {
      if (info.request.path !== run.modelPath) continue;
      if (info.kind === 'benchmark') void run.attachBench(info);
      else {
        run.tab = 'profile';
        this.inspection?.profile.attach(info);
      }
      this.show('run');
    }
  }

  handleCommand(command: MenuCommand): void {
    if (command === 'open-model') void this.chooseModel();
    else if (command === 'show-start') this.show('start');
  }

  show(view: ViewId): void {
    this.view = view;
    // The Run view's first engine calls (recipes, providers) start when it is first shown.
    if (view === 'run') this.run?.init();
  }

  /** "Open model…": the native dialog in the desktop app, the server-side browser otherwise. */
  async chooseModel(): Promise<void> {
    if (this.#choosing || this.fileBrowser) return;
    if (this.appInfo?.fileChooser === 'native') {
      this.#choosing = true;
      try {
        const result = await this.api.call('dialog.openModel', {});
        if (result.ok) {
          if (result.value.path) await this.openModel(result.value.path);
          return;
        }
        if (result.error.code !== 'UNSUPPORTED') {
          this.#fail(null, result.error);
          return;
        }
      } finally {
        this.#choosing = false;
      }
    }
    this.browse({ mode: 'file', title: 'Open model', extensions: ['.onnx'], onChoose: (path) => void this.openModel(path) });
  }

  /** "Add folder…" in the library: the server-side browser in folder mode (no native folder dialog yet). */
  chooseLibraryFolder(): void {
    this.browse({ mode: 'folder', title: 'Add folder to library', onChoose: (path) => void this.library.addFolder(path) });
  }

  /** Opens the app's file browser unless it is open; without a start path, where the last one was left. */
  browse(request: FileBrowserRequest): void {
    if (this.fileBrowser) return;
    this.fileBrowser = { ...request, startPath: request.startPath ?? this.lastFolder };
  }

  /**
   * A drop onto the library view: a model opens as anywhere else; a folder is added (desktop only,
   * since browser mode can upload files but not folders).
   */
  async dropOnLibrary(file: File): Promise<void> {
    if (/\.onnx$/i.test(file.name)) return this.openDroppedFile(file);
    if (this.appInfo?.mode !== 'electron') {
      this.library.note = 'In browser mode, add folders with Add folder…';
      return;
    }
    const path = await this.api.pathOfDroppedFile(file);
    if (path.ok) await this.library.addFolder(path.value);
    else this.library.error = path.error;
  }

  closeFileBrowser(lastFolder?: string): void {
    if (lastFolder) this.lastFolder = lastFolder;
    this.fileBrowser = null;
  }

  /** Inspects a model; the previous one stays on screen until this one is ready. */
  async openModel(path: string): Promise<void> {
    this.#openController?.abort();
    const controller = new AbortController();
    this.#openController = controller;
    this.loadingPath = path;
    this.error = null;
    this.view = 'model';
    const result = await this.api.call('model.inspect', { path }, { signal: controller.signal });
    if (this.#openController !== controller) return; // a newer open replaced this one
    this.#openController = null;
    this.loadingPath = null;
    if (result.ok) {
      this.model = result.value;
      this.modelPath = path;
      this.inspection?.dispose();
      this.inspection = new ModelInspection(this.api, path);
      this.run?.dispose();
      this.run = new RunSession(this.api, path, result.value);
      if (this.modelTab === 'runtime') this.modelTab = 'overview';
      void this.library.opened(path);
    } else if (result.error.code !== 'CANCELLED') {
      this.#fail(path, result.error);
    }
  }

  /**
   * One image's result in the Run view (a batch result clicked): the model opened first unless it
   * is the open one, the image as its first image input, run at once with the recipe's task.
   */
  async openResult(model: string, image: string): Promise<void> {
    if (this.modelPath !== model) await this.openModel(model);
    const session = this.run;
    const form = session?.forms.find((f) => f.kind === 'image');
    if (!session || this.modelPath !== model || !form) return;
    form.imagePaths = [image];
    session.tab = 'run';
    this.show('run');
    await form.guessRecipe();
    void form.refreshPreview();
    await session.start();
  }

  /** Opens a file dropped onto the window (uploaded first in browser mode). */
  async openDroppedFile(file: File): Promise<void> {
    this.view = 'model';
    this.loadingPath = file.name;
    this.error = null;
    const path = await this.api.pathOfDroppedFile(file);
    this.loadingPath = null;
    if (path.ok) await this.openModel(path.value);
    else this.#fail(null, path.error);
  }

  cancelOpen(): void {
    this.#openController?.abort();
    this.#openController = null;
    this.loadingPath = null;
  }

  retry(): void {
    if (this.error?.path) void this.openModel(this.error.path);
  }

  dismissError(): void {
    this.error = null;
  }

  closeModel(): void {
    this.model = null;
    this.modelPath = null;
    this.inspection?.dispose();
    this.inspection = null;
    this.run?.dispose();
    this.run = null;
    this.error = null;
    this.view = 'start';
  }

  /** Follows the engine's activity events for the window's life; a lost connection is retried. */
  async #watchActivity(): Promise<void> {
    for (;;) {
      const result = await this.api.call('engine.activity', {}, { onEvent: (a) => this.engine.apply(a) });
      // An older host without the channel: the window's own calls stand in (see `activity`).
      if (!result.ok && result.error.code === 'UNSUPPORTED') return;
      await new Promise((resolve) => setTimeout(resolve, ACTIVITY_RETRY_MS));
    }
  }

  async #showFolder(path: string): Promise<string | null> {
    const r = await this.api.call('app.showFolder', { path });
    return r.ok ? null : r.error.message;
  }

  #fail(path: string | null, error: WorkbenchErrorInfo): void {
    this.error = { path, error };
    this.view = 'model';
  }
}

/** The workbench of this window: `setWorkbench` in App, `getWorkbench` in any component below it. */
export const [getWorkbench, setWorkbench] = createContext<Workbench>();
