// What a batch job writes into its output folder. Per image (mirroring the input tree under a
// folder per kind): the result drawn on the image, the mask, the cut-out, the raw outputs as
// .npy. Per job, rebuilt from the journal so that every file appears exactly once however often
// the job was resumed: results.csv, results.jsonl and coco.json. Every file is written under a
// temporary name and renamed; a file this job's journal did not write is never replaced unless
// the job allows overwriting.
import { createReadStream } from 'node:fs';
import { type FileHandle, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { BATCH_JOURNAL_FILE, BATCH_STATE_DIR, type BatchItemRecord, type BatchOutputKind } from '../../../shared/batch';
import { WorkbenchError } from '../../../shared/result';
import { KEYPOINT_MIN_SCORE } from '../../../shared/drawing';
import type { Raster, TaskResult } from '../../../shared/tasks';
import { encodeNpy } from '../tensors/npy';
import type { Tensor } from '../tensors/tensor';
import { writeFailed } from './write-errors';

export const STATE_DIR = BATCH_STATE_DIR;
export const JOURNAL_FILE = BATCH_JOURNAL_FILE;
export const JOB_FILE = 'job.json';
export const LOCK_FILE = 'lock';
/** Under STATE_DIR: one folder per shard ("1-of-4"), with its own journal, lock, job and results. */
export const SHARDS_DIR = 'shards';
/** In a shard's folder: which shard of which job it is, and how its last run ended (read by merge). */
export const SHARD_FILE = 'shard.json';
/** Whole-job files, by output kind. */
export const JOB_FILES = { csv: 'results.csv', jsonl: 'results.jsonl', coco: 'coco.json' } as const;

let tmpCounter = 0;

/** A hidden temporary name beside the target (same folder: the rename is atomic). */
function tempName(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}-${++tmpCounter}.tmp`);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Writes bytes atomically; `replace` false refuses an existing file (a per-image failure, not a disk problem). */
export async function writeAtomic(path: string, bytes: Uint8Array | string, replace: boolean): Promise<void> {
  if (!replace && (await exists(path)))
    throw new WorkbenchError('IO_ERROR', `${path} already exists and was not written by this job; it was kept`);
  const tmp = tempName(path);
  try {
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(bytes);
      // On disk before its journal line says "ok": a power cut never leaves an ok row pointing
      // at an empty file.
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true }).catch(() => {});
    throw writeFailed(error, path);
  }
}

/** Folders made once per job (a 100,000-image job would otherwise mkdir 100,000 times). */
export class FolderMaker {
  private readonly made = new Set<string>();
  async ensure(dir: string): Promise<void> {
    if (this.made.has(dir)) return;
    try {
      await mkdir(dir, { recursive: true });
    } catch (error) {
      throw writeFailed(error, dir);
    }
    this.made.add(dir);
  }
}

/** A file name part from an output name: safe characters only. */
export function safeName(name: string): string {
  return (
    name
      .replace(/[^A-Za-z0-9._-]+/g, '_')
      .replace(/^[.]+/, '_')
      .slice(0, 100) || 'output'
  );
}

/** Relative output paths ('/' separators) of one image. The input's own name is kept whole, so a.jpg and a.png never collide. */
export const itemPaths = {
  image: (rel: string, jpeg: boolean) => `images/${rel}.${jpeg ? 'jpg' : 'png'}`,
  mask: (rel: string) => `masks/${rel}.png`,
  cutout: (rel: string) => `cutouts/${rel}.png`,
  tensor: (rel: string, output: string) => `tensors/${rel}.${safeName(output)}.npy`,
};

const isJpeg = (rel: string): boolean => /\.jpe?g$/i.test(rel);

export interface ItemOutputContext {
  outputFolder: string;
  write: readonly BatchOutputKind[];
  /** Replace existing files: the job allows it, or this job's journal already knew the file. */
  replace: boolean;
  folders: FolderMaker;
}

/** The per-image encoders, loaded lazily (sharp lives in the engine only). */
export interface ItemRenderers {
  renderResultImage(
    path: string,
    result: TaskResult<Raster>,
    options: { format: 'png' | 'jpeg'; cutout?: boolean },
  ): Promise<Buffer>;
  rasterToPng(r: Raster): Promise<Buffer>;
}

/** Writes one image's per-image outputs; returns their paths relative to the output folder. */
export async function writeItemOutputs(
  ctx: ItemOutputContext,
  item: { rel: string; path: string; result: TaskResult<Raster> | null; outputs: Map<string, Tensor> },
  renderers: ItemRenderers,
): Promise<string[]> {
  const jobs: [string, () => Promise<Uint8Array>][] = [];
  const r = item.result;
  if (ctx.write.includes('images') && r) {
    const jpeg = isJpeg(item.rel);
    jobs.push([
      itemPaths.image(item.rel, jpeg),
      () => renderers.renderResultImage(item.path, r, { format: jpeg ? 'jpeg' : 'png' }),
    ]);
  }
  // Instance masks (-seg detectors): detection index + 1 per pixel; the cut-out keeps every instance.
  if (r?.kind === 'detection' && r.instances) {
    const instances = r.instances;
    if (ctx.write.includes('masks')) jobs.push([itemPaths.mask(item.rel), () => renderers.rasterToPng(instances.mask)]);
    if (ctx.write.includes('cutouts'))
      jobs.push([itemPaths.cutout(item.rel), () => renderers.renderResultImage(item.path, r, { format: 'png', cutout: true })]);
  }
  if (r?.kind === 'segmentation') {
    if (ctx.write.includes('masks')) jobs.push([itemPaths.mask(item.rel), () => renderers.rasterToPng(r.mask)]);
    if (ctx.write.includes('cutouts'))
      jobs.push([itemPaths.cutout(item.rel), () => renderers.renderResultImage(item.path, r, { format: 'png', cutout: true })]);
  }
  if (ctx.write.includes('tensors'))
    for (const [name, t] of item.outputs) {
      if (Array.isArray(t.data)) continue;
      jobs.push([itemPaths.tensor(item.rel, name), async () => encodeNpy(t)]);
    }
  const written: string[] = [];
  for (const [rel, make] of jobs) {
    const path = join(ctx.outputFolder, ...rel.split('/'));
    await ctx.folders.ensure(dirname(path));
    await writeAtomic(path, await make(), ctx.replace);
    written.push(rel);
  }
  return written;
}

// ---- Whole-job files -----------------------------------------------------------------------

export const CSV_COLUMNS = [
  'file',
  'status',
  'error',
  'width',
  'height',
  'result',
  'top_label',
  'top_score',
  'count',
  'area',
  'text',
  'decode_ms',
  'preprocess_ms',
  'run_ms',
  'post_ms',
  'write_ms',
  'wait_ms',
] as const;

/** RFC 4180: quoted when needed, quotes doubled. A leading =,+,-,@ is kept as is (these are data files, not sheets to trust). */
export function csvField(value: string | number | undefined | null): string {
  if (value === undefined || value === null || (typeof value === 'number' && !Number.isFinite(value))) return '';
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const ms = (x: number | undefined) => (x === undefined ? undefined : Math.round(x * 10) / 10);

export function csvRow(r: BatchItemRecord): string {
  const s = r.result;
  const top = s?.top?.[0];
  const count = s?.detections?.length ?? s?.regions ?? s?.segments?.length ?? s?.speech?.segments.length;
  // Speech: the segments as "start-end" seconds, space-separated (results.jsonl has them as numbers).
  // Pipelines: everything read, in reading order (lines joined by newlines).
  const text =
    s?.lines?.map((l) => l.text).join(' / ') ??
    s?.speech?.segments.map((g) => `${g.start}-${g.end}`).join(' ') ??
    s?.pipeline?.text;
  const fields = [
    r.file,
    r.status,
    r.error?.message,
    r.width,
    r.height,
    s?.text,
    top?.label,
    top?.score,
    count,
    s?.maskArea ?? s?.speech?.speechShare,
    text,
    ms(r.ms.decode),
    ms(r.ms.preprocess),
    ms(r.ms.run),
    ms(r.ms.post),
    ms(r.ms.write),
    ms(r.ms.wait),
  ];
  return `${fields.map(csvField).join(',')}\r\n`;
}

/** One line of results.jsonl: the record without the journal's own fields. */
export function jsonlRow(r: BatchItemRecord): string {
  const { type: _type, key: _key, at: _at, ...rest } = r;
  return `${JSON.stringify(rest)}\n`;
}

/** Buffered appends to a file handle (64 KB at a time). */
class BufferedFile {
  private chunks: string[] = [];
  private size = 0;
  constructor(
    readonly fh: FileHandle,
    readonly path: string,
  ) {}
  async write(text: string) {
    this.chunks.push(text);
    this.size += text.length;
    if (this.size >= 65536) await this.flush();
  }
  async flush() {
    if (!this.chunks.length) return;
    const text = this.chunks.join('');
    this.chunks = [];
    this.size = 0;
    await this.fh.write(text);
  }
}

async function openTemp(path: string): Promise<BufferedFile> {
  const tmp = tempName(path);
  return new BufferedFile(await open(tmp, 'wx'), tmp);
}

async function copyInto(from: string, to: BufferedFile): Promise<void> {
  await to.flush();
  for await (const chunk of createReadStream(from)) await to.fh.write(chunk as Buffer);
}

/**
 * COCO category ids start at 1 (0 is read as "background" or "no category" by COCO tools), so a
 * category's id is the model's class index + 1, and each category says its class index. The
 * categories are the job's labels (every class, found or not), plus classes found beyond them.
 */
export const COCO_CATEGORY_NOTE = "category_id = the model's class index + 1; each category gives its class_index";

export function cocoCategories(
  labels: readonly string[] | null | undefined,
  found: ReadonlyMap<number, string>,
): { id: number; name: string; class_index: number }[] {
  const names = new Map<number, string>();
  labels?.forEach((name, k) => names.set(k, name || `class ${k}`));
  for (const [k, name] of found) if (!names.has(k)) names.set(k, name);
  return [...names].sort((a, b) => a[0] - b[0]).map(([k, name]) => ({ id: k + 1, name, class_index: k }));
}

/**
 * Rebuilds results.csv, results.jsonl and coco.json in `outputFolder` from one record per file
 * (a journal's latest for the job's key, or the merge of shards' journals), sorted by path; each
 * file replaced atomically. `scratchDir` holds a temporary file for COCO's annotations. Returns
 * the names written.
 * `labels`: the job's class names by class index, for coco.json's categories.
 */
export async function writeJobFiles(
  outputFolder: string,
  items: AsyncIterable<BatchItemRecord>,
  write: readonly BatchOutputKind[],
  scratchDir = join(outputFolder, STATE_DIR),
  labels?: readonly string[] | null,
): Promise<string[]> {
  const wanted = (['csv', 'jsonl', 'coco'] as const).filter((k) => write.includes(k));
  if (!wanted.length) return [];
  const target = (k: (typeof wanted)[number]) => join(outputFolder, JOB_FILES[k]);
  const files = new Map<(typeof wanted)[number], BufferedFile>();
  const opened: BufferedFile[] = [];
  try {
    for (const k of wanted) {
      const f = await openTemp(target(k));
      files.set(k, f);
      opened.push(f);
    }
    let annotations: BufferedFile | null = null;
    if (files.has('coco')) {
      annotations = await openTemp(join(scratchDir, 'annotations'));
      opened.push(annotations);
    }
    const csv = files.get('csv');
    const jsonl = files.get('jsonl');
    const coco = files.get('coco');
    await csv?.write(`${CSV_COLUMNS.join(',')}\r\n`);
    const info = { description: 'ONNX Workbench batch job', version: '1.0', category_ids: COCO_CATEGORY_NOTE };
    await coco?.write(`{"info":${JSON.stringify(info)},"images":[`);
    const categories = new Map<number, string>();
    let imageId = 0;
    let annId = 0;
    for await (const r of items) {
      await csv?.write(csvRow(r));
      await jsonl?.write(jsonlRow(r));
      if (coco && annotations && r.status === 'ok' && r.result?.detections) {
        imageId += 1;
        const image = { id: imageId, file_name: r.file, width: r.width ?? 0, height: r.height ?? 0 };
        await coco.write(`${imageId > 1 ? ',' : ''}${JSON.stringify(image)}`);
        for (const d of r.result.detections) {
          annId += 1;
          categories.set(d.classId, d.label);
          const w = Math.max(0, d.x2 - d.x1);
          const h = Math.max(0, d.y2 - d.y1);
          const ann = {
            id: annId,
            image_id: imageId,
            category_id: d.classId + 1,
            bbox: [d.x1, d.y1, w, h].map((v) => Math.round(v * 100) / 100),
            area: Math.round(w * h * 100) / 100,
            score: d.score,
            iscrowd: 0,
            // Instance masks as COCO's compressed RLE when the job asked (the journal then carries
            // each mask's string), else as COCO polygons [x1, y1, x2, y2, …] (rotated boxes too);
            // pose keypoints as [x, y, v] triples.
            ...(d.rle !== undefined
              ? { segmentation: { size: [r.height ?? 0, r.width ?? 0], counts: d.rle } }
              : d.polygon && d.polygon.length >= 3
                ? { segmentation: [d.polygon.flat()] }
                : {}),
            ...(d.keypoints
              ? {
                  keypoints: d.keypoints.flatMap((k) => [k.x, k.y, k.score >= KEYPOINT_MIN_SCORE ? 2 : 0]),
                  num_keypoints: d.keypoints.filter((k) => k.score >= KEYPOINT_MIN_SCORE).length,
                }
              : {}),
          };
          await annotations.write(`${annId > 1 ? ',' : ''}${JSON.stringify(ann)}`);
        }
      }
    }
    if (coco && annotations) {
      await coco.write('],"annotations":[');
      await annotations.flush();
      await copyInto(annotations.path, coco);
      await coco.write(`],"categories":${JSON.stringify(cocoCategories(labels, categories))}}\n`);
    }
    for (const f of files.values()) {
      await f.flush();
      await f.fh.sync();
    }
    for (const [k, f] of files) await rename(f.path, target(k));
    return wanted.map((k) => JOB_FILES[k]);
  } catch (error) {
    throw writeFailed(error, outputFolder);
  } finally {
    for (const f of opened) {
      await f.fh.close().catch(() => {});
      await rm(f.path, { force: true }).catch(() => {});
    }
  }
}
