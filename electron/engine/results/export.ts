// A result as a file: JSON that programs can read (labels and scores, boxes and regions in
// original-image pixels, decoded text), with a segmentation mask or an output picture as PNG
// files beside it, named in the JSON. Used by the UI's "Export JSON" and by the CLI's result.json.
// resultJson is pure, so the CLI can build its record from a result it received.
import { stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { WorkbenchError } from '../../../shared/result';
import type { Raster, TaskResult, TaskSettings } from '../../../shared/tasks';
import { writeNew } from '../../common/write-new';
import { rasterToPng } from './encode';

export const RESULT_FORMAT = 'onnx-workbench/result';

/** File names (relative to the JSON) of the rasters written beside it; a raster without one is left out. */
export interface ResultFiles {
  mask?: string;
  picture?: string;
}

export interface ResultExtra {
  files?: ResultFiles;
  model?: string;
  /** The original image's path. */
  image?: string;
  settings?: TaskSettings;
}

const r2 = (v: number): number => Math.round(v * 100) / 100;
const r4 = (v: number): number => Math.round(v * 10_000) / 10_000;

/** The JSON record of one result (rasters only by file name). */
export function resultJson<R>(result: TaskResult<R>, extra: ResultExtra = {}): Record<string, unknown> {
  const head: Record<string, unknown> = { format: RESULT_FORMAT, version: 1, task: result.kind };
  if (extra.model !== undefined) head.model = extra.model;
  if (extra.image !== undefined) head.image = extra.image;
  if (extra.settings !== undefined) head.settings = extra.settings;
  const files = extra.files ?? {};
  switch (result.kind) {
    case 'classification':
      return {
        ...head,
        output: result.output,
        batchImage: result.image,
        classes: result.classes,
        softmaxApplied: result.softmaxApplied,
        top: result.top.map((c) => ({ classId: c.classId, label: c.label, score: r4(c.score) })),
      };
    case 'detection':
      return {
        ...head,
        layout: result.layout,
        batchImage: result.image,
        imageWidth: result.imageWidth,
        imageHeight: result.imageHeight,
        candidates: result.candidates,
        detections: result.detections.map((d) => ({
          classId: d.classId,
          label: d.label,
          score: r4(d.score),
          box: { x1: r2(d.x1), y1: r2(d.y1), x2: r2(d.x2), y2: r2(d.y2) },
        })),
      };
    case 'segmentation':
      return {
        ...head,
        output: result.output,
        batchImage: result.image,
        mode: result.mode,
        activation: result.activation,
        imageWidth: result.imageWidth,
        imageHeight: result.imageHeight,
        classes: result.classes.map((c) => ({ ...c, area: r4(c.area) })),
        ...(files.mask ? { mask: files.mask } : {}),
      };
    case 'image-to-image':
      return {
        ...head,
        output: result.output,
        batchImage: result.image,
        mapping: result.mapping,
        ...(files.picture ? { picture: files.picture } : {}),
      };
    case 'text-detection':
      return {
        ...head,
        output: result.output,
        batchImage: result.image,
        imageWidth: result.imageWidth,
        imageHeight: result.imageHeight,
        regions: result.regions.map((r) => ({
          points: r.points.map(([x, y]) => [r2(x), r2(y)]),
          score: r4(r.score),
          ...(r.text !== undefined ? { text: r.text } : {}),
          ...(r.textScore !== undefined ? { textScore: r4(r.textScore) } : {}),
        })),
      };
    case 'text-recognition':
      return { ...head, output: result.output, lines: result.lines.map((l) => ({ text: l.text, score: r4(l.score) })) };
    case 'generic':
      return {
        ...head,
        output: result.output,
        dims: result.dims,
        view: result.view,
        min: result.min,
        max: result.max,
        ...(result.series ? { series: result.series } : {}),
        ...(files.picture && result.picture ? { picture: files.picture } : {}),
      };
  }
}

/** The rasters a result file keeps beside the JSON: `<stem>.mask.png`, `<stem>.picture.png`. */
export function resultRasters(result: TaskResult<Raster>, stem: string): { files: ResultFiles; rasters: [string, Raster][] } {
  if (result.kind === 'segmentation')
    return { files: { mask: `${stem}.mask.png` }, rasters: [[`${stem}.mask.png`, result.mask]] };
  if ((result.kind === 'image-to-image' || result.kind === 'generic') && result.picture)
    return { files: { picture: `${stem}.picture.png` }, rasters: [[`${stem}.picture.png`, result.picture]] };
  return { files: {}, rasters: [] };
}

/**
 * Writes the result JSON at `to`, its rasters beside it. Nothing is written when any of the
 * files exists already (each is written with writeNew, never over a file).
 */
export async function writeResultJson(
  to: string,
  result: TaskResult<Raster>,
  extra: Omit<ResultExtra, 'files'> = {},
): Promise<{ path: string; bytes: number; files: string[] }> {
  if (extname(to).toLowerCase() !== '.json') throw new WorkbenchError('INVALID_INPUT', `${to}: a result JSON file ends in .json`);
  const dir = dirname(to);
  const stem = basename(to, extname(to));
  const { files, rasters } = resultRasters(result, stem);
  const json = new TextEncoder().encode(`${JSON.stringify(resultJson(result, { ...extra, files }), null, 2)}\n`);
  const pngs = await Promise.all(rasters.map(async ([name, raster]) => [join(dir, name), await rasterToPng(raster)] as const));
  // Check every target first, so that an existing mask does not leave a JSON without it.
  for (const path of [to, ...pngs.map(([p]) => p)]) {
    const exists = await stat(path).then(
      () => true,
      () => false,
    );
    if (exists) throw new WorkbenchError('IO_ERROR', `${path} already exists; choose another name.`);
  }
  for (const [path, bytes] of pngs) await writeNew(path, bytes);
  await writeNew(to, json);
  return { path: to, bytes: json.byteLength, files: pngs.map(([p]) => p) };
}
