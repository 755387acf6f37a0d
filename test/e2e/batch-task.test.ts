// End to end: a background-removal model opened for the first time gets its suggested task stored;
// the Batch form shows it with the Result tab's controls, masks and cut-outs can be written (COCO
// cannot, with the reason); the finished job shows thumbnails of the cut-outs, and a click opens
// that image's result in the Run view. Screenshots go to $OWB_SCREENS (default: a temp folder).
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { constantModel, solidImage } from '../node/batch-fixtures';
import { type Served, launchChromium, openThroughBrowser, serve } from './serve';

let served: Served;
let browser: Browser;
let dir: string;
let shots: string;
let model: string;
let photos: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'owb-e2e-batch-task-'));
  shots = process.env.OWB_SCREENS ?? join(dir, 'screens');
  await mkdir(shots, { recursive: true });
  // A matting-shaped model: one-channel mask at input size, foreground over the left half.
  const data = new Array(64 * 64).fill(0);
  for (let y = 0; y < 64; y++) for (let x = 0; x < 32; x++) data[y * 64 + x] = 1;
  model = join(dir, 'matting.onnx');
  await writeFile(model, constantModel({ name: 'mask', dims: [1, 1, 64, 64], data }));
  photos = join(dir, 'portraits');
  for (const [k, c] of (['red', 'green', 'blue'] as const).entries())
    await solidImage(join(photos, `${c}-${k}.png`), c, { width: 160, height: 120 });
  served = await serve();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

describe('the task in the Batch form, and the results to look at', () => {
  it('writes masks and cut-outs with the stored suggested task, shows their thumbnails, opens one in the Run view', async () => {
    const page: Page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const shot = (name: string) => page.screenshot({ path: join(shots, `batch-task-${name}.png`), fullPage: true });
    await page.goto(served.url);
    await page.getByRole('heading', { name: 'Open an ONNX model' }).waitFor();
    await openThroughBrowser(page, model);
    await page.getByRole('table', { name: 'Inputs' }).waitFor();
    await page
      .getByRole('button', { name: /^Batch/ })
      .first()
      .click();
    const task = page.getByRole('region', { name: 'Task' });
    // Stored when the model was opened: no control was touched.
    await expect.poll(() => task.getByRole('combobox', { name: 'Task' }).inputValue()).toBe('segmentation');
    await task.getByText('suggested', { exact: true }).waitFor();
    const coco = page.getByRole('checkbox', { name: /COCO JSON/ });
    expect(await coco.isDisabled()).toBe(true);
    await page.getByRole('checkbox', { name: /Masks/ }).check();
    await page.getByRole('checkbox', { name: /Cut-outs/ }).check();
    const input = page.getByRole('group', { name: 'Input folder' }).getByRole('textbox');
    await input.fill(photos);
    await input.press('Tab');
    await page.getByText('3 images will be processed').waitFor();
    await task.scrollIntoViewIfNeeded();
    await shot('1-form');
    await task.screenshot({ path: join(shots, 'batch-task-1-task-section.png') });

    await page.getByRole('button', { name: /^Start batch/ }).click();
    const strip = page.getByRole('list', { name: 'Result thumbnails' });
    await expect.poll(() => strip.getByRole('img').count(), { timeout: 60_000 }).toBe(3);
    await page
      .getByRole('region', { name: 'Job progress' })
      .getByText(/Finished|finished/)
      .first()
      .waitFor({ timeout: 60_000 });
    await shot('2-thumbnails');
    expect((await readdir(join(`${photos}-results`, 'cutouts'))).sort()).toEqual([
      'blue-2.png.png',
      'green-1.png.png',
      'red-0.png.png',
    ]);

    await strip.getByRole('button', { name: 'Open green-1.png in the Run view' }).click();
    // The Run view runs the model on that image and reads it with the recipe's task.
    await page.getByRole('combobox', { name: 'Task' }).first().waitFor({ timeout: 60_000 });
    await expect.poll(() => page.getByRole('combobox', { name: 'Task' }).first().inputValue()).toBe('segmentation');
    await page
      .getByText(/foreground/i)
      .first()
      .waitFor({ timeout: 60_000 });
    await shot('3-opened-in-run');
  });
});
