// The model library: folders the user added, the models found in them, and recent models.
import type { Dim, DType, TaskGuess } from './model-info';
import type { WorkbenchErrorInfo } from './result';

/** A compact signature of one input or output, enough for a card and for filters. */
export interface SignatureEntry {
  name: string;
  dtype: DType | null;
  shape: Dim[] | null;
}

/** What a library card shows of a model; read once and cached by path, size and mtime. */
export interface ModelSummary {
  irVersion: number;
  /** Version of the default ONNX domain's opset, when imported. */
  opset: number | null;
  producer: string;
  inputs: SignatureEntry[];
  outputs: SignatureEntry[];
  parameters: number;
  task: TaskGuess;
  /** True when any required input has a non-fixed dim. */
  dynamicInputs: boolean;
}

export interface LibraryModel {
  path: string;
  name: string;
  /** The library folder it was found in ('' for recent models outside every folder). */
  folder: string;
  size: number;
  mtimeMs: number;
  summary: ModelSummary | null;
  /** Broken files stay in the library, with what is wrong. */
  error: WorkbenchErrorInfo | null;
  lastOpenedMs: number | null;
}

export interface LibraryFolder {
  path: string;
  exists: boolean;
  models: number;
}

export interface RecentModel {
  path: string;
  openedMs: number;
}

export interface LibrarySnapshot {
  folders: LibraryFolder[];
  models: LibraryModel[];
  recent: RecentModel[];
}

export interface LibraryScanProgress {
  folder: string;
  found: number;
  read: number;
  current: string | null;
}

/** True when a dim needs a choice from the user (named or unknown). */
export function hasDynamicDims(entries: SignatureEntry[]): boolean {
  return entries.some((e) => e.shape === null || e.shape.some((d) => typeof d !== 'number'));
}
