// A run's time bar: each step's share of the total, and what the named steps do not cover
// ("other"), so the bar is to scale and adds up to the total shown beside it.
import type { RunResult } from '../../../../shared/run';

export interface TimePart {
  id: 'create' | 'prepare' | 'run' | 'post' | 'other';
  label: string;
  ms: number;
  /** Fraction of the total, 0..1 (the parts add up to 1). */
  share: number;
}

/** Below this, the rest is rounding, not time worth naming. */
const OTHER_MIN_MS = 0.05;

export function timeParts(t: RunResult['timings']): TimePart[] {
  const named: Omit<TimePart, 'share'>[] = [
    // A cached session costs nothing to create: the "cached session" badge says so instead.
    ...(t.cached ? [] : [{ id: 'create' as const, label: 'create', ms: t.createMs }]),
    { id: 'prepare', label: 'prepare', ms: t.prepareMs },
    { id: 'run', label: 'run', ms: t.runMs },
    { id: 'post', label: 'post', ms: t.postprocessMs },
  ];
  const parts = named.filter((p) => p.ms > 0 || p.id === 'run');
  const sum = parts.reduce((s, p) => s + p.ms, 0);
  const rest = t.totalMs - sum;
  if (rest >= OTHER_MIN_MS) parts.push({ id: 'other', label: 'other', ms: rest });
  const scale = Math.max(t.totalMs, sum, 1e-9);
  return parts.map((p) => ({ ...p, share: p.ms / scale }));
}
