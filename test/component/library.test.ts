import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { LibraryModel, LibrarySnapshot, ModelSummary } from '../../shared/library';
import App from '../../renderer/src/App.svelte';
import { desktopInfo, fakeApi, type Handlers } from './fake-api';
import { listing, modelInfo } from './fixtures';

const MB = 1024 * 1024;

function summary(overrides: Partial<ModelSummary> = {}): ModelSummary {
  return {
    irVersion: 8,
    opset: 14,
    producer: 'PaddlePaddle',
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 3, 'H', 'W'] }],
    outputs: [{ name: 'sigmoid_0', dtype: 'float32', shape: ['N', 1, 'H', 'W'] }],
    parameters: 1_200_000,
    task: { kind: 'detection', reason: 'one image input, a probability map output' },
    dynamicInputs: true,
    ...overrides,
  };
}

function model(name: string, overrides: Partial<LibraryModel> = {}): LibraryModel {
  return {
    path: `/home/ada/models/${name}`,
    name,
    folder: '/home/ada/models',
    size: 4 * MB,
    mtimeMs: 1_700_000_000_000,
    summary: summary(),
    error: null,
    lastOpenedMs: null,
    ...overrides,
  };
}

const models: LibraryModel[] = [
  model('det.onnx'),
  model('cls.onnx', {
    size: 600 * 1024,
    summary: summary({
      producer: 'pytorch',
      opset: 11,
      outputs: [{ name: 'logits', dtype: 'float32', shape: ['N', 2] }],
      task: { kind: 'classification', reason: 'a single [N, classes] output' },
    }),
  }),
  model('vad.onnx', {
    summary: summary({
      producer: 'pytorch',
      opset: 16,
      inputs: [{ name: 'input', dtype: 'float32', shape: [1, 512] }],
      outputs: [{ name: 'output', dtype: 'float32', shape: [1, 1] }],
      task: { kind: 'audio', reason: 'a waveform input' },
      dynamicInputs: false,
    }),
  }),
  model('broken.onnx', {
    size: 500,
    summary: null,
    error: { code: 'CORRUPT_MODEL', message: 'broken.onnx ends after 500 bytes, in the middle of the graph.' },
  }),
];

const snapshot: LibrarySnapshot = {
  folders: [
    { path: '/home/ada/models', exists: true, models: 4 },
    { path: '/mnt/usb/gone', exists: false, models: 0 },
  ],
  models,
  recent: [{ path: '/home/ada/models/det.onnx', openedMs: Date.now() - 5 * 60_000 }],
};

function libraryApi(handlers: Handlers = {}, snap: LibrarySnapshot = snapshot) {
  return fakeApi({
    'library.get': () => ({ ok: true, value: snap }),
    'model.inspect': ({ path }) => ({ ok: true, value: modelInfo(path) }),
    'library.opened': ({ path }) => ({ ok: true, value: [{ path, openedMs: Date.now() }] }),
    ...handlers,
  });
}

async function showLibrary() {
  await fireEvent.click(within(screen.getByRole('navigation', { name: 'Views' })).getByRole('button', { name: /^Library/ }));
}

async function openLibrary() {
  await showLibrary();
  return screen.findByRole('list', { name: 'Models' });
}

describe('library view', () => {
  it('lists cards from the snapshot with signature, task, size and the broken file error', async () => {
    const api = libraryApi();
    render(App, { props: { api } });
    const grid = await openLibrary();
    expect(within(grid).getAllByRole('listitem')).toHaveLength(4);

    const det = within(grid).getByRole('button', { name: 'Open det.onnx' });
    expect(within(det).getByText('opset 14')).toBeInTheDocument();
    expect(within(det).getByText('4.00 MB')).toBeInTheDocument();
    expect(within(det).getByText('PaddlePaddle')).toBeInTheDocument();
    expect(within(det).getByText('sigmoid_0')).toBeInTheDocument();
    expect(within(det).getAllByTitle("symbolic dimension 'N'")[0]).toHaveClass('chip');
    expect(within(det).getByText('detection')).toHaveAttribute('title', 'one image input, a probability map output');

    const broken = within(grid).getByRole('button', { name: 'Open broken.onnx' });
    expect(within(broken).getByText('The model file is damaged')).toBeInTheDocument();
    expect(within(broken).getByText(/ends after 500 bytes/)).toBeInTheDocument();

    // Folders, the missing one marked; recent models.
    expect(screen.getByTitle('/mnt/usb/gone').closest('li')).toHaveTextContent('Folder not found');
    expect(screen.getByRole('button', { name: 'Open recent det.onnx' })).toBeInTheDocument();
    expect(api.callsTo('library.get').length).toBeGreaterThanOrEqual(2); // start screen + opening the view
  });

  it('narrows the cards by search text and by task, and hides broken files on request', async () => {
    render(App, { props: { api: libraryApi() } });
    const grid = await openLibrary();
    const names = () =>
      within(grid)
        .queryAllByRole('button', { name: /^Open / })
        .map((b) => b.getAttribute('aria-label'));

    await fireEvent.input(screen.getByRole('searchbox', { name: 'Search models' }), { target: { value: 'pytorch' } });
    expect(names()).toEqual(['Open cls.onnx', 'Open vad.onnx']);
    await fireEvent.change(screen.getByRole('combobox', { name: 'Task' }), { target: { value: 'audio' } });
    expect(names()).toEqual(['Open vad.onnx']);
    expect(screen.getByText('1 of 4 shown')).toBeInTheDocument();

    // Searching an output name; then "Clear filters".
    await fireEvent.change(screen.getByRole('combobox', { name: 'Task' }), { target: { value: 'any' } });
    await fireEvent.input(screen.getByRole('searchbox', { name: 'Search models' }), { target: { value: 'logits' } });
    expect(names()).toEqual(['Open cls.onnx']);
    await fireEvent.click(screen.getByRole('button', { name: 'Clear filters' }));
    expect(names()).toHaveLength(4);

    await fireEvent.click(screen.getByRole('checkbox', { name: /Show broken/ }));
    expect(names()).not.toContain('Open broken.onnx');
    await fireEvent.click(screen.getByRole('checkbox', { name: /Dynamic inputs only/ }));
    expect(names()).toEqual(['Open det.onnx', 'Open cls.onnx']);
  });

  it('adds a folder through the folder browser and shows scan progress', async () => {
    let finish: () => void = () => {};
    const api = libraryApi({
      'files.list': () => ({
        ok: true,
        value: listing('/home/ada', [{ name: 'onnx', path: '/home/ada/onnx', kind: 'dir', size: null, mtimeMs: null }]),
      }),
      'library.addFolder': ({ path }, { onEvent }) =>
        new Promise((resolve) => {
          onEvent?.({ folder: path, found: 12, read: 5, current: `${path}/yolo.onnx` });
          finish = () =>
            resolve({
              ok: true,
              value: { ...snapshot, folders: [...snapshot.folders, { path, exists: true, models: 1 }] },
            });
        }),
    });
    render(App, { props: { api } });
    await openLibrary();
    await fireEvent.click(screen.getByRole('button', { name: 'Add folder…' }));
    const dialog = await screen.findByRole('dialog', { name: 'Add folder to library' });
    await within(dialog).findByRole('listbox');
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Choose this folder' }));

    expect(api.callsTo('library.addFolder')).toEqual([{ path: '/home/ada' }]);
    const status = await screen.findByText('5 of 12 read');
    expect(status.closest('[role="status"]')).toHaveTextContent('yolo.onnx');
    finish();
    await waitFor(() => expect(screen.queryByText('5 of 12 read')).not.toBeInTheDocument());
    expect(screen.getByTitle('/home/ada')).toBeInTheDocument();
  });

  it('opens a card in the inspector and records it as recent', async () => {
    const api = libraryApi();
    render(App, { props: { api } });
    const grid = await openLibrary();
    await fireEvent.click(within(grid).getByRole('button', { name: 'Open cls.onnx' }));
    expect(await screen.findByRole('table', { name: 'Inputs' })).toBeInTheDocument();
    expect(api.callsTo('model.inspect')).toEqual([{ path: '/home/ada/models/cls.onnx' }]);
    await waitFor(() => expect(api.callsTo('library.opened')).toEqual([{ path: '/home/ada/models/cls.onnx' }]));
  });

  it('explains what to do when the library is empty, and that browser mode cannot take dropped folders', async () => {
    render(App, { props: { api: libraryApi({}, { folders: [], models: [], recent: [] }) } });
    await showLibrary();
    expect(await screen.findByRole('heading', { name: 'No models in the library yet' })).toBeInTheDocument();

    const dataTransfer = { files: [new File([], 'models')], types: ['Files'], dropEffect: 'none' };
    await fireEvent.dragEnter(window, { dataTransfer });
    expect(screen.getByText('Drop to add')).toBeInTheDocument();
    await fireEvent.drop(window, { dataTransfer });
    expect(await screen.findByText('In browser mode, add folders with Add folder…')).toBeInTheDocument();
  });

  it('adds a folder dropped onto the library in the desktop app', async () => {
    const api = fakeApi(
      {
        'library.get': () => ({ ok: true, value: snapshot }),
        'library.addFolder': () => ({ ok: true, value: snapshot }),
      },
      desktopInfo,
    );
    api.droppedPath = (file) => ({ ok: true, value: `/home/ada/${file.name}` });
    render(App, { props: { api } });
    await screen.findByText('Desktop');
    await openLibrary();
    const dataTransfer = { files: [new File([], 'zoo')], types: ['Files'], dropEffect: 'none' };
    await fireEvent.drop(window, { dataTransfer });
    await waitFor(() => expect(api.callsTo('library.addFolder')).toEqual([{ path: '/home/ada/zoo' }]));
  });
});

describe('recent models on the start screen', () => {
  it('lists recent models, opens one, and is hidden when there are none', async () => {
    const api = libraryApi();
    const { unmount } = render(App, { props: { api } });
    const row = await screen.findByRole('button', { name: 'Open recent det.onnx' });
    expect(screen.getByRole('heading', { name: /Recent models/ })).toBeInTheDocument();
    expect(within(row).getByText('5 min ago')).toBeInTheDocument();
    await fireEvent.click(row);
    expect(await screen.findByRole('table', { name: 'Inputs' })).toBeInTheDocument();
    expect(api.callsTo('model.inspect')).toEqual([{ path: '/home/ada/models/det.onnx' }]);
    unmount();

    render(App, { props: { api: libraryApi({}, { folders: [], models: [], recent: [] }) } });
    await screen.findByRole('heading', { name: 'Open an ONNX model' });
    await waitFor(() => expect(screen.queryByRole('heading', { name: /Recent models/ })).not.toBeInTheDocument());
  });
});
