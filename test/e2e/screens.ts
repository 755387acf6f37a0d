// Screenshot tour of the browser-mode UI, for looking at it (not a test).
//   node bin/onnx-workbench.js serve --port 5391 &        (prints the URL with its token)
//   npx tsx test/e2e/screens.ts <url> [outDir] [broken.onnx] [model-with-weights.onnx] [custom-op.onnx]
// Writes PNGs at 1400×900 and 1024×700 (and the start screen in light mode).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium, openThroughBrowser as openFile } from './serve';

const [url, outDir = '/tmp/screens', broken = '/tmp/broken.onnx', classifier, customOp] = process.argv.slice(2);
if (!url) {
  console.error('usage: tsx test/e2e/screens.ts <url-with-token> [outDir] [broken.onnx]');
  process.exit(2);
}

const browser = await launchChromium();
await mkdir(outDir, { recursive: true });

async function tour(width: number, height: number, scheme: 'dark' | 'light'): Promise<void> {
  const context = await browser.newContext({ viewport: { width, height }, colorScheme: scheme });
  const page = await context.newPage();
  const shot = (name: string) => page.screenshot({ path: join(outDir, `${width}x${height}-${scheme}-${name}.png`) });
  await page.goto(url);
  await page.getByRole('button', { name: /open sample PaddleOCR v4 text detection/i }).waitFor();
  await shot('01-start');

  await page.getByRole('button', { name: /open sample PaddleOCR v4 text detection/i }).click();
  await page.getByRole('table', { name: 'Inputs' }).waitFor();
  await shot('02-overview');

  await page.getByRole('tab', { name: /^Operators/ }).click();
  await shot('03-operators');

  await page.getByRole('tab', { name: /^Nodes/ }).click();
  await page.getByRole('table', { name: 'Nodes' }).waitFor();
  await shot('04-nodes');
  await page.getByRole('searchbox', { name: 'Search nodes' }).fill('conv');
  await page.locator('[role="row"][aria-rowindex="3"]').click();
  await shot('05-nodes-search');

  await page.getByRole('tab', { name: /^Weights/ }).click();
  await page.getByRole('table', { name: 'Weights' }).or(page.getByText('This model stores no weights.')).waitFor();
  await shot('06a-weights-det');

  // A model with real initializers, metadata and an optional input (see /tmp/mkmodels.mts).
  if (classifier) {
    await openThroughBrowser(page, classifier);
    await page.getByRole('table', { name: 'Weights' }).waitFor();
    await page.getByRole('button', { name: /^Stats for head.fc.weight/ }).click();
    await page.getByRole('button', { name: /^Export head.fc.bias as \.npy$/ }).click();
    await page.getByRole('button', { name: /^Stats for head.fc.bias/ }).click();
    await page.waitForTimeout(800);
    await shot('06b-weights');
    await page.getByRole('tab', { name: /^Overview/ }).click();
    await page.locator('details.optional summary').click();
    await shot('06c-classifier-overview');
  }

  await page.getByRole('tab', { name: /^Runtime/ }).click();
  await page.getByRole('button', { name: 'Check with ONNX Runtime' }).click();
  await page.getByText(/ONNX Runtime (loads|cannot load) this model|The check could not run/).waitFor({ timeout: 30_000 });
  await shot('07a-runtime');
  if (customOp) {
    await openThroughBrowser(page, customOp);
    await page.getByRole('tab', { name: /^Runtime/ }).click();
    await page.getByRole('button', { name: 'Check with ONNX Runtime' }).click();
    await page.getByText(/ONNX Runtime (loads|cannot load) this model|The check could not run/).waitFor({ timeout: 30_000 });
    await page
      .getByText('Details from onnxruntime')
      .click()
      .catch(() => undefined);
    await shot('07b-runtime-problem');
  }

  await openThroughBrowser(page, broken, shot);
  await page.getByRole('alert').waitFor();
  await shot('09-error');
  await context.close();
}

await tour(1400, 900, 'dark');
await tour(1024, 700, 'dark');
const light = await browser.newContext({ viewport: { width: 1400, height: 900 }, colorScheme: 'light' });
const lp = await light.newPage();
await lp.goto(url);
await lp.getByRole('button', { name: /open sample PaddleOCR v4 text detection/i }).click();
await lp.getByRole('table', { name: 'Inputs' }).waitFor();
await lp.screenshot({ path: join(outDir, '1400x900-light-02-overview.png') });
await browser.close();
console.log(`screenshots in ${outDir}`);

async function openThroughBrowser(page: Page, file: string, shot?: (name: string) => Promise<unknown>): Promise<void> {
  await openFile(page, file, shot);
  await page.waitForTimeout(500);
}
