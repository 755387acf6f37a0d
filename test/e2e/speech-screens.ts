// Screenshots of the Run view's speech timeline, for looking at it (not a test).
//   node bin/onnx-workbench.js serve --port 0 &          (prints the URL with its token)
//   npx tsx test/e2e/speech-screens.ts <url> /path/speech.wav [outDir]   (the Silero VAD v5 sample)
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
const [url, wav, outDir = '/tmp/speech-screens'] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
await mkdir(outDir, { recursive: true });
const page = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
await page.goto(url);
await page.getByRole('button', { name: /open sample Silero VAD v5/i }).click();
await page.getByRole('table', { name: 'Inputs' }).waitFor();
await page.getByRole('button', { name: /Run…/ }).click();
await page.getByRole('radiogroup', { name: 'Source of input' }).getByRole('radio', { name: 'Audio' }).click();
await page.getByPlaceholder('/path/to/speech.wav').fill(wav);
await page.getByRole('button', { name: 'Speech timeline of the whole .wav' }).click();
await page.getByRole('region', { name: 'Speech timeline' }).waitFor({ timeout: 120_000 });
await page.getByRole('region', { name: 'Speech timeline' }).scrollIntoViewIfNeeded();
await page.screenshot({ path: join(outDir, 'speech-timeline.png'), fullPage: true });
await page.getByLabel('Threshold').fill('0.9');
await page.getByRole('region', { name: 'Speech timeline' }).screenshot({ path: join(outDir, 'speech-threshold.png') });
await browser.close();
console.log('done');
