// The views the sidebar offers. Adding a view is one entry here (and its component).
import type { Component } from 'svelte';
import type { IconName } from '../components/icons';
import BatchView from '../views/BatchView.svelte';
import EvaluateView from '../views/EvaluateView.svelte';
import HardwareView from '../views/HardwareView.svelte';
import LibraryView from '../views/LibraryView.svelte';
import ModelView from '../views/ModelView.svelte';
import PipelineView from '../views/PipelineView.svelte';
import RunView from '../views/RunView.svelte';
import StartView from '../views/StartView.svelte';
import type { ViewId, Workbench } from './workbench.svelte';

export interface ViewDef {
  id: ViewId;
  label: string;
  icon: IconName;
  component: Component;
  /** A second line under the label (e.g. the open model's file name). */
  detail?: (wb: Workbench) => string | null;
  /** Keyboard shortcut shown in the tooltip. */
  shortcut?: string;
}

export const VIEWS: ViewDef[] = [
  { id: 'start', label: 'Start', icon: 'home', component: StartView },
  {
    id: 'model',
    label: 'Model',
    icon: 'model',
    component: ModelView,
    detail: (wb) => wb.modelName ?? (wb.loadingPath ? 'Opening…' : null),
  },
  { id: 'run', label: 'Run', icon: 'play', component: RunView },
  { id: 'pipeline', label: 'Pipeline', icon: 'pipeline', component: PipelineView },
  { id: 'batch', label: 'Batch', icon: 'batch', component: BatchView },
  { id: 'evaluate', label: 'Evaluate', icon: 'target', component: EvaluateView },
  { id: 'library', label: 'Library', icon: 'folder', component: LibraryView },
  { id: 'hardware', label: 'Hardware', icon: 'cpu', component: HardwareView },
];
