import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import App from '../../renderer/src/App.svelte';
import type { BatchJobRecord, BatchProgress, BatchSummary } from '../../shared/batch';
import { batchJobSchema } from '../../shared/batch';
import type { CallOptions } from '../../shared/api';
import type { JobInfo } from '../../shared/jobs';
import type { TaskSuggestion } from '../../shared/interpretation';
import { modelRecipeSchema } from '../../shared/model-recipe';
import { taskSettingsSchema } from '../../shared/tasks';
import type { Result } from '../../shared/result';
import { browserInfo, desktopInfo, fakeApi, type Handlers } from './fake-api';
import { hardwareReport, listing, modelInfo, samples } from './fixtures';

const MODEL = samples[0].path;

const recipe = modelRecipeSchema.parse({
  inputs: {
    x: {
      resize: { mode: 'letterbox', width: 224, height: 224 },
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
    },
  },
  task: { kind: 'classification', topK: 3 },
});

const model = modelInfo(MODEL, {
  inputs: [{ name: 'x', kind: 'tensor', dtype: 'float32', shape: ['batch', 3, 224, 224] }],
  outputs: [{ name: 'probs', kind: 'tensor', dtype: 'float32', shape: ['batch', 1000] }],
});

function progress(over: Partial<BatchProgress> = {}): BatchProgress {
  return {
    jobId: 'job-1',
    state: 'running',
    done: 500,
    left: 734,
    ok: 480,
    failed: 20,
    skipped: 0,
    processed: 500,
    total: 1234,
    imagesPerSecond: 12.5,
    etaSeconds: 65,
    current: 'dogs/rex-0501.jpg',
    latest: [
      { file: 'dogs/rex-0499.jpg', status: 'ok', text: 'tabby cat 0.810' },
      { file: 'dogs/rex-0500.jpg', status: 'ok', text: 'golden retriever 0.920' },
    ],
    failures: [{ file: 'broken/empty.jpg', error: 'The file is empty (0 bytes)' }],
    ...over,
  };
}

const summary: BatchSummary = {
  jobId: 'job-1',
  state: 'finished',
  total: 1234,
  done: 1234,
  ok: 1230,
  failed: 4,
  skipped: 0,
  processed: 1234,
  elapsedMs: 98_000,
  imagesPerSecond: 12.59,
  outputFolder: '/data/photos-results',
  written: ['results.csv', 'results.jsonl'],
  failures: [
    { file: 'broken/empty.jpg', error: 'The file is empty (0 bytes)' },
    { file: 'broken/notes.jpg', error: 'Not an image: the file holds text' },
  ],
};

const pastJobs: BatchJobRecord[] = [
  {
    id: 'job-old',
    name: 'holiday',
    model: MODEL,
    inputFolder: '/data/holiday',
    outputFolder: '/data/holiday-results',
    state: 'interrupted',
    total: 5000,
    done: 1200,
    ok: 1166,
    failed: 34,
    skipped: 0,
    startedAt: '2026-11-20T09:00:00Z',
    updatedAt: '2026-11-20T09:30:00Z',
  },
  {
    id: 'job-done',
    name: 'scans',
    model: MODEL,
    inputFolder: '/data/scans',
    outputFolder: '/data/scans-results',
    state: 'finished',
    total: 80,
    done: 80,
    ok: 80,
    failed: 0,
    skipped: 0,
    startedAt: '2026-11-19T09:00:00Z',
    updatedAt: '2026-11-19T09:05:00Z',
  },
];

/** The running job of `pastJobs[0]` as the main side lists it, with the job it was started with. */
const liveInfo: JobInfo = {
  jobId: 'job-live',
  kind: 'batch',
  label: 'holiday',
  state: 'running',
  startedAt: 0,
  done: 600,
  total: 5000,
  request: batchJobSchema.parse({
    model: MODEL,
    recipe,
    input: { folder: '/data/holiday', recursive: false, include: ['**/*.jpg'] },
    output: { folder: '/data/holiday-results' },
  }),
};

/** The home folder as the file browser lists it, holding one saved job file. */
const jobFileListing =
  (name: string): Handlers['files.list'] =>
  ({ path }) => ({
    ok: true,
    value: listing(path ?? '/home/ada', [{ name, path: `/home/ada/${name}`, kind: 'file', size: 900, mtimeMs: 1 }], '/home'),
  });

/** A long call the test finishes by hand, with the options the view passed. */
function pending<T, E>() {
  let resolve!: (r: Result<T>) => void;
  const calls: { input: unknown; options: CallOptions<E> }[] = [];
  const handler = (input: unknown, options: CallOptions<E>) => {
    calls.push({ input, options });
    return new Promise<Result<T>>((r) => (resolve = r));
  };
  return { handler, calls, finish: (r: Result<T>) => resolve(r) };
}

/** A job the main side starts at once; its progress and summary come through the watch (`run`). */
function jobRun() {
  const run = pending<BatchSummary, BatchProgress>();
  const handlers: Handlers = {
    'batch.start': ({ jobId }) => ({ ok: true, value: { jobId: jobId ?? 'job-new' } }),
    'batch.resume': ({ jobId }) => ({ ok: true, value: { jobId } }),
    'batch.watch': run.handler as Handlers['batch.watch'],
    'batch.cancel': () => ({ ok: true, value: { cancelled: true } }),
  };
  return { ...run, handlers };
}

async function openBatch(handlers: Handlers = {}, info = browserInfo) {
  const api = fakeApi(
    {
      'samples.list': () => ({ ok: true, value: samples }),
      'model.inspect': () => ({ ok: true, value: model }),
      'recipe.get': () => ({ ok: true, value: { recipe, file: '/data/recipes/x.json', savedAt: '2026-11-21T10:00:00Z' } }),
      'hardware.detect': () => ({ ok: true, value: hardwareReport() }),
      'batch.count': () => ({ ok: true, value: { files: 1234, sample: ['a.jpg', 'dogs/rex-0001.jpg'] } }),
      'batch.jobs': () => ({ ok: true, value: pastJobs }),
      'batch.control': ({ action }) => ({ ok: true, value: { paused: action === 'pause' } }),
      ...handlers,
    },
    info,
  );
  render(App, { props: { api } });
  await fireEvent.click(await screen.findByRole('button', { name: /open sample PaddleOCR/i }));
  await screen.findByRole('table', { name: 'Inputs' });
  await fireEvent.click(screen.getByRole('button', { name: /^Batch/ }));
  await screen.findByRole('group', { name: 'Job setup' });
  return api;
}

const folder = (label: string) => within(screen.getByRole('group', { name: label })).getByRole('textbox');

async function setInput(path: string) {
  await fireEvent.input(folder('Input folder'), { target: { value: path } });
  await fireEvent.change(folder('Input folder'), { target: { value: path } });
}

async function startJob(api: ReturnType<typeof fakeApi>) {
  await setInput('/data/photos');
  await screen.findByText('1,234 images will be processed');
  await fireEvent.click(screen.getByRole('button', { name: /^Start batch/ }));
  await waitFor(() => expect(api.callsTo('batch.start')).toHaveLength(1));
}

/** The Batch view with a job started from the form, its engine job watched by `run`. */
async function startedJob() {
  const run = jobRun();
  const api = await openBatch(run.handlers);
  await startJob(api);
  await waitFor(() => expect(run.calls).toHaveLength(1));
  return { run, api };
}

const stat = (name: string) => within(screen.getByRole('region', { name: 'Job progress' })).getByLabelText(name);

afterEach(() => vi.restoreAllMocks());

describe('batch view', () => {
  it('shows the model recipe and how many images will be processed before starting', async () => {
    const api = await openBatch();
    const recipeBox = await screen.findByLabelText('Recipe');
    await within(recipeBox).findByText('letterbox 224×224');
    expect(recipeBox).toHaveTextContent('NCHW float32, RGB');
    expect(recipeBox).toHaveTextContent('ImageNet mean/std');
    expect(recipeBox).toHaveTextContent('Edit the recipe in the Run view');
    // The task has the Result tab's controls, with the recipe's settings.
    const taskBox = screen.getByRole('region', { name: 'Task' });
    expect(within(taskBox).getByRole('combobox', { name: 'Task' })).toHaveValue('classification');
    expect(within(taskBox).getByRole('spinbutton', { name: 'Top-k' })).toHaveValue(3);
    expect(api.callsTo('recipe.get')).toContainEqual({ path: MODEL });

    expect(within(screen.getByRole('region', { name: 'Start' })).getByRole('status')).toHaveTextContent('Choose an input folder');
    await setInput('/data/photos');
    // The output folder defaults to one beside the input.
    expect(folder('Output folder')).toHaveValue('/data/photos-results');
    expect(await screen.findByText('1,234 images will be processed')).toBeInTheDocument();
    expect(within(screen.getByRole('region', { name: 'First files' })).getByText('dogs/rex-0001.jpg')).toBeInTheDocument();
    const counted = api.callsTo('batch.count').at(-1) as { job: { model: string; input: { folder: string } } };
    expect(counted.job.model).toBe(MODEL);
    expect(counted.job.input.folder).toBe('/data/photos');

    // A filter change counts again.
    await fireEvent.input(screen.getByRole('textbox', { name: 'Include' }), { target: { value: '**/*.jpg' } });
    await waitFor(() =>
      expect((api.callsTo('batch.count').at(-1) as { job: { input: { include: string[] } } }).job.input.include).toEqual([
        '**/*.jpg',
      ]),
    );
    expect(api.callsTo('batch.start')).toHaveLength(0);
  });

  it('starts the job built from the form: folders, filters, outputs, options and the saved recipe', async () => {
    const run = jobRun();
    const api = await openBatch(run.handlers);
    await screen.findByText('letterbox 224×224');
    await setInput('/data/photos');
    await fireEvent.input(folder('Output folder'), { target: { value: '/out/photos' } });
    await fireEvent.click(screen.getByRole('checkbox', { name: 'Include subfolders' }));
    await fireEvent.input(screen.getByRole('textbox', { name: 'Include' }), { target: { value: '**/*.jpg, 2024/**' } });
    await fireEvent.input(screen.getByRole('textbox', { name: 'Exclude' }), { target: { value: '**/thumbs/**' } });
    await fireEvent.click(screen.getByRole('checkbox', { name: 'GIF' }));
    await fireEvent.click(screen.getByRole('checkbox', { name: /Drawn results/ }));
    // Outputs that do not fit a classification task cannot be chosen.
    expect(screen.getByRole('checkbox', { name: /COCO JSON/ })).toBeDisabled();
    expect(screen.getByRole('checkbox', { name: /Masks/ })).toBeDisabled();
    expect(screen.getByRole('checkbox', { name: /^Raw outputs/ })).toBeEnabled();
    await fireEvent.click(screen.getByRole('checkbox', { name: /Replace files/ }));
    await fireEvent.change(screen.getByRole('combobox', { name: 'Provider' }), { target: { value: 'cpu' } });
    await fireEvent.input(screen.getByRole('spinbutton', { name: 'Threads' }), { target: { value: '2' } });
    await fireEvent.change(screen.getByRole('combobox', { name: 'Images per run' }), { target: { value: '8' } });
    await screen.findByText('1,234 images will be processed');

    await fireEvent.keyDown(window, { key: 'Enter', ctrlKey: true });
    await waitFor(() => expect(run.calls).toHaveLength(1));
    const { job, jobId } = api.callsTo('batch.start')[0] as { job: unknown; jobId: string };
    expect(run.calls[0].input).toEqual({ jobId });
    expect(jobId).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(job).toEqual({
      model: MODEL,
      recipe,
      input: {
        folder: '/data/photos',
        recursive: false,
        include: ['**/*.jpg', '2024/**'],
        exclude: ['**/thumbs/**'],
        types: ['jpg', 'jpeg', 'png', 'webp', 'tiff', 'tif', 'avif', 'bmp'],
      },
      output: { folder: '/out/photos', write: ['csv', 'jsonl', 'images'], overwrite: true },
      options: { provider: 'cpu', intraOpThreads: 2 },
      batchSize: 8,
    });
    // What the view sends is a valid job.
    expect(batchJobSchema.safeParse(job).success).toBe(true);
    // The form is locked while the job runs.
    expect(screen.getByRole('group', { name: 'Job setup' })).toBeDisabled();
  });

  it('says what is missing instead of starting', async () => {
    const api = await openBatch();
    await fireEvent.click(screen.getByRole('button', { name: /^Start batch/ }));
    expect(screen.getByRole('alert')).toHaveTextContent('Cannot start yet: choose the input folder.');
    await setInput('photos');
    expect(await screen.findByText('The input folder must be a full path.')).toBeInTheDocument();
    expect(api.callsTo('batch.start')).toHaveLength(0);
    expect(api.callsTo('batch.count')).toHaveLength(0);
  });

  it('shows the bound the cores set on the speed and the stage that holds the job back', async () => {
    const { run } = await startedJob();
    const { onEvent } = run.calls[0].options;
    onEvent?.(progress());
    await waitFor(() => expect(stat('Speed')).toHaveTextContent('12.5'));
    expect(screen.queryByLabelText('Speed bound')).toBeNull();
    onEvent?.(progress({ imagesPerSecond: 61, cpuMsPerImage: 28.5, boundImagesPerSecond: 70.2, limitedBy: 'decode' }));
    expect(await screen.findByLabelText('Speed bound')).toHaveTextContent('of ~70 possible · decode-bound');
  });

  it('shows progress events: bar, counts, speed, time left, current file, latest results and failures', async () => {
    const { run } = await startedJob();
    const { onEvent } = run.calls[0].options;
    onEvent?.(progress());

    const bar = await screen.findByRole('progressbar', { name: 'Batch progress' });
    await waitFor(() => expect(bar).toHaveAttribute('aria-valuenow', '500'));
    expect(bar).toHaveAttribute('aria-valuemax', '1234');
    expect(stat('Done')).toHaveTextContent('500 / 1,234');
    expect(screen.getByRole('region', { name: 'Job progress' })).toHaveTextContent('40.5%');
    expect(stat('OK')).toHaveTextContent('480');
    expect(stat('Failed')).toHaveTextContent('20');
    expect(stat('Speed')).toHaveTextContent('12.5');
    expect(stat('Time left')).toHaveTextContent('1 min 05 s');
    expect(screen.getByText('dogs/rex-0501.jpg')).toBeInTheDocument();

    const latest = screen.getByRole('region', { name: 'Latest results' });
    const rows = within(within(latest).getByRole('list', { name: 'Latest files' })).getAllByRole('listitem');
    expect(rows[0]).toHaveTextContent('dogs/rex-0500.jpg');
    expect(rows[0]).toHaveTextContent('golden retriever 0.920');
    expect(rows[1]).toHaveTextContent('tabby cat 0.810');

    const failures = screen.getByRole('region', { name: 'Failed files' });
    expect(failures).toHaveTextContent('broken/empty.jpg');
    expect(failures).toHaveTextContent('The file is empty (0 bytes)');

    // A later event with another failure adds to the list; the earlier one stays.
    onEvent?.(
      progress({
        done: 900,
        ok: 870,
        failed: 30,
        etaSeconds: 20,
        failures: [{ file: 'big.tif', error: 'over the pixel limit' }],
      }),
    );
    await waitFor(() => expect(stat('Done')).toHaveTextContent('900 / 1,234'));
    expect(stat('Time left')).toHaveTextContent('20 s');
    expect(failures).toHaveTextContent('broken/empty.jpg');
    expect(failures).toHaveTextContent('over the pixel limit');
  });

  it('shows thumbnails of the drawn results, made by the engine from the files written, and opens one in the Run view', async () => {
    const run = jobRun();
    const api = await openBatch({
      ...run.handlers,
      'image.thumbnail': ({ path }) => ({
        ok: true,
        value: { dataUrl: `data:image/webp;base64,${btoa(path)}`, width: 640, height: 480 },
      }),
      'model.run': () => ({ ok: false, error: { code: 'INVALID_INPUT', message: 'not in this test' } }),
    });
    await startJob(api);
    await waitFor(() => expect(run.calls).toHaveLength(1));
    run.calls[0].options.onEvent?.(
      progress({
        latest: [
          {
            file: 'dogs/a.jpg',
            status: 'ok',
            text: '2 boxes: dog, cat',
            outputs: ['images/dogs/a.jpg.jpg', 'tensors/dogs/a.jpg/out.npy'],
          },
          {
            file: 'dogs/b.png',
            status: 'ok',
            text: 'foreground 40%',
            outputs: ['masks/dogs/b.png.png', 'cutouts/dogs/b.png.png'],
          },
          { file: 'dogs/c.jpg', status: 'ok', text: 'tabby cat 0.810' },
          { file: 'dogs/d.jpg', status: 'failed', text: 'The file is empty (0 bytes)' },
        ],
      }),
    );
    const strip = await screen.findByRole('list', { name: 'Result thumbnails' });
    // Newest first; a failure has none; the drawn file (boxes, then cut-out) before the original.
    await waitFor(() => expect(within(strip).getAllByRole('img')).toHaveLength(3));
    const sources = within(strip)
      .getAllByRole('img')
      .map((img) => atob((img as HTMLImageElement).src.split(',')[1]));
    expect(sources).toEqual([
      '/data/photos/dogs/c.jpg',
      '/data/photos-results/cutouts/dogs/b.png.png',
      '/data/photos-results/images/dogs/a.jpg.jpg',
    ]);
    // Only small previews cross: one call per file, with the size asked for.
    expect(api.callsTo('image.thumbnail')).toHaveLength(3);
    expect(api.callsTo('image.thumbnail')).toContainEqual({ path: '/data/photos-results/images/dogs/a.jpg.jpg', size: 160 });

    // A click opens that image (the original) in the Run view and runs the model on it.
    await fireEvent.click(within(strip).getByRole('button', { name: 'Open dogs/a.jpg in the Run view' }));
    await waitFor(() => expect(api.callsTo('model.run')).toHaveLength(1));
    const request = api.callsTo('model.run')[0] as { path: string; inputs: { x: { kind: string; paths: string[] } } };
    expect(request.path).toBe(MODEL);
    expect(request.inputs.x).toMatchObject({ kind: 'image', paths: ['/data/photos/dogs/a.jpg'] });
    // The Run view is on screen, with the run's error (this test's model.run refuses).
    expect(await screen.findByRole('spinbutton', { name: /Intra-op threads/ })).toBeInTheDocument();
    expect(await screen.findByText(/not in this test/)).toBeInTheDocument();
  });

  it('pauses and resumes through batch.control, and cancels the job by its id', async () => {
    const { run, api } = await startedJob();
    const { onEvent, signal } = run.calls[0].options;
    const { jobId } = run.calls[0].input as { jobId: string };

    // The job's id came with the start, so Pause works before the first event.
    await fireEvent.click(await screen.findByRole('button', { name: 'Pause' }));
    await waitFor(() => expect(api.callsTo('batch.control')).toEqual([{ jobId, action: 'pause' }]));
    await screen.findByRole('heading', { name: 'Paused' });
    await fireEvent.click(screen.getByRole('button', { name: 'Resume' }));
    await waitFor(() => expect(api.callsTo('batch.control').at(-1)).toEqual({ jobId, action: 'resume' }));
    onEvent?.(progress({ jobId }));
    await screen.findByRole('heading', { name: 'Running' });

    await fireEvent.click(screen.getByRole('button', { name: /Cancel/ }));
    await waitFor(() => expect(api.callsTo('batch.cancel')).toEqual([{ jobId }]));
    // Cancelling goes to the job; the page keeps watching until the job says it stopped.
    expect(signal?.aborted).toBe(false);
    run.finish({ ok: false, error: { code: 'CANCELLED', message: 'Cancelled.' } });
    expect(await screen.findByRole('heading', { name: 'Cancelled' })).toBeInTheDocument();
    // The counts of the last event stay; a cancel is not an error.
    expect(stat('Done')).toHaveTextContent('500 / 1,234');
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    expect(screen.getByRole('group', { name: 'Job setup' })).toBeEnabled();
  });

  it('shows the summary with the output folder to copy when the job finishes', async () => {
    const run = jobRun();
    const writeText = vi.fn(() => Promise.resolve());
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    const api = await openBatch(run.handlers);
    await startJob(api);
    await waitFor(() => expect(run.calls).toHaveLength(1));
    run.calls[0].options.onEvent?.(progress());
    const jobsBefore = api.callsTo('batch.jobs').length;
    run.finish({ ok: true, value: summary });

    expect(await screen.findByRole('heading', { name: 'Finished' })).toBeInTheDocument();
    expect(stat('Done')).toHaveTextContent('1,234 / 1,234');
    expect(screen.getByRole('region', { name: 'Job progress' })).toHaveTextContent('100%');
    expect(stat('Took')).toHaveTextContent('1 min 38 s');
    // No thread change in this summary: nothing said of it.
    expect(screen.getByRole('region', { name: 'Job progress' })).not.toHaveTextContent('threads');
    const out = screen.getByRole('group', { name: 'Results folder' });
    expect(out).toHaveTextContent('/data/photos-results');
    expect(within(out).getByRole('list', { name: 'Files written' })).toHaveTextContent('results.csv');
    await fireEvent.click(within(out).getByRole('button', { name: 'Copy output folder path' }));
    expect(writeText).toHaveBeenCalledWith('/data/photos-results');
    expect(await within(out).findByText('Copied')).toBeInTheDocument();
    // Both failures of the summary are listed, with the total failed.
    const failures = screen.getByRole('region', { name: 'Failed files' });
    expect(failures).toHaveTextContent('Not an image: the file holds text');
    expect(within(failures).getByText('4')).toBeInTheDocument();
    // The past jobs are read again.
    await waitFor(() => expect(api.callsTo('batch.jobs').length).toBeGreaterThan(jobsBefore));
    // Browser mode: the server's desktop is not the user's, so no "Open output folder".
    expect(within(out).queryByRole('button', { name: /Open output folder/ })).not.toBeInTheDocument();
  });

  it('says when the job gave its model fewer threads, and why', async () => {
    const run = jobRun();
    const api = await openBatch(run.handlers);
    await startJob(api);
    await waitFor(() => expect(run.calls).toHaveLength(1));
    const modelThreads = { from: 2, to: 1, after: 28, inferenceMs: 9.8, otherMs: 12.6 };
    run.finish({ ok: true, value: { ...summary, modelThreads } });
    expect(await screen.findByRole('heading', { name: 'Finished' })).toBeInTheDocument();
    const said = screen.getByText(/the model on 1 of 2 threads/);
    expect(said).toHaveAttribute('title', expect.stringContaining('first 28 images took 9.8 CPU ms each in the model and 12.6'));
  });

  it('opens the output folder in the file manager in the desktop app, and says why when it cannot', async () => {
    const run = jobRun();
    let opens = 0;
    const api = await openBatch(
      {
        ...run.handlers,
        'app.showFolder': () =>
          ++opens === 1
            ? { ok: true, value: { opened: true } }
            : { ok: false, error: { code: 'IO_ERROR', message: 'Could not open /data/photos-results: gone' } },
      },
      desktopInfo,
    );
    await startJob(api);
    await waitFor(() => expect(run.calls).toHaveLength(1));
    run.finish({ ok: true, value: summary });
    const out = await screen.findByRole('group', { name: 'Results folder' });
    await fireEvent.click(within(out).getByRole('button', { name: /Open output folder/ }));
    await waitFor(() => expect(api.callsTo('app.showFolder')).toEqual([{ path: '/data/photos-results' }]));
    await fireEvent.click(within(out).getByRole('button', { name: /Open output folder/ }));
    expect(await within(out).findByRole('alert')).toHaveTextContent('Could not open /data/photos-results: gone');
  });

  it('shows a job that cannot run as an error in words', async () => {
    const api = await openBatch({
      'batch.start': () => ({
        ok: false,
        error: { code: 'INVALID_INPUT', message: 'COCO JSON holds detections; this job\u2019s task is classification' },
      }),
    });
    await startJob(api);
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The batch job could not run');
    expect(alert).toHaveTextContent('COCO JSON holds detections');
    expect(alert).toHaveTextContent('INVALID_INPUT');
  });

  it('lists past jobs; Resume and Retry failed call batch.resume and show the progress', async () => {
    const run = jobRun();
    const api = await openBatch(run.handlers);
    await fireEvent.click(screen.getByRole('tab', { name: /Past jobs/ }));
    const table = await screen.findByRole('table', { name: 'Past jobs' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('holiday');
    expect(rows[0]).toHaveTextContent('interrupted');
    expect(rows[0]).toHaveTextContent('5,000 files: 1,166 ok, 34 failed');
    expect(rows[1]).toHaveTextContent('finished');
    // Only a job with failures offers to retry them.
    expect(within(rows[1]).queryByRole('button', { name: /Retry failed/ })).not.toBeInTheDocument();

    await fireEvent.click(within(rows[0]).getByRole('button', { name: 'Retry failed files of holiday' }));
    expect(api.callsTo('batch.resume')[0]).toEqual({ jobId: 'job-old', retryFailed: true });
    await waitFor(() => expect(run.calls).toHaveLength(1));
    expect(run.calls[0].input).toEqual({ jobId: 'job-old' });
    run.finish({ ok: true, value: { ...summary, jobId: 'job-old' } });
    await screen.findByRole('heading', { name: 'Finished' });

    await fireEvent.click(screen.getByRole('tab', { name: /Past jobs/ }));
    const again = within(await screen.findByRole('table', { name: 'Past jobs' })).getAllByRole('row')[1];
    await fireEvent.click(within(again).getByRole('button', { name: 'Resume holiday' }));
    await waitFor(() => expect(api.callsTo('batch.resume')[1]).toEqual({ jobId: 'job-old' }));
    await waitFor(() => expect(run.calls).toHaveLength(2));
    // The view switches to the job and shows it running; pausing uses the resumed job's id.
    run.calls[1].options.onEvent?.(progress({ jobId: 'job-old', skipped: 1200 }));
    await waitFor(() => expect(stat('Skipped')).toHaveTextContent('1,200'));
    expect(screen.getByRole('region', { name: 'Job progress' })).toHaveTextContent('/data/holiday → /data/holiday-results');
    await fireEvent.click(screen.getByRole('button', { name: 'Pause' }));
    await waitFor(() => expect(api.callsTo('batch.control')).toEqual([{ jobId: 'job-old', action: 'pause' }]));
  });

  it('re-attaches to a job still running after a reload (or started in another tab), shows its settings, and cancels it by id', async () => {
    const run = jobRun();
    const live = { ...pastJobs[0], id: 'job-live', state: 'running' as const };
    const api = await openBatch({
      ...run.handlers,
      'batch.jobs': () => ({ ok: true, value: [live, pastJobs[1]] }),
      'jobs.list': () => ({ ok: true, value: [liveInfo] }),
    });
    // The page lists the jobs and follows the running one without being asked.
    await waitFor(() => expect(run.calls).toHaveLength(1));
    expect(run.calls[0].input).toEqual({ jobId: 'job-live' });
    run.calls[0].options.onEvent?.(progress({ jobId: 'job-live', done: 700 }));
    await waitFor(() => expect(stat('Done')).toHaveTextContent('700 / 1,234'));
    expect(screen.getByRole('region', { name: 'Job progress' })).toHaveTextContent('/data/holiday → /data/holiday-results');
    // The form shows the job's settings, locked while it runs.
    expect(folder('Input folder')).toHaveValue('/data/holiday');
    expect(folder('Output folder')).toHaveValue('/data/holiday-results');
    expect(screen.getByRole('textbox', { name: 'Include' })).toHaveValue('**/*.jpg');
    expect(screen.getByRole('checkbox', { name: 'Include subfolders' })).not.toBeChecked();
    expect(screen.getByRole('group', { name: 'Job setup' })).toBeDisabled();
    expect(api.callsTo('batch.start')).toHaveLength(0);
    await fireEvent.click(screen.getByRole('button', { name: /Cancel/ }));
    await waitFor(() => expect(api.callsTo('batch.cancel')).toEqual([{ jobId: 'job-live' }]));
    run.finish({ ok: false, error: { code: 'CANCELLED', message: 'Cancelled.' } });
    expect(await screen.findByRole('heading', { name: 'Cancelled' })).toBeInTheDocument();
  });

  it('watches the job again after the connection to the main side drops', async () => {
    const run = jobRun();
    const live = { ...pastJobs[0], id: 'job-live', state: 'running' as const };
    await openBatch({
      ...run.handlers,
      'batch.jobs': () => ({ ok: true, value: [live] }),
      'jobs.list': () => ({ ok: true, value: [liveInfo] }),
    });
    await waitFor(() => expect(run.calls).toHaveLength(1));
    run.finish({ ok: false, error: { code: 'IO_ERROR', message: 'The connection to the ONNX Workbench server was lost.' } });
    // The job lives on the main side: the page lists the jobs again and follows it once more.
    await waitFor(() => expect(run.calls).toHaveLength(2), { timeout: 5_000 });
    expect(run.calls[1].input).toEqual({ jobId: 'job-live' });
    run.calls[1].options.onEvent?.(progress({ jobId: 'job-live', done: 800 }));
    await waitFor(() => expect(stat('Done')).toHaveTextContent('800 / 1,234'));
  });

  it('loads a saved job into the form, and saves the form as a job file', async () => {
    const saved = batchJobSchema.parse({
      model: '/models/yolo.onnx',
      recipe: { task: { kind: 'detection', confidence: 0.4 } },
      input: { folder: '/data/street', recursive: false, include: ['**/*.png'], types: ['png'] },
      output: { folder: '/data/street-out', write: ['csv', 'coco'] },
      options: { provider: 'cpu' },
      batchSize: 4,
    });
    const api = await openBatch({
      'files.list': jobFileListing('street.batch-job.json'),
      'batch.loadJob': () => ({ ok: true, value: saved }),
      'batch.saveJob': ({ to }) => ({ ok: true, value: { path: to } }),
    });
    await fireEvent.click(screen.getByRole('button', { name: /Load job/ }));
    const dialog = await screen.findByRole('dialog', { name: 'Load job' });
    await fireEvent.dblClick(await within(dialog).findByText('street.batch-job.json'));
    expect(await screen.findByText('Job loaded from /home/ada/street.batch-job.json')).toBeInTheDocument();
    expect(api.callsTo('batch.loadJob')).toEqual([{ path: '/home/ada/street.batch-job.json' }]);

    expect(screen.getByText('yolo.onnx')).toBeInTheDocument();
    const taskBox = screen.getByRole('region', { name: 'Task' });
    expect(within(taskBox).getByRole('combobox', { name: 'Task' })).toHaveValue('detection');
    expect(within(taskBox).getByRole('slider', { name: 'Confidence' })).toHaveValue('0.4');
    expect(screen.getByLabelText('Recipe')).toHaveTextContent('From the loaded job file');
    expect(folder('Input folder')).toHaveValue('/data/street');
    expect(folder('Output folder')).toHaveValue('/data/street-out');
    expect(screen.getByRole('checkbox', { name: 'Include subfolders' })).not.toBeChecked();
    expect(screen.getByRole('checkbox', { name: 'PNG' })).toBeChecked();
    expect(screen.getByRole('checkbox', { name: 'JPEG' })).not.toBeChecked();
    expect(screen.getByRole('checkbox', { name: /COCO JSON/ })).toBeChecked();
    expect(screen.getByRole('combobox', { name: 'Images per run' })).toHaveValue('4');

    await fireEvent.click(screen.getByRole('button', { name: /Save job/ }));
    const saveDialog = await screen.findByRole('dialog', { name: 'Save job to folder' });
    const choose = within(saveDialog).getByRole('button', { name: 'Choose this folder' });
    await waitFor(() => expect(choose).toBeEnabled());
    await fireEvent.click(choose);
    await waitFor(() => expect(api.callsTo('batch.saveJob')).toHaveLength(1));
    const request = api.callsTo('batch.saveJob')[0] as { job: unknown; to: string };
    expect(request.to).toMatch(/\/street\.batch-job\.json$/);
    expect(batchJobSchema.parse(request.job)).toEqual(saved);
  });

  it('refuses to load a pipeline job, which is the Pipeline view’s, and keeps the form as it was', async () => {
    const saved = batchJobSchema.parse({
      model: '/data/ocr.json',
      pipeline: {},
      input: { folder: '/data/scans' },
      output: { folder: '/data/scans-ocr' },
    });
    await openBatch({
      'files.list': jobFileListing('ocr.batch-job.json'),
      'batch.loadJob': () => ({ ok: true, value: saved }),
    });
    const before = (folder('Input folder') as HTMLInputElement).value;
    await fireEvent.click(screen.getByRole('button', { name: /Load job/ }));
    const dialog = await screen.findByRole('dialog', { name: 'Load job' });
    await fireEvent.dblClick(await within(dialog).findByText('ocr.batch-job.json'));
    expect(
      await screen.findByText(
        '/home/ada/ocr.batch-job.json is a pipeline job (/data/ocr.json): open it in the Pipeline view and run it over a folder there.',
        { exact: false },
      ),
    ).toBeInTheDocument();
    expect(screen.queryByText('ocr.json')).not.toBeInTheDocument();
    expect(folder('Input folder')).toHaveValue(before);
  });

  it('offers "Use open model" only while another model is chosen, and goes back to the open one', async () => {
    await openBatch({ 'dialog.openModel': () => ({ ok: true, value: { path: '/models/other.onnx' } }) }, desktopInfo);
    const box = screen.getByRole('region', { name: 'Model' });
    expect(within(box).queryByRole('button', { name: 'Use open model' })).toBeNull();
    await fireEvent.click(within(box).getByRole('button', { name: 'Choose…' }));
    expect(await within(box).findByText('other.onnx')).toBeInTheDocument();
    await fireEvent.click(within(box).getByRole('button', { name: 'Use open model' }));
    expect(await within(box).findByText(MODEL.split('/').at(-1)!)).toBeInTheDocument();
    expect(within(box).queryByRole('button', { name: 'Use open model' })).toBeNull();
  });

  it('takes a folder dropped on a folder field in the desktop app', async () => {
    const api = await openBatch({}, desktopInfo);
    api.droppedPath = (file) => ({ ok: true, value: `/home/ada/${file.name}` });
    const drop = (label: string, name: string) =>
      fireEvent.drop(screen.getByRole('group', { name: label }), {
        dataTransfer: { files: [new File([], name)], types: ['Files'] },
      });
    const inspected = api.callsTo('model.inspect').length;
    await drop('Input folder', 'holiday');
    await waitFor(() => expect(folder('Input folder')).toHaveValue('/home/ada/holiday'));
    expect(folder('Output folder')).toHaveValue('/home/ada/holiday-results');
    await drop('Output folder', 'out');
    await waitFor(() => expect(folder('Output folder')).toHaveValue('/home/ada/out'));
    // The drop is the field's: the window does not open it as a model.
    expect(api.callsTo('model.inspect')).toHaveLength(inspected);
    await screen.findByText('1,234 images will be processed');
  });

  it('says folders cannot be dropped in browser mode', async () => {
    const api = await openBatch();
    const inspected = api.callsTo('model.inspect').length;
    await fireEvent.drop(screen.getByRole('group', { name: 'Input folder' }), {
      dataTransfer: { files: [new File([], 'holiday')], types: ['Files'] },
    });
    expect(await screen.findByText(/In browser mode folders cannot be dropped/)).toBeInTheDocument();
    expect(folder('Input folder')).toHaveValue('');
    expect(api.callsTo('model.inspect')).toHaveLength(inspected);
  });
});

describe('the task in the batch form', () => {
  const suggestion: TaskSuggestion = {
    settings: taskSettingsSchema.parse({ kind: 'segmentation', mode: 'binary' }),
    reason: 'output "mask" [1, 1, 224, 224] is a one-channel mask at input size: binary segmentation or matting',
    readable: { ok: true, outputs: ['mask'] },
  };

  it('changes the task with the Result tab controls: outputs follow it, the recipe keeps it, the job uses it', async () => {
    const run = jobRun();
    const api = await openBatch({
      ...run.handlers,
      'task.suggest': () => ({ ok: true, value: suggestion }),
      'recipe.save': ({ recipe: r }) => ({
        ok: true,
        value: { recipe: modelRecipeSchema.parse(r), file: '/data/recipes/x.json', savedAt: '2026-11-21T10:01:00Z' },
      }),
    });
    const taskBox = await screen.findByRole('region', { name: 'Task' });
    // The suggestion is marked with its reason, though the recipe's task is another.
    await within(taskBox).findByText(/Suggested: Segmentation \/ matting, because output "mask"/);
    const masks = screen.getByRole('checkbox', { name: /Masks/ });
    expect(masks).toBeDisabled();
    expect(masks.closest('label')).toHaveTextContent('needs a segmentation task');

    await fireEvent.change(within(taskBox).getByRole('combobox', { name: 'Task' }), { target: { value: 'segmentation' } });
    // At once: masks and cut-outs can be written, COCO cannot (with the reason).
    await waitFor(() => expect(screen.getByRole('checkbox', { name: /Masks/ })).toBeEnabled());
    expect(screen.getByRole('checkbox', { name: /Cut-outs/ })).toBeEnabled();
    expect(screen.getByRole('checkbox', { name: /COCO JSON/ }).closest('label')).toHaveTextContent('needs a detection task');
    await fireEvent.input(within(taskBox).getByRole('slider', { name: 'Threshold' }), { target: { value: '0.7' } });
    // The model's recipe keeps the task (the Run view, Pipeline and exports read it from there).
    await waitFor(() => expect(api.callsTo('recipe.save').length).toBeGreaterThan(0));
    await waitFor(() =>
      expect((api.callsTo('recipe.save').at(-1) as { recipe: { task: unknown } }).recipe.task).toMatchObject({
        kind: 'segmentation',
        mode: 'binary',
        threshold: 0.7,
      }),
    );
    const saved = api.callsTo('recipe.save').at(-1) as { path: string; recipe: { inputs: unknown } };
    expect(saved.path).toBe(MODEL);
    expect(saved.recipe.inputs).toEqual(recipe.inputs);

    await fireEvent.click(screen.getByRole('checkbox', { name: /Masks/ }));
    await fireEvent.click(screen.getByRole('checkbox', { name: /Cut-outs/ }));
    await startJob(api);
    const { job } = api.callsTo('batch.start')[0] as { job: { recipe: { task: unknown }; output: { write: string[] } } };
    expect(job.recipe.task).toMatchObject({ kind: 'segmentation', threshold: 0.7 });
    expect(job.output.write).toEqual(['csv', 'jsonl', 'masks', 'cutouts']);
  });

  it('without a task in the recipe, takes the suggested one (not whatever the Result tab showed last)', async () => {
    const api = await openBatch({
      'recipe.get': () => ({ ok: true, value: { recipe: null, file: '/data/recipes/x.json', savedAt: null } }),
      'task.suggest': () => ({ ok: true, value: suggestion }),
      ...jobRun().handlers,
    });
    const taskBox = await screen.findByRole('region', { name: 'Task' });
    await waitFor(() => expect(within(taskBox).getByRole('combobox', { name: 'Task' })).toHaveValue('segmentation'));
    expect(within(taskBox).getByText('suggested')).toBeInTheDocument();
    await waitFor(() => expect(screen.getByRole('checkbox', { name: /Cut-outs/ })).toBeEnabled());
    await startJob(api);
    const { job } = api.callsTo('batch.start')[0] as { job: { recipe: { task: unknown } } };
    expect(job.recipe.task).toEqual(suggestion.settings);
  });
});

describe('a YOLOv8-seg detector in the batch form', () => {
  it('on layout auto offers masks and cut-outs, and COCO masks as RLE, which the job takes', async () => {
    // The -seg signature, no metadata: [1, 4 + 1 + 32, 8400] and prototypes [1, 32, 56, 56].
    const seg = modelInfo(MODEL, {
      inputs: [{ name: 'images', kind: 'tensor', dtype: 'float32', shape: [1, 3, 224, 224] }],
      outputs: [
        { name: 'output0', kind: 'tensor', dtype: 'float32', shape: [1, 37, 8400] },
        { name: 'output1', kind: 'tensor', dtype: 'float32', shape: [1, 32, 56, 56] },
      ],
    });
    const api = await openBatch({
      ...jobRun().handlers,
      'model.inspect': () => ({ ok: true, value: seg }),
      'recipe.get': () => ({
        ok: true,
        value: {
          recipe: modelRecipeSchema.parse({ inputs: recipe.inputs, task: { kind: 'detection' } }),
          file: '/data/recipes/x.json',
          savedAt: '2026-11-21T10:00:00Z',
        },
      }),
    });
    await waitFor(() => expect(screen.getByRole('checkbox', { name: /Masks/ })).toBeEnabled());
    expect(screen.getByRole('checkbox', { name: /Cut-outs/ })).toBeEnabled();
    expect(screen.queryByRole('combobox', { name: 'COCO masks' })).toBeNull();
    await fireEvent.click(screen.getByRole('checkbox', { name: /COCO JSON/ }));
    await fireEvent.click(screen.getByRole('checkbox', { name: /Masks/ }));
    const choice = await screen.findByRole('combobox', { name: 'COCO masks' });
    expect(choice).toHaveValue('polygon');
    await fireEvent.change(choice, { target: { value: 'rle' } });
    await startJob(api);
    const { job } = api.callsTo('batch.start')[0] as { job: { output: { write: string[]; cocoMasks?: string } } };
    expect(job.output).toMatchObject({ write: ['csv', 'jsonl', 'coco', 'masks'], cocoMasks: 'rle' });
  });
});

describe('an audio model in the batch form', () => {
  it('reads the folder’s .wav files as speech activity, with the speech settings; only CSV and JSON lines', async () => {
    const vad = modelInfo(MODEL, {
      inputs: [
        { name: 'input', kind: 'tensor', dtype: 'float32', shape: [null, null] },
        { name: 'state', kind: 'tensor', dtype: 'float32', shape: [2, null, 128] },
        { name: 'sr', kind: 'tensor', dtype: 'int64', shape: [] },
      ],
      outputs: [
        { name: 'output', kind: 'tensor', dtype: 'float32', shape: [null, 1] },
        { name: 'stateN', kind: 'tensor', dtype: 'float32', shape: [null, null, null] },
      ],
      task: { kind: 'audio', reason: 'float input "input" [?, ?] with an integer sample-rate input "sr"' },
    });
    const run = jobRun();
    const api = await openBatch({
      ...run.handlers,
      'model.inspect': () => ({ ok: true, value: vad }),
      'recipe.get': () => ({ ok: true, value: { recipe: null, file: '/data/recipes/x.json', savedAt: null } }),
    });
    const taskBox = await screen.findByRole('region', { name: 'Task' });
    expect(taskBox).toHaveTextContent('speech activity');
    expect(screen.queryByRole('group', { name: 'Image types' })).toBeNull();
    const images = screen.getByRole('checkbox', { name: /Drawn results/ });
    expect(images).toBeDisabled();
    expect(images.closest('label')).toHaveTextContent('audio jobs write CSV and JSON lines');
    await fireEvent.input(within(taskBox).getByRole('spinbutton', { name: 'Threshold' }), { target: { value: '0.6' } });
    await fireEvent.input(within(taskBox).getByRole('spinbutton', { name: 'Min silence' }), { target: { value: '300' } });
    await startJob(api);
    const { job } = api.callsTo('batch.start')[0] as { job: Record<string, unknown> };
    expect(job.speech).toEqual({
      settings: { threshold: 0.6, minSpeechMs: 250, minSilenceMs: 300, padMs: 30 },
      sampleRate: 16000,
    });
    expect(job.recipe).toBeUndefined();
    expect((job.output as { write: string[] }).write).toEqual(['csv', 'jsonl']);
    // The count is of the .wav files (the engine lists them for a job with speech).
    expect((api.callsTo('batch.count').at(-1) as { job: { speech?: unknown } }).job.speech).toBeDefined();
    expect(batchJobSchema.safeParse(job).success).toBe(true);
  });
});

describe('batch tiles', () => {
  it('turns tiles on for the job with a size and an overlap, and says what the recipe does', async () => {
    const api = await openBatch();
    await screen.findByText('letterbox 224×224');
    const tiles = screen.getByRole('group', { name: 'Tiles' });
    const mode = within(tiles).getByRole('combobox', { name: 'Tiles' });
    expect(mode).toHaveValue('recipe');
    expect(within(mode).getByRole('option', { name: /as the recipe \(off\)/ })).toBeInTheDocument();
    await fireEvent.change(mode, { target: { value: 'on' } });
    await fireEvent.change(within(tiles).getByRole('textbox', { name: 'Tile size' }), { target: { value: '256' } });
    await fireEvent.change(within(tiles).getByRole('textbox', { name: 'Tile overlap' }), { target: { value: '24' } });
    // A size below 16 is not taken.
    await fireEvent.change(within(tiles).getByRole('textbox', { name: 'Tile size' }), { target: { value: '4' } });
    await startJob(api);
    const { job } = api.callsTo('batch.start')[0] as { job: { tile?: unknown } };
    expect(job.tile).toEqual({ size: 256, overlap: 24 });
  });
});
