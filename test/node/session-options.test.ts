// Session options that leave files behind (a profile, the optimised model) and recipes saved per
// model: written where the user asked, never over an existing file, found again after a restart.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecipeStore } from '../../electron/node/recipes';
import { npyBytes } from '../fixtures/tensor-files';
import { classifierModel } from './batch-fixtures';
import { MODELS, ROOT, testServices, tmpDataDir } from '../helpers';

let dir: string;
const dataDir = tmpDataDir();
const profiles = join(tmpdir(), `owb-profiles-${process.pid}`);
const { services, call, failure } = testServices({ env: { OWB_PROFILE_DIR: join(profiles, 'profiles') }, dataDir });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'owb-options-'));
});
afterAll(() => services.dispose());

const vadInputs = {
  input: { kind: 'generate', generator: 'uniform', low: -0.5, high: 0.5, seed: 1, dims: [1, 512] },
  state: { kind: 'generate', generator: 'zeros', dims: [2, 1, 128] },
  sr: { kind: 'generate', generator: 'constant', value: 16000, dims: [] },
};

describe('profiling and the optimised model', () => {
  it('writes onnxruntime profile JSON with one event per node run, and does not cache the session', async () => {
    const result = await call('model.run', { path: MODELS.vadV5, inputs: vadInputs, options: { profiling: true } });
    expect(result.profilePath).toMatch(/profiles\/silero_vad_v5-.*\.json$/);
    const events = JSON.parse(await readFile(result.profilePath!, 'utf8')) as { cat: string; name: string }[];
    expect(events.some((e) => e.cat === 'Node')).toBe(true);
    expect(result.timings.cached).toBe(false);
    // Profiling again makes a new profile, from a new session.
    const again = await call('model.run', { path: MODELS.vadV5, inputs: vadInputs, options: { profiling: true } });
    expect(again.profilePath).not.toBe(result.profilePath);
    expect(again.timings.cached).toBe(false);
  });

  it('saves the optimised model to the chosen file, and refuses to replace an existing one', async () => {
    const to = join(dir, 'vad.optimized.onnx');
    const result = await call('model.run', {
      path: MODELS.vadV5,
      inputs: vadInputs,
      options: { saveOptimizedModel: to, graphOptimization: 'extended' },
    });
    expect(result.optimizedModelPath).toBe(to);
    const info = await call('model.inspect', { path: to });
    expect(info.inputs.map((i) => i.name)).toEqual(['input', 'state', 'sr']);
    // The optimised model runs and gives the same answer.
    const rerun = await call('model.run', { path: to, inputs: vadInputs });
    const plain = await call('model.run', { path: MODELS.vadV5, inputs: vadInputs });
    const same = await call('run.compare', { a: plain.runId, b: rerun.runId });
    expect(same.pass).toBe(true);
    expect(same.outputs.map((o) => o.name)).toEqual(['output', 'stateN']);
    expect(same.outputs[0].maxAbsError).toBeLessThan(1e-5);

    const before = await stat(to);
    const error = await failure('model.run', { path: MODELS.vadV5, inputs: vadInputs, options: { saveOptimizedModel: to } });
    expect(error.message).toContain('already exists');
    expect((await stat(to)).mtimeMs).toBe(before.mtimeMs);
  });

  it('makes a session without spinning worker threads (batch jobs) apart from the default one', async () => {
    const spin = await call('model.run', { path: MODELS.vadV5, inputs: vadInputs, options: { intraOpThreads: 2 } });
    const calm = await call('model.run', {
      path: MODELS.vadV5,
      inputs: vadInputs,
      options: { intraOpThreads: 2, spinning: false },
    });
    expect(calm.timings.cached).toBe(false);
    expect((await call('run.compare', { a: spin.runId, b: calm.runId })).pass).toBe(true);
    const again = await call('model.run', {
      path: MODELS.vadV5,
      inputs: vadInputs,
      options: { intraOpThreads: 2, spinning: false },
    });
    expect(again.timings.cached).toBe(true);
  });

  it('rejects an optimised-model name that is not .onnx before loading anything', async () => {
    const error = await failure('model.run', {
      path: MODELS.vadV5,
      inputs: vadInputs,
      options: { saveOptimizedModel: join(dir, 'x.txt') },
    });
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toContain('.onnx');
  });
});

const recipe = {
  inputs: {
    x: {
      resize: { mode: 'letterbox', width: 640, height: 640 },
      mean: [0],
      std: [1],
    },
  },
  task: { kind: 'detection', confidence: 0.4 },
};

describe('recipes saved per model', () => {
  it('saves, finds again after a restart, exports and imports', async () => {
    const model = join(dir, 'det.onnx');
    expect((await call('recipe.get', { path: model })).recipe).toBeNull();
    const saved = await call('recipe.save', { path: model, recipe });
    expect(saved.recipe?.task).toMatchObject({ kind: 'detection', confidence: 0.4, iou: 0.45 });
    expect(saved.recipe?.inputs.x.resize.padColor).toEqual([114, 114, 114]);

    // A new store over the same folder (the app restarted) finds it.
    const again = await new RecipeStore(join(dataDir, 'recipes')).get(model);
    expect(again.recipe).toEqual(saved.recipe);

    const to = join(dir, 'det.recipe.json');
    await call('recipe.export', { path: model, to });
    const exported = JSON.parse(await readFile(to, 'utf8'));
    expect(exported).toMatchObject({ format: 'onnx-workbench/recipe', version: 1, model: 'det.onnx' });
    const error = await failure('recipe.export', { path: model, to });
    expect(error.message).toContain('already exists');

    const other = join(dir, 'other.onnx');
    const imported = await call('recipe.import', { path: other, from: to });
    expect(imported.recipe?.task).toEqual(saved.recipe?.task);
  });

  it('imports a bare preprocessing recipe for any image input, and names a broken file', async () => {
    const bare = join(dir, 'bare.json');
    await writeFile(bare, JSON.stringify({ resize: { mode: 'stretch', width: 32, height: 32 } }));
    const imported = await call('recipe.import', { path: join(dir, 'm.onnx'), from: bare });
    expect(Object.keys(imported.recipe!.inputs)).toEqual(['*']);

    const broken = join(dir, 'broken.json');
    await writeFile(broken, JSON.stringify({ inputs: { x: { resize: { mode: 'sideways', width: 1, height: 1 } } } }));
    const error = await failure('recipe.import', { path: join(dir, 'm.onnx'), from: broken });
    expect(error.message).toContain(broken);
    expect(error.message).toContain('inputs.x.resize.mode');

    const notJson = join(dir, 'not.json');
    await writeFile(notJson, 'hello');
    expect((await failure('recipe.import', { path: join(dir, 'm.onnx'), from: notJson })).message).toContain('is not JSON');
  });
});

describe('the CLI', () => {
  function cli(...args: string[]) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'electron/cli/index.ts'), ...args], {
      encoding: 'utf8',
      cwd: ROOT,
      env: {
        ...process.env,
        OWB_ENGINE_SOURCE: '1',
        OWB_DATA_DIR: join(dir, 'cli-data'),
        OWB_PROFILE_DIR: join(dir, 'cli-profiles'),
      },
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }
  const vad = ['run', MODELS.vadV5, '--input', '', '--generate-missing', '--set', 'sr=16000'];
  beforeAll(async () => {
    const audio = join(dir, 'audio.npy');
    await writeFile(audio, npyBytes({ descr: '<f4', shape: [1, 512], values: new Array(512).fill(0.1) }));
    vad[3] = `input=${audio}`;
  });

  it('run --profile and --save-optimized say where the files went', async () => {
    const to = join(dir, 'cli.optimized.onnx');
    const r = cli(...vad, '--profile', '--save-optimized', to);
    expect(r.stderr).not.toMatch(/error:/i);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Profile \(chrome:\/\/tracing.*\): .*cli-profiles\/silero_vad_v5-.*\.json/);
    expect(r.stdout).toContain(`Optimised model written to ${to}`);
    await stat(to);
    const again = cli(...vad, '--save-optimized', to);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('already exists');
  });

  it('run --recipe reads a recipe exported by the app (task and inputs)', async () => {
    const file = join(dir, 'cls.recipe.json');
    await writeFile(
      file,
      JSON.stringify({
        format: 'onnx-workbench/recipe',
        version: 1,
        inputs: { x: { resize: { mode: 'fit-height', width: 192, height: 48 }, channels: 'BGR', mean: [0.5], std: [0.5] } },
        task: { kind: 'classification', topK: 2 },
      }),
    );
    const png = join(dir, 'white.png');
    const sharp = (await import('sharp')).default;
    await sharp({ create: { width: 120, height: 40, channels: 3, background: '#ffffff' } })
      .png()
      .toFile(png);
    const r = cli('run', MODELS.ocrCls, '--input', png, '--recipe', file, '--json');
    expect(r.stderr).not.toMatch(/error:/i);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.inputs[0].dims).toEqual([1, 3, 48, 144]);
  });
});

describe('run.compare', () => {
  it('reports the differences of two runs output by output, with tolerances', async () => {
    const a = await call('model.run', { path: MODELS.vadV5, inputs: vadInputs });
    const other = { ...vadInputs, input: { ...vadInputs.input, seed: 2 } };
    const b = await call('model.run', { path: MODELS.vadV5, inputs: other });
    const strict = await call('run.compare', { a: a.runId, b: b.runId });
    expect(strict.pass).toBe(false);
    const state = strict.outputs.find((o) => o.name === 'stateN')!;
    expect(state.mismatches).toBeGreaterThan(0);
    expect(state.reason).toMatch(/values differ \(atol 0.00001, rtol 0.001\)/);
    const loose = await call('run.compare', { a: a.runId, b: b.runId, atol: 10 });
    expect(loose.pass).toBe(true);
    expect((await failure('run.compare', { a: a.runId, b: 'run-9999' })).code).toBe('NOT_FOUND');
  });
});

describe('the task in the recipe', () => {
  it('stores the suggested task the first time a model is opened, keeps what was saved, and leaves an unreadable file alone', async () => {
    const model = join(dir, 'classifier.onnx');
    await writeFile(model, classifierModel());
    const store = new RecipeStore(join(dataDir, 'recipes'));
    expect((await store.get(model)).recipe).toBeNull();

    await call('library.opened', { path: model });
    // On disk, before anything else asked: the task the model's signature suggests, with its settings.
    const stored = (await store.get(model)).recipe;
    expect(stored?.task).toMatchObject({ kind: 'classification', topK: 5, labels: { kind: 'auto' } });
    expect(stored?.inputs).toEqual({});
    expect((await call('recipe.get', { path: model })).recipe?.task).toEqual(stored?.task);

    // The user's change stays: opening again does not put the suggestion back.
    await call('recipe.save', { path: model, recipe: { ...stored, task: { kind: 'generic', colormap: 'gray' } } });
    await call('library.opened', { path: model });
    expect((await store.get(model)).recipe?.task).toEqual({ kind: 'generic', colormap: 'gray' });

    // A saved recipe without a task gets one and keeps its inputs.
    const other = join(dir, 'classifier-2.onnx');
    await writeFile(other, classifierModel());
    await store.save(other, { inputs: { x: { resize: { mode: 'stretch', width: 32, height: 32 } } } });
    const got = await call('recipe.get', { path: other });
    expect(got.recipe?.task?.kind).toBe('classification');
    expect(got.recipe?.inputs.x.resize).toMatchObject({ mode: 'stretch', width: 32, height: 32 });

    // A file that is not a model: nothing is stored, nothing fails.
    const junk = join(dir, 'junk.onnx');
    await writeFile(junk, 'not a model');
    expect((await call('recipe.get', { path: junk })).recipe).toBeNull();
    expect((await store.get(junk)).savedAt).toBeNull();
  });
});
