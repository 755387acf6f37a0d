// End to end: the Batch view's numbers while a job runs and while it is paused, as a user sees
// them: a speed and a time left while running; while paused, no time left and no speed ticking on
// old numbers. Screenshots go to $OWB_SCREENS (default: a temp folder), to be looked at.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifierJob, classifierModel, imageFolder } from '../node/batch-fixtures';
import { type Served, chooseInFileBrowser, launchChromium, serve } from './serve';

let served: Served;
let browser: Browser;
let dir: string;
let shots: string;
let jobFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'owb-e2e-progress-'));
  shots = process.env.OWB_SCREENS ?? join(dir, 'screens');
  await mkdir(shots, { recursive: true });
  const model = join(dir, 'slow.onnx');
  await writeFile(model, classifierModel({ convs: 24, channels: 64 }));
  await imageFolder(join(dir, 'photos'), 400);
  jobFile = join(dir, 'photos.batch-job.json');
  await writeFile(jobFile, JSON.stringify(classifierJob(model, join(dir, 'photos'), join(dir, 'results'), { batchSize: 1 })));
  served = await serve();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

describe('batch progress', () => {
  it('shows speed and time left while running, and neither moving while paused', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(served.url);
    await page.getByRole('heading', { name: 'Open an ONNX model' }).waitFor();
    await page
      .getByRole('button', { name: /^Batch/ })
      .first()
      .click();
    await page.getByRole('button', { name: /Load job/ }).click();
    await chooseInFileBrowser(page, jobFile);
    await page.getByText('400 images will be processed').waitFor();
    await page.getByRole('button', { name: /^Start batch/ }).click();
    const region = page.getByRole('region', { name: 'Job progress' });
    const bar = page.getByRole('progressbar', { name: 'Batch progress' });
    const done = async () => Number((await bar.getAttribute('aria-valuenow')) ?? '0');
    // Enough files for the moving window to give a speed and a time left.
    await expect.poll(done, { timeout: 120_000 }).toBeGreaterThan(20);
    await expect.poll(() => region.getByLabel('Time left').textContent(), { timeout: 30_000 }).toMatch(/\d/);
    expect(await region.getByLabel('Speed', { exact: true }).textContent()).toMatch(/[1-9]/);
    await page.screenshot({ path: join(shots, 'batch-running.png') });

    await region.getByRole('button', { name: 'Pause' }).click();
    await region.getByRole('heading', { name: 'Paused' }).waitFor({ timeout: 30_000 });
    // No time left while paused (it would only grow); the files already in flight finish, then the count holds still.
    await expect.poll(() => region.getByLabel('Time left').textContent(), { timeout: 10_000 }).toBe('–');
    let pausedAt = await done();
    await expect
      .poll(
        async () => {
          await new Promise((r) => setTimeout(r, 1000));
          const now = await done();
          const still = now === pausedAt;
          pausedAt = now;
          return still;
        },
        { timeout: 20_000 },
      )
      .toBe(true);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await done()).toBe(pausedAt);
    await page.screenshot({ path: join(shots, 'batch-paused.png') });

    await region.getByRole('button', { name: /Resume/ }).click();
    await expect.poll(done, { timeout: 60_000 }).toBeGreaterThan(pausedAt);
    await region.getByRole('button', { name: /Cancel/ }).click();
    await region.getByRole('heading', { name: 'Cancelled' }).waitFor({ timeout: 60_000 });
    await page.screenshot({ path: join(shots, 'batch-cancelled.png') });
  });
});
