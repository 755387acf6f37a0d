// End to end in Chromium: YOLOv8-seg, -pose and -obb models (synthetic, with the real heads'
// layouts and metadata) are recognised as their family, run on a photo and read into instance
// masks, keypoints with the skeleton and rotated boxes. Screenshots go to $SCREENS (default
// /tmp/family-screens), to look at.
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFamilyModels } from './family-models';
import { type Served, chooseInFileBrowser, launchChromium, openThroughBrowser, serve } from './serve';

let served: Served;
let browser: Browser;
let page: Page;
let files: Awaited<ReturnType<typeof writeFamilyModels>>;
const shots = process.env.SCREENS ?? '/tmp/family-screens';

beforeAll(async () => {
  files = await writeFamilyModels(await mkdtemp(join(tmpdir(), 'owb-e2e-family-')));
  await mkdir(shots, { recursive: true });
  served = await serve();
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 950 } });
  await page.goto(served.url);
  await page
    .getByRole('button', { name: /open sample/i })
    .first()
    .waitFor();
});
afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

/** Opens the model, checks its family badge, runs it on the photo and returns the result panel. */
async function runOnPhoto(model: string, family: string) {
  await openThroughBrowser(page, model);
  await page.getByRole('table', { name: 'Inputs' }).waitFor();
  await page.locator('.badge.family', { hasText: family }).waitFor();
  await page.getByRole('button', { name: /Run…/ }).click();
  const card = page.getByRole('region', { name: 'Input images' });
  await card.getByRole('button', { name: /Choose image/ }).click();
  await chooseInFileBrowser(page, files.photo);
  await card
    .getByRole('img', { name: /tensor/i })
    .first()
    .waitFor();
  await page.keyboard.press('Control+Enter');
  const table = page.getByRole('table', { name: 'Detections' });
  await table.waitFor({ timeout: 60_000 });
  return { panel: page.getByRole('region', { name: 'Interpreted result' }), table };
}

describe('Ultralytics heads in the Result view', () => {
  it('YOLOv8-seg: a mask per instance under its box', async () => {
    const { panel, table } = await runOnPhoto(files.seg, 'Ultralytics YOLO-seg');
    // The task bar says why: the family and what its preset sets.
    expect(await page.locator('.reason', { hasText: 'Ultralytics YOLO-seg: metadata "task" is "segment"' }).count()).toBe(1);
    await expect.poll(() => table.locator('tbody tr').count()).toBe(2);
    expect(await table.innerText()).toMatch(/mask[\s\S]*person[\s\S]*\d+(\.\d)?%[\s\S]*dog/i);
    expect(await panel.locator('img.raster.mask').count()).toBe(1);
    await panel.scrollIntoViewIfNeeded();
    await panel.screenshot({ path: join(shots, 'seg-result.png') });
  });

  it('YOLOv8-pose: keypoints joined by the COCO skeleton, hidden ones left out', async () => {
    const { panel, table } = await runOnPhoto(files.pose, 'Ultralytics YOLO-pose');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(2);
    expect(await table.innerText()).toMatch(/points[\s\S]*17\/17[\s\S]*15\/17/i);
    const groups = panel.locator('.vector g.keypoints');
    expect(await groups.count()).toBe(2);
    expect(await groups.nth(0).locator('circle').count()).toBe(17);
    expect(await groups.nth(1).locator('circle').count()).toBe(15);
    await panel.scrollIntoViewIfNeeded();
    await panel.screenshot({ path: join(shots, 'pose-result.png') });
  });

  it('YOLOv8-obb: rotated boxes after rotated NMS, with DOTA names', async () => {
    const { panel, table } = await runOnPhoto(files.obb, 'Ultralytics YOLO-obb');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(3);
    const text = await table.innerText();
    expect(text).toMatch(/ship[\s\S]*ship[\s\S]*plane/);
    expect(text).toMatch(/angle[\s\S]*45°/i);
    expect(await panel.locator('.vector g.polygon polygon').count()).toBe(3);
    expect(await panel.getByText(/rotated NMS per class/).count()).toBeGreaterThan(0);
    await panel.scrollIntoViewIfNeeded();
    await panel.screenshot({ path: join(shots, 'obb-result.png') });
  });
});

describe('the Batch form follows the family preset', () => {
  /** Opens the model, then the Batch view: the task it shows and which outputs it offers. */
  async function batchForm(model: string, family: string) {
    await openThroughBrowser(page, model);
    await page.locator('.badge.family', { hasText: family }).waitFor();
    await page
      .getByRole('button', { name: /^Batch/ })
      .first()
      .click();
    const task = page.getByRole('region', { name: 'Task' });
    await task.waitFor();
    const outputs = page.getByRole('region', { name: 'Outputs' });
    const offered = async (label: string) => outputs.locator('label', { hasText: label }).getByRole('checkbox').isEnabled();
    return { task, outputs, offered };
  }

  it('ISNet: segmentation, with masks and cut-outs on offer', async () => {
    const { task, outputs, offered } = await batchForm(files.isnet, 'ISNet');
    await expect.poll(() => task.innerText()).toMatch(/Segmentation[\s\S]*ISNet/);
    expect([await offered('Masks'), await offered('Cut-outs'), await offered('COCO JSON')]).toEqual([true, true, false]);
    await page.screenshot({ path: join(shots, 'batch-isnet.png') });
    await outputs.scrollIntoViewIfNeeded();
    await outputs.screenshot({ path: join(shots, 'batch-isnet-outputs.png') });
  });

  it('a YOLOv8-layout detector: detection, with COCO and drawn results on offer', async () => {
    const { task, offered } = await batchForm(files.detector, 'YOLO-layout detector');
    await expect.poll(() => task.innerText()).toMatch(/Object detection[\s\S]*YOLO-layout detector/);
    expect([await offered('COCO JSON'), await offered('Drawn results'), await offered('Cut-outs')]).toEqual([true, true, false]);
    await page.screenshot({ path: join(shots, 'batch-detector.png') });
  });

  it('a YOLOv8-seg detector: instance masks and their cut-outs on offer', async () => {
    const { outputs, offered } = await batchForm(files.seg, 'Ultralytics YOLO-seg');
    await expect.poll(() => offered('Masks')).toBe(true);
    expect(await offered('Cut-outs')).toBe(true);
    expect(await offered('COCO')).toBe(true);
    // With COCO written, the form asks how the instance masks go into coco.json.
    const coco = outputs.locator('label', { hasText: 'COCO JSON' }).getByRole('checkbox');
    if (!(await coco.isChecked())) await coco.check();
    await page.getByRole('combobox', { name: 'COCO masks' }).waitFor();
    await outputs.scrollIntoViewIfNeeded();
    await outputs.screenshot({ path: join(shots, 'batch-seg-outputs.png') });
  });
});
