// Colours laid over the graph from a profile run: time as a heatmap, or the provider that ran
// each node. A group shows the sum of its nodes' time and its main provider by time.
import type { ProfileSummary } from '../profile';
import type { GraphHierarchy } from './hierarchy';

export type OverlayMode = 'none' | 'time' | 'provider';

export interface ItemOverlay {
  color: string;
  /** Shown on the box: "1.24 ms · 12%" or "CUDA" / "CPU 70%". */
  text: string;
}

const PROVIDER_COLORS: Record<string, string> = {
  CPUExecutionProvider: '#7f9cc9',
  CUDAExecutionProvider: '#5cb85c',
  TensorrtExecutionProvider: '#2e8b57',
  DmlExecutionProvider: '#d67fc0',
  CoreMLExecutionProvider: '#f0924f',
  WebGpuExecutionProvider: '#b0c94a',
};

/** "CUDAExecutionProvider" → "CUDA". */
export function providerShortName(provider: string): string {
  return provider.replace(/ExecutionProvider$/, '') || provider;
}

export function providerColor(provider: string): string {
  const known = PROVIDER_COLORS[provider];
  if (known) return known;
  let hash = 0;
  for (const ch of provider) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return `hsl(${hash % 360} 55% 60%)`;
}

/**
 * 0 → slate blue, 0.5 → yellow, 1 → red. The cool end stays darker than the canvas and an open
 * group's fill, so that the fastest boxes still read as boxes.
 */
export function heatColor(t: number): string {
  const x = Math.min(1, Math.max(0, t));
  const stops = [
    [160, 180, 207],
    [250, 205, 96],
    [209, 46, 37],
  ];
  const [a, b, f] = x < 0.5 ? [stops[0], stops[1], x / 0.5] : [stops[1], stops[2], (x - 0.5) / 0.5];
  const c = a.map((v, k) => Math.round(v + (b[k] - v) * f));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

/** The heatmap spans this many powers of ten below the slowest box on screen. */
export const HEAT_DECADES = 3;

/** Position on the heatmap of a time, given the slowest on screen (log scale; 1 = the slowest). */
export function heatPosition(ms: number, max: number): number {
  if (!(ms > 0) || !(max > 0)) return 0;
  return Math.max(0, 1 + Math.log10(ms / max) / HEAT_DECADES);
}

export function formatMs(ms: number): string {
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 1) return `${ms.toFixed(2)} ms`;
  if (ms >= 0.001) return `${(ms * 1000).toFixed(ms >= 0.01 ? 0 : 1)} µs`;
  return `${(ms * 1e6).toFixed(0)} ns`;
}

function formatShare(share: number): string {
  if (share >= 0.1) return `${(100 * share).toFixed(0)}%`;
  if (share >= 0.001) return `${(100 * share).toFixed(1)}%`;
  return '<0.1%';
}

export class ProfileOverlay {
  /** Mean time of each model node, 0 when the profile does not list it. */
  readonly nodeMs: Float64Array;
  readonly nodeProvider: (string | null)[];
  /** Nodes of the model the profile speaks of (by name, or through a fused node). */
  readonly matched: number;
  private readonly groupMs = new Map<number, number>();
  private readonly groupProviders = new Map<number, Map<string, number>>();

  constructor(
    private readonly h: GraphHierarchy,
    readonly profile: ProfileSummary,
  ) {
    const m = h.model;
    this.nodeMs = new Float64Array(m.nodeCount);
    this.nodeProvider = new Array(m.nodeCount).fill(null);
    const byName = new Map<string, number>();
    for (let i = 0; i < m.nodeCount; i++) if (m.name(i) && !byName.has(m.name(i))) byName.set(m.name(i), i);
    let matched = 0;
    for (const p of profile.nodes) {
      const own = byName.get(p.name);
      const targets = own !== undefined ? [own] : (p.fusedFrom ?? []).map((n) => byName.get(n)).filter((i) => i !== undefined);
      for (const i of targets) {
        if (this.nodeProvider[i] === null) matched++;
        this.nodeMs[i] += p.ms / targets.length;
        this.nodeProvider[i] = p.provider;
      }
    }
    this.matched = matched;
  }

  /** Time of an item: a node's own, a group's sum. */
  ms(item: number): number {
    if (this.h.isNode(item)) return this.nodeMs[item];
    if (!this.h.isGroup(item)) return 0;
    let v = this.groupMs.get(item);
    if (v === undefined) {
      v = this.h.group(item).children.reduce((s, c) => s + this.ms(c), 0);
      this.groupMs.set(item, v);
    }
    return v;
  }

  /** Provider → time (ms; nodes without time count 1e-9 so they still show) inside an item. */
  providers(item: number): Map<string, number> {
    if (this.h.isNode(item)) {
      const p = this.nodeProvider[item];
      return new Map(p ? [[p, this.nodeMs[item] || 1e-9]] : []);
    }
    if (!this.h.isGroup(item)) return new Map();
    let v = this.groupProviders.get(item);
    if (!v) {
      v = new Map();
      for (const c of this.h.group(item).children) for (const [p, ms] of this.providers(c)) v.set(p, (v.get(p) ?? 0) + ms);
      this.groupProviders.set(item, v);
    }
    return v;
  }

  /** The slowest of these items (the boxes on screen): the top of the heatmap. */
  slowest(items: number[]): number {
    let max = 0;
    for (const i of items) max = Math.max(max, this.ms(i));
    return max;
  }

  /**
   * Colours for the given items (the boxes on screen): time on a log scale below the slowest of
   * them (times span orders of magnitude: a 5 µs Add beside a 5 ms Conv), with time and share.
   */
  colors(items: number[], mode: OverlayMode): Map<number, ItemOverlay> {
    const out = new Map<number, ItemOverlay>();
    if (mode === 'none') return out;
    const total = this.profile.total_ms || this.profile.nodes.reduce((s, n) => s + n.ms, 0);
    if (mode === 'time') {
      const max = this.slowest(items);
      for (const i of items) {
        const ms = this.ms(i);
        if (ms <= 0 && !this.providers(i).size) continue;
        const share = total > 0 ? ` · ${formatShare(ms / total)}` : '';
        out.set(i, { color: heatColor(heatPosition(ms, max)), text: `${formatMs(ms)}${share}` });
      }
      return out;
    }
    for (const i of items) {
      const ps = [...this.providers(i)].sort((a, b) => b[1] - a[1]);
      if (!ps.length) continue;
      const sum = ps.reduce((s, [, ms]) => s + ms, 0);
      const [top, ms] = ps[0];
      const text = ps.length === 1 ? providerShortName(top) : `${providerShortName(top)} ${Math.round((100 * ms) / sum)}%`;
      out.set(i, { color: providerColor(top), text });
    }
    return out;
  }

  /** Output shapes the profile saw, by tensor name (edge labels where value_info has none). */
  shapes(): Map<string, number[]> {
    const out = new Map<string, number[]>();
    for (const n of this.profile.nodes) for (const o of n.outputs) out.set(o.name, o.shape);
    return out;
  }
}
