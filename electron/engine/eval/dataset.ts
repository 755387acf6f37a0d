// Reading the truth of a labelled dataset: class folders or a file,label list, COCO JSON or
// YOLO .txt labels, mask PNGs, file,text lists. Every file is keyed by its path relative to the
// dataset folder with '/' separators, as the batch journal names files. Bad lines and unreadable
// label files become warnings naming the file; a dataset with no labelled file is an error.
import { createReadStream } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, extname, isAbsolute, join, relative, sep } from 'node:path';
import { createInterface } from 'node:readline';
import type { EvalDataset } from '../../../shared/eval/report';
import type { GroundTruthBox } from '../../../shared/eval/detection';
import { WorkbenchError } from '../../../shared/result';
import { fsError, isFile } from '../../common/fs';
import { IMAGE_TYPES } from '../../../shared/batch';

/** A YOLO label: class and box as fractions of the image (cx, cy, w, h). */
export interface YoloBox {
  classId: number;
  cx: number;
  cy: number;
  w: number;
  h: number;
}

export type Truth =
  | { task: 'classification'; labels: Map<string, string> }
  | {
      task: 'detection';
      /** COCO: boxes in pixels keyed by file; YOLO: fractions, turned into pixels once the image size is known. */
      coco: Map<string, GroundTruthBox[]> | null;
      yolo: Map<string, YoloBox[]> | null;
      categories: Map<number, string>;
    }
  | { task: 'segmentation'; masks: Map<string, string> }
  | { task: 'text-recognition'; texts: Map<string, string> };

export interface LoadedDataset {
  truth: Truth;
  /** Relative paths the batch job should leave out (mask PNGs lying beside the images). */
  exclude: string[];
  warnings: string[];
}

const toKey = (root: string, path: string) => relative(root, path).split(sep).join('/');
const isImage = (name: string) => (IMAGE_TYPES as readonly string[]).includes(extname(name).slice(1).toLowerCase());

async function* walk(dir: string): AsyncGenerator<string> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else if (e.isFile()) yield p;
  }
}

async function readText(path: string, what: string): Promise<string> {
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new WorkbenchError('INVALID_INPUT', `${path}: the ${what} is not a regular file`);
    return await readFile(path, 'utf8');
  } catch (error) {
    throw fsError(error, path, { what });
  }
}

/** One CSV field list from a line (double quotes, "" inside quotes). */
export function splitCsvLine(line: string, delimiter: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === delimiter) {
      out.push(field);
      field = '';
    } else field += ch;
  }
  out.push(field);
  return out;
}

/**
 * A list of (file, value): CSV (`file,label`), TSV or PaddleOCR's `file<TAB>text`, or JSON lines
 * (`{"file", "label"|"text"}`). A header line naming the columns is skipped. Paths are relative to
 * the dataset folder (or absolute inside it).
 */
export async function readPairList(listPath: string, root: string, warnings: string[]): Promise<Map<string, string>> {
  const pairs = new Map<string, string>();
  const jsonl = /\.jsonl?$/i.test(listPath);
  const lines = createInterface({ input: createReadStream(listPath, 'utf8'), crlfDelay: Infinity });
  let n = 0;
  let delimiter: string | null = null;
  try {
    for await (const raw of lines) {
      n += 1;
      const line = raw.replace(/^\uFEFF/, '');
      if (!line.trim()) continue;
      let file: string | undefined;
      let value: string | undefined;
      if (jsonl) {
        try {
          const o = JSON.parse(line) as Record<string, unknown>;
          file = typeof o.file === 'string' ? o.file : typeof o.image === 'string' ? o.image : undefined;
          const v = o.label ?? o.text ?? o.class;
          value = typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
        } catch {
          warnings.push(`${listPath} line ${n}: not JSON`);
          continue;
        }
      } else {
        delimiter ??= line.includes('\t') ? '\t' : ',';
        const cells =
          delimiter === '\t' ? [line.slice(0, line.indexOf('\t')), line.slice(line.indexOf('\t') + 1)] : splitCsvLine(line, ',');
        if (n === 1 && /^(file|path|image|filename)$/i.test(cells[0].trim())) continue;
        file = cells[0]?.trim();
        value = delimiter === '\t' ? cells[1] : cells.slice(1).join(',').trim();
      }
      if (!file || value === undefined) {
        warnings.push(`${listPath} line ${n}: expected file and label`);
        continue;
      }
      const abs = isAbsolute(file) ? file : join(root, file);
      const key = toKey(root, abs);
      if (key.startsWith('..')) {
        warnings.push(`${listPath} line ${n}: ${file} is outside ${root}`);
        continue;
      }
      pairs.set(key, value);
    }
  } catch (error) {
    throw fsError(error, listPath, { what: 'list' });
  }
  return pairs;
}

/** ImageNet layout: every image under ROOT/CLASS/… is of CLASS. */
async function classFolders(root: string): Promise<Map<string, string>> {
  const labels = new Map<string, string>();
  for await (const p of walk(root)) {
    if (!isImage(p)) continue;
    const key = toKey(root, p);
    const slash = key.indexOf('/');
    if (slash > 0) labels.set(key, key.slice(0, slash));
  }
  return labels;
}

interface CocoFile {
  images?: { id: number | string; file_name: string; width?: number; height?: number }[];
  annotations?: { image_id: number | string; category_id: number; bbox: number[]; iscrowd?: number; area?: number }[];
  categories?: { id: number; name: string }[];
}

async function readCoco(path: string, root: string, warnings: string[]) {
  let coco: CocoFile;
  try {
    coco = JSON.parse(await readText(path, 'COCO annotations file')) as CocoFile;
  } catch (error) {
    if (error instanceof WorkbenchError) throw error;
    throw new WorkbenchError('INVALID_INPUT', `${path}: not JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(coco.images) || !Array.isArray(coco.annotations))
    throw new WorkbenchError('INVALID_INPUT', `${path}: a COCO file has "images" and "annotations" lists`);
  const byId = new Map<string, string>();
  const boxes = new Map<string, GroundTruthBox[]>();
  for (const img of coco.images) {
    if (typeof img?.file_name !== 'string') continue;
    const key = toKey(root, isAbsolute(img.file_name) ? img.file_name : join(root, img.file_name));
    byId.set(String(img.id), key);
    boxes.set(key, []);
  }
  let bad = 0;
  for (const a of coco.annotations) {
    const key = byId.get(String(a?.image_id));
    const b = a?.bbox;
    if (!key || !Array.isArray(b) || b.length !== 4 || !b.every(Number.isFinite) || !Number.isInteger(a.category_id)) {
      bad += 1;
      continue;
    }
    boxes.get(key)!.push({
      image: key,
      category: a.category_id,
      bbox: [b[0], b[1], b[2], b[3]],
      iscrowd: a.iscrowd === 1,
      ...(Number.isFinite(a.area) ? { area: a.area } : {}),
    });
  }
  if (bad) warnings.push(`${path}: ${bad} annotations without a known image, a category or a 4-number bbox were left out`);
  const categories = new Map<number, string>();
  for (const c of coco.categories ?? []) if (Number.isInteger(c?.id)) categories.set(c.id, String(c.name ?? c.id));
  return { boxes, categories };
}

/** Ultralytics' rule: …/images/…/x.jpg has its labels in …/labels/…/x.txt; else x.txt beside the image. */
function yoloLabelPaths(image: string): string[] {
  const stem = image.slice(0, image.length - extname(image).length);
  const parts = stem.split(sep);
  const i = parts.lastIndexOf('images');
  const paths = [`${stem}.txt`];
  if (i >= 0) paths.unshift([...parts.slice(0, i), 'labels', ...parts.slice(i + 1)].join(sep) + '.txt');
  return paths;
}

async function readYolo(root: string, warnings: string[]): Promise<Map<string, YoloBox[]>> {
  const labels = new Map<string, YoloBox[]>();
  for await (const p of walk(root)) {
    if (!isImage(p)) continue;
    for (const lp of yoloLabelPaths(p)) {
      let text: string;
      try {
        text = await readFile(lp, 'utf8');
      } catch {
        continue;
      }
      const boxes: YoloBox[] = [];
      text.split(/\r?\n/).forEach((line, n) => {
        const f = line.trim().split(/\s+/).map(Number);
        if (!line.trim()) return;
        if (f.length < 5 || !f.every(Number.isFinite) || !Number.isInteger(f[0])) {
          warnings.push(`${lp} line ${n + 1}: expected "class cx cy w h"`);
          return;
        }
        boxes.push({ classId: f[0], cx: f[1], cy: f[2], w: f[3], h: f[4] });
      });
      labels.set(toKey(root, p), boxes);
      break;
    }
  }
  return labels;
}

const MASK_SUFFIXES = ['_mask.png', '.mask.png'];

async function readMasks(root: string, masks: string | undefined): Promise<{ masks: Map<string, string>; exclude: string[] }> {
  const found = new Map<string, string>();
  const exclude = MASK_SUFFIXES.map((s) => `**/*${s}`);
  for await (const p of walk(root)) {
    if (!isImage(p) || MASK_SUFFIXES.some((s) => p.endsWith(s))) continue;
    const key = toKey(root, p);
    const stem = p.slice(0, p.length - extname(p).length);
    const candidates = masks
      ? [join(masks, key.slice(0, key.length - extname(key).length) + '.png'), join(masks, basename(stem) + '.png')]
      : MASK_SUFFIXES.map((s) => stem + s);
    for (const c of candidates)
      if (await isFile(c)) {
        found.set(key, c);
        break;
      }
  }
  return { masks: found, exclude };
}

export async function loadDataset(d: EvalDataset): Promise<LoadedDataset> {
  const warnings: string[] = [];
  const root = d.root;
  let st;
  try {
    st = await stat(root);
  } catch {
    throw new WorkbenchError('NOT_FOUND', `${root}: the dataset folder does not exist`);
  }
  if (!st.isDirectory()) throw new WorkbenchError('INVALID_INPUT', `${root}: the dataset is not a folder`);
  let truth: Truth;
  let exclude: string[] = [];
  let count: number;
  switch (d.task) {
    case 'classification': {
      const labels = d.list ? await readPairList(d.list, root, warnings) : await classFolders(root);
      truth = { task: 'classification', labels };
      count = labels.size;
      break;
    }
    case 'detection': {
      if (d.annotations) {
        const { boxes, categories } = await readCoco(d.annotations, root, warnings);
        truth = { task: 'detection', coco: boxes, yolo: null, categories };
        count = boxes.size;
      } else {
        const yolo = await readYolo(root, warnings);
        truth = { task: 'detection', coco: null, yolo, categories: new Map() };
        count = yolo.size;
      }
      break;
    }
    case 'segmentation': {
      const m = await readMasks(root, d.masks);
      truth = { task: 'segmentation', masks: m.masks };
      exclude = m.exclude;
      count = m.masks.size;
      if (d.masks) exclude.push(`${toKey(root, d.masks)}/**`);
      break;
    }
    case 'text-recognition': {
      if (!d.list) throw new WorkbenchError('INVALID_INPUT', `text recognition needs a file,text list for ${root}`);
      const texts = await readPairList(d.list, root, warnings);
      truth = { task: 'text-recognition', texts };
      count = texts.size;
      break;
    }
  }
  if (count === 0) {
    const where = d.list ?? d.annotations ?? root;
    const how = {
      classification: d.list ? 'no file,label lines' : 'no images inside class folders (ROOT/CLASS/image.jpg)',
      detection: d.annotations ? 'no images in its "images" list' : 'no image with a YOLO .txt label beside it or under labels/',
      segmentation: d.masks
        ? `no image with a mask PNG of the same name in ${d.masks}`
        : 'no image with a NAME_mask.png beside it (or give --masks DIR)',
      'text-recognition': 'no file,text lines',
    }[d.task];
    throw new WorkbenchError('INVALID_INPUT', `${where}: ${how}`);
  }
  return { truth, exclude: exclude.filter((e) => !e.startsWith('..')), warnings };
}
