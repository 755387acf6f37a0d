// Screenshot tour of the Graph tab, for looking at it (not a test).
//   npx tsx test/e2e/graph-screens.ts [outDir] [model.onnx …]   (needs `npm run build`)
// Without models: the PaddleOCR detection sample. Each model: overview, an expanded group, search
// hits, the side panel; with PROFILE=1 also the time overlay (overview, an opened group) and the
// provider overlay. SEARCH=text: what to search for (default MatMul).
import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { launchChromium, openThroughBrowser, serve } from './serve';

const [outDir = '/tmp/graph-screens', ...models] = process.argv.slice(2);
await mkdir(outDir, { recursive: true });
const served = await serve();
const browser = await launchChromium();
const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();

async function tour(name: string, search: string): Promise<void> {
  const shot = (what: string) => page.screenshot({ path: join(outDir, `${name}-${what}.png`) });
  await page.getByRole('tab', { name: /^Graph/ }).click();
  const canvas = page.locator('canvas[data-boxes]');
  await canvas.waitFor({ timeout: 120_000 });
  await page.waitForTimeout(300);
  await shot('1-overview');
  const groups = JSON.parse((await canvas.getAttribute('data-groups')) ?? '[]') as [number, number, number][];
  if (groups.length) {
    const box = await canvas.boundingBox();
    const draws = await canvas.getAttribute('data-draws');
    await page.mouse.click(box!.x + groups[0][1], box!.y + groups[0][2]);
    await page.waitForFunction((d) => document.querySelector('canvas[data-boxes]')?.getAttribute('data-draws') !== d, draws);
    await page.waitForTimeout(400);
    await shot('2-expanded');
  }
  await page.getByRole('searchbox', { name: 'Search the graph' }).fill(search);
  await page.waitForTimeout(200);
  await shot('3-search');
  await page.getByRole('button', { name: 'Next hit' }).click();
  await page.waitForTimeout(600);
  await shot('4-panel');
  if (process.env.PROFILE === '1') {
    // "Profile this model": onnxruntime's profile laid over the graph (time, then provider).
    await page.getByRole('searchbox', { name: 'Search the graph' }).fill('');
    await page.getByRole('button', { name: /Profile this model/ }).click();
    await page
      .getByText(/log scale/)
      .or(page.getByRole('alert'))
      .waitFor({ timeout: 240_000 })
      .catch(() => undefined);
    await shot('5-profiled');
    await page.getByRole('button', { name: 'Close details' }).click();
    await page.getByRole('button', { name: 'Overview' }).click();
    await page.waitForTimeout(800);
    await shot('5-time');
    // A group opened under the time overlay: its nodes against each other.
    const canvas2 = page.locator('canvas[data-boxes]');
    const groups2 = JSON.parse((await canvas2.getAttribute('data-groups')) ?? '[]') as [number, number, number][];
    if (groups2.length) {
      const box = await canvas2.boundingBox();
      await page.mouse.click(box!.x + groups2[0][1], box!.y + groups2[0][2]);
      await page.waitForTimeout(800);
    }
    await shot('6-time-expanded');
    await page.getByRole('combobox', { name: 'Overlay' }).selectOption('provider');
    await page.waitForTimeout(500);
    await shot('7-provider');
  }
}

try {
  await page.goto(served.url);
  if (!models.length) {
    await page.getByRole('button', { name: /open sample PaddleOCR v4 text detection/i }).click();
    await page.getByRole('table', { name: 'Inputs' }).waitFor();
    await tour('paddle-det', 'conv2d_5');
  }
  for (const m of models) {
    await openThroughBrowser(page, m);
    await page.getByRole('tab', { name: /^Graph/ }).waitFor();
    await page.waitForTimeout(500);
    await tour(basename(m, '.onnx'), process.env.SEARCH ?? 'MatMul');
  }
} finally {
  await browser.close();
  await served.stop();
}
