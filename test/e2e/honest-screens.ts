// Screenshots of the numbers and states issue #15 asked to look at (not a test): the status bar
// during a benchmark, the run's time bar, the benchmark table with a cached session, and the
// heatmap of a big 4-D output (whole plane, channel picker).
//   npm run build && npx tsx test/e2e/honest-screens.ts [outDir]
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBigMapModel } from './big-map-model';
import { launchChromium, openModelPage, serve } from './serve';

const outDir = process.argv[2] ?? '/tmp/honest-screens';
await mkdir(outDir, { recursive: true });

const model = await writeBigMapModel(await mkdtemp(join(tmpdir(), 'owb-honest-')));

const served = await serve();
const browser = await launchChromium();
try {
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  const shot = (name: string) => page.screenshot({ path: join(outDir, `${name}.png`) });
  await openModelPage(page, served.url, model);
  await shot('01-overview');

  await page.getByRole('button', { name: /Run…/ }).click();
  await page.getByRole('region', { name: 'Input x' }).waitFor();
  await page.keyboard.press('Control+Enter');
  await page.getByRole('region', { name: 'Run result' }).waitFor({ timeout: 60_000 });
  await page.keyboard.press('Control+Enter');
  await page.waitForTimeout(3000);
  await shot('02-run-time-bar');

  await page.getByRole('tab', { name: /Raw outputs/ }).click();
  const out = page.getByRole('article', { name: 'Output map' });
  await out.getByRole('button', { name: /Heatmap/ }).click();
  await out.getByLabel('Heatmap of map').waitFor({ timeout: 60_000 });
  await out.scrollIntoViewIfNeeded();
  await shot('03-heatmap-channel-0');
  await out.getByRole('spinbutton', { name: 'Channel of map' }).fill('1');
  await out.getByRole('spinbutton', { name: 'Channel of map' }).press('Enter');
  await page.waitForTimeout(1500);
  await shot('04-heatmap-channel-1');
  await out.getByRole('button', { name: /Values/ }).click();
  await out.getByRole('textbox', { name: 'Go to index in map' }).fill('0, 1, 900, 900');
  await out.getByRole('button', { name: 'Go to' }).click();
  await page.waitForTimeout(1000);
  await shot('05-values-go-to');

  await page.getByRole('tab', { name: /Benchmark/ }).click();
  await page.getByRole('spinbutton', { name: 'Runs' }).fill('300');
  await page.getByRole('button', { name: /^Benchmark$/ }).click();
  await page.waitForTimeout(1500);
  await shot('06-status-bar-benchmarking');
  await page.getByRole('table', { name: 'Benchmark results' }).waitFor({ timeout: 120_000 });
  await shot('07-benchmark-cached');
  await page.locator('footer').screenshot({ path: join(outDir, '08-status-bar-idle.png') });
} finally {
  await browser.close();
  await served.stop();
}
console.log(`screenshots in ${outDir}`);
