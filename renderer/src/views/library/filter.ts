// Search and filters over library models. Pure, so the view stays simple and tests can call it.
import type { TaskKind } from '../../../../shared/model-info';
import type { LibraryModel, SignatureEntry } from '../../../../shared/library';
import { emptyQuery, type LibraryQuery } from '../../lib/library.svelte';

import type { SizeBucket } from '../../lib/library.svelte';

const MB = 1024 * 1024;

export const SIZE_BUCKETS: { id: SizeBucket; label: string; min: number; max: number }[] = [
  { id: 'any', label: 'Any size', min: 0, max: Infinity },
  { id: 'small', label: 'Under 10 MB', min: 0, max: 10 * MB },
  { id: 'medium', label: '10–100 MB', min: 10 * MB, max: 100 * MB },
  { id: 'large', label: '100 MB–1 GB', min: 100 * MB, max: 1024 * MB },
  { id: 'huge', label: 'Over 1 GB', min: 1024 * MB, max: Infinity },
];

export function isFiltered(q: LibraryQuery): boolean {
  const e = emptyQuery();
  return (
    q.text.trim() !== '' ||
    q.task !== e.task ||
    q.opset !== e.opset ||
    q.size !== e.size ||
    q.dynamicOnly !== e.dynamicOnly ||
    q.showBroken !== e.showBroken
  );
}

function searchText(m: LibraryModel): string {
  const parts = [m.name, m.path];
  if (m.summary) {
    parts.push(m.summary.producer, ...m.summary.inputs.map((e) => e.name), ...m.summary.outputs.map((e) => e.name));
  }
  return parts.join('\n').toLowerCase();
}

export function matches(m: LibraryModel, q: LibraryQuery): boolean {
  if (m.error && !q.showBroken) return false;
  const words = q.text.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length > 0) {
    const text = searchText(m);
    if (!words.every((w) => text.includes(w))) return false;
  }
  const bucket = SIZE_BUCKETS.find((b) => b.id === q.size);
  if (bucket && (m.size < bucket.min || m.size >= bucket.max)) return false;
  // Task, opset and dynamic filters say something about the model's content: broken files have none.
  const s = m.summary;
  if (q.task !== 'any' && s?.task.kind !== q.task) return false;
  if (q.opset !== 'any' && s?.opset !== q.opset) return false;
  if (q.dynamicOnly && !s?.dynamicInputs) return false;
  return true;
}

export function filterModels(models: readonly LibraryModel[], q: LibraryQuery): LibraryModel[] {
  return models.filter((m) => matches(m, q));
}

/** The task kinds and opsets present, for the filter menus. */
export function facets(models: readonly LibraryModel[]): { tasks: TaskKind[]; opsets: number[] } {
  const tasks = new Set<TaskKind>();
  const opsets = new Set<number>();
  for (const m of models) {
    if (!m.summary) continue;
    tasks.add(m.summary.task.kind);
    if (m.summary.opset !== null) opsets.add(m.summary.opset);
  }
  return { tasks: [...tasks].toSorted(), opsets: [...opsets].toSorted((a, b) => a - b) };
}

/** "x float32 [N,3,H,W]" as plain text, for titles. */
export function signatureText(entries: readonly SignatureEntry[]): string {
  return entries
    .map((e) => {
      const shape = e.shape === null ? '[…]' : `[${e.shape.map((d) => (d === null ? '?' : String(d))).join(',')}]`;
      return `${e.name} ${e.dtype ?? '?'} ${shape}`;
    })
    .join(', ');
}

/** "3 minutes ago"-style time for last-opened dates. */
export function timeAgo(ms: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 24) return `${h} h ago`;
  const d = Math.round(h / 24);
  if (d < 30) return `${d} day${d === 1 ? '' : 's'} ago`;
  return new Date(ms).toLocaleDateString();
}
