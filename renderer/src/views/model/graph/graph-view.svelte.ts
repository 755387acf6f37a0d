// The Graph tab's state for one model: grouping, which groups are open, the laid-out scene,
// selection, search hits and the profile overlay. The canvas only draws what this holds.
/* eslint-disable svelte/prefer-svelte-reactivity -- the sets here are replaced whole ($state.raw) and the maps are
   results built per call; none is mutated while on screen. */
import type { GraphData } from '../../../../../shared/graph/data';
import { GraphHierarchy } from '../../../../../shared/graph/hierarchy';
import { LayoutCache, type LayoutRunner, type Scene, labelEdges, layoutScene } from '../../../../../shared/graph/layout';
import { GraphModel } from '../../../../../shared/graph/model';
import { type ItemOverlay, type OverlayMode, ProfileOverlay } from '../../../../../shared/graph/overlay';
import { searchGraph } from '../../../../../shared/graph/search';
import type { ProfileSummary } from '../../../../../shared/profile';

export class GraphView {
  readonly model: GraphModel;
  readonly h: GraphHierarchy;
  readonly cache: LayoutCache;
  expanded = $state.raw<Set<number>>(new Set());
  scene = $state.raw<Scene | null>(null);
  /** A layout is being computed (the previous scene stays on screen). */
  busy = $state(false);
  /** Milliseconds the last layout took (shown to the benchmark). */
  lastLayoutMs = $state(0);
  /** The selected item: a node, or a graph input/output. */
  selected = $state<number | null>(null);
  query = $state('');
  hits = $state.raw<number[]>([]);
  tensorHits = $state(0);
  hitIndex = $state(-1);
  overlayMode = $state<OverlayMode>('none');
  profile = $state.raw<ProfileOverlay | null>(null);
  /** Set to ask the canvas to bring an item into view; seq changes every time. */
  focus = $state.raw<{ item: number; seq: number } | null>(null);
  /** Bumped to ask the canvas to fit the whole scene. */
  fitSeq = $state(0);
  /** Bumped to ask the canvas for the first view again (fitted when readable, else the top). */
  homeSeq = $state(0);
  #run: LayoutRunner;
  #seq = 0;

  constructor(data: GraphData, run: LayoutRunner) {
    this.model = new GraphModel(data);
    this.h = new GraphHierarchy(this.model);
    this.cache = new LayoutCache(this.h);
    this.#run = run;
  }

  get hitSet(): Set<number> {
    return new Set(this.hits);
  }

  /** Hits inside each collapsed or expanded group (by group id). */
  hitsInGroups(): Map<number, number> {
    const out = new Map<number, number>();
    for (const n of this.hits) for (const g of this.h.ancestors(n)) out.set(g, (out.get(g) ?? 0) + 1);
    return out;
  }

  async open(): Promise<void> {
    this.expanded = this.h.overview();
    await this.relayout();
  }

  async relayout(): Promise<void> {
    const seq = ++this.#seq;
    this.busy = true;
    const started = performance.now();
    const scene = await layoutScene(this.h, new Set(this.expanded), this.cache, this.#run);
    if (seq !== this.#seq) return;
    labelEdges(scene, this.h, this.profile?.shapes());
    this.scene = scene;
    this.lastLayoutMs = performance.now() - started;
    this.busy = false;
  }

  async toggle(group: number): Promise<void> {
    if (this.expanded.has(group)) await this.collapse(group);
    else await this.expand(group);
  }

  async expand(group: number): Promise<void> {
    if (!this.h.isGroup(group) || this.expanded.has(group)) return;
    this.expanded = new Set([...this.expanded, group]);
    await this.relayout();
    this.focus = { item: group, seq: ++this.#seq };
  }

  async collapse(group: number): Promise<void> {
    if (group === this.h.root || !this.expanded.has(group)) return;
    const next = new Set(this.expanded);
    next.delete(group);
    this.expanded = next;
    await this.relayout();
    this.focus = { item: group, seq: ++this.#seq };
  }

  /** Every group expanded, when that stays drawable; false when the model is too big for it. */
  async expandAll(limit = 5000): Promise<boolean> {
    if (this.model.nodeCount > limit) return false;
    this.expanded = this.h.expandedTo(Infinity);
    await this.relayout();
    this.fitSeq++;
    return true;
  }

  async resetView(): Promise<void> {
    this.expanded = this.h.overview();
    await this.relayout();
    this.homeSeq++;
  }

  /** Opens the groups above an item, selects it and brings it into view. */
  async reveal(item: number, select = true): Promise<void> {
    const closed = this.h.ancestors(item).filter((g) => !this.expanded.has(g));
    if (closed.length) {
      this.expanded = new Set([...this.expanded, ...closed]);
      await this.relayout();
    }
    if (select) this.selected = item;
    this.focus = { item, seq: ++this.#seq };
  }

  search(query: string): void {
    this.query = query;
    const r = searchGraph(this.model, query);
    this.hits = r.nodes;
    this.tensorHits = r.tensors;
    this.hitIndex = -1;
  }

  async step(direction: 1 | -1): Promise<void> {
    if (!this.hits.length) return;
    this.hitIndex = (this.hitIndex + direction + this.hits.length) % this.hits.length;
    await this.reveal(this.hits[this.hitIndex]);
  }

  setProfile(profile: ProfileSummary | null): void {
    const first = !this.profile;
    this.profile = profile ? new ProfileOverlay(this.h, profile) : null;
    if (!profile) this.overlayMode = 'none';
    // A profile that just arrived is what the user wants to see.
    else if (first && this.overlayMode === 'none') this.overlayMode = 'time';
    if (this.scene) labelEdges(this.scene, this.h, this.profile?.shapes());
  }

  /** The boxes the overlay colours: everything shown but the open groups' frames. */
  #overlaid(): number[] {
    return this.scene ? this.scene.boxes.filter((b) => b.kind !== 'container').map((b) => b.id) : [];
  }

  overlayColors(): Map<number, ItemOverlay> {
    if (!this.profile || !this.scene || this.overlayMode === 'none') return new Map();
    return this.profile.colors(this.#overlaid(), this.overlayMode);
  }

  /** The slowest box shown (ms): the hot end of the time legend. */
  slowestShown(): number {
    return this.profile ? this.profile.slowest(this.#overlaid()) : 0;
  }
}
