// Screenshots of the Run view's Profile panel, for looking at it (not a test).
//   node bin/onnx-workbench.js serve --port 0 &          (prints the URL with its token)
//   npx tsx test/e2e/profile-screens.ts <url> /path/model.onnx [outDir]
// Opens the model, generates its input, profiles at "all" (sorted, filtered) and at "disabled".
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
const [url, file, outDir = '/tmp/profile-screens'] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
await mkdir(outDir, { recursive: true });
const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
await page.goto(url);
await page
  .getByRole('button', { name: /open sample/i })
  .first()
  .waitFor();
await page.keyboard.press('Control+o');
const dialog = page.getByRole('dialog');
await dialog.getByRole('button', { name: 'File system' }).click();
for (const part of file.split('/').filter(Boolean).slice(0, -1)) {
  await dialog.getByRole('listbox').getByText(part, { exact: true }).dblclick();
  await page.waitForTimeout(200);
}
await dialog.getByRole('listbox').getByText(file.split('/').at(-1)!, { exact: true }).click();
await dialog.getByRole('button', { name: 'Open', exact: true }).click();
await dialog.waitFor({ state: 'detached' });
await page.getByRole('table', { name: 'Inputs' }).waitFor();
await page.getByRole('button', { name: /Run…/ }).click();
await page
  .getByRole('region', { name: /^Input / })
  .first()
  .waitFor();
const gen = page.getByRole('radio', { name: /Generate/i }).first();
if (await gen.count()) await gen.click();
await page.getByRole('tab', { name: /Profile/ }).click();
await page.getByRole('button', { name: /^Profile$/ }).click();
await page.getByRole('table', { name: 'Profiled nodes' }).waitFor({ timeout: 240_000 });
await page.screenshot({ path: join(outDir, 'profile-panel.png') });
await page.screenshot({ path: join(outDir, 'profile-panel-full.png'), fullPage: true });
await page.getByRole('button', { name: 'Op', exact: true }).click();
await page.getByRole('textbox', { name: 'Filter nodes' }).fill('Conv');
await page.screenshot({ path: join(outDir, 'profile-panel-filtered.png') });
await page
  .getByRole('combobox', { name: /Graph optimisation/ })
  .or(page.locator('select').nth(1))
  .first()
  .selectOption('disabled');
await page.getByRole('textbox', { name: 'Filter nodes' }).fill('');
await page.getByRole('button', { name: /^Profile$/ }).click();
await page.getByText(/optimisation disabled · /).waitFor({ timeout: 240_000 });
await page.screenshot({ path: join(outDir, 'profile-panel-disabled.png') });
await browser.close();
console.log('done');
