// `npm run bench:graph [-- --quick] [--keep] [--only REGEX] [--no-cli]`: the Graph tab in Chromium
// against `onnx-workbench serve` (the built app: run `npm run build` first). Generated models of
// 1k, 20k and 100k nodes, scoped (transformer-like names) and flat (no names), and the PaddleOCR
// samples: time from clicking the Graph tab to the first drawn overview (reading the graph in the
// engine included; with the times the graph arrived, was indexed and was laid out), time to open
// a group, frames per second while panning zoomed out, the page's JS heap; then
// `onnx-workbench graph` of the 20k- and 100k-node models. --quick: 20k and 100k only.
// Targets (2-core machine): 20k drawn < 1.5 s, a group opened < 200 ms, panning ≥ 30 fps, 100k
// without a hang, CLI graph of 20k < 10 s.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ROOT } from '../test/helpers';
import { launchChromium, openThroughBrowser, serve } from '../test/e2e/serve';
import { flatModel, scopedModel } from '../test/fixtures/graph-models';
import { type ModelSpec, writeModelFile } from '../test/fixtures/onnx-builder';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const keep = args.includes('--keep');
/** `--only REGEX`: just the models whose name matches (e.g. `--only "scoped 20k"`). */
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? new RegExp(args[onlyAt + 1], 'i') : null;

interface Row {
  model: string;
  nodes: number;
  drawnMs: number;
  /** Milliseconds from the click: the graph arrived, was indexed, was laid out. */
  phases: { data: number; indexed: number; laidOut: number };
  boxes: number;
  expandMs: number | null;
  fps: number;
  drawMs: number;
  heapMB: number | null;
}

const dir = await mkdtemp(join(tmpdir(), 'owb-bench-graph-'));
// --quick: the 20k and 100k models only (no samples, no 1k), the CLI as SVG only.
const sizes = quick ? [20_000, 100_000] : [1000, 20_000, 100_000];
const models: { name: string; path: string; nodes: number }[] = [];
for (const n of sizes) {
  for (const [kind, spec] of [
    ['scoped', scopedModel(n)],
    ['flat', flatModel(n)],
  ] as [string, ModelSpec][]) {
    const name = `${kind} ${n / 1000}k`;
    if (only && !only.test(name)) continue;
    const path = join(dir, `${kind}-${n / 1000}k.onnx`);
    await writeModelFile(path, spec);
    models.push({ name, path, nodes: spec.nodes.length });
  }
}
const samples = [
  { name: 'PaddleOCR det (sample)', button: /open sample PaddleOCR v4 text detection/i, nodes: 672 },
  { name: 'PaddleOCR rec (sample)', button: /open sample PaddleOCR v4 text recognition/i, nodes: 0 },
];

const served = await serve();
const browser = await launchChromium();
const rows: Row[] = [];
try {
  for (const m of [...(quick ? [] : samples), ...models].filter((x) => !only || only.test(x.name))) {
    const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    await page.goto(served.url);
    await page.getByRole('button', { name: /open sample PaddleOCR v4 text detection/i }).waitFor();
    if ('button' in m) await page.getByRole('button', { name: m.button }).click();
    else await openThroughBrowser(page, m.path);
    await page.getByRole('tab', { name: /^Graph/ }).waitFor();
    await page.waitForFunction(() => !document.querySelector('.loading, .opening'));
    // Opening the tab → the first drawn overview (the engine reads the graph, the worker lays it out).
    await page.evaluate(() => ((window as unknown as { t0: number }).t0 = performance.now()));
    await page.getByRole('tab', { name: /^Graph/ }).click();
    const drawnMs = await (
      await page.waitForFunction(
        () => {
          const c = document.querySelector('canvas[data-boxes]') as HTMLCanvasElement | null;
          return c && Number(c.dataset.draws) > 0 ? performance.now() - (window as unknown as { t0: number }).t0 : 0;
        },
        null,
        { timeout: 600_000, polling: 'raf' },
      )
    ).jsonValue();
    // Where the time went: the graph arrived (engine + transfer), was indexed, laid out (worker).
    // (No named functions inside evaluate: tsx would wrap them in a helper the page lacks.)
    const [data, indexed, laidOut] = await page.evaluate(() =>
      ['data', 'indexed', 'laid-out'].map(
        (name) =>
          (performance.getEntriesByName(`graph:${name}`).at(-1)?.startTime ?? NaN) - (window as unknown as { t0: number }).t0,
      ),
    );
    const phases = { data, indexed, laidOut };
    const canvas = page.locator('canvas[data-boxes]');
    const read = () =>
      canvas.evaluate((c: HTMLCanvasElement) => ({
        boxes: Number(c.dataset.boxes),
        draws: Number(c.dataset.draws),
        groups: JSON.parse(c.dataset.groups ?? '[]') as number[][],
      }));
    await page.getByRole('button', { name: 'Fit' }).click();
    await page.waitForTimeout(300);
    const before = await read();
    const box = (await canvas.boundingBox())!;

    // Panning zoomed out: frames drawn per second while the mouse drags.
    const panStart = await read();
    const t = performance.now();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    for (let k = 0; k < 120; k++) {
      await page.mouse.move(box.x + box.width / 2 + 200 * Math.sin(k / 10), box.y + box.height / 2 + 120 * Math.cos(k / 10));
    }
    await page.mouse.up();
    const panEnd = await read();
    const fps = ((panEnd.draws - panStart.draws) * 1000) / (performance.now() - t);
    const drawMs = Number(await canvas.getAttribute('data-draw-ms'));

    // Opening a group: click → the next drawn scene with more boxes.
    let expandMs: number | null = null;
    await page.getByRole('button', { name: 'Fit' }).click();
    await page.waitForTimeout(300);
    const fitted = await read();
    if (fitted.groups.length) {
      await page.evaluate(() => ((window as unknown as { t1: number }).t1 = performance.now()));
      await page.mouse.click(box.x + fitted.groups[0][1], box.y + fitted.groups[0][2]);
      expandMs = await (
        await page.waitForFunction(
          (n) => {
            const c = document.querySelector('canvas[data-boxes]') as HTMLCanvasElement | null;
            return c && Number(c.dataset.boxes) !== n ? performance.now() - (window as unknown as { t1: number }).t1 : 0;
          },
          fitted.boxes,
          { timeout: 120_000, polling: 'raf' },
        )
      ).jsonValue();
    }
    const heap = await page.evaluate(
      () => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? null,
    );
    rows.push({
      model: m.name,
      nodes: m.nodes,
      drawnMs,
      phases,
      boxes: before.boxes,
      expandMs,
      fps,
      drawMs,
      heapMB: heap === null ? null : heap / 2 ** 20,
    });
    console.error(
      `${m.name}: drawn ${drawnMs.toFixed(0)} ms (data ${phases.data.toFixed(0)}, indexed ${phases.indexed.toFixed(0)}, laid out ${phases.laidOut.toFixed(0)}), ${before.boxes} boxes, open ${expandMs?.toFixed(0) ?? '–'} ms, ${fps.toFixed(0)} fps`,
    );
    await page.context().close();
  }
} finally {
  await browser.close();
  await served.stop();
}

// The CLI on the 20k- and 100k-node models: the first view (SVG, PNG) and, for the 20k ones,
// every group open (SVG). --quick: the first view as SVG only.
const cli: { model: string; out: string; expand: string; ms: number; ok: boolean }[] = [];
const cliRuns = (
  quick
    ? [['svg', 'overview']]
    : [
        ['svg', 'overview'],
        ['png', 'overview'],
        ['svg', 'all'],
      ]
) as [string, string][];
for (const m of args.includes('--no-cli') ? [] : models.filter((x) => x.nodes >= 20_000)) {
  for (const [ext, expand] of cliRuns) {
    if (expand === 'all' && m.nodes > 50_000) continue;
    const out = join(dir, `${m.name.replace(/\s/g, '-')}-${expand}.${ext}`);
    const t = performance.now();
    const r = spawnSync(
      process.execPath,
      [join(ROOT, 'bin/onnx-workbench.js'), 'graph', m.path, '--out', out, '--expand', expand],
      { encoding: 'utf8' },
    );
    cli.push({ model: m.name, out: ext, expand, ms: performance.now() - t, ok: r.status === 0 });
    if (r.status !== 0) console.error(r.stderr);
  }
}

const pad = (s: string, n: number) => s.padEnd(n);
console.log(
  `\n${pad('model', 24)}${pad('nodes', 9)}${pad('drawn ms', 10)}${pad('boxes', 7)}${pad('open ms', 9)}${pad('pan fps', 9)}${pad('draw ms', 9)}heap MB`,
);
for (const r of rows) {
  console.log(
    `${pad(r.model, 24)}${pad(String(r.nodes || '–'), 9)}${pad(r.drawnMs.toFixed(0), 10)}${pad(String(r.boxes), 7)}${pad(r.expandMs === null ? '–' : r.expandMs.toFixed(0), 9)}${pad(r.fps.toFixed(0), 9)}${pad(r.drawMs.toFixed(1), 9)}${r.heapMB?.toFixed(0) ?? '–'}`,
  );
}
for (const c of cli)
  console.log(
    `onnx-workbench graph ${c.model} --expand ${c.expand} → .${c.out}: ${(c.ms / 1000).toFixed(2)} s${c.ok ? '' : ' (FAILED)'}`,
  );
console.log(
  `load average at the end: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')} (${cpus().length} cores)`,
);
console.log(`bench:graph ${JSON.stringify({ rows, cli, loadavg: loadavg() })}`);
if (!keep) await rm(dir, { recursive: true, force: true });
else console.error(`models kept in ${dir}`);
