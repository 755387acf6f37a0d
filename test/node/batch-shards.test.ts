// `onnx-workbench batch --shard` and `batch merge`, spawned from source as a scheduler would run
// them: shards at the same time into one folder, a shard killed with SIGKILL and run again,
// --shard auto under each scheduler's variables, a missing shard, input lists, --max-failures.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** Each test spawns several CLIs (each with its engine process) on a machine that may be busy. */
const SLOW = { timeout: 240_000 };
import { shardOfPath } from '../../shared/shard';
import { ROOT } from '../helpers';
import { classifierModel, classifierRecipeFile, imageFolder, parseCsv } from './batch-fixtures';

let dir: string;
let model: string;
let slowModel: string;
let input: string;
let recipe: string;
/** Every input file of `input`, relative. */
let files: string[];

const SCHEDULER_VARS = [
  'JOB_COMPLETION_INDEX',
  'OWB_SHARD_INDEX',
  'OWB_SHARD_COUNT',
  'SLURM_ARRAY_TASK_ID',
  'SLURM_ARRAY_TASK_MIN',
  'SLURM_ARRAY_TASK_MAX',
  'SLURM_ARRAY_TASK_STEP',
  'SLURM_ARRAY_TASK_COUNT',
  'AWS_BATCH_JOB_ARRAY_INDEX',
  'AWS_BATCH_JOB_ARRAY_SIZE',
];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function start(args: string[], env: Record<string, string> = {}): { child: ChildProcess; done: Promise<Run> } {
  const base = { ...process.env };
  for (const v of SCHEDULER_VARS) delete base[v];
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'electron/cli/index.ts'), 'batch', ...args], {
    cwd: ROOT,
    env: { ...base, OWB_ENGINE_SOURCE: '1', OWB_DATA_DIR: join(dir, 'data'), ...env },
    // Its own process group: a kill reaches the engine process too, as when a pod or task is killed.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Run>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { child, done };
}

const cli = (args: string[], env: Record<string, string> = {}) => start(args, env).done;
const job = (out: string, ...more: string[]) => [model, input, '--out', out, '--recipe', recipe, '--threads', '1', ...more];

async function csvFiles(path: string): Promise<string[]> {
  return parseCsv(await readFile(path, 'utf8')).map((r) => r.file);
}

const shardCsv = (out: string, index: number, count: number) =>
  join(out, '.onnx-workbench', 'shards', `${index}-of-${count}`, 'results.csv');

const sorted = (list: string[]) => [...list].sort();
const expectedShare = (index: number, count: number) => sorted(files.filter((f) => shardOfPath(f, count) === index));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'owb-batch-shards-'));
  model = join(dir, 'classifier.onnx');
  await writeFile(model, classifierModel());
  // Slow enough per image (a dozen wide convolutions, one image a run) to be killed mid-job.
  slowModel = join(dir, 'slow.onnx');
  await writeFile(slowModel, classifierModel({ convs: 12, channels: 48 }));
  input = join(dir, 'photos');
  files = await imageFolder(input, 30, 'trip/');
  await writeFile(join(input, 'broken.jpg'), 'not a picture');
  files.push('broken.jpg');
  recipe = await classifierRecipeFile(join(dir, 'recipe.json'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('batch --shard into one folder, then batch merge', SLOW, () => {
  it('three shards at the same time, merged: every file exactly once; each shard took its hash share', async () => {
    const out = join(dir, 'three');
    const runs = await Promise.all([0, 1, 2].map((i) => cli(job(out, '--shard', `${i}/3`))));
    for (const [i, r] of runs.entries()) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`files to process in ${input} (shard ${i} of 3)`);
      expect(sorted(await csvFiles(shardCsv(out, i, 3)))).toEqual(expectedShare(i, 3));
    }
    const merged = await cli(['merge', out]);
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stdout).toMatch(
      /^Merged: 31 files: 30 ok, 1 failed from 3 of 3 shards finished → .*\(results\.csv, results\.jsonl\)/,
    );
    const rows = await csvFiles(join(out, 'results.csv'));
    expect(rows).toHaveLength(files.length);
    expect(sorted(rows)).toEqual(sorted(files));
    const jsonl = (await readFile(join(out, 'results.jsonl'), 'utf8')).trim().split('\n');
    expect(sorted(jsonl.map((l) => (JSON.parse(l) as { file: string }).file))).toEqual(sorted(files));

    // --shard auto under each scheduler's variables takes the same files as the explicit form.
    const schedulers: { name: string; index: number; env: Record<string, string> }[] = [
      { name: 'kubernetes', index: 2, env: { JOB_COMPLETION_INDEX: '2', OWB_SHARD_COUNT: '3' } },
      {
        name: 'slurm',
        index: 1,
        env: { SLURM_ARRAY_TASK_ID: '6', SLURM_ARRAY_TASK_MIN: '5', SLURM_ARRAY_TASK_MAX: '7', SLURM_ARRAY_TASK_COUNT: '3' },
      },
      { name: 'aws', index: 0, env: { AWS_BATCH_JOB_ARRAY_INDEX: '0', AWS_BATCH_JOB_ARRAY_SIZE: '3' } },
      { name: 'owb', index: 1, env: { OWB_SHARD_INDEX: '1', OWB_SHARD_COUNT: '3' } },
    ];
    for (const s of schedulers) {
      const auto = join(dir, `auto-${s.name}`);
      const r = await cli(job(auto, '--shard', 'auto'), s.env);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`Shard: ${s.index}/3 (from `);
      expect(sorted(await csvFiles(shardCsv(auto, s.index, 3)))).toEqual(sorted(await csvFiles(shardCsv(out, s.index, 3))));
    }
    const none = await cli(job(join(dir, 'auto-none'), '--shard', 'auto'));
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--shard auto found no shard index in the environment/);
  });

  it('a missing shard: merge writes what there is and fails naming it; another split or no split is refused', async () => {
    const out = join(dir, 'missing');
    expect((await cli(job(out, '--shard', '0/2'))).code).toBe(0);
    const merged = await cli(['merge', out]);
    expect(merged.code).toBe(1);
    expect(merged.stderr).toContain('shard 1 of 2 has not run');
    expect(merged.stdout).toMatch(/^Merged \(incomplete\): \d+ files: .* from 1 of 2 shards finished/);
    expect(sorted(await csvFiles(join(out, 'results.csv')))).toEqual(expectedShare(0, 2));

    const split = await cli(job(out, '--shard', '1/3'));
    expect(split.code).toBe(1);
    expect(split.stderr).toMatch(/holds shard 0 of 2 of a job split 2 ways, not 3: run this job with --shard I\/2/);
    const whole = await cli(job(out));
    expect(whole.code).toBe(1);
    expect(whole.stderr).toMatch(/holds the shards of a job split 2 ways/);
    const other = await cli([slowModel, input, '--out', out, '--recipe', recipe, '--shard', '1/2']);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/holds shard 0 of 2 of a batch job with another model, recipe or per-image outputs/);
    const empty = await cli(['merge', join(dir, 'photos')]);
    expect(empty.code).toBe(3);
    expect(empty.stderr).toMatch(/holds no shards of a batch job/);
  });

  it('a shard killed with SIGKILL mid-job and run again, then merged: every file exactly once', async () => {
    const out = join(dir, 'killed');
    const args = [slowModel, input, '--out', out, '--recipe', recipe, '--threads', '1', '--batch-size', '1'];
    const journal = join(out, '.onnx-workbench', 'shards', '1-of-2', 'journal.jsonl');
    const items = async () =>
      (await readFile(journal, 'utf8').catch(() => '')).split('\n').filter((l) => l.includes('"type":"item"')).length;
    const { child, done } = start([...args, '--shard', '1/2']);
    while ((await items()) === 0 && child.exitCode === null) await new Promise((r) => setTimeout(r, 10));
    process.kill(-child.pid!, 'SIGKILL');
    const killed = await done;
    expect(killed.code).toBeNull();
    const before = await items();
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(expectedShare(1, 2).length);

    const early = await cli(['merge', out]);
    expect(early.code).toBe(1);
    expect(early.stderr).toContain('shard 0 of 2 has not run; shard 1 of 2 has not finished');

    const rerun = await cli([...args, '--shard', '1/2', '--progress', 'json']);
    expect(rerun.code, rerun.stderr).toBe(0);
    const summary = (JSON.parse(rerun.stdout.trim().split('\n').pop()!) as { summary: { skipped: number; total: number } })
      .summary;
    expect(summary.total).toBe(expectedShare(1, 2).length);
    expect(summary.skipped).toBeGreaterThan(0);
    expect((await cli([...args, '--shard', '0/2'])).code).toBe(0);
    const merged = await cli(['merge', out]);
    expect(merged.code, merged.stderr).toBe(0);
    const rows = await csvFiles(join(out, 'results.csv'));
    expect(rows).toHaveLength(files.length);
    expect(sorted(rows)).toEqual(sorted(files));
  });
});

describe('batch --input-list', SLOW, () => {
  it('takes the listed files only (with --shard too); a line outside the folder stops it before it starts', async () => {
    const list = join(dir, 'list.txt');
    await writeFile(
      list,
      `trip/red-000.jpg\n${join(input, 'trip/green-001.png')}\n\ntrip/blue-002.jpg\ntrip/red-000.jpg\ngone.jpg\n`,
    );
    const listed = ['gone.jpg', 'trip/blue-002.jpg', 'trip/green-001.png', 'trip/red-000.jpg'];
    const out = join(dir, 'listed');
    for (const i of [0, 1]) expect((await cli(job(out, '--input-list', list, '--shard', `${i}/2`))).code).toBe(0);
    expect((await cli(['merge', out])).code).toBe(0);
    const rows = parseCsv(await readFile(join(out, 'results.csv'), 'utf8'));
    expect(rows.map((r) => r.file)).toEqual(listed);
    expect(rows.find((r) => r.file === 'gone.jpg')).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/not found/i),
    });

    await writeFile(list, 'trip/red-000.jpg\n../classifier.onnx\n');
    const bad = await cli(job(join(dir, 'listed-bad'), '--input-list', list));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`${list} line 2: ../classifier.onnx is not inside the input folder ${input}`);
  });
});

describe('batch --max-failures', SLOW, () => {
  it('exits 7 when more files failed than allowed, 0 within it; a stopped shard is named by merge', async () => {
    const folder = join(dir, 'some-broken');
    await imageFolder(folder, 4);
    await writeFile(join(folder, 'bad-1.jpg'), 'not a picture');
    await writeFile(join(folder, 'bad-2.png'), 'not a picture either');
    const run = (name: string, ...more: string[]) =>
      cli([model, folder, '--out', join(dir, name), '--recipe', recipe, '--threads', '1', ...more]);

    const over = await run('mf-count', '--max-failures', '1', '--shard', '0/1');
    expect(over.code).toBe(7);
    expect(over.stderr).toMatch(/2 files failed, more than the 1 allowed/);
    const merged = await cli(['merge', join(dir, 'mf-count')]);
    expect(merged.code).toBe(1);
    expect(merged.stderr).toMatch(/shard 0 of 1 stopped: 2 files failed, more than the 1 allowed/);

    const share = await run('mf-share', '--max-failures', '20%');
    expect(share.code).toBe(7);
    expect(share.stderr).toMatch(/2 files failed, more than the 20% of 6 allowed/);
    const within = await run('mf-within', '--max-failures', '50%');
    expect(within.code, within.stderr).toBe(0);
    expect(within.stdout).toMatch(/Finished: 6 files: 4 ok, 2 failed/);
    const usage = await run('mf-usage', '--max-failures', 'many');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--max-failures takes a number of files/);
  });
});
