// What the user chose in this session, and the one check every write named by a renderer goes
// through. A renderer (a page, possibly a compromised one) may write only:
//   - to a file picked in a save dialog (replacing it only when the dialog confirmed that),
//   - a new file directly inside a folder the user chose (a dialog, the file browser, the folder
//     of a model they opened, a library folder),
//   - a new file anywhere under the output folder of a batch job started in this session,
// with the extension the channel writes, never through a link, never over a file that
// ONNX Workbench did not write in this session.
import { lstat, realpath } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import type { ChannelName } from '../../shared/contract';
import { type WriteTarget, writeTargets } from '../../shared/file-access';
import { WorkbenchError } from '../../shared/result';

export type GrantSource = 'dialog' | 'file-browser' | 'opened-model' | 'library' | 'batch-output';

const real = (path: string) => realpath(path).catch(() => resolve(path));

/** A path with no `.`/`..` parts, no repeated or trailing separators: the file it names is plain to see. */
export function isPlainAbsolute(path: string): boolean {
  const parts = path.replace(/^[\\/]{2}(?=[^\\/])/, '/').split(/[\\/]/);
  return parts.slice(1).every((part) => part !== '' && part !== '.' && part !== '..');
}

const within = (folder: string, path: string) => path === folder || path.startsWith(folder.endsWith(sep) ? folder : folder + sep);

export class PathGrants {
  /** Folders where new files may be created directly inside. */
  private readonly folders = new Set<string>();
  /** Folders where new files may be created anywhere below (batch output folders). */
  private readonly trees = new Set<string>();
  /** Files picked in a save dialog: true when the dialog confirmed replacing them. */
  private readonly files = new Map<string, boolean>();
  /** Files this session wrote: they may be written again. */
  private readonly created = new Set<string>();

  /**
   * `command-line`: the caller is the local user typing paths (the CLI), every path named is
   * chosen; the other rules (plain path, extension, no link, no replacing) still hold.
   */
  constructor(private readonly caller: 'renderer' | 'command-line' = 'renderer') {}

  async grantFolder(path: string, _source: GrantSource): Promise<void> {
    this.folders.add(await real(path));
  }

  async grantTree(path: string, _source: GrantSource): Promise<void> {
    this.trees.add(await real(path));
  }

  async grantFile(path: string, overwrite: boolean): Promise<void> {
    const target = join(await real(dirname(path)), basename(path));
    this.files.set(target, overwrite || this.files.get(target) === true);
  }

  async recordCreated(path: string): Promise<void> {
    this.created.add(join(await real(dirname(path)), basename(path)));
  }

  /** Throws INVALID_INPUT or PERMISSION_DENIED unless the target may be written now. */
  async checkWrite(target: WriteTarget): Promise<void> {
    const { path, extensions } = target;
    if (!isPlainAbsolute(path)) {
      throw new WorkbenchError('INVALID_INPUT', `${path}: give a plain absolute path (no "." or ".." parts).`);
    }
    const ext = extname(path).toLowerCase();
    if (!extensions.includes(ext)) {
      const names = extensions.length > 1 ? `${extensions.slice(0, -1).join(', ')} or ${extensions.at(-1)}` : extensions[0];
      throw new WorkbenchError('INVALID_INPUT', `${path}: this file must end in ${names}.`);
    }
    const parent = await realpath(dirname(path)).catch(() => null);
    if (parent === null) throw new WorkbenchError('NOT_FOUND', `${dirname(path)}: no such folder.`);
    const file = join(parent, basename(path));
    const picked = this.files.get(file);
    const chosen =
      this.caller === 'command-line' ||
      picked !== undefined ||
      this.created.has(file) ||
      this.folders.has(parent) ||
      [...this.trees].some((t) => within(t, parent));
    if (!chosen) {
      throw new WorkbenchError(
        'PERMISSION_DENIED',
        `${path}: ONNX Workbench writes only where you chose in this session; pick the folder with the file browser or a dialog first.`,
      );
    }
    const existing = await lstat(file).catch(() => null);
    if (!existing) return;
    if (existing.isSymbolicLink()) throw new WorkbenchError('PERMISSION_DENIED', `${path} is a link; choose another name.`);
    if (!existing.isFile()) throw new WorkbenchError('PERMISSION_DENIED', `${path} is not a regular file; choose another name.`);
    if (target.overwrite && picked !== true && !this.created.has(file)) {
      throw new WorkbenchError(
        'PERMISSION_DENIED',
        `${path} already exists and was not written by ONNX Workbench in this session; choose another name.`,
      );
    }
  }

  /** Checks every file a request would write (before it runs). */
  async checkRequest(channel: ChannelName, input: unknown): Promise<void> {
    if (channel === 'batch.start')
      await this.grantBatchOutput((input as { job: { output: { folder: string } } }).job.output.folder);
    if (channel === 'eval.run') {
      // An evaluation writes its report into `out` and its jobs' results into their output folders;
      // the engine keeps any report file there that no evaluation wrote.
      const r = input as { out: string; job: { output: { folder: string } }; against?: { output: { folder: string } } };
      for (const folder of [r.out, r.job.output.folder, r.against?.output.folder])
        if (folder) await this.grantBatchOutput(folder);
    }
    for (const target of writeTargets(channel, input)) await this.checkWrite(target);
  }

  /** Records what a request that succeeded chose or wrote. */
  async recordRequest(channel: ChannelName, input: unknown, output: unknown): Promise<void> {
    for (const target of writeTargets(channel, input)) await this.recordCreated(target.path);
    const path = (input as { path?: unknown }).path;
    switch (channel) {
      case 'files.list':
        // The folder the user is looking at in the file browser.
        await this.grantFolder((output as { path: string }).path, 'file-browser');
        break;
      case 'dialog.openModel': {
        const picked = (output as { path: string | null }).path;
        if (picked) await this.grantFolder(dirname(picked), 'dialog');
        break;
      }
      case 'library.opened':
        if (typeof path === 'string') await this.grantFolder(dirname(path), 'opened-model');
        break;
      case 'library.addFolder':
        if (typeof path === 'string') await this.grantFolder(path, 'library');
        break;
      default:
        break;
    }
  }

  /** Whether this session wrote into the folder: a batch output folder, or the folder of a file it saved. */
  async wroteInto(folder: string): Promise<boolean> {
    const target = await real(folder);
    if (this.trees.has(target)) return true;
    return [...this.created].some((file) => dirname(file) === target);
  }

  /** Folders a batch job writes: its output folder and all below it. */
  async grantBatchOutput(folder: string): Promise<void> {
    await this.grantTree(folder, 'batch-output');
  }
}
