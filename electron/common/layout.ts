// Where the built app's pieces are: the CLI, the Electron main process and the tests find the
// engine, the renderer and the resources through here.
import { join } from 'node:path';

/** Where the built app's pieces are, relative to the project (or packaged app) root. */
export interface AppLayout {
  root: string;
  engineEntry: string;
  rendererDir: string;
  resourcesDir: string;
}

export function layoutFromRoot(root: string, resourcesDir = join(root, 'resources')): AppLayout {
  return {
    root,
    engineEntry: join(root, 'out', 'main', 'engine.js'),
    rendererDir: join(root, 'out', 'renderer'),
    resourcesDir,
  };
}
