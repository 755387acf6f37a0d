// End to end through the real engine: the Evaluate view scores a colour classifier over class
// folders (10 images, one filed under the wrong class), showing the form, the progress and the
// results (top-1, the per-class table, the confusion matrix). Screenshots go to OWB_SHOTS if set.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecipeStore } from '../../electron/node/recipes';
import { LABELS, RECIPE, classifierModel, solidImage } from '../node/batch-fixtures';
import { type Served, launchChromium, openModelPage, serve, scratchFolder } from './serve';

let served: Served;
let browser: Browser;
let page: Page;
let dir: string;
let model: string;
let modelB: string;
let root: string;
let shots: string;

beforeAll(async () => {
  ({ dir, shots } = await scratchFolder('owb-e2e-eval-'));
  model = join(dir, 'colours.onnx');
  // A few milliseconds per image: the progress is on screen for a moment.
  await writeFile(model, classifierModel({ convs: 8, channels: 32 }));
  root = join(dir, 'colours');
  const files = [
    ['red', 'red'],
    ['red', 'red'],
    ['red', 'red'],
    ['green', 'red'],
    ['green', 'green'],
    ['green', 'green'],
    ['green', 'green'],
    ['blue', 'blue'],
    ['blue', 'blue'],
    ['blue', 'blue'],
  ] as const;
  for (const [k, [folder, colour]] of files.entries()) await solidImage(join(root, folder, `${colour}-${k}.png`), colour);
  // Model B: the same but green images come out as class c3.
  modelB = join(dir, 'moved.onnx');
  await writeFile(modelB, classifierModel({ classes: [0, 3, 2] }));
  // Each model's saved recipe (as the Run view saves it): its preprocessing and its labels.
  const data = join(dir, 'data');
  const recipes = new RecipeStore(join(data, 'recipes'));
  for (const m of [model, modelB])
    await recipes.save(m, { inputs: { x: RECIPE }, task: { kind: 'classification', labels: { kind: 'list', labels: LABELS } } });
  served = await serve({ dataDir: data });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
});
afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

const shot = (name: string) => page.screenshot({ path: join(shots, `eval-${name}.png`) });

describe('the Evaluate view', () => {
  it('scores the open model over class folders and shows top-1, the per-class table and the confusion matrix', async () => {
    await openModelPage(page, served.url, model);
    await page.getByRole('button', { name: /^Evaluate/ }).click();
    const form = page.getByRole('group', { name: 'Evaluation setup' });
    await form.waitFor();
    const dataset = page.getByRole('group', { name: 'Dataset folder' }).getByRole('textbox');
    await dataset.fill(root);
    await dataset.press('Tab');
    await expect
      .poll(() => page.getByRole('group', { name: 'Output folder' }).getByRole('textbox').inputValue())
      .toBe(`${root}-eval`);
    await shot('1-form');

    await page.getByRole('button', { name: /^Start evaluation/ }).click();
    const progress = page.getByRole('region', { name: 'Evaluation progress' });
    const results = page.getByRole('region', { name: 'Results' });
    await progress.or(results).first().waitFor({ timeout: 60_000 });
    if (await progress.isVisible()) await shot('2-progress');

    await results.waitFor({ timeout: 120_000 });
    await shot('3-results');
    expect(await page.getByRole('region', { name: 'Evaluation summary' }).textContent()).toContain('10 labelled files scored');
    // 9 of 10 right: the red image filed under green/ is the one miss.
    await expect.poll(() => results.locator('.head', { hasText: 'Top-1' }).locator('dd').textContent()).toBe('90.0%');
    const rows = results.getByRole('table', { name: 'Per-class results' }).getByRole('row');
    expect(await rows.filter({ hasText: /^red/ }).textContent()).toMatch(/red\s*0\.750\s*1\.000\s*3/);
    expect(await rows.filter({ hasText: /^green/ }).textContent()).toMatch(/green\s*1\.000\s*0\.750\s*4/);
    const matrix = results.getByRole('img', { name: 'Confusion matrix' });
    expect(await matrix.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    await matrix.scrollIntoViewIfNeeded();
    await shot('4-plots');
  });

  it('runs A against B and shows where they disagree, with the image and both answers', async () => {
    // The page is still on the Evaluate view with the dataset of the test above.
    await page.getByRole('group', { name: 'Compare with model B (optional)' }).getByRole('textbox').fill(modelB);
    const out = page.getByRole('group', { name: 'Output folder' }).getByRole('textbox');
    await out.fill(`${root}-ab`);
    await out.press('Tab');
    await page.getByRole('button', { name: 'Start evaluation of A and B' }).click();
    const dis = page.getByRole('region', { name: 'Disagreements' });
    await dis.waitFor({ timeout: 120_000 });
    const b = page.getByRole('region', { name: 'Model B results' });
    await expect.poll(() => b.locator('.head', { hasText: 'Top-1' }).locator('dd').textContent()).toBe('60.0%');
    // B's green images come out as c3, no class of the dataset: all 4 count against green's recall.
    const greenB = b
      .getByRole('table', { name: 'Per-class results of model B' })
      .getByRole('row')
      .filter({ hasText: /^green/ });
    expect(await greenB.textContent()).toMatch(/green\s*n\/a\s*0\.000\s*4/);
    expect(await dis.getByRole('heading').textContent()).toContain('3 files where A and B disagree');
    const rows = dis.getByRole('table').getByRole('row');
    expect(await rows.nth(1).textContent()).toMatch(/green\/green-4\.png\s*green [\d.]+\s*c3 [\d.]+/);
    await rows.nth(1).click();
    const picture = dis.getByRole('img', { name: 'green/green-4.png' });
    await picture.waitFor();
    expect(await picture.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    await dis.scrollIntoViewIfNeeded();
    await shot('5-ab');
  });
});
