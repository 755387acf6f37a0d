// End to end: the built CLI serves the real renderer, Chromium opens it, and a real model from
// an npm devDependency is opened through the real engine process.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODELS, ROOT } from '../helpers';
import { type Served, chooseInFileBrowser, launchChromium, serve } from './serve';

let served: Served;
let browser: Browser;
let page: Page;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'owb-e2e-'));
  const real = await readFile(MODELS.ocrCls);
  await writeFile(join(dir, 'truncated.onnx'), real.subarray(0, 5000));
  await copyFile(MODELS.ocrCls, join(dir, 'cls.onnx'));
  const svg = `<svg width="520" height="80" xmlns="http://www.w3.org/2000/svg"><rect width="520" height="80" fill="#fff"/>
    <text x="16" y="58" font-family="DejaVu Sans, sans-serif" font-size="48" fill="#111">HELLO 2026</text></svg>`;
  await sharp(Buffer.from(svg)).png().toFile(join(dir, 'hello.png'));
  served = await serve();
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
});
afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

async function openThroughFileBrowser(path: string) {
  await page.keyboard.press('Control+o');
  await chooseInFileBrowser(page, path);
}

describe('browser mode, end to end', () => {
  it('serves the app behind its token and shows the start screen with the sample models', async () => {
    await page.goto(served.url);
    await page.getByRole('heading', { name: 'Open an ONNX model' }).waitFor();
    expect(page.url()).not.toContain('token=');
    // The samples arrive after the page: wait for them rather than sample the page too early.
    await page.getByRole('button', { name: /open sample PaddleOCR v4 text detection/i }).waitFor();
    expect(await page.getByRole('button', { name: /open sample/i }).count()).toBe(4);
  });

  it('opens a real PaddleOCR model and shows its inputs with symbolic dims', async () => {
    await page.getByRole('button', { name: /open sample PaddleOCR v4 text detection/i }).click();
    const inputs = page.getByRole('table', { name: 'Inputs' });
    await inputs.waitFor();
    const text = await inputs.innerText();
    expect(text).toMatch(/\bx\b/);
    expect(text).toContain('float32');
    expect(text).toContain('p2o.DynamicDimension.0');
    const outputs = await page.getByRole('table', { name: 'Outputs' }).innerText();
    expect(outputs).toContain('sigmoid_0.tmp_0');
  });

  it('shows a readable error for a damaged file, and the app keeps working', async () => {
    await openThroughFileBrowser(join(dir, 'truncated.onnx'));
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).toMatch(/damaged|truncated/i);
    await openThroughFileBrowser(join(dir, 'cls.onnx'));
    await page.getByRole('heading', { level: 1, name: 'cls.onnx' }).waitFor();
  });

  it('reports a killed engine readably, and the next action works again', async () => {
    const engines = execFileSync('pgrep', ['-P', String(served.process.pid)], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map(Number);
    expect(engines.length).toBeGreaterThan(0);
    // Freeze the engine so the UI is left waiting, then kill it.
    for (const pid of engines) process.kill(pid, 'SIGSTOP');
    await page.getByRole('button', { name: /^Start$/ }).click();
    await page.getByRole('button', { name: /open sample Silero VAD v5/i }).click();
    await page.waitForTimeout(300);
    for (const pid of engines) process.kill(pid, 'SIGKILL');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).toMatch(/engine/i);
    await page.getByRole('button', { name: /try again/i }).click();
    await page.getByRole('heading', { level: 1, name: 'silero_vad_v5.onnx' }).waitFor();
    expect(await page.getByRole('table', { name: 'Inputs' }).innerText()).toContain('sr');
  });
});

describe('running a model, end to end', () => {
  it('runs PaddleOCR recognition on an image chosen on the server and shows the text read', async () => {
    await page.getByRole('button', { name: /^Start$/ }).click();
    await page.getByRole('button', { name: /open sample PaddleOCR v4 text recognition/i }).click();
    await page.getByRole('heading', { level: 1, name: 'ch_PP-OCRv4_rec_infer.onnx' }).waitFor();
    await page.getByRole('button', { name: /Run…/ }).click();
    const card = page.getByRole('region', { name: 'Input x' });
    await card.getByRole('button', { name: /Choose image/ }).click();
    await chooseInFileBrowser(page, join(dir, 'hello.png'));
    // The guessed recipe's preview of the exact tensor appears before running.
    await card
      .getByRole('img', { name: /tensor/i })
      .first()
      .waitFor();
    await page.getByRole('button', { name: /Run Ctrl\+Enter/ }).click();
    const text = page.getByRole('list', { name: 'Recognised text' });
    await text.waitFor({ timeout: 30_000 });
    expect((await text.innerText()).replace(/\s+/g, ' ')).toContain('HELLO 2026');
    expect(await page.getByText(/Ran on CPU/).count()).toBeGreaterThan(0);
  });
});

describe('built CLI', () => {
  it('npx onnx-workbench inspect --json prints a real model I/O', () => {
    const out = execFileSync('npx', ['--no-install', 'onnx-workbench', 'inspect', MODELS.ocrRec, '--json'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    const info = JSON.parse(out);
    expect(info.inputs[0]).toMatchObject({
      name: 'x',
      dtype: 'float32',
      shape: ['p2o.DynamicDimension.0', 3, 48, 'p2o.DynamicDimension.1'],
    });
    expect(info.outputs[0].shape[2]).toBe(6625);
  });

  it('exits non-zero with one line for a file that is not ONNX', async () => {
    const file = join(dir, 'notes.onnx');
    await writeFile(file, 'hello, this is text');
    const r = spawnSync('npx', ['--no-install', 'onnx-workbench', 'inspect', file], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(4);
    expect(
      r.stderr
        .trim()
        .split('\n')
        .filter((l) => !l.startsWith('npm warn')),
    ).toHaveLength(1);
  });
});
