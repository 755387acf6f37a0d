// The Pipeline view's job over a folder, re-attached: after a lost connection the page lists the
// jobs and follows the pipeline job again; "Show folder" is offered even when the job was
// re-attached before the app said it is the desktop app.
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from '../../renderer/src/App.svelte';
import type { CallOptions } from '../../shared/api';
import { type BatchProgress, type BatchSummary, batchJobSchema } from '../../shared/batch';
import type { AppInfo } from '../../shared/contract';
import type { JobInfo } from '../../shared/jobs';
import type { Result } from '../../shared/result';
import { desktopInfo, fakeApi, type Handlers } from './fake-api';
import { samples } from './fixtures';

const PIPELINE = '/data/ocr.json';

const liveJob: JobInfo = {
  jobId: 'ocr-live',
  kind: 'batch',
  label: 'scans',
  state: 'running',
  startedAt: 0,
  done: 3,
  total: 10,
  request: batchJobSchema.parse({
    model: PIPELINE,
    pipeline: {},
    input: { folder: '/data/scans' },
    output: { folder: '/data/scans-ocr' },
  }),
};

const summary: BatchSummary = {
  jobId: 'ocr-live',
  state: 'finished',
  total: 10,
  done: 10,
  ok: 10,
  failed: 0,
  skipped: 0,
  processed: 10,
  elapsedMs: 5000,
  imagesPerSecond: 2,
  outputFolder: '/data/scans-ocr',
  written: ['results.csv', 'results.jsonl'],
  failures: [],
};

/** batch.watch calls the test settles by hand. */
function watches() {
  const calls: { input: unknown; options: CallOptions<BatchProgress>; finish: (r: Result<BatchSummary>) => void }[] = [];
  const handler: Handlers['batch.watch'] = (input, options) =>
    new Promise((resolve) => calls.push({ input, options, finish: resolve }));
  return { calls, handler };
}

function open(handlers: Handlers) {
  const api = fakeApi({
    'samples.list': () => ({ ok: true, value: samples }),
    'jobs.list': () => ({ ok: true, value: [liveJob] }),
    ...handlers,
  });
  render(App, { props: { api } });
  return api;
}

async function showPipeline() {
  await fireEvent.click(
    within(await screen.findByRole('navigation', { name: 'Views' })).getByRole('button', { name: /^Pipeline/ }),
  );
}

describe('a pipeline job over a folder, re-attached', () => {
  it('is followed again after the connection to the main side drops', async () => {
    const watch = watches();
    const api = open({ 'batch.watch': watch.handler });
    await waitFor(() => expect(watch.calls).toHaveLength(1));
    expect(watch.calls[0].input).toEqual({ jobId: 'ocr-live' });
    const listed = api.callsTo('jobs.list').length;
    watch.calls[0].finish({
      ok: false,
      error: { code: 'IO_ERROR', message: 'The connection to the ONNX Workbench server was lost.' },
    });
    // The job lives on the main side: the page lists the jobs again and follows it once more.
    await waitFor(() => expect(watch.calls).toHaveLength(2), { timeout: 5_000 });
    expect(watch.calls[1].input).toEqual({ jobId: 'ocr-live' });
    expect(api.callsTo('jobs.list').length).toBeGreaterThan(listed);
    await showPipeline();
    watch.calls[1].finish({ ok: true, value: summary });
    expect(await screen.findByRole('group', { name: 'Results folder' })).toHaveTextContent('/data/scans-ocr');
  });

  it('offers "Show folder" in the desktop app even when the job was attached before app.info answered', async () => {
    const watch = watches();
    let answerInfo!: (r: Result<AppInfo>) => void;
    const api = open({
      'batch.watch': watch.handler,
      'app.info': () => new Promise((resolve) => (answerInfo = resolve)),
      'app.showFolder': () => ({ ok: true, value: { opened: true } }),
    });
    // jobs.list answered first: the job is followed already.
    await waitFor(() => expect(watch.calls).toHaveLength(1));
    answerInfo({ ok: true, value: desktopInfo });
    await showPipeline();
    watch.calls[0].finish({ ok: true, value: summary });
    const out = await screen.findByRole('group', { name: 'Results folder' });
    await fireEvent.click(await within(out).findByRole('button', { name: /Open output folder/ }));
    await waitFor(() => expect(api.callsTo('app.showFolder')).toEqual([{ path: '/data/scans-ocr' }]));
  });
});
