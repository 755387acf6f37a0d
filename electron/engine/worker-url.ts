// Where the engine's worker threads start: the built script beside the engine's bundle, or, when
// the engine runs from source (tests, OWB_ENGINE_SOURCE), its TypeScript. The engine got its
// TypeScript loader through `--import tsx`, which a worker thread does not inherit: a two-line
// module registers it, then loads the worker.
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `from`: the URL of the module asking (import.meta.url); `built`: the script's name in out/main;
 * `source`: its source, relative to `from`.
 */
export function workerUrl(from: string, built: string, source: string): URL {
  if (extname(fileURLToPath(from)) !== '.ts') return new URL(`./${built}`, from);
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const worker = JSON.stringify(new URL(source, from).href);
  const code = `const { register } = await import(${tsx}); register(); await import(${worker});`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}
