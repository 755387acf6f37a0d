// A pipeline job asks the session cache for each step's session on every image: with more steps
// than the cache keeps, or the models closed mid-job (model.close releases their sessions), every
// file still runs. A step's labels are read once for the job. It keeps to the job's maxPixels,
// and refuses tiles and batch sizes (its steps run one image at a time). Tiny classifiers stand
// for the steps.
import { rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBatchJob } from '../../electron/engine/batch/job';
import { type SessionCache } from '../../electron/engine/run/session-cache';
import { type BatchJobInput, batchJobSchema } from '../../shared/batch';
import { RECIPE, classifierModel, imageFolder, cpuSessions } from './batch-fixtures';

let dir: string;
const caches: SessionCache[] = [];
const cache = (maxSessions?: number) => {
  const c = cpuSessions({ maxSessions });
  caches.push(c);
  return c;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'owb-pipeline-sessions-'));
});
afterAll(async () => {
  for (const c of caches) await c.release();
  await rm(dir, { recursive: true, force: true });
});

/** A pipeline of three classification steps on the whole image, each its own model file. */
async function threeSteps(name: string): Promise<{ file: string; models: string[] }> {
  const models = [];
  const steps = [];
  for (const id of ['a', 'b', 'c']) {
    const model = join(dir, `${name}-${id}.onnx`);
    await writeFile(model, classifierModel());
    models.push(model);
    steps.push({ id, model, recipe: RECIPE, task: { kind: 'classification', topK: 1 } });
  }
  const file = join(dir, `${name}.json`);
  await writeFile(file, JSON.stringify({ format: 'onnx-workbench/pipeline', version: 1, steps }));
  return { file, models };
}

const job = (file: string, input: string, output: string): BatchJobInput => ({
  model: file,
  pipeline: {},
  input: { folder: input },
  output: { folder: output, write: ['jsonl'] },
  options: { provider: 'cpu' },
});

describe('a pipeline job and the session cache', () => {
  it('runs every file with more steps than the cache keeps sessions', async () => {
    const { file } = await threeSteps('small-cache');
    const input = join(dir, 'in-small');
    await imageFolder(input, 3);
    const summary = await runBatchJob(job(file, input, join(dir, 'out-small')), { sessions: cache(1) });
    expect(summary).toMatchObject({ state: 'finished', total: 3, ok: 3, failed: 0 });
  });

  it('runs every file when the models are closed mid-job', async () => {
    const { file, models } = await threeSteps('closed');
    const input = join(dir, 'in-closed');
    await imageFolder(input, 4);
    const sessions = cache();
    let released = 0;
    const summary = await runBatchJob(job(file, input, join(dir, 'out-closed')), {
      sessions,
      progressIntervalMs: 0,
      onProgress: (p) => {
        // The user closes the models (or runs others) while the job goes on.
        if (p.done >= 1 && released === 0) for (const m of models) void sessions.release(m).then((n) => (released += n));
      },
    });
    expect(released).toBeGreaterThan(0);
    expect(summary).toMatchObject({ state: 'finished', total: 4, ok: 4, failed: 0 });
  });

  it('reads a step’s labels file once for the job, not once per image', async () => {
    const labels = join(dir, 'labels.txt');
    await writeFile(labels, 'red\ngreen\nblue\n');
    const model = join(dir, 'labelled.onnx');
    await writeFile(model, classifierModel());
    const step = {
      id: 'cls',
      model,
      recipe: RECIPE,
      task: { kind: 'classification', topK: 1, labels: { kind: 'file', path: labels } },
    };
    const file = join(dir, 'labelled.json');
    await writeFile(file, JSON.stringify({ format: 'onnx-workbench/pipeline', version: 1, steps: [step] }));
    const input = join(dir, 'in-labelled');
    await imageFolder(input, 3);
    let removed = false;
    const summary = await runBatchJob(job(file, input, join(dir, 'out-labelled')), {
      sessions: cache(),
      progressIntervalMs: 0,
      onProgress: (p) => {
        // Gone after the first image: the later ones use what was read.
        if (p.done >= 1 && !removed) {
          removed = true;
          rmSync(labels);
        }
      },
    });
    expect(removed).toBe(true);
    expect(summary).toMatchObject({ state: 'finished', total: 3, ok: 3, failed: 0 });
  });

  it('refuses images over the job’s maxPixels from their header, and runs them at the limit', async () => {
    const { file } = await threeSteps('pixels');
    const input = join(dir, 'in-pixels');
    await imageFolder(input, 2);
    const output = join(dir, 'out-pixels');
    // The pictures are 40×30 = 1,200 pixels.
    const summary = await runBatchJob({ ...job(file, input, output), maxPixels: 1000 }, { sessions: cache() });
    expect(summary).toMatchObject({ state: 'finished', total: 2, ok: 0, failed: 2 });
    expect(summary.failures[0].error).toMatch(/40×30 = 1,200 pixels, over the limit of 1,000; it was not decoded/);
    const roomy = await runBatchJob({ ...job(file, input, join(dir, 'out-pixels2')), maxPixels: 1200 }, { sessions: cache() });
    expect(roomy).toMatchObject({ state: 'finished', ok: 2, failed: 0 });
  });

  it('refuses tiles and a batch size, saying why', () => {
    const base = job('/p/ocr.json', '/in', '/out');
    const refused = (over: Partial<BatchJobInput>) => {
      const r = batchJobSchema.safeParse({ ...base, ...over });
      return r.success ? null : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(refused({ tile: 'off' })).toEqual(['tile: a pipeline job takes no tiles: its steps run one image at a time']);
    expect(refused({ batchSize: 4 })).toEqual([
      'batchSize: a pipeline job takes no batch size: its steps run one image at a time',
    ]);
    expect(refused({})).toBeNull();
    // An image job takes both.
    expect(refused({ pipeline: undefined, tile: 'off', batchSize: 4 })).toBeNull();
  });
});
