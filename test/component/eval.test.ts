import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from '../../renderer/src/App.svelte';
import type { CallOptions } from '../../shared/api';
import type { BatchProgress } from '../../shared/batch';
import { type EvalProgress, type EvalReport, type EvalRequestInput, evalRequestSchema } from '../../shared/eval/report';
import type { JobInfo, JobOutcome, JobProgress } from '../../shared/jobs';
import { modelRecipeSchema } from '../../shared/model-recipe';
import type { Result } from '../../shared/result';
import { taskSettingsSchema } from '../../shared/tasks';
import { fakeApi, type Handlers } from './fake-api';
import { modelInfo, samples } from './fixtures';

const MODEL = samples[0].path;
const MODEL_B = '/models/colours-b.onnx';

const recipe = modelRecipeSchema.parse({
  inputs: { x: { resize: { mode: 'stretch', width: 8, height: 8 } } },
  task: { kind: 'classification', topK: 1, labels: { kind: 'list', labels: ['red', 'green', 'blue'] } },
});

const model = modelInfo(MODEL, {
  inputs: [{ name: 'x', kind: 'tensor', dtype: 'float32', shape: ['batch', 3, 8, 8] }],
  outputs: [{ name: 'probs', kind: 'tensor', dtype: 'float32', shape: ['batch', 3] }],
});

function progress(done: number, total: number): BatchProgress {
  return {
    jobId: 'eval-a',
    state: 'running',
    done,
    left: total - done,
    ok: done,
    failed: 1,
    skipped: 0,
    processed: done,
    total,
    imagesPerSecond: 10,
    etaSeconds: 1,
    current: null,
    latest: [],
    failures: [],
  };
}

const classification = (top1: number): EvalReport['a']['metrics'] => ({
  task: 'classification',
  classification: {
    samples: 6,
    top1,
    top5: 1,
    perClass: [
      { index: 0, name: 'red', precision: 1, recall: 0.5, support: 2 },
      { index: 1, name: 'green', precision: 0.75, recall: 1, support: 3 },
      { index: 2, name: 'blue', precision: null, recall: 0, support: 1 },
    ],
    confusion: [
      [1, 1, 0],
      [0, 3, 0],
      [0, 1, 0],
    ],
  },
});

const classReport: EvalReport = {
  task: 'classification',
  dataset: '/data/colours',
  files: 6,
  failed: 0,
  a: { model: MODEL, outputFolder: '/data/colours-eval/a', files: 6, failed: 0, missing: 0, metrics: classification(4 / 6) },
  written: ['eval.json', 'per-file.jsonl', 'confusion.svg'],
  warnings: ['the class folder "purple" is not one of the model\'s labels; its 2 files are left out'],
};

const abReport: EvalReport = {
  ...classReport,
  b: { model: MODEL_B, outputFolder: '/data/colours-eval/b', files: 6, failed: 0, missing: 0, metrics: classification(0.5) },
  disagreements: [
    { file: 'red/r1.png', a: 'red 0.900', b: 'green 0.600' },
    { file: 'blue/b1.png', a: 'green 0.510', b: 'blue 0.700' },
  ],
};

const detReport: EvalReport = {
  task: 'detection',
  dataset: '/data/boxes',
  files: 3,
  failed: 0,
  a: {
    model: MODEL,
    outputFolder: '/data/boxes-eval/job',
    files: 3,
    failed: 0,
    missing: 0,
    metrics: {
      task: 'detection',
      detection: {
        images: 3,
        map50: 0.812,
        map75: 0.604,
        map50_95: 0.537,
        mapByArea: { all: 0.537, small: null, medium: 0.5, large: 0.6 },
        mar100: 0.71,
        perClass: [
          {
            category: 0,
            name: 'square',
            groundTruth: 4,
            ap50: 0.9,
            ap75: 0.7,
            ap: 0.6,
            pr50: Array.from({ length: 101 }, (_, i) => 1 - i / 200),
          },
          { category: 1, name: 'circle', groundTruth: 0, ap50: null, ap75: null, ap: null, pr50: null },
        ],
      },
    },
  },
  written: ['eval.json', 'per-file.jsonl'],
  warnings: [],
};

/** eval.run answered by hand: the test sends progress events, then the report. */
function pendingEval() {
  let resolve!: (r: Result<EvalReport>) => void;
  const calls: { input: EvalRequestInput; options: CallOptions<EvalProgress> }[] = [];
  const handler: Handlers['eval.run'] = (input, options) => {
    calls.push({ input, options });
    return new Promise((r) => (resolve = r));
  };
  return { handler, calls, finish: (r: Result<EvalReport>) => resolve(r) };
}

async function openEvaluate(handlers: Handlers = {}) {
  const api = fakeApi({
    'samples.list': () => ({ ok: true, value: samples }),
    'model.inspect': () => ({ ok: true, value: model }),
    'recipe.get': ({ path }) => ({
      ok: true,
      value: { recipe: path === MODEL ? recipe : null, file: '/data/recipes/x.json', savedAt: null },
    }),
    'task.suggest': () => ({
      ok: true,
      value: {
        settings: taskSettingsSchema.parse({ kind: 'classification' }),
        reason: 'one output of 3 scores',
        readable: { ok: true, outputs: ['probs'] },
      },
    }),
    'image.preview': ({ path }) => ({
      ok: true,
      value: {
        previewPng: `data:image/png;base64,${btoa(path)}`,
        channels: [],
        dims: [1, 3, 8, 8],
        dtype: 'float32',
        width: 8,
        height: 8,
        transform: { scale: 1, offsetX: 0, offsetY: 0, cropX: 0, cropY: 0 } as never,
        original: { width: 8, height: 8, format: 'png', orientation: 1 },
      },
    }),
    ...handlers,
  });
  render(App, { props: { api } });
  await fireEvent.click(await screen.findByRole('button', { name: /open sample PaddleOCR/i }));
  await screen.findByRole('table', { name: 'Inputs' });
  await fireEvent.click(screen.getByRole('button', { name: /^Evaluate/ }));
  await screen.findByRole('group', { name: 'Evaluation setup' });
  return api;
}

const field = (label: string) => within(screen.getByRole('group', { name: label })).getByRole('textbox');

async function setDataset(path: string) {
  await fireEvent.input(field('Dataset folder'), { target: { value: path } });
  await fireEvent.change(field('Dataset folder'), { target: { value: path } });
}

const start = () => fireEvent.click(screen.getByRole('button', { name: /^Start evaluation/ }));

describe('evaluate view', () => {
  it('sends the request the form describes: the open model with its saved recipe, scored settings, output folder', async () => {
    const run = pendingEval();
    const api = await openEvaluate({ 'eval.run': run.handler });
    // The task defaults to the model's suggestion.
    expect(screen.getByRole('combobox', { name: 'Task' })).toHaveValue('classification');
    await start();
    expect(await screen.findByRole('alert')).toHaveTextContent('Cannot start yet: choose the dataset folder.');
    expect(api.callsTo('eval.run')).toHaveLength(0);

    await setDataset('/data/colours');
    expect(field('Output folder')).toHaveValue('/data/colours-eval');
    await fireEvent.input(field('List file (file,label)'), { target: { value: '/data/colours/labels.csv' } });
    await start();
    await waitFor(() => expect(run.calls).toHaveLength(1));
    const req = run.calls[0].input;
    expect(req.dataset).toEqual({ task: 'classification', root: '/data/colours', list: '/data/colours/labels.csv' });
    expect(req.out).toBe('/data/colours-eval');
    expect(req.against).toBeUndefined();
    expect(req.job.model).toBe(MODEL);
    expect(req.job.input.folder).toBe('/data/colours');
    expect(req.job.output.folder).toBe('/data/colours-eval/job');
    // The saved recipe's preprocessing and labels are kept; top 5 so that top-5 can be scored.
    expect(req.job.recipe?.inputs).toEqual(recipe.inputs);
    expect(req.job.recipe?.task).toMatchObject({
      kind: 'classification',
      topK: 5,
      labels: { kind: 'list', labels: ['red', 'green', 'blue'] },
    });
    expect(run.calls[0].options.signal).toBeInstanceOf(AbortSignal);
  });

  it('shows the phase and done/total while it runs, and Cancel aborts the call', async () => {
    const run = pendingEval();
    await openEvaluate({ 'eval.run': run.handler });
    await setDataset('/data/colours');
    await start();
    await waitFor(() => expect(run.calls).toHaveLength(1));
    const bar = await screen.findByRole('region', { name: 'Evaluation progress' });
    run.calls[0].options.onEvent?.({ phase: 'a', batch: progress(3, 10) });
    await within(bar).findByText('3 of 10 images · 1 failed');
    expect(bar).toHaveTextContent('Running the model');
    expect(within(bar).getByRole('progressbar')).toHaveAttribute('aria-valuenow', '3');
    run.calls[0].options.onEvent?.({ phase: 'scoring' });
    await within(bar).findByText('Scoring…');
    await fireEvent.click(within(bar).getByRole('button', { name: /Cancel/ }));
    expect(run.calls[0].options.signal?.aborted).toBe(true);
    await waitFor(() => expect(screen.queryByRole('region', { name: 'Evaluation progress' })).not.toBeInTheDocument());
  });

  it('shows a classification report: top-1/top-5, per-class table, plots, warnings, output folder', async () => {
    const run = pendingEval();
    await openEvaluate({ 'eval.run': run.handler });
    await setDataset('/data/colours');
    await start();
    await waitFor(() => expect(run.calls).toHaveLength(1));
    run.finish({ ok: true, value: classReport });
    const results = await screen.findByRole('region', { name: 'Results' });
    expect(within(results).getByText('Top-1').nextElementSibling).toHaveTextContent('66.7%');
    expect(within(results).getByText('Top-5').nextElementSibling).toHaveTextContent('100.0%');
    const table = within(results).getByRole('table', { name: 'Per-class results' });
    const rows = within(table).getAllByRole('row');
    expect(rows[1]).toHaveTextContent(/red\s*1\.000\s*0\.500\s*2/);
    expect(rows[3]).toHaveTextContent(/blue\s*n\/a\s*0\.000\s*1/);
    const confusion = within(results).getByRole('img', { name: 'Confusion matrix' });
    expect(confusion.getAttribute('src')).toMatch(/^data:image\/svg\+xml/);
    expect(decodeURIComponent(confusion.getAttribute('src') ?? '')).toContain('red → green: 1');
    expect(within(results).getByRole('img', { name: 'Recall per class' })).toBeInTheDocument();
    expect(screen.getByRole('list', { name: 'Warnings' })).toHaveTextContent('"purple" is not one of the model\'s labels');
    const out = screen.getByRole('group', { name: 'Results folder' });
    expect(out).toHaveTextContent('/data/colours-eval');
    expect(within(out).getByRole('button', { name: 'Copy output folder path' })).toBeInTheDocument();
    expect(within(out).getByRole('list', { name: 'Files written' })).toHaveTextContent('per-file.jsonl');
  });

  it('shows a detection report: mAP@0.5 and @0.5:0.95, AP per class, the PR curves', async () => {
    const run = pendingEval();
    await openEvaluate({ 'eval.run': run.handler });
    await fireEvent.change(screen.getByRole('combobox', { name: 'Task' }), { target: { value: 'detection' } });
    await setDataset('/data/boxes');
    await fireEvent.input(field('Annotations file (COCO JSON)'), { target: { value: '/data/boxes/coco.json' } });
    await start();
    await waitFor(() => expect(run.calls).toHaveLength(1));
    const req = run.calls[0].input;
    expect(req.dataset).toEqual({ task: 'detection', root: '/data/boxes', annotations: '/data/boxes/coco.json' });
    // The recipe's classification task is replaced by detection settings that keep the low-scored boxes.
    expect(req.job.recipe?.task).toMatchObject({ kind: 'detection', confidence: 0.001, maxDetections: 300 });
    run.finish({ ok: true, value: detReport });
    const results = await screen.findByRole('region', { name: 'Results' });
    expect(within(results).getByText('mAP@0.5').nextElementSibling).toHaveTextContent('0.812');
    expect(within(results).getByText('mAP@0.5:0.95').nextElementSibling).toHaveTextContent('0.537');
    const rows = within(within(results).getByRole('table', { name: 'Per-class results' })).getAllByRole('row');
    expect(rows[1]).toHaveTextContent(/square\s*0\.900\s*0\.600\s*0\.700\s*4/);
    expect(rows[2]).toHaveTextContent(/circle\s*n\/a/);
    const pr = within(results).getByRole('img', { name: 'Precision / recall' });
    expect(decodeURIComponent(pr.getAttribute('src') ?? '')).toContain('<polyline');
    expect(screen.queryByRole('region', { name: 'Disagreements' })).not.toBeInTheDocument();
  });

  it('runs A against B side by side and shows a disagreement with its image and both answers', async () => {
    const run = pendingEval();
    const api = await openEvaluate({ 'eval.run': run.handler });
    await setDataset('/data/colours');
    await fireEvent.input(field('Compare with model B (optional)'), { target: { value: MODEL_B } });
    await fireEvent.click(screen.getByRole('button', { name: 'Start evaluation of A and B' }));
    await waitFor(() => expect(run.calls).toHaveLength(1));
    const req = run.calls[0].input;
    expect(req.job.output.folder).toBe('/data/colours-eval/a');
    expect(req.against?.model).toBe(MODEL_B);
    expect(req.against?.output.folder).toBe('/data/colours-eval/b');
    // B has no saved recipe: the engine guesses its preprocessing; the task is the evaluation's.
    expect(req.against?.recipe?.task).toMatchObject({ kind: 'classification', topK: 5 });
    expect(api.callsTo('recipe.get')).toContainEqual({ path: MODEL_B });

    run.calls[0].options.onEvent?.({ phase: 'b', batch: progress(2, 6) });
    expect(await screen.findByRole('region', { name: 'Evaluation progress' })).toHaveTextContent('Model B');
    run.finish({ ok: true, value: abReport });

    const a = await screen.findByRole('region', { name: 'Model A results' });
    const b = screen.getByRole('region', { name: 'Model B results' });
    expect(within(a).getByText('Top-1').nextElementSibling).toHaveTextContent('66.7%');
    expect(within(b).getByText('Top-1').nextElementSibling).toHaveTextContent('50.0%');
    const dis = screen.getByRole('region', { name: 'Disagreements' });
    expect(dis).toHaveTextContent('2 files where A and B disagree');
    const rows = within(within(dis).getByRole('table')).getAllByRole('row');
    expect(rows[1]).toHaveTextContent(/red\/r1\.png\s*red 0\.900\s*green 0\.600/);
    await fireEvent.click(rows[2]);
    const viewer = within(dis).getByRole('region', { name: 'Disagreement viewer' });
    const img = await within(viewer).findByRole('img', { name: 'blue/b1.png' });
    expect(img.getAttribute('src')).toBe(`data:image/png;base64,${btoa('/data/colours/blue/b1.png')}`);
    expect(viewer).toHaveTextContent('A green 0.510');
    expect(viewer).toHaveTextContent('B blue 0.700');
    expect(rows[2]).toHaveAttribute('aria-selected', 'true');
    expect(api.callsTo('image.preview').at(-1)).toMatchObject({ path: '/data/colours/blue/b1.png' });
  });

  it('says in words why an evaluation failed', async () => {
    await openEvaluate({
      'eval.run': () => ({
        ok: false,
        error: { code: 'INVALID_INPUT', message: '/data/colours holds no class folders and no list file was given' },
      }),
    });
    await setDataset('/data/colours');
    await start();
    const alert = await screen.findByText(/The evaluation stopped/);
    expect(alert.closest('[role="alert"]')).toHaveTextContent('/data/colours holds no class folders and no list file was given');
    expect(screen.queryByRole('region', { name: 'Results' })).not.toBeInTheDocument();
  });

  it('re-attaches to an evaluation running after a reload: the form shows its settings, progress follows, Cancel goes by id', async () => {
    const request = evalRequestSchema.parse({
      dataset: { task: 'segmentation', root: '/data/roads', masks: '/data/roads-masks' },
      out: '/data/roads-eval',
      job: {
        model: MODEL,
        input: { folder: '/data/roads' },
        output: { folder: '/data/roads-eval/a' },
        options: { provider: 'cpu' },
      },
      against: { model: MODEL_B, input: { folder: '/data/roads' }, output: { folder: '/data/roads-eval/b' } },
    });
    const live: JobInfo = {
      jobId: 'eval-live',
      kind: 'eval',
      label: 'Evaluating on roads',
      state: 'running',
      startedAt: 0,
      done: 2,
      total: 6,
      request,
    };
    const watches: CallOptions<JobProgress>[] = [];
    let finish!: (r: Result<JobOutcome>) => void;
    const api = await openEvaluate({
      'jobs.list': () => ({ ok: true, value: [live] }),
      'jobs.watch': (_input, options) => {
        watches.push(options);
        return new Promise((resolve) => (finish = resolve));
      },
      'jobs.cancel': () => ({ ok: true, value: { cancelled: true } }),
    });
    await waitFor(() => expect(watches).toHaveLength(1));
    expect(api.callsTo('jobs.watch')).toEqual([{ jobId: 'eval-live' }]);
    // The form shows what the job was started with, locked while it runs.
    expect(field('Dataset folder')).toHaveValue('/data/roads');
    expect(field('Output folder')).toHaveValue('/data/roads-eval');
    expect(field('Masks folder')).toHaveValue('/data/roads-masks');
    expect(field('Compare with model B (optional)')).toHaveValue(MODEL_B);
    expect(screen.getByRole('combobox', { name: 'Task' })).toHaveValue('segmentation');
    expect(screen.getByRole('group', { name: 'Evaluation setup' })).toBeDisabled();
    expect(api.callsTo('eval.run')).toHaveLength(0);

    watches[0].onEvent?.({ kind: 'eval', progress: { phase: 'b', batch: progress(4, 6) } });
    const bar = await screen.findByRole('region', { name: 'Evaluation progress' });
    await within(bar).findByText('4 of 6 images · 1 failed');
    expect(bar).toHaveTextContent('Model B');
    await fireEvent.click(within(bar).getByRole('button', { name: /Cancel/ }));
    await waitFor(() => expect(api.callsTo('jobs.cancel')).toEqual([{ jobId: 'eval-live' }]));
    // The page keeps watching until the job says it stopped; a cancel is not an error.
    finish({ ok: false, error: { code: 'CANCELLED', message: 'Cancelled.' } });
    await waitFor(() => expect(screen.queryByRole('region', { name: 'Evaluation progress' })).not.toBeInTheDocument());
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    expect(screen.getByRole('group', { name: 'Evaluation setup' })).toBeEnabled();
  });
});
