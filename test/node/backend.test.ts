// The main side's handling of renderer requests: every channel parses its input, malformed
// payloads get INVALID_INPUT (never a crash), and answers are envelopes.
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CHANNEL_NAMES } from '../../shared/contract';
import { Backend } from '../../electron/node/backend';
import { EngineClient } from '../../electron/node/engine-client';
import { ModelLibrary } from '../../electron/node/library';
import { RecipeStore } from '../../electron/node/recipes';
import { createServices, serverHost } from '../../electron/node/services';
import { MODELS, ROOT, sourceEngineLauncher, tmpDataDir } from '../helpers';

const MALFORMED: unknown[] = [
  null,
  undefined,
  'model.onnx',
  42,
  [],
  { path: 42 },
  { path: 'relative/model.onnx' },
  { path: '/tmp/x\0.onnx' },
  { unexpected: true },
  { path: '/tmp/model.onnx', name: 7, to: [] },
];

function backendWithoutEngine() {
  let launches = 0;
  const engine = new EngineClient({
    launch: () => {
      launches += 1;
      throw new Error('the engine must not start for a malformed request');
    },
  });
  const library = new ModelLibrary({
    file: join(tmpdir(), `owb-never-${process.pid}.json`),
    inspect: async () => {
      throw new Error('no');
    },
  });
  const backend = new Backend({
    engine,
    host: serverHost(),
    version: '0.0.0-test',
    samples: async () => [],
    library,
    recipes: new RecipeStore(join(tmpdir(), `owb-never-recipes-${process.pid}`)),
  });
  return { backend, launches: () => launches };
}

describe('every channel rejects malformed input', () => {
  const { backend, launches } = backendWithoutEngine();
  for (const channel of CHANNEL_NAMES) {
    it(`${channel}`, async () => {
      for (const payload of MALFORMED) {
        // files.list accepts an empty object only; every payload above is wrong for every channel.
        const result = await backend.dispatch(channel, payload);
        expect(result.ok, `${channel} accepted ${JSON.stringify(payload)}`).toBe(false);
        if (!result.ok) {
          expect(result.error.code).toBe('INVALID_INPUT');
          expect(result.error.message).toContain(channel);
        }
      }
      expect(launches()).toBe(0);
    });
  }

  it('answers an unknown channel with UNKNOWN_CHANNEL', async () => {
    for (const name of ['nope', '__proto__', 'constructor', 42, null]) {
      const result = await backend.dispatch(name, {});
      expect(!result.ok && result.error.code).toBe('UNKNOWN_CHANNEL');
    }
  });
});

describe('backend over the real engine', () => {
  const services = createServices({
    launch: sourceEngineLauncher(),
    host: serverHost(),
    resourcesDir: join(ROOT, 'resources'),
    dataDir: tmpDataDir(),
  });
  afterAll(() => services.dispose());

  it('app.info says which mode and chooser this is', async () => {
    const result = await services.backend.dispatch('app.info', {});
    expect(result).toMatchObject({ ok: true, value: { name: 'ONNX Workbench', mode: 'browser', fileChooser: 'server' } });
  });

  it('a call cancelled before its handler starts is answered CANCELLED, its handler never started', async () => {
    const controller = new AbortController();
    controller.abort();
    const handlers = services.backend.handlers;
    const real = handlers['samples.list'];
    let called = false;
    handlers['samples.list'] = async (input, ctx) => ((called = true), real(input, ctx));
    try {
      const result = await services.backend.dispatch('samples.list', {}, { signal: controller.signal });
      expect(result).toEqual({ ok: false, error: { code: 'CANCELLED', message: 'Cancelled.' } });
      expect(called).toBe(false);
    } finally {
      handlers['samples.list'] = real;
    }
  });

  it('model.inspect returns the model info of a real model', async () => {
    const result = await services.backend.dispatch('model.inspect', { path: MODELS.ocrDet });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const info = result.value as { inputs: { name: string; dtype: string }[] };
    expect(info.inputs[0]).toMatchObject({ name: 'x', dtype: 'float32' });
  });

  it('model.inspect of a missing file is NOT_FOUND naming the path', async () => {
    const result = await services.backend.dispatch('model.inspect', { path: '/no/such/dir/m.onnx' });
    expect(result).toEqual({ ok: false, error: { code: 'NOT_FOUND', message: expect.stringContaining('/no/such/dir/m.onnx') } });
  });

  it('dialog.openModel is UNSUPPORTED in browser mode', async () => {
    const result = await services.backend.dispatch('dialog.openModel', {});
    expect(!result.ok && result.error.code).toBe('UNSUPPORTED');
  });

  it('app.showFolder is UNSUPPORTED in browser mode, and asks the host in the desktop app', async () => {
    const result = await services.backend.dispatch('app.showFolder', { path: '/tmp' });
    expect(!result.ok && result.error.message).toMatch(/browser mode.*copy its path/);
    const shown: string[] = [];
    const desktop = new Backend({
      engine: services.engine,
      host: { ...serverHost(), showFolder: async (p) => void shown.push(p) },
      version: '0.0.0-test',
      samples: async () => [],
      library: new ModelLibrary({ file: join(tmpdir(), `owb-never-${process.pid}.json`), inspect: async () => ({}) as never }),
      recipes: new RecipeStore(join(tmpdir(), `owb-never-recipes-${process.pid}`)),
    });
    // Only folders the app wrote are opened (openPath would run a file).
    expect(await desktop.dispatch('app.showFolder', { path: '/tmp/out' })).toMatchObject({
      ok: false,
      error: { code: 'PERMISSION_DENIED' },
    });
    await desktop.grants.grantBatchOutput('/tmp/out');
    expect(await desktop.dispatch('app.showFolder', { path: '/tmp/out' })).toEqual({ ok: true, value: { opened: true } });
    expect(shown).toEqual(['/tmp/out']);
  });

  it('files.list lists folders first, filters by extension and hides dotfiles', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'owb-files-'));
    await mkdir(join(dir, 'models'));
    await writeFile(join(dir, 'b.onnx'), 'x');
    await writeFile(join(dir, 'A.ONNX'), 'x');
    await writeFile(join(dir, 'notes.txt'), 'x');
    await writeFile(join(dir, '.hidden.onnx'), 'x');
    const result = await services.backend.dispatch('files.list', { path: dir, extensions: ['.onnx'] });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const listing = result.value as { entries: { name: string; kind: string }[]; hidden: number; parent: string };
    expect(listing.entries.map((e) => e.name)).toEqual(['models', 'A.ONNX', 'b.onnx']);
    expect(listing.hidden).toBe(2);
    expect(listing.parent).toBe(tmpdir());
  });

  it('files.list of a missing folder is NOT_FOUND', async () => {
    const result = await services.backend.dispatch('files.list', { path: '/definitely/not/here' });
    expect(result).toEqual({ ok: false, error: { code: 'NOT_FOUND', message: 'Folder not found: /definitely/not/here' } });
  });

  it('hardware.detect reports the machine and every provider, CPU ready and the rest with a reason', async () => {
    const result = await services.backend.dispatch('hardware.detect', {});
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const report = result.value as { providers: { id: string; status: string; reason?: string }[]; cpu: { cores: number } };
    expect(report.cpu.cores).toBeGreaterThan(0);
    expect(report.providers.find((p) => p.id === 'cpu')).toMatchObject({ status: 'ready' });
    for (const p of report.providers.filter((p) => p.status === 'unavailable')) expect(p.reason).toBeTruthy();
    expect(report.providers.map((p) => p.id).sort()).toEqual(['coreml', 'cpu', 'cuda', 'dml', 'tensorrt', 'webgpu']);
  });

  it('cancelling a request answers CANCELLED', async () => {
    const controller = new AbortController();
    const pending = services.backend.dispatch('model.checkRuntime', { path: MODELS.ocrRec }, { signal: controller.signal });
    controller.abort();
    const result = await pending;
    expect(!result.ok && result.error.code).toBe('CANCELLED');
  });
});
