// The model library: recursive scan, cache by path+size+mtime (only changed files re-read),
// added and removed files noticed, broken files kept with their error, recent models.
import { copyFile, mkdir, mkdtemp, rm, utimes, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { EngineClient } from '../../electron/node/engine-client';
import { ModelLibrary } from '../../electron/node/library';
import { MODELS, sourceEngineLauncher } from '../helpers';

const engine = new EngineClient({ launch: sourceEngineLauncher() });
afterAll(() => engine.kill());

let root: string;
let reads: string[];
function library(file = join(root, 'state', 'library.json')) {
  return new ModelLibrary({
    file,
    inspect: (path, signal) => {
      reads.push(path);
      return engine.call('model.inspect', { path }, { signal });
    },
  });
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'owb-lib-'));
  reads = [];
  await mkdir(join(root, 'models', 'ocr', 'deep'), { recursive: true });
  await mkdir(join(root, 'models', '.hidden'), { recursive: true });
  await mkdir(join(root, 'models', 'node_modules'), { recursive: true });
  await copyFile(MODELS.ocrCls, join(root, 'models', 'ocr', 'cls.onnx'));
  await copyFile(MODELS.vadV5, join(root, 'models', 'ocr', 'deep', 'vad.ONNX'));
  await copyFile(MODELS.vadV5, join(root, 'models', '.hidden', 'skip.onnx'));
  await copyFile(MODELS.vadV5, join(root, 'models', 'node_modules', 'skip.onnx'));
  await writeFile(join(root, 'models', 'broken.onnx'), Buffer.from('89504e470d0a1a0a', 'hex'));
  await writeFile(join(root, 'models', 'readme.txt'), 'not a model');
});

describe('model library', () => {
  it('finds models recursively, with summaries, and keeps broken files with their error', async () => {
    const snap = await library().addFolder(join(root, 'models'));
    expect(snap.folders).toEqual([{ path: join(root, 'models'), exists: true, models: 3 }]);
    expect(snap.models.map((m) => m.name)).toEqual(['broken.onnx', 'cls.onnx', 'vad.ONNX']);
    const cls = snap.models.find((m) => m.name === 'cls.onnx')!;
    expect(cls.summary).toMatchObject({
      opset: expect.any(Number),
      inputs: [{ name: 'x', dtype: 'float32' }],
      dynamicInputs: true,
    });
    const vad = snap.models.find((m) => m.name === 'vad.ONNX')!;
    expect(vad.summary?.inputs.map((i) => i.name)).toEqual(['input', 'state', 'sr']);
    const broken = snap.models.find((m) => m.name === 'broken.onnx')!;
    expect(broken.summary).toBeNull();
    expect(broken.error).toMatchObject({ code: 'NOT_ONNX', message: expect.stringMatching(/PNG/) });
  });

  it('reads only changed files again, and notices added and removed files', async () => {
    const lib = library();
    await lib.addFolder(join(root, 'models'));
    expect(reads).toHaveLength(3);

    reads = [];
    await library().snapshot({ refresh: true }); // a new instance: the cache comes from disk
    expect(reads).toEqual([]);

    const cls = join(root, 'models', 'ocr', 'cls.onnx');
    const later = new Date(Date.now() + 5000);
    await utimes(cls, later, later);
    await copyFile(MODELS.ocrCls, join(root, 'models', 'new.onnx'));
    await rm(join(root, 'models', 'broken.onnx'));
    const snap = await lib.snapshot({ refresh: true });
    expect(reads.sort()).toEqual([join(root, 'models', 'new.onnx'), cls].sort());
    // Sorted by path: models/new.onnx, models/ocr/cls.onnx, models/ocr/deep/vad.ONNX.
    expect(snap.models.map((m) => m.name)).toEqual(['new.onnx', 'cls.onnx', 'vad.ONNX']);
    expect(snap.models.some((m) => m.name === 'broken.onnx')).toBe(false);
  });

  it('reports scan progress', async () => {
    const progress: { found: number; read: number }[] = [];
    await library().addFolder(join(root, 'models'), { onProgress: (p) => progress.push(p) });
    expect(progress.at(-1)).toMatchObject({ found: 3, read: 3, current: null });
  });

  it('refuses a missing folder or a file as a folder, naming it', async () => {
    await expect(library().addFolder(join(root, 'nope'))).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('nope'),
    });
    await expect(library().addFolder(join(root, 'models', 'readme.txt'))).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('removes a folder and its models', async () => {
    const lib = library();
    await lib.addFolder(join(root, 'models'));
    const snap = await lib.removeFolder(join(root, 'models'));
    expect(snap.folders).toEqual([]);
    expect(snap.models).toEqual([]);
  });

  it('shows a folder that disappeared as missing', async () => {
    const lib = library();
    await lib.addFolder(join(root, 'models'));
    await rm(join(root, 'models'), { recursive: true });
    const snap = await lib.snapshot({ refresh: true });
    expect(snap.folders[0]).toMatchObject({ exists: false, models: 0 });
  });

  it('keeps recent models, newest first, without duplicates, and lists them with a card', async () => {
    const lib = library();
    await lib.markOpened(MODELS.ocrCls);
    await lib.markOpened(MODELS.vadV5);
    const recent = await lib.markOpened(MODELS.ocrCls);
    expect(recent.map((r) => r.path)).toEqual([MODELS.ocrCls, MODELS.vadV5]);
    const snap = await lib.snapshot();
    expect(snap.models.find((m) => m.path === MODELS.ocrCls)).toMatchObject({ folder: '', lastOpenedMs: expect.any(Number) });
    expect(await lib.forgetRecent()).toEqual([]);
  });

  it('sets a damaged state file aside instead of failing or overwriting it silently', async () => {
    const file = join(root, 'state', 'library.json');
    await mkdir(join(root, 'state'), { recursive: true });
    await writeFile(file, '{ this is not json');
    const snap = await library(file).snapshot();
    expect(snap).toEqual({ folders: [], models: [], recent: [] });
    await library(file).markOpened(MODELS.ocrCls);
    expect(JSON.parse(await readFile(file, 'utf8')).recent).toHaveLength(1);
  });
});
