import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import RunResultView from '../../renderer/src/views/run/RunResultView.svelte';
import ResultsPanel from '../../renderer/src/views/run/results/ResultsPanel.svelte';
import { type ChooseFile, ResultsState } from '../../renderer/src/lib/results.svelte';
import type { Interpretation, InterpretedImage, TaskSuggestion } from '../../shared/interpretation';
import { fail, type Result } from '../../shared/result';
import type { RunResult } from '../../shared/run';
import { type Detection, type EncodedRaster, type TaskResult, type TaskSettings, taskSettingsSchema } from '../../shared/tasks';
import { fakeApi, type Handlers } from './fake-api';

const MODEL = '/models/yolo.onnx';
const PNG = 'data:image/png;base64,iVBORw0KGgo=';
const raster = (width: number, height: number): EncodedRaster => ({ width, height, png: PNG });

const photo = (index = 0, path = '/photos/street.jpg'): InterpretedImage => ({
  input: 'images',
  index,
  path,
  width: 640,
  height: 480,
  preview: 'data:image/jpeg;base64,/9j/4AAQ',
});

const settings = (input: Record<string, unknown>): TaskSettings => taskSettingsSchema.parse(input);

const ALL_DETECTIONS: Detection[] = [
  { classId: 0, label: 'person', score: 0.92, x1: 10, y1: 20, x2: 110, y2: 300 },
  { classId: 16, label: 'dog', score: 0.87, x1: 200, y1: 220, x2: 330, y2: 400 },
  { classId: 2, label: 'car', score: 0.41, x1: 400, y1: 100, x2: 620, y2: 260 },
];

/** What the engine would answer: detections above the confidence threshold. */
function detections(task: TaskSettings, image = 0): Interpretation {
  const confidence = task.kind === 'detection' ? task.confidence : 0;
  return {
    task,
    images: [photo()],
    ms: 3,
    results: [
      {
        kind: 'detection',
        layout: 'YOLOv8 [1, 84, 8400], cxcywh pixels',
        candidates: 7,
        detections: ALL_DETECTIONS.filter((d) => d.score >= confidence),
        imageWidth: 640,
        imageHeight: 480,
        image,
      },
    ],
  };
}

function suggesting(s: TaskSettings, reason: string): Handlers {
  const value: TaskSuggestion = { settings: s, reason, readable: { ok: true, outputs: ['output0'] } };
  return { 'task.suggest': () => ({ ok: true, value }) };
}

function interpreting(answer: (task: TaskSettings) => Interpretation | Result<never>): Handlers {
  return {
    'run.interpret': ({ task }) => {
      const a = answer(taskSettingsSchema.parse(task));
      return 'ok' in a ? a : { ok: true, value: a };
    },
  };
}

/** The results state as the run session makes it after a run, shown in the panel. */
function setup(handlers: Handlers, options: { savedTask?: TaskSettings; chooseFile?: unknown } = {}) {
  const api = fakeApi(handlers);
  const onTaskChange = vi.fn();
  const results = new ResultsState({ api, modelPath: MODEL, saved: options.savedTask ?? null, onTaskChange });
  void results.show('run-7');
  const chooseFile = options.chooseFile as ChooseFile | undefined;
  render(ResultsPanel, { props: { results, outputs: ['output0'], chooseFile } });
  return { api, onTaskChange };
}

const DETECTION = settings({ kind: 'detection', layout: 'yolov8' });
const detectionModel = (): Handlers => ({
  ...suggesting(DETECTION, 'output [1, 84, 8400] reads as YOLOv8 boxes for 80 classes'),
  ...interpreting(detections),
});

const interpretCalls = (api: ReturnType<typeof fakeApi>) =>
  api.callsTo('run.interpret') as { runId: string; task: TaskSettings }[];
const rows = () =>
  within(screen.getByRole('table', { name: 'Detections' }))
    .getAllByRole('row')
    .slice(1);

describe('results view', () => {
  it('shows the suggested task with its reason and reads the run with it', async () => {
    const { api } = setup(detectionModel());
    const task = await screen.findByRole('combobox', { name: 'Task' });
    await waitFor(() => expect(task).toHaveValue('detection'));
    expect(within(task).getByRole('option', { name: 'Object detection (suggested)' })).toBeInTheDocument();
    expect(screen.getByText('suggested')).toHaveClass('badge');
    expect(screen.getByText('output [1, 84, 8400] reads as YOLOv8 boxes for 80 classes')).toBeInTheDocument();
    expect(api.callsTo('task.suggest')).toEqual([{ path: MODEL }]);
    await screen.findByRole('table', { name: 'Detections' });
    expect(interpretCalls(api)).toEqual([{ runId: 'run-7', task: DETECTION }]);
    expect(rows()).toHaveLength(3);
  });

  it('uses the task saved in the recipe over the suggestion', async () => {
    const saved = settings({ kind: 'detection', confidence: 0.5 });
    const { api } = setup(detectionModel(), { savedTask: saved });
    await screen.findByRole('table', { name: 'Detections' });
    expect(interpretCalls(api)[0].task).toEqual(saved);
    expect(rows()).toHaveLength(2);
    expect(screen.getByRole('combobox', { name: 'Task' })).toHaveValue('detection');
  });

  it('re-reads the run when the confidence changes, once per pause, and draws fewer boxes', async () => {
    const { api, onTaskChange } = setup(detectionModel());
    await screen.findByRole('table', { name: 'Detections' });
    expect(document.querySelectorAll('.vector g.box')).toHaveLength(3);

    const slider = screen.getByRole('slider', { name: 'Confidence' });
    await fireEvent.input(slider, { target: { value: '0.5' } });
    await fireEvent.input(slider, { target: { value: '0.9' } });
    await waitFor(() => expect(rows()).toHaveLength(1));
    // Two quick changes, one more call: the debounce kept only the last value.
    expect(interpretCalls(api)).toHaveLength(2);
    expect(interpretCalls(api)[1]).toEqual({ runId: 'run-7', task: { ...DETECTION, confidence: 0.9 } });
    expect(document.querySelectorAll('.vector g.box')).toHaveLength(1);
    expect(within(rows()[0]).getByText('person')).toBeInTheDocument();
    expect(onTaskChange).toHaveBeenCalledWith({ ...DETECTION, confidence: 0.9 });
  });

  it('cancels a reading still in flight when the settings change again', async () => {
    const signals: AbortSignal[] = [];
    const handlers: Handlers = {
      ...detectionModel(),
      'run.interpret': ({ task }, o) => {
        signals.push(o.signal!);
        // The second call hangs until it is cancelled; the others answer at once.
        if (signals.length !== 2) return { ok: true, value: detections(taskSettingsSchema.parse(task)) };
        return new Promise((resolve) =>
          o.signal!.addEventListener('abort', () => resolve(fail('CANCELLED', 'Cancelled.')), { once: true }),
        );
      },
    };
    const { api } = setup(handlers);
    await screen.findByRole('table', { name: 'Detections' });
    const slider = screen.getByRole('slider', { name: 'Confidence' });
    await fireEvent.input(slider, { target: { value: '0.5' } });
    await waitFor(() => expect(interpretCalls(api)).toHaveLength(2));
    await fireEvent.input(slider, { target: { value: '0.9' } });
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(signals[1].aborted).toBe(true);
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('shows class and score of a hovered box, and highlights its row (and back)', async () => {
    setup(detectionModel());
    await screen.findByRole('table', { name: 'Detections' });
    const dogBox = document.querySelector('.hits [data-id="1"]')!;
    await fireEvent.pointerEnter(dogBox);
    const tip = screen.getByRole('tooltip');
    expect(tip).toHaveTextContent('dog');
    expect(tip).toHaveTextContent('87.0%');
    expect(tip).toHaveTextContent('class 16');
    expect(rows()[1]).toHaveAttribute('aria-selected', 'true');
    // The other boxes fade; the hovered one is drawn again on top.
    expect(document.querySelector('.vector.dim')).not.toBeNull();
    expect(document.querySelectorAll('.vector.hot g.box')).toHaveLength(1);

    await fireEvent.pointerEnter(rows()[2]);
    expect(screen.getByRole('tooltip')).toHaveTextContent('car');
    expect(screen.getByRole('tooltip')).toHaveTextContent('41.0%');
    await fireEvent.pointerLeave(rows()[2]);
    expect(screen.queryByRole('tooltip')).not.toBeInTheDocument();
  });

  it('counts detections per class', async () => {
    setup(detectionModel());
    const counts = await screen.findByRole('list', { name: 'Detections per class' });
    expect(
      within(counts)
        .getAllByRole('listitem')
        .map((li) => li.textContent?.trim()),
    ).toEqual(['person 1', 'car 1', 'dog 1']);
    expect(screen.getByText('YOLOv8 [1, 84, 8400], cxcywh pixels')).toBeInTheDocument();
  });

  it('lists segmentation classes with their share of the image', async () => {
    const seg = settings({ kind: 'segmentation' });
    const result: TaskResult<EncodedRaster> = {
      kind: 'segmentation',
      mode: 'semantic',
      output: 'out',
      activation: 'softmax',
      classes: [
        { classId: 0, label: 'background', area: 0.5, color: [0, 0, 0] },
        { classId: 15, label: 'person', area: 0.4234, color: [192, 128, 128] },
        { classId: 12, label: 'dog', area: 0.0766, color: [64, 0, 128] },
      ],
      mask: raster(640, 480),
      overlay: raster(640, 480),
      imageWidth: 640,
      imageHeight: 480,
      image: 0,
    };
    setup({
      ...suggesting(seg, 'output [1, 21, 520, 520] is a class map'),
      ...interpreting((task) => ({ task, images: [photo()], ms: 5, results: [result] })),
    });
    const legend = await screen.findByRole('list', { name: 'Legend' });
    const items = within(legend).getAllByRole('listitem');
    expect(items.map((li) => li.textContent?.replace(/\s+/g, ' ').trim())).toEqual([
      'background #0 50.0%',
      'person #15 42.3%',
      'dog #12 7.66%',
    ]);
    // The mask is drawn over the photo at the chosen opacity, and the slider changes it.
    const mask = document.querySelector<HTMLImageElement>('img.raster.mask')!;
    expect(mask.style.opacity).toBe('0.55');
    await fireEvent.input(screen.getByRole('slider', { name: 'Mask opacity' }), { target: { value: '0.8' } });
    expect(document.querySelector<HTMLImageElement>('img.raster.mask')!.style.opacity).toBe('0.8');
    expect(screen.queryByRole('checkbox', { name: /Cut-out/ })).not.toBeInTheDocument();
  });

  it('shows classification scores as bars, best first, with labels and class ids', async () => {
    const cls = settings({ kind: 'classification' });
    setup({
      ...suggesting(cls, 'one output of 1000 values: ImageNet classes'),
      ...interpreting((task) => ({
        task,
        images: [photo()],
        ms: 1,
        results: [
          {
            kind: 'classification',
            output: 'logits',
            classes: 1000,
            softmaxApplied: true,
            image: 0,
            top: [
              { classId: 282, label: 'tiger cat', score: 0.21 },
              { classId: 281, label: 'tabby', score: 0.62 },
              { classId: 285, label: 'Egyptian cat', score: 0.09 },
            ],
          },
        ],
      })),
    });
    const bars = await screen.findByRole('list', { name: 'Top 3 classes' });
    const items = within(bars).getAllByRole('listitem');
    expect(items.map((li) => li.getAttribute('aria-label'))).toEqual(['tabby 62.0%', 'tiger cat 21.0%', 'Egyptian cat 9.00%']);
    expect(items[0]).toHaveTextContent('#281');
    expect(items[0].querySelector<HTMLElement>('.fill')!.style.width).toBe('62%');
    expect(screen.getByText(/Softmax applied/)).toBeInTheDocument();
  });

  it('moves the before/after divider with the keyboard', async () => {
    const i2i = settings({ kind: 'image-to-image' });
    setup({
      ...suggesting(i2i, 'output [1, 3, 1024, 1024] is an image 4× the input'),
      ...interpreting((task) => ({
        task,
        images: [{ ...photo(), width: 256, height: 256 }],
        ms: 9,
        results: [{ kind: 'image-to-image', output: 'sr', mapping: '0..1 to bytes', picture: raster(1024, 1024), image: 0 }],
      })),
    });
    const divider = await screen.findByRole('slider', { name: 'Original / output divider' });
    expect(divider).toHaveAttribute('aria-valuenow', '50');
    await fireEvent.keyDown(divider, { key: 'ArrowRight' });
    expect(divider).toHaveAttribute('aria-valuenow', '52');
    await fireEvent.keyDown(divider, { key: 'ArrowLeft', shiftKey: true });
    expect(divider).toHaveAttribute('aria-valuenow', '42');
    await fireEvent.keyDown(divider, { key: 'End' });
    expect(divider).toHaveAttribute('aria-valuenow', '100');
    await fireEvent.keyDown(divider, { key: 'Home' });
    expect(divider).toHaveAttribute('aria-valuenow', '0');
    expect(screen.getByAltText('Output')).toHaveStyle({ clipPath: 'inset(0 0 0 0%)' });
    expect(screen.getByText('1024 × 1024')).toBeInTheDocument();
    expect(screen.getByText('×4.00')).toBeInTheDocument();
  });

  it('exports the picture as drawn with the right request, and shows where it went', async () => {
    const { api } = setup({
      ...detectionModel(),
      'run.exportResult': () => ({ ok: true, value: { path: '/photos/street-detection.png', bytes: 51234 } }),
    });
    await screen.findByRole('table', { name: 'Detections' });
    await fireEvent.click(screen.getByRole('button', { name: 'Export image' }));
    expect(screen.getByLabelText('Save as')).toHaveValue('/photos/street-detection.png');
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('/photos/street-detection.png')).toBeInTheDocument();
    expect(screen.getByRole('status')).toHaveTextContent('51,234 bytes');
    expect(api.callsTo('run.exportResult')).toEqual([
      {
        runId: 'run-7',
        task: DETECTION,
        image: 0,
        what: 'image',
        to: '/photos/street-detection.png',
        maskOpacity: 0.55,
        showLabels: true,
      },
    ]);
    expect(screen.queryByRole('button', { name: 'Export mask' })).not.toBeInTheDocument();
  });

  it('shows an export failure in words', async () => {
    setup({
      ...detectionModel(),
      'run.exportResult': () => fail('WRITE_FAILED', '/photos/street-detection.json already exists; choose another name.'),
    });
    await screen.findByRole('table', { name: 'Detections' });
    await fireEvent.click(screen.getByRole('button', { name: 'Export JSON' }));
    expect(screen.getByLabelText('Save as')).toHaveValue('/photos/street-detection.json');
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Could not export');
    expect(alert).toHaveTextContent('already exists; choose another name.');
  });

  it('says in words why the chosen task cannot read the outputs, with the raw outputs one click away', async () => {
    const api = fakeApi({
      ...suggesting(settings({ kind: 'classification' }), 'one output of 1000 values'),
      ...interpreting((task) =>
        task.kind === 'detection'
          ? fail('INVALID_INPUT', "Detection cannot read output 'logits' [1, 1000]: boxes need a 3-D output.")
          : {
              task,
              images: [],
              ms: 1,
              results: [
                {
                  kind: 'classification',
                  output: 'logits',
                  classes: 1000,
                  softmaxApplied: false,
                  image: 0,
                  top: [{ classId: 1, label: 'goldfish', score: 0.9 }],
                },
              ],
            },
      ),
    });
    const run: RunResult = {
      runId: 'run-7',
      model: MODEL,
      provider: { requested: 'auto', used: 'cpu' },
      timings: { createMs: 1, cached: true, prepareMs: 1, runMs: 2, postprocessMs: 0, totalMs: 4 },
      inputs: [],
      outputs: [
        {
          name: 'logits',
          dtype: 'float32',
          dims: [1, 1000],
          stats: { elements: 1000, min: -3, max: 9, mean: 0, std: 1, zeros: 0, zeroShare: 0, nan: 0, inf: 0 },
          histogram: { min: -3, max: 9, counts: [1, 2, 3] },
          preview: [1, 2, 3],
          notes: [],
        },
      ],
      transforms: {},
    };
    const results = new ResultsState({ api, modelPath: MODEL });
    void results.show(run.runId);
    render(RunResultView, { props: { api, result: run, results } });
    await screen.findByRole('list', { name: 'Top 1 classes' });
    await fireEvent.change(screen.getByRole('combobox', { name: 'Task' }), { target: { value: 'detection' } });
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Cannot read the outputs as object detection');
    expect(alert).toHaveTextContent("Detection cannot read output 'logits' [1, 1000]: boxes need a 3-D output.");
    expect(screen.queryByRole('article', { name: 'Output logits' })).not.toBeInTheDocument();
    await fireEvent.click(within(alert).getByRole('button', { name: /Show raw outputs/ }));
    expect(screen.getByRole('article', { name: 'Output logits' })).toBeInTheDocument();
    expect(screen.getByRole('tab', { name: /Raw outputs/ })).toHaveAttribute('aria-selected', 'true');
  });

  it('picks the image of a batch', async () => {
    setup({
      ...suggesting(DETECTION, 'YOLOv8'),
      ...interpreting((task) => {
        const first = detections(task, 0).results[0];
        const second = { ...detections(task, 1).results[0], detections: ALL_DETECTIONS.slice(2) } as TaskResult<EncodedRaster>;
        return { task, images: [photo(0, '/photos/a.jpg'), photo(1, '/photos/b.jpg')], ms: 2, results: [first, second] };
      }),
    });
    await screen.findByRole('table', { name: 'Detections' });
    const position = () => document.querySelector('.batch .pos')?.textContent?.replace(/\s+/g, ' ');
    expect(position()).toBe('Image 1 of 2');
    expect(rows()).toHaveLength(3);
    await fireEvent.click(screen.getByRole('button', { name: 'Next image' }));
    expect(position()).toBe('Image 2 of 2');
    expect(screen.getByText('b.jpg')).toBeInTheDocument();
    expect(rows()).toHaveLength(1);
    expect(screen.getByRole('button', { name: 'Image 2: b.jpg' })).toHaveAttribute('aria-current', 'true');
  });

  it('takes a labels file from the file chooser', async () => {
    const chooseFile = vi.fn((_title: string, _ext: string[], onChoose: (path: string) => void) => onChoose('/data/coco.txt'));
    const { api } = setup(detectionModel(), { chooseFile });
    await screen.findByRole('table', { name: 'Detections' });
    await fireEvent.change(screen.getByRole('combobox', { name: 'Labels' }), { target: { value: 'file' } });
    expect(chooseFile).toHaveBeenCalledWith('Labels file', ['.txt', '.json'], expect.any(Function));
    expect(screen.getByRole('textbox', { name: 'Labels file' })).toHaveValue('/data/coco.txt');
    await waitFor(() =>
      expect(interpretCalls(api).at(-1)?.task).toMatchObject({ labels: { kind: 'file', path: '/data/coco.txt' } }),
    );
  });

  it('asks for the charset before reading text recognition', async () => {
    const { api } = setup({
      ...suggesting(settings({ kind: 'generic' }), 'nothing more specific fits'),
      ...interpreting((task) => ({
        task,
        images: [],
        ms: 1,
        results: [
          { kind: 'generic', output: 'out', dims: [1, 40, 6625], view: 'heatmap', picture: raster(6625, 40), min: 0, max: 1 },
        ],
      })),
    });
    await screen.findByRole('img', { name: 'Heatmap of out' });
    await fireEvent.change(screen.getByRole('combobox', { name: 'Task' }), { target: { value: 'text-recognition' } });
    expect(await screen.findByText(/Choose the charset file/)).toBeInTheDocument();
    await new Promise((r) => setTimeout(r, 200));
    expect(interpretCalls(api)).toHaveLength(1);
  });
});
