// `onnx-workbench eval`, spawned from source with the engine from source: the --json report of a
// colour classifier over class folders, A/B against a copy with one moved weight, and a run killed
// with SIGKILL that the same command resumes to the same report.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers';
import { LABELS, RECIPE, classifierModel, solidImage } from './batch-fixtures';

let dir: string;
let model: string;
let root: string;
let many: string;
let recipe: string;

const args = (...rest: string[]) => ['--import', 'tsx', join(ROOT, 'electron/cli/index.ts'), 'eval', ...rest];
const env = () => ({ ...process.env, OWB_ENGINE_SOURCE: '1', OWB_DATA_DIR: join(dir, 'data') });

function cli(...rest: string[]) {
  const r = spawnSync(process.execPath, args(...rest), { encoding: 'utf8', cwd: ROOT, env: env() });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'owb-eval-cli-'));
  model = join(dir, 'classifier.onnx');
  await writeFile(model, classifierModel());
  root = join(dir, 'colours');
  many = join(dir, 'many');
  // 4 red (one filed under green/), 3 green, 3 blue.
  for (const [folder, colour, k] of [
    ['red', 'red', 0],
    ['red', 'red', 1],
    ['red', 'red', 2],
    ['green', 'red', 3],
    ['green', 'green', 4],
    ['green', 'green', 5],
    ['green', 'green', 6],
    ['blue', 'blue', 7],
    ['blue', 'blue', 8],
    ['blue', 'blue', 9],
  ] as const) {
    await solidImage(join(root, folder, `${colour}-${k}.png`), colour);
    // The kill test needs a job that cannot finish between two polls: the same ten files, 30 times.
    for (let copy = 0; copy < 30; copy++) await solidImage(join(many, folder, `${colour}-${k}-${copy}.png`), colour);
  }
  recipe = join(dir, 'recipe.json');
  await writeFile(
    recipe,
    JSON.stringify({ inputs: { x: RECIPE }, task: { kind: 'classification', labels: { kind: 'list', labels: LABELS } } }),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('onnx-workbench eval', () => {
  it('prints top-1, top-5 and the confusion matrix as JSON, and writes the report', async () => {
    const out = join(dir, 'eval');
    const r = cli(model, root, '--recipe', recipe, '--out', out, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ task: 'classification', files: 10, failed: 0 });
    expect(report.metrics.top1).toBeCloseTo(9 / 10, 12);
    expect(report.metrics.top5).toBe(1);
    expect(report.metrics.per_class.map((c: { name: string }) => c.name)).toEqual(['blue', 'green', 'red']);
    expect(report.metrics.confusion).toEqual([
      [3, 0, 0],
      [0, 3, 1],
      [0, 0, 3],
    ]);
    const saved = JSON.parse(await readFile(join(out, 'eval.json'), 'utf8'));
    expect(saved.format).toBe('onnx-workbench/eval');

    // In words, and again without running anything.
    const text = cli(model, root, '--recipe', recipe, '--out', out);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/top-1 90\.0%\s+top-5 100\.0%/);
    expect(text.stdout).toMatch(/Report: .*eval\.json/);
  });

  it('A/B lists the files where the two models disagree', async () => {
    const moved = join(dir, 'moved.onnx');
    // Green read as class 3 instead of 1: the files where A and B disagree are the green ones.
    await writeFile(moved, classifierModel({ classes: [0, 3, 2] }));
    const r = cli(model, root, '--against', moved, '--recipe', recipe, '--out', join(dir, 'ab'), '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.disagreements.map((d: { file: string }) => d.file)).toEqual([
      'green/green-4.png',
      'green/green-5.png',
      'green/green-6.png',
    ]);
    expect(report.against.metrics.top1).toBeCloseTo(6 / 10, 12);
  });

  it('resumes after SIGKILL and gives the same report', async () => {
    const slow = join(dir, 'slow.onnx');
    await writeFile(slow, classifierModel({ convs: 8, channels: 32 }));
    const out = join(dir, 'killed');
    const child = spawn(process.execPath, args(slow, many, '--recipe', recipe, '--out', out, '--batch-size', '1', '--json'), {
      cwd: ROOT,
      env: env(),
    });
    const journal = join(out, 'job', '.onnx-workbench', 'journal.jsonl');
    const items = async () =>
      (await readFile(journal, 'utf8').catch(() => '')).split('\n').filter((l) => l.includes('"type":"item"')).length;
    const start = Date.now();
    while ((await items()) === 0) {
      if (Date.now() - start > 120_000) throw new Error('the evaluation never started');
      await new Promise((r) => setTimeout(r, 25));
    }
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const done = await items();
    expect(done).toBeLessThan(300);

    const again = cli(slow, many, '--recipe', recipe, '--out', out, '--batch-size', '1', '--json');
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    const report = JSON.parse(again.stdout);
    expect(report.files).toBe(300);
    expect(report.metrics.top1).toBeCloseTo(9 / 10, 12);
    const rows = (await readFile(join(out, 'job', 'results.jsonl'), 'utf8')).trim().split('\n');
    expect(new Set(rows.map((l) => JSON.parse(l).file)).size).toBe(300);
    expect(rows).toHaveLength(300);
  });

  it('names the dataset and the problem', () => {
    const r = cli(model, join(dir, 'missing'), '--recipe', recipe, '--task', 'classification', '--out', join(dir, 'x'));
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/missing: the dataset folder does not exist/);
    const bad = cli(model, root, '--task', 'poetry');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/eval reads classification, detection, segmentation, text-recognition; "poetry" is not one/);
  });
});
