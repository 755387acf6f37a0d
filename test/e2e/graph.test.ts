// End to end: the Graph tab of a real sample model in Chromium, drawn by the built renderer with
// its layout worker, over the real engine.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Served, chooseFolderInFileBrowser, launchChromium, serve } from './serve';

let served: Served;
let browser: Browser;
let page: Page;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'owb-e2e-graph-'));
  served = await serve();
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
});
afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

const canvasInfo = () =>
  page.locator('canvas[data-boxes]').evaluate((c: HTMLCanvasElement) => {
    const ctx = c.getContext('2d')!;
    const { data } = ctx.getImageData(0, 0, c.width, c.height);
    // Distinct colours drawn: a blank canvas has one.
    const colours = new Set<number>();
    for (let k = 0; k < data.length; k += 4 * 97) colours.add((data[k] << 16) | (data[k + 1] << 8) | data[k + 2]);
    return {
      boxes: Number(c.dataset.boxes),
      draws: Number(c.dataset.draws),
      colours: colours.size,
      groups: JSON.parse(c.dataset.groups ?? '[]') as number[][],
    };
  });

describe('Graph tab', () => {
  it('draws the overview of a sample model, opens a group, finds a tensor and exports SVG', async () => {
    await page.goto(served.url);
    await page.getByRole('button', { name: /open sample PaddleOCR v4 text detection/i }).click();
    await page.getByRole('table', { name: 'Inputs' }).waitFor();
    await page.getByRole('tab', { name: /^Graph/ }).click();
    await page.locator('canvas[data-boxes]').waitFor({ timeout: 60_000 });
    // The whole overview in view, so that its collapsed groups are on screen.
    const draws = (await canvasInfo()).draws;
    await page.getByRole('button', { name: 'Fit' }).click();
    await page.waitForFunction(
      (n) => Number(document.querySelector('canvas[data-boxes]')?.getAttribute('data-draws')) > n,
      draws,
    );
    const first = await canvasInfo();
    expect(first.boxes).toBeGreaterThan(10);
    expect(first.colours).toBeGreaterThan(3);
    expect(first.groups.length).toBeGreaterThan(0);

    // Clicking a collapsed group opens it in place: more boxes.
    const box = (await page.locator('canvas[data-boxes]').boundingBox())!;
    await page.mouse.click(box.x + first.groups[0][1], box.y + first.groups[0][2]);
    await page.waitForFunction(
      (n) => Number(document.querySelector('canvas[data-boxes]')?.getAttribute('data-boxes')) > n,
      first.boxes,
    );

    // A tensor name finds its producer; stepping to it opens the side panel.
    await page.getByRole('searchbox', { name: 'Search the graph' }).fill('depthwise_conv2d_5.tmp_0');
    await expect.poll(() => page.getByText(/of 1 nodes/).textContent()).toMatch(/1 tensors/);
    await page.getByRole('button', { name: 'Next hit' }).click();
    const panel = page.getByRole('complementary', { name: 'Node details' });
    await panel.waitFor();
    expect(await panel.getByRole('link', { name: /Conv/ }).getAttribute('href')).toBe(
      'https://onnx.ai/onnx/operators/onnx__Conv.html',
    );
    expect(await panel.textContent()).toContain('depthwise_conv2d_5.tmp_0');

    await page.getByRole('button', { name: 'Export' }).click();
    // A folder other than the model's: chosen in the file browser (writes go only where the user chose).
    await page.getByRole('button', { name: 'Folder…' }).click();
    await chooseFolderInFileBrowser(page, dir);
    const to = join(dir, 'det.svg');
    expect(await page.getByRole('textbox', { name: 'Export to' }).inputValue()).toMatch(new RegExp(`^${dir}/`));
    await page.getByRole('textbox', { name: 'Export to' }).fill(to);
    await page.getByRole('radio', { name: 'every group expanded' }).check();
    await page.getByRole('button', { name: 'Write' }).click();
    const outcome = page
      .getByRole('status')
      .filter({ hasText: /Wrote / })
      .or(page.getByRole('alert'));
    await outcome.waitFor({ timeout: 90_000 });
    expect(await outcome.textContent()).toMatch(/Wrote .*det\.svg/);
    const svg = await readFile(to, 'utf8');
    expect(svg).toContain('data-name="p2o.Conv.11"');
  }, 180_000);
});
