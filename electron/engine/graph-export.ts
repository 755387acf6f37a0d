// The Graph tab's and `onnx-workbench graph`'s export: the same grouping and dagre layout as the
// app's worker, written as SVG, or rendered to PNG by sharp.
import { WorkbenchError } from '../../shared/result';
import { type GraphExpand, expandedGroups, graphExportFormat } from '../../shared/graph/export';
import { GraphHierarchy } from '../../shared/graph/hierarchy';
import { LayoutCache, labelEdges, layoutInProcess, layoutScene } from '../../shared/graph/layout';
import { GraphModel } from '../../shared/graph/model';
import { sceneToSvg } from '../../shared/graph/svg';
import { readGraph } from '../common/onnx/reader';
import { writeNew } from '../common/fs';

/** Cairo cannot draw past 32767 px a side; stay well inside. */
const MAX_PNG_SIDE = 16_000;

export async function graphSvg(path: string, expand: GraphExpand): Promise<{ svg: string; width: number; height: number }> {
  const h = new GraphHierarchy(new GraphModel(await readGraph(path)));
  const scene = await layoutScene(h, expandedGroups(h, expand), new LayoutCache(h), layoutInProcess);
  labelEdges(scene, h);
  return { svg: sceneToSvg(scene, h), width: scene.width + 40, height: scene.height + 40 };
}

export async function exportGraph(params: {
  path: string;
  to: string;
  expand: GraphExpand;
}): Promise<{ path: string; bytes: number }> {
  const format = graphExportFormat(params.to);
  if (!format) throw new WorkbenchError('INVALID_INPUT', `${params.to}: the graph is exported as .svg or .png`);
  const { svg, width, height } = await graphSvg(params.path, params.expand);
  let bytes: Uint8Array = Buffer.from(svg, 'utf8');
  if (format === 'png') {
    const sharp = (await import('sharp')).default;
    const scale = Math.min(2, MAX_PNG_SIDE / Math.max(width, height));
    bytes = await sharp(Buffer.from(svg, 'utf8'), { density: 72 * scale, limitInputPixels: false, unlimited: true })
      .png({ compressionLevel: 6 })
      .toBuffer();
  }
  await writeNew(params.to, bytes);
  return { path: params.to, bytes: bytes.length };
}
