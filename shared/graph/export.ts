// What an export of the graph asks for: which groups are expanded.
import { z } from 'zod';
import type { GraphHierarchy } from './hierarchy';

/** 'overview': the first view; 'all': every group; a number: groups down to that depth; ids: as on screen. */
export const graphExpandSchema = z.union([
  z.literal('overview'),
  z.literal('all'),
  z.number().int().min(0).max(10_000),
  z.array(z.number().int().min(0)).max(1_000_000),
]);
export type GraphExpand = z.infer<typeof graphExpandSchema>;

export function expandedGroups(h: GraphHierarchy, expand: GraphExpand): Set<number> {
  if (expand === 'overview') return h.overview();
  if (expand === 'all') return h.expandedTo(Infinity);
  if (typeof expand === 'number') return h.expandedTo(expand);
  return new Set([h.root, ...expand.filter((id) => h.isGroup(id) && h.group(id) !== undefined)]);
}

/** The export format from the file's extension, or null. */
export function graphExportFormat(path: string): 'svg' | 'png' | null {
  const ext = /\.([a-z]+)$/i.exec(path)?.[1]?.toLowerCase();
  return ext === 'svg' ? 'svg' : ext === 'png' ? 'png' : null;
}
