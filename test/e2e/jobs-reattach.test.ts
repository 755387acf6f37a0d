// End to end: long work other than batch is a job too. A benchmark started in one page keeps
// running when that page reloads; the reloaded page opens its model again and re-attaches to its
// progress, and a new page (another tab) does the same and cancels it by its id. An evaluation's
// form shows the job's settings after a reload. Screenshots go to OWB_SHOTS if set.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecipeStore } from '../../electron/node/recipes';
import { LABELS, RECIPE, classifierModel, imageFolder } from '../node/batch-fixtures';
import { type Served, launchChromium, openThroughBrowser, serve, scratchFolder } from './serve';

let served: Served;
let browser: Browser;
let context: BrowserContext;
let dir: string;
let model: string;
let shots: string;

beforeAll(async () => {
  ({ dir, shots } = await scratchFolder('owb-e2e-jobs-'));
  model = join(dir, 'slow.onnx');
  // Tens of milliseconds per run: thousands of runs outlast two reloads on a loaded machine.
  await writeFile(model, classifierModel({ convs: 24, channels: 64 }));
  await imageFolder(join(dir, 'colours', 'red'), 300);
  const data = join(dir, 'data');
  await new RecipeStore(join(data, 'recipes')).save(model, {
    inputs: { x: RECIPE },
    task: { kind: 'classification', labels: { kind: 'list', labels: LABELS } },
  });
  served = await serve({ dataDir: data });
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
});
afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

const shot = (page: Page, name: string) => page.screenshot({ path: join(shots, `jobs-${name}.png`) });

/** The benchmark's "provider: done/total" while it runs, as the number done. */
async function benchDone(page: Page): Promise<number> {
  const text =
    (await page
      .getByRole('status')
      .filter({ hasText: /\b(auto|cpu): \d+\/\d+/ })
      .textContent()) ?? '';
  return Number(/(\d+)\/\d+/.exec(text)?.[1] ?? '0');
}

describe('jobs outlive their page', () => {
  it('a benchmark survives a reload, is re-attached by the reloaded page and by a new page, and cancelled from it by id', async () => {
    const first = await context.newPage();
    await first.goto(served.url);
    await first.getByRole('heading', { name: 'Open an ONNX model' }).waitFor();
    await openThroughBrowser(first, model);
    await first.getByRole('button', { name: /^Run/ }).first().click();
    await first.getByRole('radiogroup', { name: 'Source of x' }).getByRole('radio', { name: 'Generate' }).click();
    await first.getByRole('tab', { name: /Benchmark/ }).click();
    await first.getByRole('spinbutton', { name: 'Runs' }).fill('20000');
    await first.getByRole('button', { name: /^Benchmark$/ }).click();
    await expect.poll(() => benchDone(first), { timeout: 60_000 }).toBeGreaterThan(0);

    // Ctrl+R: the page and its WebSocket go away; the benchmark does not.
    await first.reload();
    const cancel = first.getByRole('button', { name: 'Cancel', exact: true });
    await cancel.waitFor({ timeout: 30_000 });
    const afterReload = await benchDone(first);
    await expect.poll(() => benchDone(first), { timeout: 60_000 }).toBeGreaterThan(afterReload);
    // The form shows the job's settings.
    expect(await first.getByRole('spinbutton', { name: 'Runs' }).inputValue()).toBe('20000');
    await shot(first, '1-bench-after-reload');

    // A new tab opens the job's model, follows the same job and cancels it by its id.
    const second = await context.newPage();
    await second.goto(served.url);
    const secondCancel = second.getByRole('button', { name: 'Cancel', exact: true });
    await secondCancel.waitFor({ timeout: 30_000 });
    await expect.poll(() => benchDone(second), { timeout: 60_000 }).toBeGreaterThan(0);
    await shot(second, '2-bench-new-tab');
    await secondCancel.click();
    await second.getByRole('button', { name: /^Benchmark$/ }).waitFor({ timeout: 60_000 });
    // The first page, still watching, sees the job end too.
    await first.getByRole('button', { name: /^Benchmark$/ }).waitFor({ timeout: 30_000 });
    await second.close();
    await first.close();
  });

  it('an evaluation survives a reload; the reloaded page shows its settings and progress, and cancels it', async () => {
    const page = await context.newPage();
    await page.goto(served.url);
    await page.getByRole('heading', { name: 'Open an ONNX model' }).waitFor();
    await openThroughBrowser(page, model);
    await page.getByRole('table', { name: 'Inputs' }).waitFor();
    await page.getByRole('button', { name: /^Evaluate/ }).click();
    const dataset = page.getByRole('group', { name: 'Dataset folder' }).getByRole('textbox');
    const root = join(dir, 'colours');
    await dataset.fill(root);
    await dataset.press('Tab');
    await page.getByRole('button', { name: /^Start evaluation/ }).click();
    const progress = page.getByRole('region', { name: 'Evaluation progress' });
    await progress.waitFor({ timeout: 60_000 });

    await page.reload();
    await page.getByRole('heading', { name: 'Open an ONNX model' }).waitFor();
    await page.getByRole('button', { name: /^Evaluate/ }).click();
    await progress.waitFor({ timeout: 30_000 });
    expect(await dataset.inputValue()).toBe(root);
    expect(await page.getByRole('group', { name: 'Output folder' }).getByRole('textbox').inputValue()).toBe(`${root}-eval`);
    expect(await dataset.isDisabled()).toBe(true);
    await shot(page, '3-eval-after-reload');
    await progress.getByRole('button', { name: /Cancel/ }).click();
    await progress.waitFor({ state: 'detached', timeout: 60_000 });
    expect(await dataset.isDisabled()).toBe(false);
    await page.close();
  });
});
