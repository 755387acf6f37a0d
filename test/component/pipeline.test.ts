import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from '../../renderer/src/App.svelte';
import { examplePipelinePath, regionLabel, regionsDrawing, stageText } from '../../renderer/src/lib/pipeline.svelte';
import type { CallOptions } from '../../shared/api';
import type { PipelineProgress, PipelineRegion, PipelineResult } from '../../shared/pipeline';
import type { Result } from '../../shared/result';
import { fakeApi, type Handlers } from './fake-api';
import { listing, samples } from './fixtures';

const EXAMPLE = '/opt/owb/pipelines/paddleocr.json';
const PHOTO = '/home/ada/photos/receipt.jpg';
const PREVIEW = 'data:image/jpeg;base64,/9j/4AAQ';

const region = (index: number, y: number, text: string, score: number, textScore: number): PipelineRegion => ({
  step: 'det',
  index,
  points: [
    [40, y],
    [400, y],
    [400, y + 40],
    [40, y + 40],
  ],
  score,
  text,
  textScore,
  children: [{ step: 'rec', result: { kind: 'text-recognition', output: 'softmax', lines: [{ text, score: textScore }] } }],
});

const timings = (totalMs: number) => ({ createMs: 0, prepareMs: 3, runMs: totalMs - 5, postprocessMs: 2, totalMs });

const answer: PipelineResult = {
  name: 'PaddleOCR v4',
  file: EXAMPLE,
  input: PHOTO,
  image: { width: 640, height: 480, format: 'jpeg' },
  preview: PREVIEW,
  steps: [
    {
      id: 'det',
      model: '/opt/owb/samples/ch_PP-OCRv4_det_infer.onnx',
      task: 'text-detection',
      from: 'input',
      provider: { requested: 'auto', used: 'cpu' },
      runs: 1,
      timings: timings(41),
      notes: [],
      results: [],
    },
    {
      id: 'rec',
      model: '/opt/owb/samples/ch_PP-OCRv4_rec_infer.onnx',
      task: 'text-recognition',
      from: 'det',
      provider: { requested: 'auto', used: 'cpu' },
      runs: 3,
      timings: timings(77),
      notes: [],
      results: [],
    },
  ],
  regions: [
    region(0, 40, 'CORNER CAFE', 0.91, 0.98),
    region(1, 120, 'Espresso 2.50', 0.88, 0.95),
    region(2, 200, 'TOTAL 7.10', 0.8, 0.64),
  ],
  text: 'CORNER CAFE\nEspresso 2.50\nTOTAL 7.10',
  totalMs: 130,
};

/** A long call the test finishes by hand, with the options the view passed. */
function pending() {
  let resolve!: (r: Result<PipelineResult>) => void;
  const calls: { input: unknown; options: CallOptions<PipelineProgress> }[] = [];
  const handler: Handlers['pipeline.run'] = (input, options) => {
    calls.push({ input, options });
    return new Promise((r) => (resolve = r));
  };
  return { handler, calls, finish: (r: Result<PipelineResult>) => resolve(r) };
}

async function openPipeline(handlers: Handlers = {}) {
  const api = fakeApi({
    'samples.list': () => ({ ok: true, value: samples }),
    'hardware.detect': () => ({
      ok: true,
      value: {
        platform: 'linux',
        arch: 'x64',
        cpu: { model: 'x', cores: 2 },
        memoryBytes: 1,
        gpus: [],
        providers: [{ id: 'cpu', label: 'CPU', status: 'ready', bundled: true, probeMs: 1 }],
      },
    }),
    'pipeline.run': () => ({ ok: true, value: answer }),
    ...handlers,
  });
  render(App, { props: { api } });
  await screen.findByRole('button', { name: /open sample PaddleOCR/i });
  await fireEvent.click(within(screen.getByRole('navigation', { name: 'Views' })).getByRole('button', { name: /^Pipeline/ }));
  await screen.findByRole('form', { name: 'Pipeline run' });
  return api;
}

const field = (label: string) => screen.getByLabelText(label, { selector: 'input' });
const runButton = () => within(screen.getByRole('form', { name: 'Pipeline run' })).getByRole('button', { name: /^Run/ });
const regionRow = (n: number) => within(screen.getByRole('list', { name: 'Regions' })).getAllByRole('listitem')[n];

async function runOn(path: string) {
  await fireEvent.input(field('Image'), { target: { value: path } });
  await fireEvent.click(runButton());
}

describe('pipeline helpers', () => {
  it('finds the example pipeline beside the samples folder, on POSIX and Windows paths', () => {
    expect(examplePipelinePath(samples)).toBe(EXAMPLE);
    const win = [{ ...samples[0], path: 'C:\\Program Files\\OWB\\resources\\samples\\det.onnx' }];
    expect(examplePipelinePath(win)).toBe('C:\\Program Files\\OWB\\resources\\pipelines\\paddleocr.json');
    expect(examplePipelinePath([])).toBeNull();
    expect(examplePipelinePath(null)).toBeNull();
  });

  it('labels regions by text, else by class or "region" with the score, and draws each as a polygon', () => {
    const box: PipelineRegion = {
      step: 'det',
      index: 0,
      points: answer.regions[0].points,
      score: 0.5,
      label: 'dog',
      children: [],
    };
    expect(regionLabel(answer.regions[1])).toBe('Espresso 2.50');
    expect(regionLabel(box)).toBe('dog 0.50');
    expect(regionLabel({ ...box, label: undefined })).toBe('region 0.50');
    const drawing = regionsDrawing(answer, true);
    expect(drawing).toMatchObject({ width: 640, height: 480, showLabels: true });
    expect(drawing.layers.map((l) => (l.type === 'polygon' ? [l.id, l.label] : null))).toEqual([
      [0, 'CORNER CAFE'],
      [1, 'Espresso 2.50'],
      [2, 'TOTAL 7.10'],
    ]);
    expect(stageText({ stage: 'step "rec" on the regions of "det"', done: 3, total: 12 })).toBe(
      'Step "rec" on the regions of "det" (3 of 12)',
    );
  });
});

describe('pipeline view', () => {
  it('preselects the example pipeline from the samples folder and runs it with { file, input, options }', async () => {
    const api = await openPipeline();
    await waitFor(() => expect(field('Pipeline')).toHaveValue(EXAMPLE));
    const run = runButton();
    expect(run).toBeDisabled();
    expect(screen.getByText(/Choose an image/)).toBeInTheDocument();

    await runOn(PHOTO);
    await waitFor(() => expect(api.callsTo('pipeline.run')).toHaveLength(1));
    expect(api.callsTo('pipeline.run')[0]).toEqual({ file: EXAMPLE, input: PHOTO, options: { provider: 'auto' } });

    // The provider chosen goes with the next run.
    await fireEvent.change(screen.getByRole('combobox', { name: 'Provider' }), { target: { value: 'cpu' } });
    await fireEvent.click(runButton());
    await waitFor(() => expect(api.callsTo('pipeline.run')).toHaveLength(2));
    expect(api.callsTo('pipeline.run')[1]).toEqual({ file: EXAMPLE, input: PHOTO, options: { provider: 'cpu' } });
  });

  it('chooses the pipeline file with the file browser (.json only)', async () => {
    const api = await openPipeline({
      'files.list': () => ({
        ok: true,
        value: listing('/home/ada', [
          { name: 'ocr.json', path: '/home/ada/ocr.json', kind: 'file', size: 300, mtimeMs: 1_700_000_000_000 },
        ]),
      }),
    });
    await waitFor(() => expect(field('Pipeline')).toHaveValue(EXAMPLE));
    await fireEvent.click(screen.getByRole('button', { name: 'Browse for the pipeline' }));
    const dialog = await screen.findByRole('dialog', { name: 'Choose a pipeline file' });
    expect(api.callsTo('files.list')[0]).toMatchObject({ path: '/opt/owb/pipelines', extensions: ['.json'] });
    await fireEvent.dblClick(await within(dialog).findByText('ocr.json'));
    await waitFor(() => expect(field('Pipeline')).toHaveValue('/home/ada/ocr.json'));
  });

  it('shows the image with the regions, their text and scores, the full text and the steps', async () => {
    await openPipeline();
    await runOn(PHOTO);

    const list = await screen.findByRole('list', { name: 'Regions' });
    const rows = within(list).getAllByRole('listitem');
    expect(rows.map((r) => r.textContent?.replace(/\s+/g, ' ').trim())).toEqual([
      'CORNER CAFE 98.0% 91.0%',
      'Espresso 2.50 95.0% 88.0%',
      'TOTAL 7.10 64.0% 80.0%',
    ]);
    // The full text keeps its line breaks, in a block to copy.
    const text = screen.getByLabelText('Text read');
    expect(text.tagName).toBe('PRE');
    expect(text.textContent).toBe('CORNER CAFE\nEspresso 2.50\nTOTAL 7.10');
    expect(screen.getByRole('button', { name: 'Copy text' })).toBeInTheDocument();
    // The picture: the preview under the drawn regions, labelled with their text.
    const picture = screen.getByRole('img', { name: `Regions found on ${PHOTO}` });
    expect(picture.querySelector('img')).toHaveAttribute('src', PREVIEW);
    expect(picture.querySelectorAll('svg.hits polygon')).toHaveLength(3);
    expect(picture.querySelector('.vector')?.textContent).toContain('Espresso 2.50');
    // Steps with their provider and timings.
    const steps = screen.getByRole('table', { name: 'Steps' });
    const stepRows = within(steps).getAllByRole('row').slice(1);
    expect(stepRows).toHaveLength(2);
    expect(stepRows[0]).toHaveTextContent('ch_PP-OCRv4_det_infer.onnx');
    expect(stepRows[0]).toHaveTextContent('whole image');
    expect(stepRows[1]).toHaveTextContent('regions of det');
    expect(stepRows[1]).toHaveTextContent(/CPU/);
    expect(stepRows[1]).toHaveTextContent('77.0');
    expect(screen.getByRole('heading', { level: 1, name: 'Pipeline' })).toBeInTheDocument();
    expect(screen.getByText('PaddleOCR v4')).toBeInTheDocument();
  });

  it('highlights a region in the list when the picture is hovered, and in the picture when the list is', async () => {
    await openPipeline();
    await runOn(PHOTO);
    await screen.findByRole('list', { name: 'Regions' });
    const picture = screen.getByRole('img', { name: `Regions found on ${PHOTO}` });

    await fireEvent.pointerEnter(picture.querySelector('svg.hits polygon[data-id="1"]')!);
    expect(regionRow(1)).toHaveClass('hot');
    expect(regionRow(0)).not.toHaveClass('hot');
    expect(await screen.findByRole('tooltip')).toHaveTextContent('Espresso 2.50');
    expect(screen.getByRole('tooltip')).toHaveTextContent('found 88.0% · read 95.0%');

    await fireEvent.pointerLeave(picture);
    expect(regionRow(1)).not.toHaveClass('hot');

    await fireEvent.pointerEnter(within(regionRow(2)).getByRole('button'));
    expect(regionRow(2)).toHaveClass('hot');
    const hot = picture.querySelector('.vector.hot');
    expect(hot?.querySelector('g.polygon')).toHaveAttribute('data-id', '2');
    expect(screen.getByRole('tooltip')).toHaveTextContent('TOTAL 7.10');
  });

  it('shows the stage while running, cancels, and shows an error with the ErrorPanel', async () => {
    const slow = pending();
    const api = await openPipeline({ 'pipeline.run': slow.handler });
    await runOn(PHOTO);
    await waitFor(() => expect(slow.calls).toHaveLength(1));
    slow.calls[0].options.onEvent?.({ stage: 'step "rec" on the regions of "det"', step: 'rec', done: 2, total: 5 });
    const form = screen.getByRole('form', { name: 'Pipeline run' });
    await waitFor(() =>
      expect(within(form).getByRole('status')).toHaveTextContent('Step "rec" on the regions of "det" (2 of 5)'),
    );
    expect(screen.getByRole('progressbar', { name: 'Regions done' })).toHaveAttribute('aria-valuenow', '2');
    await fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(slow.calls[0].options.signal?.aborted).toBe(true);
    expect(runButton()).toBeEnabled();

    api.handlers['pipeline.run'] = () => ({
      ok: false,
      error: { code: 'NOT_FOUND', message: 'Pipeline file not found: /opt/owb/pipelines/paddleocr.json' },
    });
    await fireEvent.click(runButton());
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('A file of the pipeline was not found');
    expect(alert).toHaveTextContent('Pipeline file not found: /opt/owb/pipelines/paddleocr.json');
    expect(alert).toHaveTextContent('NOT_FOUND');
    expect(screen.queryByRole('list', { name: 'Regions' })).not.toBeInTheDocument();
  });

  it('saves the annotated image by running the same pipeline with an output path', async () => {
    const api = await openPipeline();
    await runOn(PHOTO);
    const to = await screen.findByLabelText('Save as');
    expect(to).toHaveValue('/home/ada/photos/receipt-paddleocr.png');
    api.handlers['pipeline.run'] = ({ annotatedImage }) => ({ ok: true, value: { ...answer, annotatedImage } });
    await fireEvent.click(screen.getByRole('button', { name: /^Save$/ }));
    expect(await screen.findByText('/home/ada/photos/receipt-paddleocr.png', { selector: '.ok .mono' })).toBeInTheDocument();
    expect(api.callsTo('pipeline.run').at(-1)).toEqual({
      file: EXAMPLE,
      input: PHOTO,
      options: { provider: 'auto' },
      annotatedImage: '/home/ada/photos/receipt-paddleocr.png',
    });
  });
});

describe('pipeline view: text direction', () => {
  it('switches the example to the one with the orientation step, and marks the regions it turned', async () => {
    const turned = {
      ...answer,
      regions: [{ ...answer.regions[0], turned: true, turnedScore: 0.97 }, ...answer.regions.slice(1)],
    };
    const api = await openPipeline({ 'pipeline.run': () => ({ ok: true, value: turned }) });
    await waitFor(() => expect(field('Pipeline')).toHaveValue(EXAMPLE));
    const box = screen.getByRole('checkbox', { name: 'Text direction' });
    expect(box).not.toBeChecked();
    await fireEvent.click(box);
    expect(field('Pipeline')).toHaveValue('/opt/owb/pipelines/paddleocr-orientation.json');
    await runOn(PHOTO);
    await waitFor(() => expect(api.callsTo('pipeline.run')).toHaveLength(1));
    expect(api.callsTo('pipeline.run')[0]).toMatchObject({ file: '/opt/owb/pipelines/paddleocr-orientation.json' });
    expect(await within(regionRow(0)).findByText('180°')).toBeInTheDocument();
    expect(within(regionRow(1)).queryByText('180°')).toBeNull();
    // Another pipeline file has no such switch.
    await fireEvent.input(field('Pipeline'), { target: { value: '/home/ada/mine.json' } });
    expect(screen.queryByRole('checkbox', { name: 'Text direction' })).toBeNull();
  });
});
