// The deeper, lazily loaded facts about one open model: nodes, weights, weight statistics and
// the ONNX Runtime check. A new instance per opened model, so nothing leaks between models.
import { SvelteMap } from 'svelte/reactivity';
import type { Api } from '../../../shared/api';
import type { RuntimeCheck } from '../../../shared/contract';
import type { InitializerInfo, NodeInfo, TensorStats } from '../../../shared/model-info';
import type { GraphData } from '../../../shared/graph/data';
import { ModelProfile } from './profile.svelte';
import { Task } from './task.svelte';

export class ModelInspection {
  readonly path: string;
  readonly nodes: Task<NodeInfo[]>;
  readonly initializers: Task<InitializerInfo[]>;
  /** The graph's nodes and tensors as compact columns (Graph tab). */
  readonly graph: Task<GraphData>;
  readonly runtime: Task<RuntimeCheck, { stage: string }>;
  /** onnxruntime's profile of this model (Run view's Profile panel, Graph tab overlays). */
  readonly profile: ModelProfile;
  /** Initializer name → its statistics task (kept while the model stays open). */
  readonly stats = new SvelteMap<string, Task<TensorStats>>();
  /** Text typed into the Nodes tab's search; kept when switching tabs. */
  nodeQuery = $state('');
  /** The node selected in the Nodes table or the graph (index in model.nodes order); kept across tabs. */
  selectedNode = $state<number | null>(null);
  /** A weight to show when the Weights tab opens (a link from a node). */
  weightQuery = $state('');
  readonly #api: Api;

  constructor(api: Api, path: string) {
    this.#api = api;
    this.path = path;
    this.nodes = new Task((o) => api.call('model.nodes', { path }, o));
    this.initializers = new Task((o) => api.call('model.initializers', { path }, o));
    this.graph = new Task((o) => api.call('model.graph', { path }, o));
    this.runtime = new Task((o) => api.call('model.checkRuntime', { path }, o));
    this.profile = new ModelProfile(api);
  }

  statsFor(name: string): Task<TensorStats> {
    let task = this.stats.get(name);
    if (!task) {
      task = new Task((o) => this.#api.call('model.initializerStats', { path: this.path, name }, o));
      this.stats.set(name, task);
    }
    return task;
  }

  /** The model closed: stop following its profile job (the job itself goes on, as jobs do). */
  dispose(): void {
    this.profile.task.release();
  }

  exportInitializer(name: string, to: string) {
    return this.#api.call('model.exportInitializer', { path: this.path, name, to });
  }
}
