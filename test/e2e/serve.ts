// Starts the built `onnx-workbench serve` (the real CLI, engine and renderer) and Chromium.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type Locator, type Page, chromium } from 'playwright-core';
import { ROOT } from '../helpers';

export interface Served {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** `dataDir`: the app's data folder (default: a new temporary one), e.g. to save a recipe before. */
export async function serve(options: { dataDir?: string } = {}): Promise<Served> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/onnx-workbench.js'), 'serve', '--port', '0'], {
    cwd: ROOT,
    env: { ...process.env, OWB_DATA_DIR: options.dataDir ?? mkdtempSync(join(tmpdir(), 'owb-e2e-data-')) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve printed no URL:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /(http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}:\n${output}`)));
  });
  return {
    url,
    process: child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A scratch folder for a test file, and where its screenshots go (OWB_SHOTS if set, else inside it). */
export async function scratchFolder(prefix: string): Promise<{ dir: string; shots: string }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const shots = process.env.OWB_SHOTS ?? join(dir, 'shots');
  await mkdir(shots, { recursive: true });
  return { dir, shots };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** In the open file-browser dialog: File system, then down through `folders` (the dialog stays open). */
async function walkFileBrowser(page: Page, folders: string[], pause = 0): Promise<Locator> {
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  await dialog.getByRole('button', { name: 'File system' }).click();
  for (const part of folders) {
    await dialog.getByRole('listbox').getByText(part, { exact: true }).dblclick();
    if (pause) await page.waitForTimeout(pause);
  }
  return dialog;
}

const partsOf = (path: string) => path.split('/').filter(Boolean);

/** Picks a file in the open file-browser dialog by walking down from the file system root. */
export async function chooseInFileBrowser(page: Page, path: string): Promise<void> {
  const dialog = await walkFileBrowser(page, partsOf(path).slice(0, -1));
  await dialog.getByRole('listbox').getByText(partsOf(path).at(-1)!, { exact: true }).dblclick();
  await dialog.waitFor({ state: 'detached' });
}

/** Picks a folder in the open file-browser dialog (folder mode). */
export async function chooseFolderInFileBrowser(page: Page, folder: string): Promise<void> {
  const dialog = await walkFileBrowser(page, partsOf(folder));
  await dialog.getByRole('button', { name: 'Choose this folder' }).click();
  await dialog.waitFor({ state: 'detached' });
}

/** Loads the app (once its sample models are listed) and opens `model` through the file browser, up to its Overview. */
export async function openModelPage(page: Page, url: string, model: string): Promise<void> {
  await page.goto(url);
  await page
    .getByRole('button', { name: /open sample/i })
    .first()
    .waitFor();
  await openThroughBrowser(page, model);
  await page.getByRole('table', { name: 'Inputs' }).waitFor();
}

/** Opens a model through the app's own file browser (Ctrl+O → File system → the path's folders). */
export async function openThroughBrowser(page: Page, file: string, shot?: (name: string) => Promise<unknown>): Promise<void> {
  await page.keyboard.press('Control+o');
  const dialog = await walkFileBrowser(page, partsOf(file).slice(0, -1), 150);
  await dialog.getByRole('listbox').getByText(partsOf(file).at(-1)!, { exact: true }).click();
  await shot?.('08-file-browser');
  await dialog.getByRole('button', { name: 'Open', exact: true }).click();
  await dialog.waitFor({ state: 'detached' });
}
