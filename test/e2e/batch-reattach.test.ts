// End to end: a batch job started in one page keeps running when that page reloads; the
// reloaded page re-attaches to its progress and its form shows the job's settings, and a second
// page (another tab) cancels it by id. Screenshots go to OWB_SHOTS if set.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifierJob, classifierModel, imageFolder } from '../node/batch-fixtures';
import { type Served, chooseInFileBrowser, launchChromium, serve, scratchFolder } from './serve';

let served: Served;
let browser: Browser;
let context: BrowserContext;
let dir: string;
let jobFile: string;
let shots: string;

beforeAll(async () => {
  ({ dir, shots } = await scratchFolder('owb-e2e-batch-'));
  const model = join(dir, 'slow.onnx');
  // Tens of milliseconds per image: the job outlasts a reload and a second page on a loaded machine.
  await writeFile(model, classifierModel({ convs: 24, channels: 64 }));
  await imageFolder(join(dir, 'photos'), 600);
  jobFile = join(dir, 'photos.batch-job.json');
  await writeFile(
    jobFile,
    JSON.stringify(classifierJob(model, join(dir, 'photos'), join(dir, 'photos-results'), { batchSize: 1 })),
  );
  served = await serve();
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
});
afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

async function openBatchView(page: Page) {
  await page
    .getByRole('button', { name: /^Batch/ })
    .first()
    .click();
  await page.getByRole('group', { name: 'Job setup' }).waitFor();
}

async function done(page: Page): Promise<number> {
  const bar = page.getByRole('progressbar', { name: 'Batch progress' });
  await bar.waitFor();
  return Number((await bar.getAttribute('aria-valuenow')) ?? '0');
}

describe('a batch job outlives its page', () => {
  it('survives a reload, is re-attached by the reloaded page and cancelled from another page', async () => {
    const first = await context.newPage();
    await first.goto(served.url);
    await first.getByRole('heading', { name: 'Open an ONNX model' }).waitFor();
    await openBatchView(first);
    await first.getByRole('button', { name: /Load job/ }).click();
    await chooseInFileBrowser(first, jobFile);
    await first.getByText(`Job loaded from ${jobFile}`).waitFor();
    await first.getByText('600 images will be processed').waitFor();
    await first.getByRole('button', { name: /^Start batch/ }).click();
    await expect.poll(() => done(first), { timeout: 60_000 }).toBeGreaterThan(0);

    // Ctrl+R: the page and its WebSocket go away; the job does not.
    await first.reload();
    await first.getByRole('heading', { name: 'Open an ONNX model' }).waitFor();
    await openBatchView(first);
    const region = first.getByRole('region', { name: 'Job progress' });
    await region.getByRole('heading', { name: 'Running' }).waitFor({ timeout: 30_000 });
    const afterReload = await done(first);
    await expect.poll(() => done(first), { timeout: 60_000 }).toBeGreaterThan(afterReload);
    expect(afterReload).toBeLessThan(600);
    // The form shows the job it follows.
    const inputFolder = first.getByRole('group', { name: 'Input folder' }).getByRole('textbox');
    expect(await inputFolder.inputValue()).toBe(join(dir, 'photos'));
    expect(await first.getByRole('group', { name: 'Output folder' }).getByRole('textbox').inputValue()).toBe(
      join(dir, 'photos-results'),
    );
    expect(await inputFolder.isDisabled()).toBe(true);
    await first.screenshot({ path: join(shots, 'batch-after-reload.png') });

    // Another tab sees the same job and cancels it by its id.
    const second = await context.newPage();
    await second.goto(served.url);
    await openBatchView(second);
    const secondRegion = second.getByRole('region', { name: 'Job progress' });
    await secondRegion.getByRole('heading', { name: 'Running' }).waitFor({ timeout: 30_000 });
    await secondRegion.getByRole('button', { name: /Cancel/ }).click();
    await secondRegion.getByRole('heading', { name: 'Cancelled' }).waitFor({ timeout: 60_000 });
    // The first page, still watching, sees the job end too.
    await region.getByRole('heading', { name: 'Cancelled' }).waitFor({ timeout: 30_000 });
    const stoppedAt = await done(second);
    expect(stoppedAt).toBeLessThan(600);

    await second.getByRole('tab', { name: /Past jobs/ }).click();
    const row = second.getByRole('table', { name: 'Past jobs' }).getByRole('row').nth(1);
    await expect.poll(() => row.textContent(), { timeout: 10_000 }).toMatch(/cancelled/);
  });
});
