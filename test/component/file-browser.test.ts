import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import App from '../../renderer/src/App.svelte';
import FileBrowser from '../../renderer/src/components/FileBrowser.svelte';
import { fakeApi } from './fake-api';
import { listing, modelInfo } from './fixtures';

const home = listing(
  '/home/ada',
  [
    { name: 'notes.onnx', path: '/home/ada/notes.onnx', kind: 'file', size: 2048, mtimeMs: 1_700_000_000_000 },
    { name: 'models', path: '/home/ada/models', kind: 'dir', size: null, mtimeMs: 1_700_000_000_000 },
    { name: 'secret', path: '/home/ada/secret', kind: 'dir', size: null, mtimeMs: null },
  ],
  '/home',
);
const models = listing(
  '/home/ada/models',
  [{ name: 'det.onnx', path: '/home/ada/models/det.onnx', kind: 'file', size: 4_745_517, mtimeMs: 1_700_000_000_000 }],
  '/home/ada',
);

function browsingApi() {
  return fakeApi({
    'files.list': ({ path }) => {
      if (path === undefined || path === '/home/ada') return { ok: true, value: home };
      if (path === '/home/ada/models') return { ok: true, value: models };
      if (path === '/home/ada/secret')
        return { ok: false, error: { code: 'PERMISSION_DENIED', message: 'No permission to read /home/ada/secret.' } };
      return { ok: false, error: { code: 'NOT_FOUND', message: `${path} does not exist.` } };
    },
    'model.inspect': ({ path }) => ({ ok: true, value: modelInfo(path) }),
  });
}

describe('server-side file browser', () => {
  it('navigates into a folder and opens a file (browser mode "Open model…")', async () => {
    const api = browsingApi();
    render(App, { props: { api } });
    await screen.findByText('Browser');
    await fireEvent.click(screen.getByRole('button', { name: 'Open model…' }));

    const dialog = await screen.findByRole('dialog', { name: 'Open model' });
    const list = await within(dialog).findByRole('listbox');
    const options = within(list).getAllByRole('option');
    // Folders first, then files with their size.
    expect(options.map((o) => o.textContent?.trim().split(/\s/)[0])).toEqual(['models', 'secret', 'notes.onnx']);
    expect(within(options[2]).getByText('2.00 KB')).toBeInTheDocument();
    expect(api.callsTo('files.list')[0]).toEqual({ extensions: ['.onnx'], showHidden: false });
    expect(within(dialog).getByText(/1 hidden/)).toBeInTheDocument();

    await fireEvent.dblClick(within(list).getByText('models'));
    await within(dialog).findByText('det.onnx');
    expect(within(dialog).getByRole('list', { name: 'Current folder' })).toHaveTextContent(/home.*ada.*models/);
    expect(api.callsTo('files.list')[1]).toEqual({ path: '/home/ada/models', extensions: ['.onnx'], showHidden: false });

    await fireEvent.keyDown(within(dialog).getByRole('listbox'), { key: 'Enter' });
    expect(await screen.findByRole('table', { name: 'Inputs' })).toBeInTheDocument();
    expect(api.callsTo('model.inspect')).toEqual([{ path: '/home/ada/models/det.onnx' }]);
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('shows a folder it cannot read inline, filters, toggles hidden files and closes on Esc', async () => {
    const api = browsingApi();
    const onclose = vi.fn();
    render(FileBrowser, { props: { api, extensions: ['.onnx'], onchoose: vi.fn(), onclose } });
    const dialog = await screen.findByRole('dialog');
    await within(dialog).findByText('secret');

    await fireEvent.dblClick(within(dialog).getByText('secret'));
    const error = await within(dialog).findByRole('alert');
    expect(error).toHaveTextContent('Cannot open secret');
    expect(error).toHaveTextContent('No permission to read /home/ada/secret.');
    // The listing stays usable.
    expect(within(dialog).getByText('models')).toBeInTheDocument();

    await fireEvent.input(within(dialog).getByRole('searchbox', { name: 'Filter' }), { target: { value: 'note' } });
    expect(
      within(dialog)
        .getAllByRole('option')
        .map((o) => o.textContent?.trim().split(/\s/)[0]),
    ).toEqual(['notes.onnx']);

    await fireEvent.click(within(dialog).getByRole('checkbox', { name: 'Show hidden' }));
    await waitFor(() =>
      expect(api.callsTo('files.list').at(-1)).toEqual({ path: '/home/ada', extensions: ['.onnx'], showHidden: true }),
    );

    await fireEvent.keyDown(dialog, { key: 'Escape' });
    expect(onclose).toHaveBeenCalledWith('/home/ada');
  });

  it('chooses a folder in folder mode (for library and batch views)', async () => {
    const api = browsingApi();
    const onchoose = vi.fn();
    render(FileBrowser, { props: { api, mode: 'folder', title: 'Choose image folder', onchoose, onclose: vi.fn() } });
    const dialog = await screen.findByRole('dialog', { name: 'Choose image folder' });
    await within(dialog).findByText('models');
    // Files are not offered in folder mode, and no extension filter is sent.
    expect(within(dialog).queryByText('notes.onnx')).not.toBeInTheDocument();
    expect(api.callsTo('files.list')[0]).toEqual({ showHidden: false });
    await fireEvent.dblClick(within(dialog).getByText('models'));
    await within(dialog).findByText('No sub-folders here.');
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Choose this folder' }));
    expect(onchoose).toHaveBeenCalledWith('/home/ada/models');
  });

  it('falls back to the home folder when the start folder is gone', async () => {
    const api = browsingApi();
    render(FileBrowser, { props: { api, startPath: '/mnt/usb/gone', onchoose: vi.fn(), onclose: vi.fn() } });
    const dialog = await screen.findByRole('dialog');
    expect(await within(dialog).findByText('models')).toBeInTheDocument();
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('/mnt/usb/gone does not exist.');
  });

  it('takes a typed or pasted path: a folder opens, a file is chosen, a bad one is said', async () => {
    const api = browsingApi();
    const onchoose = vi.fn();
    render(FileBrowser, { props: { api, extensions: ['.onnx'], onchoose, onclose: vi.fn() } });
    const dialog = await screen.findByRole('dialog');
    await within(dialog).findByText('models');
    const field = within(dialog).getByRole('textbox', { name: 'Path' });
    const go = async (text: string) => {
      await fireEvent.input(field, { target: { value: text } });
      await fireEvent.click(within(dialog).getByRole('button', { name: 'Go' }));
    };

    await go('models');
    expect(within(dialog).getByRole('alert')).toHaveTextContent('Type a full path (starting with / or a drive letter): models');

    await go('~/models');
    expect(await within(dialog).findByText('det.onnx')).toBeInTheDocument();
    expect(within(dialog).getByRole('list', { name: 'Current folder' })).toHaveTextContent('models');
    expect(field).toHaveValue('');

    await go('/home/ada/gone.onnx');
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('/home/ada/gone.onnx does not exist.');
    expect(onchoose).not.toHaveBeenCalled();

    // A path pasted with quotes, as file managers copy it.
    await go("'/home/ada/notes.onnx'");
    await waitFor(() => expect(onchoose).toHaveBeenCalledWith('/home/ada/notes.onnx'));
  });

  it('refuses a typed file of the wrong kind, and opens a typed folder in folder mode', async () => {
    const api = browsingApi();
    api.handlers['files.list'] = ({ path }) =>
      path === '/home/ada/models'
        ? { ok: true, value: models }
        : {
            ok: true,
            value: listing('/home/ada', [
              { name: 'photo.jpg', path: '/home/ada/photo.jpg', kind: 'file', size: 10, mtimeMs: null },
              { name: 'models', path: '/home/ada/models', kind: 'dir', size: null, mtimeMs: null },
            ]),
          };
    const onchoose = vi.fn();
    const { unmount } = render(FileBrowser, { props: { api, extensions: ['.onnx'], onchoose, onclose: vi.fn() } });
    let dialog = await screen.findByRole('dialog');
    // Not a folder: the fake lists the home folder for it, which holds photo.jpg.
    api.handlers['files.list'] = ({ path }) =>
      path === '/home/ada/photo.jpg'
        ? { ok: false, error: { code: 'INVALID_INPUT', message: 'Not a folder: /home/ada/photo.jpg' } }
        : {
            ok: true,
            value: listing('/home/ada', [
              { name: 'photo.jpg', path: '/home/ada/photo.jpg', kind: 'file', size: 10, mtimeMs: null },
            ]),
          };
    await fireEvent.input(within(dialog).getByRole('textbox', { name: 'Path' }), { target: { value: '/home/ada/photo.jpg' } });
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Go' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('Not a .onnx file: /home/ada/photo.jpg');
    expect(onchoose).not.toHaveBeenCalled();
    unmount();

    api.handlers['files.list'] = ({ path }) => ({ ok: true, value: path === '/home/ada/models' ? models : home });
    render(FileBrowser, { props: { api, mode: 'folder', onchoose, onclose: vi.fn() } });
    dialog = await screen.findByRole('dialog');
    await fireEvent.input(within(dialog).getByRole('textbox', { name: 'Path' }), { target: { value: '/home/ada/models' } });
    await fireEvent.submit(within(dialog).getByRole('textbox', { name: 'Path' }));
    await within(dialog).findByText('No sub-folders here.');
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Choose this folder' }));
    expect(onchoose).toHaveBeenCalledWith('/home/ada/models');
  });
});
