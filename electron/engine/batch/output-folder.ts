// Taking an output folder for a job: one job at a time (an OS-level lock that ends with its
// process), temporary files of killed runs removed, results of another model or recipe never
// mixed in without the user's say-so, and files we did not write never adopted as ours.
import { createHash } from 'node:crypto';
import { mkdir, readdir, realpath, rm, stat } from 'node:fs/promises';
import { type Server, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkbenchError } from '../../../shared/result';
import { BatchJournal } from './journal';
import { JOB_FILE, JOB_FILES, JOURNAL_FILE, LOCK_FILE, STATE_DIR, writeAtomic } from './outputs';
import type { JobPlan } from './plan';
import { checkShardSiblings, writeShardState } from './shard-state';
import { writeFailed } from './write-errors';

export interface OutputFolder {
  journal: BatchJournal;
  /** When this run took the folder (a shard's shard.json keeps it). */
  startedAt: string;
  /** Ends the job's hold on the folder (journal closed, lock released). */
  release(): Promise<void>;
}

/** Output folders this engine process is writing to right now. */
const held = new Set<string>();

/**
 * The lock's address: kernel objects that vanish with their process, however it ends (kill -9
 * included), so a crash never leaves a lock behind and a reused pid never holds one. Linux: an
 * abstract Unix socket (no file; per network namespace); Windows: a named pipe; elsewhere a
 * socket file in the state folder (or in the temp folder when that path is too long).
 */
export function lockAddress(realStateDir: string, platform: NodeJS.Platform = process.platform): string {
  const id = createHash('sha256').update(realStateDir).digest('hex').slice(0, 32);
  if (platform === 'win32') return `\\\\.\\pipe\\onnx-workbench-lock-${id}`;
  if (platform === 'linux') return `\0onnx-workbench-lock-${id}`;
  const inFolder = join(realStateDir, 'lock.sock');
  return Buffer.byteLength(inFolder) < 100 ? inFolder : join(tmpdir(), `onnx-workbench-lock-${id}.sock`);
}

const isFileSocket = (address: string) => !address.startsWith('\0') && !address.startsWith('\\\\');

const listen = (server: Server, address: string) =>
  new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(address, () => {
      server.off('error', reject);
      resolveListen();
    });
  });

/** true: a live process holds the address; false: nobody listens (a socket file left by a crash). */
const answered = (address: string) =>
  new Promise<boolean>((resolveProbe) => {
    const socket = connect(address);
    socket.once('connect', () => {
      socket.destroy();
      resolveProbe(true);
    });
    socket.once('error', () => resolveProbe(false));
  });

/**
 * Takes the folder's OS-level lock (see lockAddress); throws when another live process holds
 * it. The returned function releases it; so does the end of this process, in any way.
 */
export async function acquireFolderLock(stateDir: string, outputFolder: string): Promise<() => Promise<void>> {
  const real = await realpath(stateDir).catch(() => stateDir);
  const busy = () =>
    new WorkbenchError('INVALID_INPUT', `Another batch job is writing to ${outputFolder}; wait for it or choose another folder`);
  if (held.has(real)) throw busy();
  const address = lockAddress(real);
  const server = createServer((socket) => socket.destroy());
  for (let attempt = 0; ; attempt++) {
    try {
      await listen(server, address);
      break;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EADDRINUSE') throw writeFailed(error, stateDir);
      // Only a socket file can outlive its process; nobody answering it means it was left by a crash.
      if (attempt > 0 || !isFileSocket(address) || (await answered(address))) throw busy();
      await rm(address, { force: true });
    }
  }
  // The lock must not keep the engine alive.
  server.unref();
  held.add(real);
  // The pid file of earlier versions means nothing now.
  await rm(join(stateDir, LOCK_FILE), { force: true }).catch(() => {});
  return async () => {
    held.delete(real);
    await new Promise<void>((r) => server.close(() => r()));
  };
}

/** Temporary files (`.<name>.<pid>-<n>.tmp`) of earlier runs that were killed mid-write. */
const STALE_TMP = /^\..+\.\d+-\d+\.tmp$/;

/** Removes the job's stale temporary files; call it holding the lock (no live writer owns them). */
export async function removeStaleTemps(outputFolder: string): Promise<number> {
  let removed = 0;
  const own = `.${process.pid}-`;
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const path = join(dir, e.name);
      if (e.isDirectory()) await walk(path);
      else if (e.isFile() && STALE_TMP.test(e.name) && !e.name.includes(own)) {
        await rm(path, { force: true });
        removed += 1;
      }
    }
  };
  await walk(outputFolder);
  return removed;
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

export async function openOutputFolder(
  plan: Pick<JobPlan, 'outputFolder' | 'job' | 'stateDir' | 'key'>,
  jobId: string,
): Promise<OutputFolder> {
  const { outputFolder, job, stateDir } = plan;
  try {
    await mkdir(stateDir, { recursive: true });
  } catch (error) {
    throw writeFailed(error, stateDir);
  }
  const unlock = await acquireFolderLock(stateDir, outputFolder);
  // Shards share the output folder with other live writers: each cleans only its own folder.
  await removeStaleTemps(job.shard ? stateDir : outputFolder);
  const startedAt = new Date().toISOString();
  let journal: BatchJournal | null = null;
  try {
    const journalPath = join(stateDir, JOURNAL_FILE);
    // Shards share the folder: each checks the others' shard.json (same split, same job).
    const { fresh } = await checkShardSiblings(
      job,
      plan.key,
      outputFolder,
      await exists(journalPath),
      await exists(join(outputFolder, STATE_DIR, JOURNAL_FILE)),
    );
    if (fresh && !job.output.overwrite) {
      for (const name of Object.values(JOB_FILES))
        if (await exists(join(outputFolder, name)))
          throw new WorkbenchError(
            'INVALID_INPUT',
            `${outputFolder} already holds ${name}, not written by a batch job of ONNX Workbench; choose an empty folder or allow overwriting`,
          );
    }
    journal = await BatchJournal.open(journalPath);
    const others = [...journal.keys].filter((k) => k !== plan.key);
    if (others.length && !job.output.overwrite)
      throw new WorkbenchError(
        'INVALID_INPUT',
        `${outputFolder} holds the results of a batch job with another model, recipe or per-image outputs; choose another output folder, or allow overwriting to run this one over them`,
      );
    await writeAtomic(join(stateDir, JOB_FILE), `${JSON.stringify(job, null, 2)}\n`, true);
    await writeShardState(stateDir, job, plan.key, startedAt);
    await journal.append({ type: 'run', jobId, key: plan.key, model: job.model, at: new Date().toISOString() });
  } catch (error) {
    await journal?.close();
    await unlock();
    throw error;
  }
  const j = journal;
  return {
    journal: j,
    startedAt,
    release: async () => {
      await j.close();
      await unlock();
    },
  };
}
