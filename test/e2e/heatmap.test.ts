// End to end through the real engine: a 1024×1024 output's heatmap is the whole plane (averaged
// by run.outputPlane), coloured over the whole tensor's range; the channel picker reads another
// plane; the status bar says what the engine is doing; a second run says "cached session".
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBigMapModel } from './big-map-model';
import { type Served, launchChromium, openModelPage, serve } from './serve';

let served: Served;
let browser: Browser;
let page: Page;
let model: string;

beforeAll(async () => {
  model = await writeBigMapModel(await mkdtemp(join(tmpdir(), 'owb-e2e-heatmap-')));
  served = await serve();
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
});
afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

describe('heatmap of a big output', () => {
  it('shows the whole plane with the whole range, and another channel on request', async () => {
    await openModelPage(page, served.url, model);
    await page.getByRole('button', { name: /Run…/ }).click();
    await page.getByRole('region', { name: 'Input x' }).waitFor();

    await page.keyboard.press('Control+Enter');
    const result = page.getByRole('region', { name: 'Run result' });
    await result.waitFor();
    // Run again: the session is now the cached one, and the time bar names the rest.
    await page.keyboard.press('Control+Enter');
    await result.getByText('cached session').waitFor();
    expect(await result.locator('.legend').textContent()).toMatch(/run: [\d.]+ ms/);
    // The status bar follows the engine's own activity: reading the results, then idle.
    await page.getByRole('status', { name: 'Engine' }).filter({ hasText: 'Engine idle' }).waitFor();

    await page.getByRole('tab', { name: /Raw outputs/ }).click();
    const out = page.getByRole('article', { name: 'Output map' });
    await out.getByRole('button', { name: /Heatmap/ }).click();
    await out.getByLabel('Heatmap of map').waitFor();
    expect(await out.getByLabel('Plane size').textContent()).toContain('[0, 0, :, :] · 1024×1024, averaged to 512×512');
    const legend = out.locator('.heatmap .legend');
    // The spot near the bottom-right corner (sin + 4) sets the top of the whole tensor's range.
    expect(await legend.textContent()).toMatch(/-1\.000.*4\.70\d/s);
    // The canvas holds the averaged plane: the spot is bright there, the centre of a ring is not.
    const [spot, centre] = await out.getByLabel('Heatmap of map').evaluate((c: HTMLCanvasElement) => {
      const ctx = c.getContext('2d')!;
      const px = (x: number, y: number) => [...ctx.getImageData(x, y, 1, 1).data.slice(0, 3)];
      return [px(450, 450), px(256, 256)];
    });
    // Viridis runs from dark purple to yellow-green: the spot (about 3/4 up the range) is far greener.
    expect(spot[1]).toBeGreaterThan(centre[1] + 60);
    expect(centre[1]).toBeLessThan(120);

    await out.getByRole('spinbutton', { name: 'Channel of map' }).fill('1');
    await out.getByRole('spinbutton', { name: 'Channel of map' }).press('Enter');
    await out.getByLabel('Plane size').filter({ hasText: '[0, 1, :, :]' }).waitFor();
    await out.getByRole('combobox', { name: 'Colour range' }).selectOption('plane');
    expect(await legend.textContent()).toMatch(/0\.000.*0\.999/s);
  });
});
