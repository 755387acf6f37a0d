// Batch jobs in process (runBatchJob, the engine's pipeline): listing, results, the journal and
// resume, bad inputs, atomic writes, the input folder left alone, cancel, pause and resume.
import { readFile, readdir, rm, stat, symlink, unlink, writeFile, mkdir, mkdtemp } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchItemRecord, BatchJobInput, BatchProgress } from '../../shared/batch';
import { batchJobSchema } from '../../shared/batch';
import { PauseGate } from '../../electron/engine/batch/flow';
import { runBatchJob } from '../../electron/engine/batch/job';
import { readJournal } from '../../electron/engine/batch/journal';
import { countImages, listImages } from '../../electron/engine/batch/listing';
import { type SessionCache } from '../../electron/engine/run/session-cache';
import { thumbnail } from '../../electron/engine/results/preview';
import {
  classifierJob,
  classifierModel,
  colorOf,
  constantModel,
  imageFolder,
  parseCsv,
  pngHeaderOnly,
  solidImage,
  cpuSessions,
} from './batch-fixtures';

let dir: string;
let model: string;
/** The same answers, a few milliseconds per image: for cancelling and pausing mid-job. */
let slowModel: string;
let sessions: SessionCache;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'owb-batch-'));
  model = join(dir, 'classifier.onnx');
  await writeFile(model, classifierModel());
  slowModel = join(dir, 'slow-classifier.onnx');
  await writeFile(slowModel, classifierModel({ convs: 8, channels: 32 }));
  sessions = cpuSessions();
});

afterAll(async () => {
  await sessions?.release();
  await rm(dir, { recursive: true, force: true });
});

let folderCount = 0;
async function fresh(name: string): Promise<{ input: string; output: string }> {
  const base = join(dir, `${name}-${++folderCount}`);
  await mkdir(join(base, 'in'), { recursive: true });
  return { input: join(base, 'in'), output: join(base, 'out') };
}

function run(
  job: BatchJobInput,
  extra: { signal?: AbortSignal; gate?: PauseGate; onProgress?: (p: BatchProgress) => void } = {},
) {
  // Every change reported (progressIntervalMs 0): these jobs are too quick for ten events a second.
  return runBatchJob(job, { sessions, progressIntervalMs: 0, ...extra });
}

async function journal(output: string): Promise<BatchItemRecord[]> {
  const records: BatchItemRecord[] = [];
  for await (const r of readJournal(join(output, '.onnx-workbench', 'journal.jsonl'))) if (r.type === 'item') records.push(r);
  return records;
}

async function csv(output: string) {
  return parseCsv(await readFile(join(output, 'results.csv'), 'utf8'));
}

describe('listing', () => {
  it('walks subfolders in a stable order, by type and globs, without hidden or system files', async () => {
    const { input } = await fresh('listing');
    for (const rel of ['b.jpg', 'a.png', 'sub/c.webp', 'sub/deeper/d.tif', 'sub/e.JPG', 'skip/f.jpg', 'notes.txt', 'model.onnx'])
      await mkdir(join(input, rel, '..'), { recursive: true }).then(() => writeFile(join(input, rel), 'x'));
    for (const rel of ['.DS_Store', '._a.png', 'Thumbs.db', 'desktop.ini', '.hidden/g.jpg', 'sub/.h.jpg'])
      await mkdir(join(input, rel, '..'), { recursive: true }).then(() => writeFile(join(input, rel), 'x'));
    const list = async (over: Partial<Parameters<typeof listImages>[0]> = {}) => {
      const out: string[] = [];
      const opts = batchJobSchema.parse({ model: '/m.onnx', input: { folder: input }, output: { folder: '/out' } }).input;
      for await (const f of listImages({ ...opts, ...over })) out.push(f.rel);
      return out;
    };
    expect(await list()).toEqual(['a.png', 'b.jpg', 'skip/f.jpg', 'sub/c.webp', 'sub/deeper/d.tif', 'sub/e.JPG']);
    expect(await list({ recursive: false })).toEqual(['a.png', 'b.jpg']);
    expect(await list({ include: ['sub/**'] })).toEqual(['sub/c.webp', 'sub/deeper/d.tif', 'sub/e.JPG']);
    expect(await list({ exclude: ['skip/**', '**/*.tif'] })).toEqual(['a.png', 'b.jpg', 'sub/c.webp', 'sub/e.JPG']);
    expect(await list({ types: ['jpg'] })).toEqual(['b.jpg', 'skip/f.jpg', 'sub/e.JPG']);
    expect(await list({ skipDirs: [join(input, 'sub')] })).toEqual(['a.png', 'b.jpg', 'skip/f.jpg']);
    const opts = batchJobSchema.parse({ model: '/m.onnx', input: { folder: input }, output: { folder: '/out' } }).input;
    expect(await countImages(opts, 2)).toEqual({ files: 6, sample: ['a.png', 'b.jpg'] });
  });
});

describe('a batch job', () => {
  it('classifies every image, mirrors the tree, and writes results.csv and results.jsonl', async () => {
    const { input, output } = await fresh('basic');
    const files = [...(await imageFolder(input, 7)), ...(await imageFolder(input, 4, 'nested/deeper/'))];
    const events: BatchProgress[] = [];
    const summary = await run(
      classifierJob(model, input, output, { output: { folder: output, write: ['csv', 'jsonl', 'tensors'] } }),
      { onProgress: (p) => events.push(p) },
    );
    expect(summary).toMatchObject({ state: 'finished', total: 11, done: 11, ok: 11, failed: 0, skipped: 0, processed: 11 });
    expect(summary.written).toEqual(['results.csv', 'results.jsonl']);
    const rows = await csv(output);
    expect(rows.map((r) => r.file).sort()).toEqual([...files].sort());
    for (const r of rows) {
      expect(r.status).toBe('ok');
      expect(r.top_label).toBe(colorOf(r.file));
      expect(Number(r.top_score)).toBeCloseTo(1, 2);
      expect(r.width).toBe('40');
    }
    const lines = (await readFile(join(output, 'results.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(11);
    expect(lines[0].result.top[0]).toMatchObject({ label: colorOf(lines[0].file) });
    // Raw outputs mirrored under tensors/, one [1,10] .npy per image.
    const npy = await readFile(join(output, 'tensors', `${files[7]}.logits.npy`));
    expect(npy.subarray(1, 6).toString()).toBe('NUMPY');
    expect(npy.toString('latin1')).toContain("'shape': (1, 10)");
    // Progress: counts only grow, the last event is the finished state with every file.
    const last = events[events.length - 1];
    expect(last).toMatchObject({ state: 'finished', done: 11, ok: 11, total: 11, current: null });
    for (let k = 1; k < events.length; k++) expect(events[k].done).toBeGreaterThanOrEqual(events[k - 1].done);
    expect(last.latest.length).toBe(8);
  });
});

describe('batching', () => {
  it('stacks several images per run when the batch dim is symbolic, one when it is fixed', async () => {
    const fixed = join(dir, 'fixed.onnx');
    await writeFile(fixed, classifierModel({ batch: 1 }));
    const { input, output } = await fresh('batching');
    await imageFolder(input, 20);
    const startedSizes = async (out: string) => {
      const sizes: number[] = [];
      for await (const r of readJournal(join(out, '.onnx-workbench', 'journal.jsonl')))
        if (r.type === 'started') sizes.push(r.files.length);
      return sizes;
    };
    const a = await run(classifierJob(model, input, output, { batchSize: 8 }));
    expect(a).toMatchObject({ state: 'finished', ok: 20 });
    const sizes = await startedSizes(output);
    expect(sizes.reduce((s, n) => s + n, 0)).toBe(20);
    expect(Math.max(...sizes)).toBeGreaterThan(1);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(8);
    const out2 = `${output}-fixed`;
    const b = await run(classifierJob(fixed, input, out2, { batchSize: 8 }));
    expect(b).toMatchObject({ state: 'finished', ok: 20 });
    expect(new Set(await startedSizes(out2))).toEqual(new Set([1]));
    expect((await csv(out2)).every((r) => r.top_label === colorOf(r.file))).toBe(true);
    // A model that takes exactly 3 images: 20 = 6 full runs and a last one padded with zeros.
    const three = join(dir, 'three.onnx');
    await writeFile(three, classifierModel({ batch: 3 }));
    const out3 = `${output}-three`;
    const c = await run(classifierJob(three, input, out3, { output: { folder: out3, write: ['csv', 'tensors'] } }));
    expect(c).toMatchObject({ state: 'finished', ok: 20 });
    expect((await startedSizes(out3)).sort()).toEqual([2, 3, 3, 3, 3, 3, 3]);
    expect((await csv(out3)).every((r) => r.top_label === colorOf(r.file))).toBe(true);
    const npy = await readFile(join(out3, 'tensors', 'blue-002.jpg.logits.npy'));
    expect(npy.toString('latin1')).toContain("'shape': (1, 10)");
  });
});

describe('bad inputs', () => {
  it('marks each bad file failed with its reason and goes on', async () => {
    const { input, output } = await fresh('bad');
    await imageFolder(input, 20, 'a/');
    const good = await readFile(join(input, 'a', 'red-000.jpg'));
    await writeFile(join(input, 'b-corrupt.jpg'), Buffer.concat([good.subarray(0, 200), Buffer.alloc(400, 0x5a)]));
    await writeFile(join(input, 'b-empty.jpg'), Buffer.alloc(0));
    await writeFile(join(input, 'b-text.jpg'), 'this is not an image\n');
    await writeFile(join(input, 'b-huge.png'), pngHeaderOnly(30000, 30000));
    // Unreadable: tests run as root here, where chmod 000 reads fine; a link to itself cannot be opened by anyone.
    await symlink('b-loop.jpg', join(input, 'b-loop.jpg'));
    await solidImage(join(input, 'zz-gone.png'), 'blue');
    const gate = new PauseGate();
    let deleted = false;
    const summary = await run(classifierJob(model, input, output, { batchSize: 1 }), {
      gate,
      onProgress: (p) => {
        if (!deleted && p.done >= 1) {
          deleted = true;
          gate.pause();
          // Listed already (its folder was read), not decoded yet: deleted during the run.
          void unlink(join(input, 'zz-gone.png')).then(() => gate.resume());
        }
      },
    });
    expect(summary).toMatchObject({ state: 'finished', total: 26, ok: 20, failed: 6 });
    const rows = Object.fromEntries((await csv(output)).map((r) => [r.file, r]));
    expect(rows['b-corrupt.jpg'].status).toBe('failed');
    expect(rows['b-corrupt.jpg'].error).toMatch(/b-corrupt\.jpg (could not be decoded|is not an image)/);
    expect(rows['b-empty.jpg'].error).toMatch(/empty \(0 bytes\)/);
    expect(rows['b-text.jpg'].error).toMatch(/not an image sharp can read/);
    expect(rows['b-huge.png'].error).toMatch(
      /30000×30000 = 900,000,000 pixels, over the limit of 100,000,000; it was not decoded/,
    );
    expect(rows['b-loop.jpg'].error).toMatch(/b-loop\.jpg cannot be read/);
    expect(rows['zz-gone.png'].error).toMatch(/not found/i);
    expect(Object.values(rows).filter((r) => r.status === 'ok')).toHaveLength(20);
  });
});

describe('journal and resume', () => {
  it('resumes a cancelled job after a torn journal line: every file exactly once, none lost', async () => {
    const { input, output } = await fresh('resume');
    const files = await imageFolder(input, 30);
    const controller = new AbortController();
    const first = await run(classifierJob(slowModel, input, output, { batchSize: 2 }), {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.done >= 5) controller.abort();
      },
    });
    expect(first.state).toBe('cancelled');
    expect(first.done).toBeLessThan(30);
    // results.csv holds exactly what the journal finished so far.
    const partial = await csv(output);
    expect(partial.map((r) => r.file).sort()).toEqual((await journal(output)).map((r) => r.file).sort());
    // A crash mid-write leaves half a line; the lock of the dead process stays behind.
    const journalPath = join(output, '.onnx-workbench', 'journal.jsonl');
    await writeFile(journalPath, '{"type":"item","file":"red-0', { flag: 'a' });
    await writeFile(join(output, '.onnx-workbench', 'lock'), '999999\n');

    const second = await run(classifierJob(slowModel, input, output, { batchSize: 2 }));
    expect(second).toMatchObject({ state: 'finished', total: 30, ok: 30, failed: 0 });
    expect(second.skipped).toBe(first.done);
    expect(second.processed).toBe(30 - first.done);
    const rows = await csv(output);
    expect(rows.map((r) => r.file).sort()).toEqual([...files].sort());
    const jsonl = (await readFile(join(output, 'results.jsonl'), 'utf8')).trim().split('\n');
    expect(jsonl.map((l) => JSON.parse(l).file).sort()).toEqual([...files].sort());
    // Every journal line parses: the torn one was cut before the next append.
    const text = await readFile(journalPath, 'utf8');
    for (const line of text.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();

    // A third run finds everything done.
    const third = await run(classifierJob(slowModel, input, output, { batchSize: 2 }));
    expect(third).toMatchObject({ state: 'finished', ok: 30, skipped: 30, processed: 0 });
  });

  it('keeps failures on resume, and runs only them again with retryFailed', async () => {
    const { input, output } = await fresh('retry');
    await imageFolder(input, 4);
    await writeFile(join(input, 'late.jpg'), 'not yet an image');
    const first = await run(classifierJob(model, input, output));
    expect(first).toMatchObject({ ok: 4, failed: 1 });
    await solidImage(join(input, 'late.jpg'), 'green');
    const again = await run(classifierJob(model, input, output));
    expect(again).toMatchObject({ ok: 4, failed: 1, skipped: 5, processed: 0 });
    const retry = await run(classifierJob(model, input, output, { retryFailed: true }));
    expect(retry).toMatchObject({ ok: 5, failed: 0, skipped: 4, processed: 1 });
    const rows = await csv(output);
    expect(rows.find((r) => r.file === 'late.jpg')).toMatchObject({ status: 'ok', top_label: 'green' });
    expect(rows).toHaveLength(5);
  });

  it('lists every failure after a resume, in the first event and the summary, less those that are ok now', async () => {
    const { input, output } = await fresh('many-failures');
    await imageFolder(input, 2);
    // More failures than a progress event carries (the last 50).
    for (let k = 0; k < 70; k++) await writeFile(join(input, `bad-${String(k).padStart(2, '0')}.jpg`), 'not a picture');
    const first = await run(classifierJob(model, input, output));
    expect(first).toMatchObject({ ok: 2, failed: 70 });
    expect(first.failures).toHaveLength(70);

    const events: BatchProgress[] = [];
    const again = await run(classifierJob(model, input, output), { onProgress: (p) => events.push(p) });
    expect(again).toMatchObject({ failed: 70, skipped: 72, processed: 0 });
    const bad = (f: { file: string }[]) => f.map((x) => x.file).sort();
    expect(bad(again.failures)).toEqual(bad(first.failures));
    expect(again.failures[0].error).toMatch(/bad-00\.jpg|not|image|decode|format/i);
    // The first event after a resume names them all, so a watcher's list is complete too.
    expect(bad(events.find((p) => p.failures.length > 0)!.failures)).toEqual(bad(first.failures));

    // Retry failed: the two that are pictures now drop out of the list.
    await solidImage(join(input, 'bad-00.jpg'), 'red');
    await solidImage(join(input, 'bad-01.jpg'), 'green');
    const retry = await run(classifierJob(model, input, output, { retryFailed: true }));
    expect(retry).toMatchObject({ ok: 4, failed: 68 });
    expect(retry.failures).toHaveLength(68);
    expect(retry.failures.map((f) => f.file)).not.toContain('bad-00.jpg');
  });

  it('records files a dead engine left in flight as failed, and does not run them again', async () => {
    const { input, output } = await fresh('inflight');
    await imageFolder(input, 6);
    // What a crash leaves: a run record, one finished file, a batch started and never finished.
    const first = await run(classifierJob(model, input, output, { input: { folder: input, include: ['red-000.jpg'] } }));
    expect(first.ok).toBe(1);
    const key = (await journal(output))[0].key;
    await writeFile(
      join(output, '.onnx-workbench', 'journal.jsonl'),
      `${JSON.stringify({ type: 'started', files: ['green-001.png', 'blue-002.jpg'], key, at: new Date().toISOString() })}\n`,
      { flag: 'a' },
    );
    const resumed = await runBatchJob(classifierJob(model, input, output, { retryFailed: true }), {
      sessions,
      failInFlight: true,
    });
    expect(resumed).toMatchObject({ state: 'finished', total: 6, ok: 4, failed: 2 });
    const rows = Object.fromEntries((await csv(output)).map((r) => [r.file, r]));
    expect(rows['green-001.png'].error).toMatch(/engine process stopped while processing this file/);
    expect(rows['blue-002.jpg'].status).toBe('failed');
  });

  it('refuses an output folder holding another job or foreign results, unless overwriting is allowed', async () => {
    const { input, output } = await fresh('owner');
    await imageFolder(input, 3);
    await run(classifierJob(model, input, output));
    const other = classifierJob(model, input, output);
    other.recipe!.task = { kind: 'classification', topK: 1, labels: { kind: 'none' } };
    await expect(run(other)).rejects.toThrow(/holds the results of a batch job with another model, recipe/);
    const replaced = await run({ ...other, output: { folder: output, overwrite: true } });
    expect(replaced).toMatchObject({ ok: 3, skipped: 0, processed: 3 });
    const rows = await csv(output);
    expect(rows).toHaveLength(3);
    for (const r of rows) expect(r.top_label).not.toBe(colorOf(r.file));

    const foreign = `${output}-foreign`;
    await mkdir(foreign, { recursive: true });
    await writeFile(join(foreign, 'results.csv'), 'my,own\n');
    await expect(run(classifierJob(model, input, foreign))).rejects.toThrow(
      /already holds results\.csv, not written by a batch job/,
    );
    expect(await readFile(join(foreign, 'results.csv'), 'utf8')).toBe('my,own\n');
  });
});

describe('writing', () => {
  async function tree(root: string): Promise<string[]> {
    const out: string[] = [];
    for (const e of await readdir(root, { recursive: true, withFileTypes: true }))
      if (!e.isDirectory()) {
        const path = join(e.parentPath, e.name);
        const s = await stat(path).catch(() => null);
        out.push(`${path.slice(root.length)}:${s?.size}:${s?.mtimeMs}`);
      }
    return out.sort();
  }

  it('writes atomically, never over a file it did not write, and never into the input folder', async () => {
    const { input, output } = await fresh('atomic');
    await imageFolder(input, 5, 'sub/');
    const before = await tree(input);
    const mine = join(output, 'tensors', 'sub', 'green-001.png.logits.npy');
    await mkdir(join(mine, '..'), { recursive: true });
    await writeFile(mine, 'precious');
    const job = classifierJob(model, input, output, { output: { folder: output, write: ['csv', 'tensors'] } });
    const summary = await run(job);
    expect(summary).toMatchObject({ ok: 4, failed: 1 });
    expect(await readFile(mine, 'utf8')).toBe('precious');
    expect((await csv(output)).find((r) => r.file === 'sub/green-001.png')?.error).toMatch(
      /already exists and was not written by this job/,
    );
    const written = await tree(output);
    expect(written.filter((p) => /\.tmp:/.test(p))).toEqual([]);
    expect(written.filter((p) => p.includes('/tensors/sub/'))).toHaveLength(5);
    expect(await tree(input)).toEqual(before);

    // Asked to overwrite, the job replaces it (and retries the failure).
    const again = await run({
      ...job,
      retryFailed: true,
      output: { folder: output, write: ['csv', 'tensors'], overwrite: true },
    });
    expect(again).toMatchObject({ ok: 5, failed: 0 });
    expect((await readFile(mine)).subarray(1, 6).toString()).toBe('NUMPY');
  });

  it('refuses an output folder inside the input, and skips it when allowed', async () => {
    const { input } = await fresh('inside');
    await imageFolder(input, 3);
    const inner = join(input, 'results');
    await expect(run(classifierJob(model, input, inner))).rejects.toThrow(/is inside the input folder/);
    await expect(stat(inner)).rejects.toThrow();
    const summary = await run(
      classifierJob(model, input, inner, { output: { folder: inner, allowInsideInput: true, write: ['csv', 'tensors'] } }),
    );
    expect(summary).toMatchObject({ total: 3, ok: 3 });
    // A second run does not pick up the job's own outputs as inputs.
    const again = await run(
      classifierJob(model, input, inner, { output: { folder: inner, allowInsideInput: true, write: ['csv', 'tensors'] } }),
    );
    expect(again).toMatchObject({ total: 3, skipped: 3 });
  });

  it('stops with a clear message when an output cannot be written, keeping the journal valid for resume', async () => {
    const { input, output } = await fresh('unwritable');
    const files = await imageFolder(input, 12, 'x/');
    // A file where the job needs a folder: every per-image write fails as on a read-only disk.
    await mkdir(output, { recursive: true });
    await writeFile(join(output, 'tensors'), 'in the way');
    const job = classifierJob(model, input, output, { output: { folder: output, write: ['csv', 'tensors'] } });
    const failed = await run(job);
    expect(failed.state).toBe('failed');
    expect(failed.error?.code).toBe('WRITE_FAILED');
    expect(failed.error?.message).toMatch(/Could not write .*tensors.*The batch job stopped/);
    expect(failed.failed).toBe(0);
    const text = await readFile(join(output, '.onnx-workbench', 'journal.jsonl'), 'utf8');
    for (const line of text.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
    await rm(join(output, 'tensors'));
    const resumed = await run(job);
    expect(resumed).toMatchObject({ state: 'finished', ok: 12 });
    expect((await csv(output)).map((r) => r.file).sort()).toEqual([...files].sort());
  });

  it('says the disk is full when the journal cannot be written', async () => {
    const { input, output } = await fresh('full');
    await imageFolder(input, 2);
    await mkdir(join(output, '.onnx-workbench'), { recursive: true });
    await symlink('/dev/full', join(output, '.onnx-workbench', 'journal.jsonl'));
    await expect(run(classifierJob(model, input, output))).rejects.toMatchObject({
      code: 'WRITE_FAILED',
      message: expect.stringMatching(/journal\.jsonl: the disk is full/),
    });
  });
  it('never writes results.csv through a link in the output folder, even when it may replace files', async () => {
    const { input, output } = await fresh('link');
    await imageFolder(input, 2);
    const victim = join(dir, 'victim.txt');
    await writeFile(victim, 'not the app’s');
    await mkdir(output, { recursive: true });
    await symlink(victim, join(output, 'results.csv'));
    const job = classifierJob(model, input, output);
    await expect(run({ ...job, output: { ...job.output, overwrite: true } })).rejects.toMatchObject({
      code: 'WRITE_FAILED',
      message: expect.stringMatching(/results\.csv/),
    });
    expect(await readFile(victim, 'utf8')).toBe('not the app’s');
  });
});

describe('control', () => {
  it('pauses and resumes, and cancels within one item', async () => {
    const { input, output } = await fresh('control');
    await imageFolder(input, 40);
    const gate = new PauseGate();
    const controller = new AbortController();
    const states: string[] = [];
    // Files sent into a run so far, read from the journal's "started" lines (written before each run).
    const started = () =>
      readFileSync(join(output, '.onnx-workbench', 'journal.jsonl'), 'utf8')
        .split('\n')
        .filter((l) => l.includes('"type":"started"'))
        .reduce((n, l) => n + (JSON.parse(l) as { files: string[] }).files.length, 0);
    const seen = { atPause: -1, beforeResume: -1, atCancel: -1 };
    let resumed = false;
    const done = run(classifierJob(slowModel, input, output, { batchSize: 1 }), {
      gate,
      signal: controller.signal,
      onProgress: (p) => {
        if (states[states.length - 1] !== p.state) states.push(p.state);
        if (seen.atPause < 0 && p.done >= 3) {
          seen.atPause = started();
          gate.pause();
          setTimeout(() => {
            seen.beforeResume = started();
            resumed = true;
            gate.resume();
          }, 400);
        }
        if (resumed && seen.atCancel < 0 && p.state === 'running' && p.done >= 8) {
          seen.atCancel = started();
          controller.abort();
        }
      },
    });
    const summary = await done;
    expect(states).toEqual(['running', 'paused', 'running', 'cancelled']);
    expect(summary.state).toBe('cancelled');
    // Paused: the run under way when the user paused may end; no other starts.
    expect(seen.beforeResume - seen.atPause).toBeLessThanOrEqual(1);
    // Cancelled: at most the run under way; the images decoded and waiting are dropped.
    expect(started() - seen.atCancel).toBeLessThanOrEqual(1);
    expect(summary.done).toBeLessThan(40);
    // Every file that was run is in the results: cancel loses nothing already done.
    expect((await csv(output)).length).toBe(summary.done);
    expect(summary.done).toBe(started());
  });

  it('refuses a second job on an output folder in use', async () => {
    const { input, output } = await fresh('lock');
    await imageFolder(input, 3);
    const gate = new PauseGate();
    gate.pause();
    const controller = new AbortController();
    const first = run(classifierJob(model, input, output), { gate, signal: controller.signal });
    await new Promise((r) => setTimeout(r, 200));
    await expect(run(classifierJob(model, input, output))).rejects.toThrow(/Another batch job is writing to/);
    controller.abort();
    expect((await first).state).toBe('cancelled');
  });
});

describe('outputs by task', () => {
  const letterbox = { resize: { mode: 'letterbox', width: 64, height: 64 } } as const;

  async function photos(input: string) {
    // 128×64 originals, letterboxed into 64×64: scale 0.5, 16 px of padding top and bottom.
    for (const name of ['a.png', 'b.png', 'sub/c.jpg']) await solidImage(join(input, name), 'blue', { width: 128, height: 64 });
  }

  it('detection: COCO JSON of every box, and the boxes drawn on each image', async () => {
    const { input, output } = await fresh('coco');
    await photos(input);
    // YOLOv8 [1, 4+2, 100]: cx cy w h in tensor pixels, then two class scores.
    const n = 100;
    const data = new Array(6 * n).fill(0);
    const put = (k: number, values: number[]) => values.forEach((v, f) => (data[f * n + k] = v));
    put(0, [32, 32, 20, 10, 0.9, 0.05]); // person: original x 44..84, y 22..42
    put(1, [10, 24, 8, 8, 0.1, 0.8]); // car: original x 12..28, y 8..24
    const path = join(dir, 'detect.onnx');
    await writeFile(path, constantModel({ name: 'output0', dims: [1, 6, n], data }));
    const summary = await run({
      model: path,
      recipe: {
        inputs: { images: letterbox },
        task: { kind: 'detection', layout: 'yolov8', labels: { kind: 'list', labels: ['person', 'car'] } },
      },
      input: { folder: input },
      output: { folder: output, write: ['csv', 'coco', 'images'] },
    });
    expect(summary).toMatchObject({ state: 'finished', ok: 3 });
    expect(summary.written).toEqual(['results.csv', 'coco.json']);
    const coco = JSON.parse(await readFile(join(output, 'coco.json'), 'utf8'));
    expect(coco.images.map((i: { file_name: string }) => i.file_name).sort()).toEqual(['a.png', 'b.png', 'sub/c.jpg']);
    expect(coco.images[0]).toMatchObject({ width: 128, height: 64 });
    // COCO ids start at 1: the class index + 1, with the mapping in the file.
    expect(coco.categories).toEqual([
      { id: 1, name: 'person', class_index: 0 },
      { id: 2, name: 'car', class_index: 1 },
    ]);
    expect(coco.info.category_ids).toBe("category_id = the model's class index + 1; each category gives its class_index");
    expect(coco.annotations).toHaveLength(6);
    expect(new Set(coco.annotations.map((a: { category_id: number }) => a.category_id))).toEqual(new Set([1, 2]));
    const person = coco.annotations.find((a: { category_id: number }) => a.category_id === 1);
    expect(person.bbox.map((v: number) => Math.round(v))).toEqual([44, 22, 40, 20]);
    expect(person.score).toBeCloseTo(0.9, 5);
    const rows = await csv(output);
    expect(rows.map((r) => [r.count, r.result])).toEqual(new Array(3).fill(['2', '2 boxes: car, person']));
    // Drawn results: JPEG for JPEG sources, PNG otherwise, at the original's size.
    const drawn = await sharp(join(output, 'images', 'sub', 'c.jpg.jpg')).metadata();
    expect([drawn.format, drawn.width, drawn.height]).toEqual(['jpeg', 128, 64]);
    expect((await stat(join(output, 'images', 'a.png.png'))).size).toBeGreaterThan(0);
  });

  it('names the drawn outputs of each file in the progress, and the engine makes small previews of them', async () => {
    const { input, output } = await fresh('thumbs');
    await photos(input);
    const data = new Array(64 * 64).fill(0);
    for (let y = 16; y < 48; y++) for (let x = 0; x < 32; x++) data[y * 64 + x] = 1;
    const path = join(dir, 'segment-thumbs.onnx');
    await writeFile(path, constantModel({ name: 'mask', dims: [1, 1, 64, 64], data }));
    const events: BatchProgress[] = [];
    const summary = await run(
      {
        model: path,
        recipe: { inputs: { images: letterbox }, task: { kind: 'segmentation', mode: 'binary' } },
        input: { folder: input },
        output: { folder: output, write: ['csv', 'images', 'cutouts'] },
      },
      { onProgress: (p) => events.push(p) },
    );
    expect(summary).toMatchObject({ state: 'finished', ok: 3 });
    const brief = events.at(-1)!.latest.find((b) => b.file === 'sub/c.jpg');
    expect(brief?.outputs).toEqual(['images/sub/c.jpg.jpg', 'cutouts/sub/c.jpg.png']);
    const thumb = await thumbnail(join(output, 'cutouts', 'sub', 'c.jpg.png'), 64);
    // The cut-out's own size, and a preview no bigger than asked, alpha kept.
    expect([thumb.width, thumb.height]).toEqual([128, 64]);
    const preview = await sharp(Buffer.from(thumb.dataUrl.split(',')[1], 'base64')).metadata();
    expect([preview.format, preview.width, preview.height, preview.hasAlpha]).toEqual(['webp', 64, 32, true]);
    expect(thumb.dataUrl.length).toBeLessThan(4000);
    await expect(thumbnail(join(input, 'nothing-here.png'))).rejects.toThrow(/nothing-here\.png/);
  });

  it('segmentation: masks, cut-outs and the mask area', async () => {
    const { input, output } = await fresh('masks');
    await photos(input);
    // Binary [1,1,64,64]: 1 over the left half of the image area (rows 16..47, columns 0..31).
    const data = new Array(64 * 64).fill(0);
    for (let y = 16; y < 48; y++) for (let x = 0; x < 32; x++) data[y * 64 + x] = 1;
    const path = join(dir, 'segment.onnx');
    await writeFile(path, constantModel({ name: 'mask', dims: [1, 1, 64, 64], data }));
    const summary = await run({
      model: path,
      recipe: { inputs: { images: letterbox }, task: { kind: 'segmentation', mode: 'binary' } },
      input: { folder: input },
      output: { folder: output, write: ['csv', 'masks', 'cutouts'] },
    });
    expect(summary).toMatchObject({ state: 'finished', ok: 3 });
    const rows = await csv(output);
    for (const r of rows) expect(Number(r.area)).toBeCloseTo(0.5, 2);
    const mask = await sharp(join(output, 'masks', 'sub', 'c.jpg.png'))
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect([mask.info.width, mask.info.height]).toEqual([128, 64]);
    const at = (x: number, y: number) => mask.data[(y * mask.info.width + x) * mask.info.channels];
    expect([at(10, 30), at(120, 30)]).toEqual([255, 0]);
    const cut = await sharp(join(output, 'cutouts', 'a.png.png'))
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect(cut.info.channels).toBe(4);
    const alpha = (x: number, y: number) => cut.data[(y * cut.info.width + x) * 4 + 3];
    expect([alpha(10, 30), alpha(120, 30)]).toEqual([255, 0]);
  });

  it('refuses outputs the task cannot give', async () => {
    const { input, output } = await fresh('misfit');
    await imageFolder(input, 1);
    await expect(run(classifierJob(model, input, output, { output: { folder: output, write: ['masks'] } }))).rejects.toThrow(
      /Masks needs a segmentation task \(or a YOLOv8-seg detector\); this job's task is classification/,
    );
    await expect(run(classifierJob(model, input, output, { output: { folder: output, write: ['coco'] } }))).rejects.toThrow(
      /COCO JSON \(detections\) needs a detection task; this job's task is classification/,
    );
  });
});
