// A result as files: the JSON of shared/postprocess/json.ts, with a segmentation mask or an output
// picture as PNG files beside it, named in the JSON. Used by the UI's "Export JSON".
import { basename, dirname, extname, join } from 'node:path';
import { WorkbenchError } from '../../../shared/result';
import { type ResultExtra, resultJson, resultRasters } from '../../../shared/postprocess';
import type { Raster, TaskResult } from '../../../shared/tasks';
import { exists, writeNew } from '../../common/fs';
import { rasterToPng } from './encode';

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
    if (await exists(path)) throw new WorkbenchError('IO_ERROR', `${path} already exists; choose another name.`);
  }
  for (const [path, bytes] of pngs) await writeNew(path, bytes);
  await writeNew(to, json);
  return { path: to, bytes: json.byteLength, files: pngs.map(([p]) => p) };
}
