// Wires the engine supervisor and the backend together; the CLI's `serve`, the Electron main
// process and the tests all start the app's services through here.
import { homedir } from 'node:os';
import { join } from 'node:path';
import pkg from '../../package.json';
import type { Contract } from '../../shared/contract';
import { RpcClient } from '../../shared/rpc/client';
import { memoryPortPair } from '../../shared/rpc/port';
import { serveRpc } from '../../shared/rpc/server';
import { Backend, type BackendHost } from './backend';
import { BatchService } from './batch-service';
import { EngineClient, type EngineLauncher, type EngineLogger, forkLauncher } from './engine-client';
import { ModelLibrary } from './library';
import { PathGrants } from './path-grants';
import { RecipeStore } from './recipes';
import { sampleCatalog } from './samples';

export const APP_VERSION: string = pkg.version;

export { type AppLayout, layoutFromRoot } from '../common/layout';

export interface Services {
  engine: EngineClient;
  backend: Backend;
  /** The typed contract client for in-process callers (CLI, scripts, tests): the same RPC core as every wire. */
  client: RpcClient<Contract>;
  dispose(): void;
}

/** A typed client of the backend in this process, over an in-memory port pair. */
export function inProcessClient(backend: Backend): RpcClient<Contract> {
  const [near, far] = memoryPortPair();
  serveRpc(far, (channel, input, ctx) => backend.dispatch(channel, input, ctx), {
    maxInFlight: Number.POSITIVE_INFINITY,
    who: 'this process',
  });
  return new RpcClient<Contract>(near, { idPrefix: 'local' });
}

export function createServices(options: {
  launch: EngineLauncher;
  host: BackendHost;
  resourcesDir: string;
  /** Where the library and other app state are kept. */
  dataDir: string;
  log?: EngineLogger;
  /** Who names the paths written: a renderer (checked against the user's choices) or the command line. */
  caller?: 'renderer' | 'command-line';
}): Services {
  const engine = new EngineClient({ launch: options.launch, log: options.log });
  const library = new ModelLibrary({
    file: join(options.dataDir, 'library.json'),
    inspect: (path, signal) => engine.call('model.inspect', { path }, { signal }),
  });
  const backend = new Backend({
    engine,
    host: options.host,
    version: APP_VERSION,
    samples: sampleCatalog(options.resourcesDir),
    library,
    recipes: new RecipeStore(join(options.dataDir, 'recipes')),
    batch: new BatchService({ engine, file: join(options.dataDir, 'batch-jobs.json'), log: options.log }),
    grants: new PathGrants(options.caller),
  });
  const client = inProcessClient(backend);
  return {
    engine,
    backend,
    client,
    dispose: () => {
      backend.jobs.cancelAll();
      client.close('the app is stopping');
      engine.kill();
    },
  };
}

/** The host of browser mode and of tests: no native dialogs, files chosen on the server. */
export function serverHost(): BackendHost {
  return {
    info: { mode: 'browser', platform: process.platform, arch: process.arch, fileChooser: 'server', homeDir: homedir() },
  };
}

export { forkLauncher };
