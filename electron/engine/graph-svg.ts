// A model's graph grouped and laid out as the Graph tab does it (dagre, in Node), as an SVG
// string. Runs in the export's worker thread (graph-worker.ts), or in place where none starts.
import { type GraphExpand, expandedGroups } from '../../shared/graph/export';
import { GraphHierarchy } from '../../shared/graph/hierarchy';
import { LayoutCache, labelEdges, layoutInProcess, layoutScene } from '../../shared/graph/layout';
import { GraphModel } from '../../shared/graph/model';
import { sceneToSvg } from '../../shared/graph/svg';
import { readGraph } from '../common/onnx/reader';

export interface GraphSvg {
  svg: string;
  width: number;
  height: number;
}

export type GraphExportStage = 'reading' | 'laying out' | 'drawing' | 'writing';

export async function graphSvg(
  path: string,
  expand: GraphExpand,
  onStage: (stage: GraphExportStage) => void = () => {},
): Promise<GraphSvg> {
  onStage('reading');
  const h = new GraphHierarchy(new GraphModel(await readGraph(path)));
  onStage('laying out');
  const scene = await layoutScene(h, expandedGroups(h, expand), new LayoutCache(h), layoutInProcess);
  labelEdges(scene, h);
  return { svg: sceneToSvg(scene, h), width: scene.width + 40, height: scene.height + 40 };
}
