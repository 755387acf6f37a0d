// The token in a real browser: after a whole session with the workbench, another local server
// (another port: cookies would be shared) receives nothing that grants access, and a page of
// that other origin can neither call the API nor open the WebSocket, nor read the token.
import { type IncomingHttpHeaders, createServer } from 'node:http';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Served, launchChromium, serve } from './serve';

let served: Served;
let browser: Browser;
const received: IncomingHttpHeaders[] = [];
const other = createServer((req, res) => {
  received.push(req.headers);
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end('<!doctype html><title>another local server</title>');
});
let otherPort = 0;

beforeAll(async () => {
  served = await serve();
  browser = await launchChromium();
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', () => r()));
  otherPort = (other.address() as { port: number }).port;
});
afterAll(async () => {
  await browser?.close();
  await served?.stop();
  other.close();
});

describe('the token in a browser', () => {
  it('never reaches another local server, and gives another origin nothing', async () => {
    const token = /#token=([0-9a-f]+)/.exec(served.url)![1];
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(served.url);
    await page.getByRole('heading', { name: 'Open an ONNX model' }).waitFor();
    await page
      .getByRole('button', { name: /open sample/i })
      .first()
      .waitFor();
    expect(page.url()).not.toContain(token);
    // A reload keeps working: the tab kept the token.
    await page.reload();
    await page
      .getByRole('button', { name: /open sample/i })
      .first()
      .waitFor();
    expect(await context.cookies()).toEqual([]);

    const evil = await context.newPage();
    await evil.goto(`http://127.0.0.1:${otherPort}/`);
    const tried = await evil.evaluate(async (port) => {
      const upload = await fetch(`http://127.0.0.1:${port}/api/upload?name=a.onnx`, {
        method: 'POST',
        body: 'x',
        credentials: 'include',
      }).then(
        (r) => r.status,
        () => 'blocked',
      );
      const ws = await new Promise<string>((resolve) => {
        const socket = new WebSocket(`ws://127.0.0.1:${port}/api/ws`, ['owb']);
        socket.onopen = () => resolve('open');
        socket.onerror = () => resolve('refused');
      });
      return { upload, ws, stored: sessionStorage.getItem('owb-token'), cookie: document.cookie };
    }, new URL(served.url).port);
    expect(tried.upload).not.toBe(200);
    expect(tried).toMatchObject({ ws: 'refused', stored: null, cookie: '' });
    expect(JSON.stringify(received)).not.toContain(token);
    await context.close();
  });
});
