// Pipelines: the file format (paths relative to the file, references between steps), the crop
// geometry, OCR end to end with the real PaddleOCR models on a rendered picture, detection →
// classification of each box with tiny built models, and the CLI's `pipeline` command.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cropSize, homography, applyHomography, rotateCounterClockwise, warpQuad } from '../../electron/engine/pipeline/crop';
import { pipelineMethod, runPipeline } from '../../electron/engine/pipeline/run';
import { cpuSessions } from './batch-fixtures';
import { type SessionCache } from '../../electron/engine/run/session-cache';
import { type PipelineFile, type PipelineProgress, parsePipeline, regionsText, resolveAgainst } from '../../shared/pipeline';
import { buildModel } from '../fixtures/onnx-builder';
import { MODELS, ROOT } from '../helpers';

const KEYS = join(dirname(MODELS.ocrRec), 'ppocr_keys_v1.txt');

let dir: string;
let sessions: SessionCache;

/** Letters only, upper case: what OCR must read, whatever it makes of spaces and case. */
const letters = (s: string) => s.toUpperCase().replace(/\s+/g, '');

async function textPicture(path: string, lines: string[], rotate = 0) {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="200">
    <rect width="640" height="200" fill="#ffffff"/>
    ${lines.map((l, k) => `<text x="40" y="${80 + k * 85}" font-family="DejaVu Sans, sans-serif" font-size="56" fill="#000000">${l}</text>`).join('')}
  </svg>`;
  let img = sharp(Buffer.from(svg));
  if (rotate) img = sharp(await img.png().toBuffer()).rotate(rotate, { background: '#ffffff' });
  await img.png().toFile(path);
}

const ocrPipeline = (): PipelineFile => ({
  format: 'onnx-workbench/pipeline',
  version: 1,
  name: 'OCR',
  steps: [
    { id: 'det', model: MODELS.ocrDet, task: { kind: 'text-detection' } },
    {
      id: 'rec',
      model: MODELS.ocrRec,
      from: { kind: 'regions', step: 'det' },
      task: { kind: 'text-recognition', charset: { kind: 'file', path: KEYS } },
    },
  ],
});

const noEvents = { signal: new AbortController().signal, emit: () => {} };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'owb-pipeline-'));
  sessions = cpuSessions();
  await textPicture(join(dir, 'hello.png'), ['HELLO 2026', 'ONNX Workbench']);
});

afterAll(async () => {
  await sessions?.release();
  await rm(dir, { recursive: true, force: true });
});

describe('pipeline files', () => {
  it('resolves model, charset and labels paths against the file folder', () => {
    const p = parsePipeline(
      {
        format: 'onnx-workbench/pipeline',
        version: 1,
        steps: [
          { id: 'det', model: 'models/det.onnx', task: { kind: 'detection', labels: { kind: 'file', path: '../labels.txt' } } },
          {
            id: 'rec',
            model: '/abs/rec.onnx',
            from: { kind: 'regions', step: 'det' },
            task: { kind: 'text-recognition', charset: { kind: 'file', path: './keys.txt' } },
          },
        ],
      },
      { baseDir: '/work/ocr' },
    );
    expect(p.steps.map((s) => s.model)).toEqual(['/work/ocr/models/det.onnx', '/abs/rec.onnx']);
    expect(p.steps[0].task).toMatchObject({
      kind: 'detection',
      labels: { kind: 'file', path: '/work/labels.txt' },
      confidence: 0.25,
    });
    expect(p.steps[1].task).toMatchObject({
      charset: { kind: 'file', path: '/work/ocr/keys.txt' },
      blankIndex: 0,
      spaceChar: true,
    });
    expect(p.steps[1].from).toEqual({ kind: 'regions', step: 'det', minScore: 0 });
    expect(p.steps[0].from).toEqual({ kind: 'input' });
  });

  it('refuses wrong files with every problem named', () => {
    const base = { format: 'onnx-workbench/pipeline', version: 1 };
    const det = { id: 'det', model: '/m/det.onnx', task: { kind: 'text-detection' } };
    const bad =
      (value: unknown, options = {}) =>
      () =>
        parsePipeline(value, { source: 'ocr.json', ...options });
    expect(bad({ ...base, format: 'onnx-workbench/recipe', steps: [det] })).toThrow(/ocr\.json is not a valid pipeline: format/);
    expect(bad({ ...base, steps: [det, { ...det }] })).toThrow('steps.1.id: "det" is used twice');
    expect(bad({ ...base, steps: [{ ...det, id: 'rec', from: { kind: 'regions', step: 'det' } }, det] })).toThrow(
      'steps.0.from.step: names no earlier step "det"',
    );
    expect(
      bad({
        ...base,
        steps: [
          { ...det, task: { kind: 'classification' } },
          { ...det, id: 'b', from: { kind: 'regions', step: 'det' } },
        ],
      }),
    ).toThrow('"det" is classification, which finds no regions');
    expect(bad({ ...base, steps: [{ ...det, model: 'det.onnx' }] })).toThrow(
      'ocr.json: steps.0.model "det.onnx" is relative, but the pipeline has no folder',
    );
    expect(bad({ ...base, steps: [{ ...det, task: { kind: 'text-detection', threshold: 2 } }] })).toThrow(
      /steps\.0\.task\.threshold: Too big/,
    );
    expect(bad({ ...base, steps: [{ ...det, task: { kind: 'text-recognition' } }] })).toThrow(/steps\.0\.task\.charset/);
    expect(
      bad({ ...base, steps: [det, { ...det, id: 'cls', from: { kind: 'regions', step: 'det' }, orientation: {} }] }),
    ).toThrow('steps.1.orientation: an orientation step is a classification of the regions of an earlier step');
  });

  it('reads the example OCR pipeline in resources/pipelines', async () => {
    const file = join(ROOT, 'resources/pipelines/paddleocr.json');
    const withCls = join(ROOT, 'resources/pipelines/paddleocr-orientation.json');
    const q = parsePipeline(JSON.parse(await readFile(withCls, 'utf8')), { baseDir: dirname(withCls) });
    expect(q.steps.map((s) => [s.id, s.task.kind, s.orientation ?? null])).toEqual([
      ['det', 'text-detection', null],
      ['cls', 'classification', { turnedClass: 1, threshold: 0.9 }],
      ['rec', 'text-recognition', null],
    ]);
    const p = parsePipeline(JSON.parse(await readFile(file, 'utf8')), { baseDir: dirname(file) });
    expect(p.steps.map((s) => [s.id, s.task.kind, s.model])).toEqual([
      ['det', 'text-detection', join(ROOT, 'resources/samples/ch_PP-OCRv4_det_infer.onnx')],
      ['rec', 'text-recognition', join(ROOT, 'resources/samples/ch_PP-OCRv4_rec_infer.onnx')],
    ]);
    expect(p.steps[1].task).toMatchObject({ charset: { path: join(ROOT, 'resources/samples/ppocr_keys_v1.txt') } });
  });

  it('joins paths like the platform would', () => {
    expect(resolveAgainst('/a/b', '../c/./d.onnx')).toBe('/a/c/d.onnx');
    expect(resolveAgainst('/a/b', '/x.onnx')).toBe('/x.onnx');
    expect(resolveAgainst('C:\\models\\ocr', '..\\det.onnx')).toBe('C:\\models\\det.onnx');
    expect(resolveAgainst('/', '../x')).toBe('/x');
  });

  it('joins region text into lines', () => {
    const at = (y: number, text?: string) => ({
      text,
      points: [
        [0, y],
        [10, y],
        [10, y + 20],
        [0, y + 20],
      ] as [number, number][],
    });
    expect(regionsText([at(0, 'HELLO'), at(4, '2026'), at(40, 'ONNX'), at(80), at(120, 'end')])).toBe('HELLO 2026\nONNX\nend');
  });
});

describe('crops', () => {
  it('maps corners exactly and warps an axis-aligned quad to the same pixels', () => {
    const quad: [number, number][] = [
      [1, 1],
      [4, 1],
      [4, 3],
      [1, 3],
    ];
    expect(cropSize(quad)).toEqual({ width: 3, height: 2 });
    const h = homography(
      [
        [0, 0],
        [3, 0],
        [3, 2],
        [0, 2],
      ],
      quad,
    );
    expect(applyHomography(h, 3, 2).map((v) => Number(v.toFixed(9)))).toEqual([4, 3]);
    // A 5×4 image whose red channel is 10·x + y.
    const src = { width: 5, height: 4, data: new Uint8Array(5 * 4 * 4) };
    for (let y = 0; y < 4; y++) for (let x = 0; x < 5; x++) src.data.set([10 * x + y, 0, 0, 255], (y * 5 + x) * 4);
    const crop = warpQuad(src, quad);
    expect([crop.width, crop.height]).toEqual([3, 2]);
    expect(Array.from({ length: 6 }, (_, k) => crop.data[k * 4])).toEqual([11, 21, 31, 12, 22, 32]);
    const turned = rotateCounterClockwise(crop);
    expect([turned.width, turned.height]).toEqual([2, 3]);
    // numpy's rot90: the right column becomes the top row.
    expect(Array.from({ length: 6 }, (_, k) => turned.data[k * 4])).toEqual([31, 32, 21, 22, 11, 12]);
  });
});

describe('OCR pipeline with the PaddleOCR models', () => {
  it('reads both lines of a rendered picture', async () => {
    const events: PipelineProgress[] = [];
    const r = await runPipeline(
      parsePipeline(ocrPipeline()),
      { input: join(dir, 'hello.png'), options: { provider: 'cpu' } },
      sessions,
      { signal: new AbortController().signal, emit: (e) => events.push(e) },
    );
    expect(letters(r.text)).toBe('HELLO2026ONNXWORKBENCH');
    expect(r.text.split('\n')).toHaveLength(2);
    expect(r.image).toEqual({ width: 640, height: 200, format: 'png' });
    expect(r.preview).toMatch(/^data:image\/jpeg;base64,\/9j\//);
    const [det, rec] = r.steps;
    expect(det).toMatchObject({ id: 'det', task: 'text-detection', from: 'input', runs: 1, provider: { used: 'cpu' } });
    expect(rec).toMatchObject({ id: 'rec', task: 'text-recognition', from: 'det', runs: r.regions.length });
    expect(rec.notes.join(' ')).toMatch(/PaddleOCR-style text recognition/);
    expect(det.timings.runMs).toBeGreaterThan(0);
    // Every region was read, lies on the picture, and its text is on the detection result too.
    for (const region of r.regions) {
      expect(region.text).toBeTruthy();
      expect(region.textScore).toBeGreaterThan(0.8);
      for (const [x, y] of region.points) {
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(640);
        expect(y).toBeGreaterThanOrEqual(0);
        expect(y).toBeLessThanOrEqual(200);
      }
    }
    const first = r.regions[0];
    expect(first.points[0][1]).toBeLessThan(100);
    const detResult = det.results[0];
    expect(detResult.kind === 'text-detection' && detResult.regions.map((g) => g.text)).toEqual(r.regions.map((g) => g.text));
    expect(events.some((e) => e.step === 'rec' && e.total === r.regions.length)).toBe(true);
  });

  it('keeps the spaces of English text: the space PaddleOCR appends to the charset', async () => {
    const r = await runPipeline(
      parsePipeline(ocrPipeline()),
      { input: join(dir, 'hello.png'), options: { provider: 'cpu' } },
      sessions,
      noEvents,
    );
    expect(r.regions.map((g) => g.text)).toEqual(['HELLO 2026', 'ONNX Workbench']);
    expect(r.text).toBe('HELLO 2026\nONNX Workbench');
  });

  it('turns upside-down regions with the orientation step (0/180 at 0.9), and drops unsure text without it', async () => {
    const path = join(dir, 'upside-down.png');
    await textPicture(path, ['HELLO 2026', 'ONNX Workbench'], 180);
    const withCls = ocrPipeline();
    withCls.steps.splice(1, 0, {
      id: 'cls',
      model: MODELS.ocrCls,
      from: { kind: 'regions', step: 'det' },
      task: { kind: 'classification', labels: { kind: 'list', labels: ['0', '180'] } },
      orientation: {},
    });
    const r = await runPipeline(parsePipeline(withCls), { input: path, options: { provider: 'cpu' } }, sessions, noEvents);
    expect(r.steps.map((s) => [s.id, s.runs, s.orientation ?? false])).toEqual([
      ['det', 1, false],
      ['cls', 2, true],
      ['rec', 2, false],
    ]);
    // The page is upside down, so its last line is on top.
    expect(r.text).toBe('ONNX Workbench\nHELLO 2026');
    for (const g of r.regions) {
      expect(g.turned).toBe(true);
      expect(g.turnedScore).toBeGreaterThanOrEqual(0.9);
    }
    // An upright picture is left as it is.
    const upright = await runPipeline(
      parsePipeline(withCls),
      { input: join(dir, 'hello.png'), options: { provider: 'cpu' } },
      sessions,
      noEvents,
    );
    expect(upright.regions.map((g) => g.turned ?? false)).toEqual([false, false]);
    expect(upright.text).toBe('HELLO 2026\nONNX Workbench');
    // Without the step the crops are read upside down: empty text, and text below the drop score
    // (0.5), is dropped from the regions, the text and the detection result alike; with 0 only
    // the empty text is.
    const plain = await runPipeline(
      parsePipeline(ocrPipeline()),
      { input: path, options: { provider: 'cpu' } },
      sessions,
      noEvents,
    );
    const kept = ocrPipeline();
    kept.steps[1].from = { kind: 'regions', step: 'det', dropTextBelow: 0 };
    const all = await runPipeline(parsePipeline(kept), { input: path, options: { provider: 'cpu' } }, sessions, noEvents);
    for (const g of all.regions) expect(g.text).not.toBe('');
    expect(plain.regions.length).toBeLessThan(2);
    expect(plain.regions.length).toBeLessThanOrEqual(all.regions.length);
    for (const g of plain.regions) expect(g.textScore).toBeGreaterThanOrEqual(0.5);
    expect(all.regions.some((g) => (g.textScore ?? 0) < 0.5) || all.regions.length < 2).toBe(true);
    const detResult = plain.steps[0].results[0];
    expect(detResult.kind === 'text-detection' && detResult.regions.map((g) => g.text)).toEqual(plain.regions.map((g) => g.text));
  });

  it('reads rotated text through the perspective crop', async () => {
    const path = join(dir, 'rotated.png');
    await textPicture(path, ['ONNX Workbench'], 8);
    const r = await runPipeline(parsePipeline(ocrPipeline()), { input: path, options: { provider: 'cpu' } }, sessions, noEvents);
    expect(letters(r.text)).toBe('ONNXWORKBENCH');
    const [tl, tr] = r.regions[0].points;
    // The region follows the slant: its top edge rises by about tan(8°).
    expect((tr[1] - tl[1]) / (tr[0] - tl[0])).toBeCloseTo(Math.tan((8 * Math.PI) / 180), 1);
  });

  it('stops between steps when cancelled, and names a missing model', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      runPipeline(parsePipeline(ocrPipeline()), { input: join(dir, 'hello.png'), options: { provider: 'cpu' } }, sessions, {
        signal: controller.signal,
        emit: () => {},
      }),
    ).rejects.toMatchObject({ code: 'CANCELLED' });
    const missing = ocrPipeline();
    missing.steps[0].model = join(dir, 'nope.onnx');
    await expect(
      pipelineMethod({ pipeline: missing, input: join(dir, 'hello.png'), options: { provider: 'cpu' } }, sessions, noEvents),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('detection → classification of each box', () => {
  it('classifies the crop of every box of a detection step', async () => {
    // A detector that always finds the same two boxes (in its 64×64 input), and a "classifier"
    // whose scores are the crop's mean red, green and blue.
    const detector = join(dir, 'boxes.onnx');
    await writeFile(
      detector,
      buildModel({
        inputs: [{ name: 'images', dtype: 'float32', shape: [1, 3, 64, 64] }],
        outputs: [{ name: 'dets', dtype: 'float32', shape: [1, 8, 6] }],
        initializers: [
          { name: 'zero', dtype: 'float32', dims: [], data: [0] },
          // Eight rows (end-to-end outputs have more rows than columns); six of them score 0.
          {
            name: 'boxes',
            dtype: 'float32',
            dims: [1, 8, 6],
            data: [5, 20, 19, 44, 0.9, 0, 41, 20, 55, 44, 0.8, 0, ...new Array(36).fill(0)],
          },
        ],
        nodes: [
          { op: 'ReduceMean', inputs: ['images'], outputs: ['m'], attrs: { keepdims: { i: 0 } } },
          { op: 'Mul', inputs: ['m', 'zero'], outputs: ['z'] },
          { op: 'Add', inputs: ['z', 'boxes'], outputs: ['dets'] },
        ],
      }),
    );
    const colours = join(dir, 'colours.onnx');
    await writeFile(
      colours,
      buildModel({
        inputs: [{ name: 'x', dtype: 'float32', shape: [1, 3, 16, 16] }],
        outputs: [{ name: 'rgb', dtype: 'float32', shape: [1, 3] }],
        nodes: [{ op: 'ReduceMean', inputs: ['x'], outputs: ['rgb'], attrs: { axes: { ints: [2, 3] }, keepdims: { i: 0 } } }],
      }),
    );
    // 128×64, white, a red square on the left and a blue one on the right.
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="128" height="64"><rect width="128" height="64" fill="#fff"/>
      <rect x="8" y="16" width="32" height="32" fill="#f00"/><rect x="80" y="16" width="32" height="32" fill="#00f"/></svg>`;
    const image = join(dir, 'squares.png');
    await sharp(Buffer.from(svg)).png().toFile(image);
    const stretch = (size: number) => ({ resize: { mode: 'stretch', width: size, height: size } });
    const r = await pipelineMethod(
      {
        pipeline: {
          format: 'onnx-workbench/pipeline',
          version: 1,
          steps: [
            {
              id: 'boxes',
              model: detector,
              recipe: stretch(64),
              task: {
                kind: 'detection',
                layout: 'end-to-end',
                boxFormat: 'xyxy',
                normalized: 'no',
                labels: { kind: 'list', labels: ['square'] },
              },
            },
            {
              id: 'colour',
              model: colours,
              recipe: stretch(16),
              from: { kind: 'regions', step: 'boxes' },
              task: { kind: 'classification', topK: 1, labels: { kind: 'list', labels: ['red', 'green', 'blue'] } },
            },
          ],
        },
        input: image,
        options: { provider: 'cpu' },
      },
      sessions,
      noEvents,
    );
    expect(r.regions.map((g) => [g.label, g.score.toFixed(2), g.points[0], g.points[2]])).toEqual([
      ['square', '0.90', [10, 20], [38, 44]],
      ['square', '0.80', [82, 20], [110, 44]],
    ]);
    const labels = r.regions.map((g) => {
      const c = g.children[0];
      return c.step === 'colour' && c.result.kind === 'classification' ? c.result.top[0].label : null;
    });
    expect(labels).toEqual(['red', 'blue']);
    expect(r.text).toBe('');
  });
});

describe('onnx-workbench pipeline', () => {
  function cli(...args: string[]) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'electron/cli/index.ts'), 'pipeline', ...args], {
      encoding: 'utf8',
      cwd: ROOT,
      env: { ...process.env, OWB_ENGINE_SOURCE: '1', OWB_DATA_DIR: join(dir, 'data') },
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  // Each CLI call starts an engine from source: allow for a busy machine.
  it('reads the text, saves result.json and the drawn image, and never overwrites them', { timeout: 60_000 }, async () => {
    // The pipeline file sits in its own folder and names the models relative to it.
    const folder = join(dir, 'ocr');
    const rel = (p: string) => relative(folder, p);
    const file = ocrPipeline();
    file.steps[0].model = rel(MODELS.ocrDet);
    file.steps[1].model = rel(MODELS.ocrRec);
    file.steps[1].task = { kind: 'text-recognition', charset: { kind: 'file', path: rel(KEYS) } };
    await rm(folder, { recursive: true, force: true });
    await mkdir(folder);
    await writeFile(join(folder, 'ocr.json'), JSON.stringify(file));
    const out = join(dir, 'out');
    const r = cli(join(folder, 'ocr.json'), '--input', join(dir, 'hello.png'), '--out', out, '--json', '--provider', 'cpu');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(letters(result.text)).toBe('HELLO2026ONNXWORKBENCH');
    expect(result.file).toBe(join(folder, 'ocr.json'));
    expect((await readdir(out)).sort()).toEqual(['result.json', 'result.png']);
    const saved = JSON.parse(await readFile(join(out, 'result.json'), 'utf8'));
    expect(saved).toMatchObject({
      format: 'onnx-workbench/pipeline-result',
      version: 1,
      text: result.text,
      annotatedImage: 'result.png',
    });
    expect(saved.regions.map((g: { text: string }) => g.text)).toEqual(result.regions.map((g: { text: string }) => g.text));
    expect(saved.steps[0].results[0]).toMatchObject({ format: 'onnx-workbench/result', task: 'text-detection' });
    const png = await sharp(join(out, 'result.png')).metadata();
    expect([png.width, png.height]).toEqual([640, 200]);

    const before = await stat(join(out, 'result.json'));
    const again = cli(join(folder, 'ocr.json'), '--input', join(dir, 'hello.png'), '--out', out);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/result\.json already exists: choose another --out folder \(nothing was written\)/);
    expect((await stat(join(out, 'result.json'))).mtimeMs).toBe(before.mtimeMs);
  });

  it('prints regions and text, and exits 2 on wrong usage and 3 for a missing file', { timeout: 60_000 }, async () => {
    const file = join(dir, 'absolute.json');
    await writeFile(file, JSON.stringify(ocrPipeline()));
    {
      const r = cli(file, '--input', join(dir, 'hello.png'), '--provider', 'cpu');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Steps \(2\)/);
      expect(r.stdout).toMatch(/det\s+text-detection\s+ch_PP-OCRv4_det_infer\.onnx\s+whole image\s+1 run\s+CPU/);
      expect(r.stdout).toMatch(/Regions \(\d+\)/);
      expect(letters(r.stdout.split('\nText\n')[1].split('\nTotal')[0])).toBe('HELLO2026ONNXWORKBENCH');

      const usage = cli(file);
      expect(usage.code).toBe(2);
      expect(usage.stderr).toMatch(/pipeline needs an image: --input IMAGE/);
      const missing = cli(join(dir, 'nope.json'), '--input', join(dir, 'hello.png'));
      expect(missing.code).toBe(3);
      expect(missing.stderr).toMatch(/Pipeline file not found: .*nope\.json/);
    }
  });
});
