// `onnx-workbench batch`, spawned from source with the engine from source: the last line's counts,
// JSON progress lines, resuming by running the same command again, a saved job, exit codes.
import { spawn } from 'node:child_process';
import { link, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchProgress, BatchSummary } from '../../shared/batch';
import { ROOT, cliFromSource } from '../helpers';
import { LABELS, RECIPE, classifierModel, imageFolder, parseCsv } from './batch-fixtures';

let dir: string;
let model: string;
let input: string;
let recipe: string;

const cli = (...args: string[]) => cliFromSource(join(dir, 'data'), ['batch', ...args]);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'owb-batch-cli-'));
  model = join(dir, 'classifier.onnx');
  await writeFile(model, classifierModel());
  input = join(dir, 'photos');
  await imageFolder(input, 4, 'trip/');
  await writeFile(join(input, 'broken.jpg'), 'not a picture');
  recipe = join(dir, 'recipe.json');
  await writeFile(
    recipe,
    JSON.stringify({
      inputs: { x: RECIPE },
      task: { kind: 'classification', topK: 2, labels: { kind: 'list', labels: LABELS } },
    }),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('onnx-workbench batch', () => {
  it('finishes with exit 0 even with a failed file, counting it in the last line; the same command resumes', async () => {
    const out = join(dir, 'out');
    const first = cli(model, input, '--out', out, '--recipe', recipe);
    expect(first.stderr).toContain('5 files to process');
    expect(first.code).toBe(0);
    const last = first.stdout.trim().split('\n').pop();
    expect(last).toMatch(/^Finished: 5 files: 4 ok, 1 failed in [\d.]+s \([\d.]+ img\/s\) → /);
    const rows = parseCsv(await readFile(join(out, 'results.csv'), 'utf8'));
    expect(rows.map((r) => [r.file, r.status, r.top_label])).toEqual([
      ['broken.jpg', 'failed', ''],
      ['trip/blue-002.jpg', 'ok', 'blue'],
      ['trip/green-001.png', 'ok', 'green'],
      ['trip/red-000.jpg', 'ok', 'red'],
      ['trip/red-003.png', 'ok', 'red'],
    ]);

    // Again, as JSON lines: every file skipped (done before), the summary last.
    const again = cli(model, input, '--out', out, '--recipe', recipe, '--progress', 'json');
    expect(again.code).toBe(0);
    const lines = again.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const progress = lines.slice(0, -1) as BatchProgress[];
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((p) => typeof p.done === 'number' && p.jobId)).toBe(true);
    const summary = (lines[lines.length - 1] as { summary: BatchSummary }).summary;
    expect(summary).toMatchObject({ state: 'finished', total: 5, ok: 4, failed: 1, skipped: 5, processed: 0 });

    // The job the folder keeps runs again from its file.
    const fromFile = cli('--job', join(out, '.onnx-workbench', 'job.json'), '--retry-failed');
    expect(fromFile.code).toBe(0);
    expect(fromFile.stdout).toMatch(/Finished: 5 files: 4 ok, 1 failed \(4 skipped: done before\)/);
  });

  it('exits non-zero when the job cannot run', async () => {
    const missing = cli(join(dir, 'nope.onnx'), input, '--out', join(dir, 'o1'));
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/nope\.onnx/);

    const notOnnx = join(dir, 'notes.onnx');
    await writeFile(notOnnx, 'hello, this is text');
    expect(cli(notOnnx, input, '--out', join(dir, 'o2')).code).toBe(4);

    // The output folder's place is taken by a file: nothing can be written there.
    await writeFile(join(dir, 'taken'), 'a file');
    const unwritable = cli(model, input, '--out', join(dir, 'taken', 'results'), '--recipe', recipe);
    expect(unwritable.code).toBe(1);
    expect(unwritable.stderr).toMatch(/Could not write .*taken.*a file stands where a folder is needed/);

    await mkdir(join(dir, 'o3'), { recursive: true });
    const usage = cli(model, input);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/batch needs --out DIR/);
  });

  it('prints plain progress lines when stderr is not a terminal, and the counts done and left after SIGTERM', async () => {
    // Many files (links to one picture): the job is still running when it is signalled.
    const many = join(dir, 'many');
    await mkdir(many, { recursive: true });
    for (let k = 0; k < 3000; k++)
      await link(join(input, 'trip', 'red-000.jpg'), join(many, `p${String(k).padStart(4, '0')}.jpg`));
    const out = join(dir, 'out-signal');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'electron/cli/index.ts'), 'batch', model, many, '--out', out, '--recipe', recipe],
      { cwd: ROOT, env: { ...process.env, OWB_ENGINE_SOURCE: '1', OWB_DATA_DIR: join(dir, 'data') } },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
      // Signalled once some files are done.
      if (/^batch: [1-9]\d*\/3000 done/m.test(stderr) && child.exitCode === null && !child.killed) child.kill('SIGTERM');
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(stderr).not.toContain('\r');
    expect(stderr).toMatch(/^batch: \d+\/(3000|…) done, 0 failed/m);
    const m =
      /Cancelled \(SIGTERM\): (\d+) of 3000 files done \((\d+) ok, 0 failed\), (\d+) left; run the same command again to resume\./.exec(
        stderr,
      );
    expect(m, stderr).not.toBeNull();
    const [done, ok, left] = m!.slice(1).map(Number);
    expect(done).toBeGreaterThan(0);
    expect(ok).toBe(done);
    expect(done + left).toBe(3000);
    expect(code).toBe(143);
    // What the line says is what the folder holds.
    const rows = parseCsv(await readFile(join(out, 'results.csv'), 'utf8'));
    expect(rows).toHaveLength(done);
  });
});
