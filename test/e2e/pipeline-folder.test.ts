// End to end: the Pipeline view runs the PaddleOCR pipeline over a folder as a job; the page
// reloads, the job goes on, and the reloaded page shows it again in the Pipeline view (not in the
// Batch form), with its folders, and cancels it. Screenshots go to OWB_SHOTS if set.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODELS } from '../helpers';
import { type Served, launchChromium, serve, scratchFolder } from './serve';

const FILES = 120;
let served: Served;
let browser: Browser;
let dir: string;
let shots: string;
let pipelineFile: string;

beforeAll(async () => {
  ({ dir, shots } = await scratchFolder('owb-e2e-pipeline-'));
  await mkdir(join(dir, 'scans'));
  // Enough pictures that the job outlasts a reload on a loaded machine.
  const svg = (k: number) =>
    `<svg xmlns="http://www.w3.org/2000/svg" width="360" height="120"><rect width="100%" height="100%" fill="#fff"/><text x="20" y="80" font-family="DejaVu Sans" font-size="48">PAGE ${k}</text></svg>`;
  for (let k = 0; k < FILES; k++)
    await sharp(Buffer.from(svg(k)))
      .png()
      .toFile(join(dir, 'scans', `page-${k}.png`));
  pipelineFile = join(dir, 'ocr.json');
  // No tasks: the models' suggested ones (the charset beside the recognition model).
  await writeFile(
    pipelineFile,
    JSON.stringify({
      format: 'onnx-workbench/pipeline',
      version: 1,
      steps: [
        { id: 'det', model: MODELS.ocrDet },
        { id: 'rec', model: MODELS.ocrRec, from: { kind: 'regions', step: 'det' } },
      ],
    }),
  );
  served = await serve();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

async function openPipelineView(page: Page) {
  await page.getByRole('heading', { name: 'Open an ONNX model' }).waitFor();
  await page
    .getByRole('button', { name: /^Pipeline/ })
    .first()
    .click();
  await page.getByRole('form', { name: 'Pipeline run' }).waitFor();
}

const field = (page: Page, name: string) => page.getByRole('group', { name, exact: true }).getByRole('textbox');

async function done(page: Page): Promise<number> {
  const bar = page.getByRole('progressbar', { name: 'Batch progress' });
  await bar.waitFor();
  return Number((await bar.getAttribute('aria-valuenow')) ?? '0');
}

describe('a pipeline over a folder', () => {
  it('runs as a job that a reloaded page finds again in the Pipeline view', async () => {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await page.goto(served.url);
    await openPipelineView(page);
    await page.getByRole('button', { name: 'Folder', exact: true }).click();
    await field(page, 'Pipeline').fill(pipelineFile);
    await field(page, 'Folder').fill(join(dir, 'scans'));
    await field(page, 'Output folder').fill(join(dir, 'results'));
    await page.getByRole('form', { name: 'Pipeline run' }).getByRole('button', { name: /^Run/ }).click();
    await expect.poll(() => done(page), { timeout: 90_000 }).toBeGreaterThan(0);
    await page
      .getByRole('region', { name: 'Text read lately' })
      .getByText(/PAGE \d+/)
      .first()
      .waitFor();

    await page.reload();
    await openPipelineView(page);
    const region = page.getByRole('region', { name: 'Job progress' });
    await region.getByRole('heading', { name: 'Running' }).waitFor({ timeout: 30_000 });
    const afterReload = await done(page);
    expect(afterReload).toBeLessThan(FILES);
    expect(await field(page, 'Folder').inputValue()).toBe(join(dir, 'scans'));
    expect(await field(page, 'Output folder').inputValue()).toBe(join(dir, 'results'));
    expect(await field(page, 'Pipeline').inputValue()).toBe(pipelineFile);
    await page.screenshot({ path: join(shots, 'pipeline-folder-after-reload.png') });

    await region.getByRole('button', { name: /Cancel/ }).click();
    await region.getByRole('heading', { name: 'Cancelled' }).waitFor({ timeout: 60_000 });
    // The Batch view did not take the pipeline job for one of its own.
    await page
      .getByRole('button', { name: /^Batch/ })
      .first()
      .click();
    await page.getByRole('group', { name: 'Job setup' }).waitFor();
    expect(await page.getByRole('region', { name: 'Job progress' }).count()).toBe(0);
  });
});
