// Class names: from the model's metadata (Ultralytics `names`), from the user's labels file, or
// ImageNet-1k. Pure: the engine reads files and hands their text to parseLabelsFile.
import { WorkbenchError } from '../result';
import type { LabelsSource } from '../tasks';

export interface LabelsContext {
  metadata: Record<string, string>;
  metadataParsed: Record<string, unknown>;
  /** Labels the engine read from the user's file. */
  labels?: string[];
  imagenetLabels?: string[];
}

/** The name shown for a class: its label, else "class 17". */
export const labelOf = (labels: readonly string[] | null, classId: number): string => {
  const l = labels?.[classId];
  return l !== undefined && l !== '' ? l : `class ${classId}`;
};

/** Class indices beyond this are typos, not class lists (keeps a sparse map from allocating gigabytes). */
const MAX_INDEX = 1_000_000;

const METADATA_KEYS = ['names', 'labels', 'classes'] as const;

/** A list or an {index: name} map as a list (holes stay ''). Null when it is neither. */
function asLabelList(v: unknown): string[] | null {
  if (Array.isArray(v)) {
    if (!v.every((x) => typeof x === 'string' || typeof x === 'number')) return null;
    return v.map(String);
  }
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.length === 0) return null;
    const out: string[] = [];
    for (const [k, name] of entries) {
      const i = Number(k);
      if (!Number.isInteger(i) || i < 0 || i > MAX_INDEX || (typeof name !== 'string' && typeof name !== 'number')) return null;
      out[i] = String(name);
    }
    return Array.from(out, (x) => x ?? '');
  }
  return null;
}

/**
 * Ultralytics writes names as a Python dict: {0: 'person', 1: 'bicycle'}. The engine parses
 * metadata into metadataParsed; this reads the raw text when that failed (quotes inside names).
 */
function parsePythonNames(text: string): string[] | null {
  const re = /(\d+)\s*:\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")/g;
  const out: string[] = [];
  let n = 0;
  for (const m of text.matchAll(re)) {
    if (Number(m[1]) > MAX_INDEX) return null;
    out[Number(m[1])] = (m[2] ?? m[3]).replace(/\\(.)/g, '$1');
    n++;
  }
  return n > 0 ? Array.from(out, (x) => x ?? '') : null;
}

/** Class names from the model's metadata (`names`, `labels`, `classes`), or null. */
export function metadataLabels(ctx: Pick<LabelsContext, 'metadata' | 'metadataParsed'>): string[] | null {
  for (const key of METADATA_KEYS) {
    const parsed = asLabelList(ctx.metadataParsed[key]);
    if (parsed) return parsed;
    const raw = ctx.metadata[key];
    if (raw !== undefined && key === 'names') {
      const fromText = parsePythonNames(raw);
      if (fromText) return fromText;
    }
  }
  return null;
}

/** ImageNet-1k names for 1000 classes, or for 1001 with "background" first (TF-slim models). */
function imagenetFor(list: string[] | undefined, classes: number): string[] | null {
  if (!list || list.length !== 1000) return null;
  if (classes === 1001) return ['background', ...list];
  return list;
}

/** The class names for `classes` classes, or null (shown as "class N"). */
export function resolveLabels(source: LabelsSource, ctx: LabelsContext, classes: number): string[] | null {
  switch (source.kind) {
    case 'none':
      return null;
    case 'list':
      return source.labels;
    case 'file':
      return ctx.labels ?? null;
    case 'imagenet':
      return imagenetFor(ctx.imagenetLabels, classes) ?? ctx.imagenetLabels ?? null;
    case 'auto':
      return metadataLabels(ctx) ?? (classes === 1000 || classes === 1001 ? imagenetFor(ctx.imagenetLabels, classes) : null);
  }
}

/**
 * A labels file's text as a list. `.json`: a list of names or an {index: name} map (also under a
 * `names`/`labels`/`classes` key). Anything else: one name per line; "0: person" or "0, tench"
 * prefixes are read as indices when every line has one.
 */
export function parseLabelsFile(text: string, fileName: string): string[] {
  const body = text.replace(/^\uFEFF/, '');
  if (/\.json$/i.test(fileName)) {
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch (e) {
      throw new WorkbenchError('INVALID_INPUT', `${fileName} is not valid JSON: ${(e as Error).message}`);
    }
    let list = asLabelList(value);
    if (!list && value && typeof value === 'object' && !Array.isArray(value)) {
      const o = value as Record<string, unknown>;
      for (const key of METADATA_KEYS) list ??= asLabelList(o[key]);
    }
    if (!list)
      throw new WorkbenchError(
        'INVALID_INPUT',
        `${fileName} holds no labels: expected a list of names (["cat", "dog"]) or a map from class index to name ({"0": "cat"})`,
      );
    if (list.length === 0) throw new WorkbenchError('INVALID_INPUT', `${fileName} holds an empty list of labels`);
    return list;
  }
  const lines = body.split(/\r?\n/).map((l) => l.trim());
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw new WorkbenchError('INVALID_INPUT', `${fileName} is empty: expected one label per line`);
  const indexed = /^(\d+)\s*[:,]\s*(.*)$/;
  const nonEmpty = lines.filter((l) => l !== '');
  if (nonEmpty.every((l) => indexed.test(l))) {
    const out: string[] = [];
    for (const l of nonEmpty) {
      const m = indexed.exec(l)!;
      const i = Number(m[1]);
      if (i > MAX_INDEX) throw new WorkbenchError('INVALID_INPUT', `${fileName}: class index ${i} is too large`);
      out[i] = m[2].trim();
    }
    return Array.from(out, (x) => x ?? '');
  }
  return lines;
}
