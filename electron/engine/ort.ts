// onnxruntime-node, loaded on first use so that starting the engine stays cheap.
import { createRequire } from 'node:module';
import type * as OrtModule from 'onnxruntime-node';

type Ort = typeof OrtModule;

let ort: Promise<Ort> | null = null;

/**
 * onnxruntime's own log level, fixed when its environment is made (the first session). Its
 * default logger writes from native code to stderr: every provider library that fails to load
 * while providers are probed ("Failed to load library libonnxruntime_providers_shared.so …"),
 * although the probe already turns that failure into its reason. Only fatal lines get through,
 * unless OWB_VERBOSE=1 asks for warnings too. Sessions' errors still come back as exceptions.
 */
export function ortLogLevel(env: NodeJS.ProcessEnv = process.env): 'warning' | 'fatal' {
  return env.OWB_VERBOSE === '1' ? 'warning' : 'fatal';
}

/**
 * Required, not imported: Node's ESM loader would first scan the CommonJS package's files for
 * their export names (cjs-module-lexer), which doubles its load (20 ms → 10 ms on 2 cores).
 */
const requireCjs = createRequire(import.meta.url);

export function loadOrt(): Promise<Ort> {
  ort ??= Promise.resolve().then(() => {
    const o = requireCjs('onnxruntime-node') as Ort;
    o.env.logLevel = ortLogLevel();
    return o;
  });
  return ort;
}
