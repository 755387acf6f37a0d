// Batch jobs through the app's services and a real engine process: the engine killed mid-job
// (the job goes on in a fresh engine, the files in flight failed, none lost, none twice), the
// list of past jobs, resume, pause through the channel, and job files.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchJobRecord, BatchProgress, BatchSummary } from '../../shared/batch';
import { createServices, serverHost } from '../../electron/node/services';
import { ROOT, sourceEngineLauncher, tmpDataDir, waitFor } from '../helpers';
import { classifierJob, classifierModel, colorOf, imageFolder, parseCsv } from './batch-fixtures';

let dir: string;
let slowModel: string;
let slowerModel: string;
const dataDir = tmpDataDir();
const services = createServices({
  launch: sourceEngineLauncher(),
  host: serverHost(),
  resourcesDir: join(ROOT, 'resources'),
  dataDir,
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'owb-batch-service-'));
  slowModel = join(dir, 'slow.onnx');
  // A few milliseconds per image: the engine can be killed while the job runs.
  await writeFile(slowModel, classifierModel({ convs: 12, channels: 32 }));
  // Tens of milliseconds per image: a job of 60 lasts long enough to pause even on a loaded machine.
  slowerModel = join(dir, 'slower.onnx');
  await writeFile(slowerModel, classifierModel({ convs: 24, channels: 64 }));
});

afterAll(async () => {
  services.dispose();
  await rm(dir, { recursive: true, force: true });
  await rm(dataDir, { recursive: true, force: true });
});

async function call<T>(
  channel: string,
  input: unknown,
  ctx: { signal?: AbortSignal; emit?: (e: unknown) => void } = {},
): Promise<T> {
  const result = await services.client.callUntyped(channel, input, { signal: ctx.signal, onEvent: ctx.emit });
  if (!result.ok) throw Object.assign(new Error(result.error.message), { code: result.error.code });
  return result.value as T;
}

/** Starts (or resumes) a job and watches it to its end. */
async function runToEnd(
  channel: 'batch.start' | 'batch.resume',
  input: unknown,
  ctx: { emit?: (e: unknown) => void } = {},
): Promise<BatchSummary> {
  const { jobId } = await call<{ jobId: string }>(channel, input);
  return call<BatchSummary>('batch.watch', { jobId }, ctx);
}

describe('batch jobs through the services', () => {
  it('goes on after the engine process is killed mid-job: in-flight files failed, every file exactly once', async () => {
    const input = join(dir, 'crash-in');
    const output = join(dir, 'crash-out');
    const files = await imageFolder(input, 80);
    const job = classifierJob(slowModel, input, output, { batchSize: 4 });
    expect(await call('batch.count', { job })).toEqual({ files: 80, sample: [...files].sort().slice(0, 5) });

    const events: BatchProgress[] = [];
    const pids = new Set<number>();
    let killed = false;
    const summary = await runToEnd(
      'batch.start',
      { job, jobId: 'crash-test' },
      {
        emit: (e) => {
          const p = e as BatchProgress;
          events.push(p);
          if (services.engine.pid) pids.add(services.engine.pid);
          if (!killed && p.done >= 8 && services.engine.pid) {
            killed = true;
            // As a native crash would: no chance to clean up.
            process.kill(services.engine.pid, 'SIGKILL');
          }
        },
      },
    );
    expect(killed).toBe(true);
    expect(pids.size).toBe(2);
    expect(summary).toMatchObject({ state: 'finished', total: 80, restarts: 1 });
    expect(summary.ok + summary.failed).toBe(80);
    // Only the run the engine died in (a batch of at most 4); files run before it are run again.
    expect(summary.failed).toBeLessThanOrEqual(4);

    const rows = parseCsv(await readFile(join(output, 'results.csv'), 'utf8'));
    expect(rows.map((r) => r.file).sort()).toEqual([...files].sort());
    const crashed = rows.filter((r) => r.status === 'failed');
    expect(crashed.length).toBe(summary.failed);
    for (const r of crashed) expect(r.error).toMatch(/engine process stopped while processing this file/);
    for (const r of rows.filter((row) => row.status === 'ok')) expect(r.top_label).toBe(colorOf(r.file));
    // The counts go on across the restart: ok never falls back.
    for (let k = 1; k < events.length; k++) expect(events[k].ok).toBeGreaterThanOrEqual(events[k - 1].ok);

    const jobs = await call<BatchJobRecord[]>('batch.jobs', {});
    expect(jobs[0]).toMatchObject({
      id: 'crash-test',
      state: 'finished',
      ok: summary.ok,
      failed: summary.failed,
      outputFolder: output,
    });
    // Kept in the data folder for the next start of the app.
    const kept = JSON.parse(await readFile(join(dataDir, 'batch-jobs.json'), 'utf8'));
    expect(kept.jobs.map((j: { record: { id: string } }) => j.record.id)).toContain('crash-test');

    // Resume with "retry failed": only the failures run again, and now they pass.
    const retried = await runToEnd('batch.resume', { jobId: 'crash-test', retryFailed: true });
    expect(retried).toMatchObject({ state: 'finished', ok: 80, failed: 0, processed: summary.failed });
    const again = parseCsv(await readFile(join(output, 'results.csv'), 'utf8'));
    expect(again.map((r) => r.file).sort()).toEqual([...files].sort());
  });

  it('pauses and resumes a job through batch.control, and cancels it by its id', async () => {
    const input = join(dir, 'pause-in');
    const output = join(dir, 'pause-out');
    await imageFolder(input, 60);
    const job = classifierJob(slowerModel, input, output, { batchSize: 1 });
    const states: string[] = [];
    let last: BatchProgress | null = null;
    expect(await call('batch.start', { job, jobId: 'pause-test' })).toEqual({ jobId: 'pause-test' });
    const running = services.client.callUntyped(
      'batch.watch',
      { jobId: 'pause-test' },
      {
        onEvent: (e) => {
          last = e as BatchProgress;
          if (states[states.length - 1] !== last.state) states.push(last.state);
        },
      },
    );
    await waitFor(() => (last?.done ?? 0) >= 2);
    expect(await call('batch.control', { jobId: 'pause-test', action: 'pause' })).toEqual({ paused: true });
    await waitFor(() => last?.state === 'paused');
    await new Promise((r) => setTimeout(r, 300));
    const held = last!.done;
    await new Promise((r) => setTimeout(r, 300));
    // Files already decoded or run when it paused may still finish; nothing new starts.
    expect(last!.done - held).toBeLessThanOrEqual(2);
    const jobs = await call<BatchJobRecord[]>('batch.jobs', {});
    expect(jobs.find((j) => j.id === 'pause-test')?.state).not.toBe('interrupted');
    await call('batch.control', { jobId: 'pause-test', action: 'resume' });
    await waitFor(() => last?.state === 'running');
    expect(await call('batch.cancel', { jobId: 'pause-test' })).toEqual({ cancelled: true });
    const result = await running;
    expect(!result.ok && result.error.code).toBe('CANCELLED');
    expect(states.slice(0, 3)).toEqual(['running', 'paused', 'running']);
    const record = (await call<BatchJobRecord[]>('batch.jobs', {})).find((j) => j.id === 'pause-test');
    expect(record?.state).toBe('cancelled');
    const rows = parseCsv(await readFile(join(output, 'results.csv'), 'utf8'));
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThan(60);
  });

  it('saves a job as JSON and loads it back; refuses to overwrite without asking', async () => {
    const to = join(dir, 'jobs', 'my-job.json');
    await mkdir(join(dir, 'jobs'), { recursive: true });
    const job = classifierJob(slowModel, join(dir, 'x'), join(dir, 'y'), { name: 'holiday photos' });
    // The user picks the folder in the file browser: the app may write there.
    await call('files.list', { path: join(dir, 'jobs') });
    expect(await call('batch.saveJob', { job, to })).toEqual({ path: to });
    const loaded = await call<Record<string, unknown>>('batch.loadJob', { path: to });
    expect(loaded).toMatchObject({ format: 'onnx-workbench/batch-job', version: 1, name: 'holiday photos', model: slowModel });
    await expect(call('batch.saveJob', { job, to })).rejects.toThrow(/already exists/);
    // Asked to, it replaces the file it wrote itself.
    expect(await call('batch.saveJob', { job, to, overwrite: true })).toEqual({ path: to });
    await writeFile(join(dir, 'jobs', 'bad.json'), JSON.stringify({ model: 'relative.onnx' }));
    await expect(call('batch.loadJob', { path: join(dir, 'jobs', 'bad.json') })).rejects.toThrow(
      /is not a valid batch job: model/,
    );
  });
});
