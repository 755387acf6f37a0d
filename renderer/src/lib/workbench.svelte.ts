// The app's shared state: what the app is (AppInfo), which view shows, which model is open.
// Components read it and call its methods; all engine calls for opening models live here.
import type { Api } from '../../../shared/api';
import type { AppInfo, SampleModel } from '../../../shared/contract';
import type { MenuCommand } from '../../../shared/ipc';
import type { ModelInfo } from '../../../shared/model-info';
import type { ProfileSummary } from '../../../shared/profile';
import type { WorkbenchErrorInfo } from '../../../shared/result';
import { Hardware } from './hardware.svelte';
import { ModelInspection } from './inspection.svelte';
import { Library } from './library.svelte';
import { baseName } from './paths';

export type ViewId = 'start' | 'model' | 'run' | 'pipeline' | 'batch' | 'library' | 'hardware';
export type ModelTab = 'overview' | 'operators' | 'nodes' | 'weights' | 'runtime';

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

  /** The file being opened right now. */
  loadingPath = $state<string | null>(null);
  error = $state.raw<OpenError | null>(null);

  fileBrowser = $state.raw<FileBrowserRequest | null>(null);
  /** Where the model file browser was last; it reopens there. */
  lastFolder = $state<string | undefined>(undefined);

  readonly library: Library;
  readonly hardware: Hardware;

  #openController: AbortController | null = null;
  #choosing = false;

  constructor(api: Api) {
    this.api = api;
    this.library = new Library(api);
    this.hardware = new Hardware(api);
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

  /** Loads AppInfo and the samples and listens to native menu commands. */
  async start(): Promise<void> {
    this.api.onCommand((command) => this.handleCommand(command));
    this.api.onOpenPath((path) => void this.openModel(path));
    void this.library.loadRecent();
    const [info, samples] = await Promise.all([this.api.call('app.info', {}), this.api.call('samples.list', {})]);
    if (info.ok) this.appInfo = info.value;
    if (samples.ok) this.samples = samples.value;
    else {
      this.samples = [];
      this.samplesError = samples.error;
    }
  }

  handleCommand(command: MenuCommand): void {
    if (command === 'open-model') void this.chooseModel();
    else if (command === 'show-start') this.show('start');
  }

  show(view: ViewId): void {
    this.view = view;
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
    this.fileBrowser = {
      mode: 'file',
      title: 'Open model',
      extensions: ['.onnx'],
      startPath: this.lastFolder,
      onChoose: (path) => void this.openModel(path),
    };
  }

  /** "Add folder…" in the library: the server-side browser in folder mode (no native folder dialog yet). */
  chooseLibraryFolder(): void {
    if (this.fileBrowser) return;
    this.fileBrowser = {
      mode: 'folder',
      title: 'Add folder to library',
      startPath: this.lastFolder,
      onChoose: (path) => void this.library.addFolder(path),
    };
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
      this.inspection = new ModelInspection(this.api, path);
      if (this.modelTab === 'runtime') this.modelTab = 'overview';
      void this.library.opened(path);
    } else if (result.error.code !== 'CANCELLED') {
      this.#fail(path, result.error);
    }
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
    this.inspection = null;
    this.error = null;
    this.view = 'start';
  }

  #fail(path: string | null, error: WorkbenchErrorInfo): void {
    this.error = { path, error };
    this.view = 'model';
  }
}
