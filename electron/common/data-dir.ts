// Where the app keeps its own state (library, recent models, recipes) when Electron's
// userData folder is not available (CLI, browser mode). OWB_DATA_DIR overrides it.
import { homedir } from 'node:os';
import { join } from 'node:path';

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (env.OWB_DATA_DIR) return env.OWB_DATA_DIR;
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'ONNX Workbench');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'ONNX Workbench');
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'onnx-workbench');
}
