// A pipeline over a folder as a batch job, with the real PaddleOCR models on rendered pictures:
// each file's text in results.csv and its regions in results.jsonl, a corrupt file failed with
// its reason, the annotated images beside (never in the input folder), resume; through the app's
// services with steps that name no task (their models' saved or suggested tasks; a missing model
// said as missing), the engine
// killed mid-job and every file once; and the CLI's `pipeline FILE --input FOLDER`.
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBatchJob } from '../../electron/engine/batch/job';
import { savedTasks, withSavedTasks } from '../../electron/node/pipeline-tasks';
import { type SessionCache } from '../../electron/engine/run/session-cache';
import type { BatchJobInput, BatchProgress, BatchSummary } from '../../shared/batch';
import type { JobInfo } from '../../shared/jobs';
import { type PipelineFile, parsePipeline } from '../../shared/pipeline';
import { type TaskSettingsInput, taskSettingsSchema } from '../../shared/tasks';
import { MODELS, cliFromSource, testServices, tmpDataDir } from '../helpers';
import { parseCsv, cpuSessions } from './batch-fixtures';

const KEYS = join(dirname(MODELS.ocrRec), 'ppocr_keys_v1.txt');
/** Letters only, upper case: what OCR must read, whatever it makes of spaces and case. */
const letters = (s: string) => s.toUpperCase().replace(/\s+/g, '');

let dir: string;
let sessions: SessionCache;

async function textPicture(path: string, lines: string[]) {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="480" height="${60 + lines.length * 80}">
    <rect width="100%" height="100%" fill="#ffffff"/>
    ${lines.map((l, k) => `<text x="30" y="${80 + k * 80}" font-family="DejaVu Sans, sans-serif" font-size="52" fill="#000000">${l}</text>`).join('')}
  </svg>`;
  await mkdir(dirname(path), { recursive: true });
  await sharp(Buffer.from(svg)).png().toFile(path);
}

/** What each picture of a folder says, by its path in the folder. */
const WORDS: Record<string, string[]> = {
  'a/hello.png': ['HELLO 2026', 'ONNX'],
  'b/world.png': ['WORLD 42'],
  'c.png': ['PIPELINE'],
};

async function scans(folder: string, count = 1): Promise<Record<string, string>> {
  const expected: Record<string, string> = {};
  for (let k = 0; k < count; k++)
    for (const [rel, lines] of Object.entries(WORDS)) {
      const name = count === 1 ? rel : rel.replace('.png', `-${k}.png`);
      await textPicture(join(folder, name), lines);
      expected[name] = letters(lines.join(''));
    }
  return expected;
}

const ocr = (withTasks: boolean): PipelineFile => ({
  format: 'onnx-workbench/pipeline',
  version: 1,
  steps: [
    { id: 'det', model: MODELS.ocrDet, ...(withTasks ? { task: { kind: 'text-detection' } } : {}) },
    {
      id: 'rec',
      model: MODELS.ocrRec,
      from: { kind: 'regions', step: 'det' },
      ...(withTasks ? { task: { kind: 'text-recognition', charset: { kind: 'file', path: KEYS } } } : {}),
    },
  ],
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'owb-pipeline-job-'));
  sessions = cpuSessions();
});

afterAll(async () => {
  await sessions?.release();
  await rm(dir, { recursive: true, force: true });
});

describe('steps that name no task', () => {
  it('take the tasks given for them, and say clearly when there is none', () => {
    const file = ocr(false);
    const t = (task: TaskSettingsInput) => taskSettingsSchema.parse(task);
    const det = t({ kind: 'text-detection' });
    const rec = t({ kind: 'text-recognition', charset: { kind: 'file', path: KEYS } });
    const classes = t({ kind: 'classification' });
    expect(() => parsePipeline(file, { source: 'ocr.json' })).toThrow(
      /ocr\.json: steps\.0\.task: step "det" names no task, and .*ch_PP-OCRv4_det_infer\.onnx has no saved task and none could be suggested/,
    );
    const p = parsePipeline(file, {
      tasks: { det, rec },
    });
    expect(p.steps.map((s) => s.task.kind)).toEqual(['text-detection', 'text-recognition']);
    // A task named in the file wins over a saved one.
    const named = parsePipeline(ocr(true), { tasks: { det: classes } });
    expect(named.steps[0].task.kind).toBe('text-detection');
    // A saved task of the wrong kind breaks the rules on kinds: said, with where it came from.
    expect(() => parsePipeline(file, { tasks: { det: classes, rec } })).toThrow(
      /with the tasks saved for the models that name none\): steps\.1\.from\.step: "det" is classification, which finds no regions/,
    );
  });

  it('are looked up by their models, resolved against the pipeline file, before the pipeline runs', async () => {
    const folder = join(dir, 'lookup');
    await mkdir(folder, { recursive: true });
    const file = join(folder, 'p.json');
    const steps = [
      { id: 'det', model: 'models/det.onnx' },
      { id: 'rec', model: '/abs/rec.onnx', from: { kind: 'regions', step: 'det' }, task: { kind: 'text-recognition' } },
    ];
    await writeFile(file, JSON.stringify({ format: 'onnx-workbench/pipeline', version: 1, steps }));
    await mkdir(join(folder, 'models'));
    await writeFile(join(folder, 'models', 'det.onnx'), 'a model');
    const asked: string[] = [];
    const taskOf = async (model: string) => {
      asked.push(model);
      return taskSettingsSchema.parse({ kind: 'text-detection' });
    };
    // Only the step without a task is looked up, by its model's absolute path.
    expect(await savedTasks({ file }, taskOf)).toEqual({ det: expect.objectContaining({ kind: 'text-detection' }) });
    expect(asked).toEqual([join(folder, 'models', 'det.onnx')]);
    // A job's own tasks win; a file that cannot be read gives none (running it says why).
    const job = { model: file, pipeline: { tasks: { det: taskSettingsSchema.parse({ kind: 'detection' }) } } };
    const started = (await withSavedTasks('batch.start', { job }, taskOf)) as { job: typeof job };
    expect(started.job.pipeline.tasks.det.kind).toBe('detection');
    expect(await savedTasks({ file: join(folder, 'missing.json') }, taskOf)).toEqual({});
  });

  it('say a missing model is missing (naming it), not that it has no task', async () => {
    const folder = join(dir, 'mistyped');
    await mkdir(folder, { recursive: true });
    const file = join(folder, 'p.json');
    await writeFile(
      file,
      JSON.stringify({ format: 'onnx-workbench/pipeline', version: 1, steps: [{ id: 'det', model: 'dte.onnx' }] }),
    );
    const asked: string[] = [];
    const taskOf = async (model: string) => {
      asked.push(model);
      return undefined;
    };
    await expect(savedTasks({ file }, taskOf)).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: `Model of step "det" not found: ${join(folder, 'dte.onnx')}`,
    });
    expect(asked).toEqual([]);
  });
});

describe('a pipeline over a folder (engine)', () => {
  it('writes each file’s text and regions, fails a corrupt file with its reason, draws the regions, resumes', async () => {
    const input = join(dir, 'scans');
    const output = join(dir, 'scans-out');
    const expected = await scans(input);
    await writeFile(join(input, 'broken.png'), Buffer.from('not a png at all'));
    const pipelineFile = join(dir, 'ocr.json');
    await writeFile(pipelineFile, JSON.stringify(ocr(true)));
    const job: BatchJobInput = {
      model: pipelineFile,
      pipeline: {},
      input: { folder: input },
      output: { folder: output, write: ['csv', 'jsonl', 'images'] },
      options: { provider: 'cpu' },
    };
    const before = (await readdir(input, { recursive: true })).sort();
    const events: BatchProgress[] = [];
    const summary = await runBatchJob(job, { sessions, progressIntervalMs: 0, onProgress: (p) => events.push(p) });
    expect(summary).toMatchObject({ state: 'finished', total: 4, ok: 3, failed: 1, written: ['results.csv', 'results.jsonl'] });
    expect(summary.failures).toEqual([
      { file: 'broken.png', error: expect.stringMatching(/broken\.png is not an image sharp can read/) },
    ]);

    const rows = parseCsv(await readFile(join(output, 'results.csv'), 'utf8'));
    expect(rows.map((r) => r.file)).toEqual(['a/hello.png', 'b/world.png', 'broken.png', 'c.png']);
    for (const r of rows.filter((row) => row.status === 'ok')) expect(letters(r.text)).toBe(expected[r.file]);
    // Two lines read in reading order, one per line of the picture.
    expect(rows[0].text.split('\n').map(letters)).toEqual(['HELLO2026', 'ONNX']);
    const broken = rows.find((r) => r.file === 'broken.png')!;
    expect(broken.status).toBe('failed');
    expect(broken.error).toMatch(/broken\.png is not an image sharp can read/);

    const lines = (await readFile(join(output, 'results.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const hello = lines.find((l) => l.file === 'a/hello.png');
    expect(hello).toMatchObject({ status: 'ok', width: 480, height: 220, result: { task: 'pipeline', regions: 2 } });
    expect(hello.result.pipeline.regions).toHaveLength(2);
    for (const region of hello.result.pipeline.regions) {
      expect(region).toMatchObject({ step: 'det', points: expect.any(Array), text: expect.any(String) });
      expect(region.points).toHaveLength(4);
    }
    expect(letters(hello.result.pipeline.text)).toBe('HELLO2026ONNX');

    // The regions drawn, mirroring the input tree in the output folder; the input folder untouched.
    const drawn = await sharp(join(output, 'images', 'a', 'hello.png.png')).metadata();
    expect([drawn.width, drawn.height]).toEqual([480, 220]);
    expect((await readdir(input, { recursive: true })).sort()).toEqual(before);
    expect(events.some((p) => p.latest.some((b) => b.file === 'b/world.png' && letters(b.text) === 'WORLD42'))).toBe(true);

    // Run again: nothing is run twice; each file is in the results once.
    const again = await runBatchJob(job, { sessions });
    expect(again).toMatchObject({ state: 'finished', ok: 3, failed: 1, processed: 0, skipped: 4 });
    const rerun = parseCsv(await readFile(join(output, 'results.csv'), 'utf8'));
    expect(rerun.map((r) => r.file)).toEqual(rows.map((r) => r.file));
  });

  it('refuses an output folder inside the input folder and outputs a pipeline job cannot write', async () => {
    const input = join(dir, 'inside');
    await scans(input);
    const pipelineFile = join(dir, 'ocr.json');
    await writeFile(pipelineFile, JSON.stringify(ocr(true)));
    const base = { model: pipelineFile, pipeline: {}, input: { folder: input }, options: { provider: 'cpu' as const } };
    await expect(runBatchJob({ ...base, output: { folder: join(input, 'out') } }, { sessions })).rejects.toThrow(/inside/);
    await expect(
      runBatchJob({ ...base, output: { folder: join(dir, 'inside-out'), write: ['masks'] } }, { sessions }),
    ).rejects.toThrow(/--write masks: pipeline jobs write CSV, JSON lines and annotated images/);
    expect((await readdir(input, { recursive: true })).some((f) => f.includes('out'))).toBe(false);
  });
});

describe('a pipeline job through the services', () => {
  const dataDir = tmpDataDir();
  const { services } = testServices({ dataDir });
  afterAll(async () => {
    services.dispose();
    await rm(dataDir, { recursive: true, force: true });
  });
  async function call<T>(channel: string, input: unknown, emit?: (e: unknown) => void): Promise<T> {
    const result = await services.client.callUntyped(channel, input, { onEvent: emit });
    if (!result.ok) throw Object.assign(new Error(`${result.error.code}: ${result.error.message}`), { code: result.error.code });
    return result.value as T;
  }

  it(
    'a one-image run of a pipeline with no tasks reads with the models’ saved (here suggested) tasks',
    { timeout: 60_000 },
    async () => {
      const image = join(dir, 'one', 'hello.png');
      await textPicture(image, ['HELLO 2026']);
      const file = join(dir, 'one', 'no-tasks.json');
      await writeFile(file, JSON.stringify(ocr(false)));
      const r = await call<{ text: string; steps: { task: string }[] }>('pipeline.run', {
        file,
        input: image,
        options: { provider: 'cpu' },
      });
      expect(letters(r.text)).toBe('HELLO2026');
      expect(r.steps.map((s) => s.task)).toEqual(['text-detection', 'text-recognition']);
    },
  );

  it(
    'runs steps with no task as their models’ tasks, and goes on after the engine is killed: every file once',
    { timeout: 120_000 },
    async () => {
      const input = join(dir, 'many');
      const output = join(dir, 'many-out');
      const expected = await scans(input, 3);
      const pipelineFile = join(dir, 'no-tasks.json');
      await writeFile(pipelineFile, JSON.stringify(ocr(false)));
      const request = {
        model: pipelineFile,
        pipeline: {},
        input: { folder: input },
        output: { folder: output },
        options: { provider: 'cpu' },
      };
      // The detection model's saved task (as the Result tab saves it) wins over the suggested one.
      await call('recipe.save', { path: MODELS.ocrDet, recipe: { task: { kind: 'text-detection', threshold: 0.35 } } });
      const { jobId } = await call<{ jobId: string }>('jobs.start', { job: { kind: 'batch', request }, jobId: 'ocr-job' });
      // The job shows up in the registry with the tasks looked up for it (a reloaded page finds it there).
      const listed = (await call<JobInfo[]>('jobs.list', {})).find((j) => j.jobId === jobId);
      expect(listed).toMatchObject({ kind: 'batch', state: 'running' });
      const tasks = (listed!.request as { pipeline: { tasks: Record<string, { kind: string; threshold?: number }> } }).pipeline
        .tasks;
      expect([tasks.det.kind, tasks.rec.kind]).toEqual(['text-detection', 'text-recognition']);
      expect(tasks.det.threshold).toBe(0.35);
      let killed = false;
      const summary = await call<BatchSummary>('batch.watch', { jobId }, (e) => {
        const p = e as BatchProgress;
        if (!killed && p.done >= 2 && services.engine.pid) {
          killed = true;
          process.kill(services.engine.pid, 'SIGKILL');
        }
      });
      expect(killed).toBe(true);
      expect(summary).toMatchObject({ state: 'finished', total: 9, restarts: 1 });
      expect(summary.failed).toBeLessThanOrEqual(1);
      const rows = parseCsv(await readFile(join(output, 'results.csv'), 'utf8'));
      expect(rows.map((r) => r.file).sort()).toEqual(Object.keys(expected).sort());
      for (const r of rows) {
        if (r.status === 'ok') expect(letters(r.text)).toBe(expected[r.file]);
        else expect(r.error).toMatch(/engine process stopped while processing this file/);
      }
    },
  );
});

describe('onnx-workbench pipeline FILE --input FOLDER', () => {
  it('runs the folder as a job, and goes on with an earlier run only with --resume', { timeout: 120_000 }, async () => {
    const input = join(dir, 'cli-in');
    const output = join(dir, 'cli-out');
    const expected = await scans(input);
    const pipelineFile = join(dir, 'cli.json');
    await writeFile(pipelineFile, JSON.stringify(ocr(true)));
    const data = tmpDataDir();
    const args = ['pipeline', pipelineFile, '--input', input, '--out', output, '--provider', 'cpu'];
    const r = cliFromSource(data, [...args, '--write', 'csv', '--progress', 'lines']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/3 files to process/);
    expect(r.stdout).toMatch(/^Finished: 3 files: 3 ok, 0 failed/);
    const rows = parseCsv(await readFile(join(output, 'results.csv'), 'utf8'));
    for (const row of rows) expect(letters(row.text)).toBe(expected[row.file]);
    expect(await readdir(output)).not.toContain('results.jsonl');

    const refused = cliFromSource(data, [...args, '--write', 'csv']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/holds an earlier run of a job: pass --resume/);
    const resumed = cliFromSource(data, [...args, '--write', 'csv', '--resume', '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const last = JSON.parse(resumed.stdout.trim().split('\n').at(-1)!);
    expect(last.summary).toMatchObject({ state: 'finished', ok: 3, processed: 0, skipped: 3 });

    const usage = cliFromSource(data, [...args, '--write', 'masks']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--write takes a list of csv, jsonl, images; "masks" is not one/);
    await rm(data, { recursive: true, force: true });
  });
});
