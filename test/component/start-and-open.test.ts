import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from '../../renderer/src/App.svelte';
import { desktopInfo, fakeApi } from './fake-api';
import { modelInfo, samples } from './fixtures';

describe('start screen and opening a model', () => {
  it('lists the samples and opening one shows its inputs with symbolic dims as chips', async () => {
    const api = fakeApi({
      'samples.list': () => ({ ok: true, value: samples }),
      'model.inspect': ({ path }) => ({ ok: true, value: modelInfo(path) }),
    });
    render(App, { props: { api } });

    const card = await screen.findByRole('button', { name: /open sample PaddleOCR v4 text detection/i });
    expect(screen.getByText('Silero VAD v5')).toBeInTheDocument();
    expect(within(card).getByText('4.53 MB')).toBeInTheDocument();
    await fireEvent.click(card);

    const inputs = await screen.findByRole('table', { name: 'Inputs' });
    expect(api.callsTo('model.inspect')).toEqual([{ path: samples[0].path }]);
    expect(within(inputs).getByText('x')).toBeInTheDocument();
    const batch = within(inputs).getByTitle("symbolic dimension 'batch'");
    expect(batch).toHaveTextContent('batch');
    expect(batch).toHaveClass('chip');
    expect(within(inputs).getByTitle("symbolic dimension 'width'")).toBeInTheDocument();
    expect(within(inputs).getByTitle('unknown dimension')).toHaveTextContent('?');
    expect(within(inputs).getByText('3')).not.toHaveClass('chip');
    // Output of unknown rank, header facts, sidebar entry.
    expect(within(screen.getByRole('table', { name: 'Outputs' })).getByText('rank unknown')).toBeInTheDocument();
    expect(screen.getByRole('heading', { level: 1, name: 'ch_PP-OCRv4_det_infer.onnx' })).toBeInTheDocument();
    expect(screen.getByText('PaddlePaddle')).toBeInTheDocument();
    expect(within(screen.getByRole('navigation', { name: 'Views' })).getByText('ch_PP-OCRv4_det_infer.onnx')).toBeInTheDocument();
    // Parsed metadata is pretty-printed.
    expect(screen.getByText(/"0": "text"/)).toBeInTheDocument();
  });

  it('shows a readable panel for NOT_ONNX and the open button still works', async () => {
    const good = '/home/ada/models/good.onnx';
    const api = fakeApi(
      {
        'samples.list': () => ({ ok: true, value: samples }),
        'model.inspect': ({ path }) =>
          path === good
            ? { ok: true, value: modelInfo(path) }
            : { ok: false, error: { code: 'NOT_ONNX', message: 'notes.txt is a text file, not an ONNX model.' } },
        'dialog.openModel': () => ({ ok: true, value: { path: good } }),
      },
      desktopInfo,
    );
    render(App, { props: { api } });
    await fireEvent.click(await screen.findByRole('button', { name: /open sample Silero/i }));

    const alert = await screen.findByRole('alert');
    expect(within(alert).getByRole('heading', { name: 'Not an ONNX model' })).toBeInTheDocument();
    expect(within(alert).getByText('notes.txt is a text file, not an ONNX model.')).toBeInTheDocument();
    expect(within(alert).getByText(samples[1].path)).toBeInTheDocument();

    // Back to the start screen: its open button still opens a model.
    await fireEvent.click(within(alert).getByRole('button', { name: 'Start screen' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Open model…' }));
    expect(await screen.findByRole('table', { name: 'Inputs' })).toBeInTheDocument();
    expect(api.callsTo('dialog.openModel')).toHaveLength(1);
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('offers "Try again" when the engine stopped, and it retries the same file', async () => {
    let attempts = 0;
    const api = fakeApi({
      'samples.list': () => ({ ok: true, value: samples }),
      'model.inspect': ({ path }) =>
        ++attempts === 1
          ? { ok: false, error: { code: 'ENGINE_CRASHED', message: 'The engine process exited (signal SIGSEGV).' } }
          : { ok: true, value: modelInfo(path) },
    });
    render(App, { props: { api } });
    await fireEvent.click(await screen.findByRole('button', { name: /open sample PaddleOCR/i }));
    expect(await screen.findByRole('heading', { name: 'The engine stopped' })).toBeInTheDocument();
    await fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('table', { name: 'Inputs' })).toBeInTheDocument();
    expect(api.callsTo('model.inspect')).toEqual([{ path: samples[0].path }, { path: samples[0].path }]);
  });

  it('keeps the previous model on screen while the next one loads', async () => {
    let release: () => void = () => {};
    const api = fakeApi({
      'samples.list': () => ({ ok: true, value: samples }),
      'model.inspect': ({ path }) =>
        path === samples[1].path
          ? new Promise(
              (resolve) =>
                (release = () =>
                  resolve({
                    ok: true,
                    value: modelInfo(path, { inputs: [{ name: 'input', kind: 'tensor', dtype: 'float32', shape: [1, 512] }] }),
                  })),
            )
          : { ok: true, value: modelInfo(path) },
    });
    render(App, { props: { api } });
    await fireEvent.click(await screen.findByRole('button', { name: /open sample PaddleOCR/i }));
    await screen.findByRole('table', { name: 'Inputs' });
    await fireEvent.click(screen.getByRole('button', { name: /^Start$/ }));
    await fireEvent.click(screen.getByRole('button', { name: /open sample Silero/i }));

    expect(await screen.findByText(/Opening silero_vad_v5\.onnx…/, { selector: '.opening' })).toBeInTheDocument();
    expect(screen.getByRole('heading', { level: 1, name: 'ch_PP-OCRv4_det_infer.onnx' })).toBeInTheDocument();
    release();
    expect(await screen.findByRole('heading', { level: 1, name: 'silero_vad_v5.onnx' })).toBeInTheDocument();
    expect(within(screen.getByRole('table', { name: 'Inputs' })).getByText('input')).toBeInTheDocument();
  });

  it('opens the chooser on Ctrl+O and on the native menu commands', async () => {
    const api = fakeApi(
      {
        'dialog.openModel': () => ({ ok: true, value: { path: null } }),
        'model.inspect': ({ path }) => ({ ok: true, value: modelInfo(path) }),
      },
      desktopInfo,
    );
    render(App, { props: { api } });
    await waitFor(() => expect(api.callsTo('app.info')).toHaveLength(1));
    expect(await screen.findByText('Desktop')).toBeInTheDocument();
    await fireEvent.keyDown(window, { key: 'o', ctrlKey: true });
    await waitFor(() => expect(api.callsTo('dialog.openModel')).toHaveLength(1));
    api.command('open-model');
    await waitFor(() => expect(api.callsTo('dialog.openModel')).toHaveLength(2));
    // show-start from the menu returns to the start screen.
    await fireEvent.click(screen.getByRole('button', { name: /^Model/ }));
    expect(screen.getByRole('heading', { name: 'No model open' })).toBeInTheDocument();
    api.command('show-start');
    expect(await screen.findByRole('heading', { name: 'Open an ONNX model' })).toBeInTheDocument();
  });

  it('opens a model the OS hands to the app (double-click, second launch)', async () => {
    const api = fakeApi({ 'model.inspect': ({ path }) => ({ ok: true, value: modelInfo(path) }) }, desktopInfo);
    render(App, { props: { api } });
    await waitFor(() => expect(api.callsTo('app.info')).toHaveLength(1));
    api.openPath('/home/me/models/yolo.onnx');
    expect(await screen.findByRole('heading', { level: 1, name: 'yolo.onnx' })).toBeInTheDocument();
    expect(api.callsTo('model.inspect')).toEqual([{ path: '/home/me/models/yolo.onnx' }]);
  });

  it('opens a file dropped anywhere on the window, and shows upload errors readably', async () => {
    const api = fakeApi({ 'model.inspect': ({ path }) => ({ ok: true, value: modelInfo(path) }) });
    render(App, { props: { api } });
    await waitFor(() => expect(api.callsTo('app.info')).toHaveLength(1));
    const file = new File(['onnx'], 'dropped.onnx');
    const dataTransfer = { files: [file], types: ['Files'], dropEffect: 'none' };

    await fireEvent.dragEnter(window, { dataTransfer });
    expect(screen.getByText('Drop to open')).toBeInTheDocument();
    await fireEvent.drop(window, { dataTransfer });
    expect(screen.queryByText('Drop to open')).not.toBeInTheDocument();
    await screen.findByRole('table', { name: 'Inputs' });
    expect(api.callsTo('model.inspect')).toEqual([{ path: '/tmp/uploads/dropped.onnx' }]);

    api.droppedPath = () => ({
      ok: false,
      error: { code: 'IO_ERROR', message: 'Upload of big.onnx failed: 413 Payload Too Large' },
    });
    await fireEvent.drop(window, { dataTransfer: { ...dataTransfer, files: [new File(['x'], 'big.onnx')] } });
    const alert = await screen.findByRole('alert');
    expect(within(alert).getByText('Could not open the model')).toBeInTheDocument();
    expect(within(alert).getByText(/413 Payload Too Large/)).toBeInTheDocument();
  });
});
