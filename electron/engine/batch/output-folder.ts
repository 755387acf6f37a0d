// Taking an output folder for a job: one job at a time (a lock file naming the engine's pid,
// taken over when that process is gone), results of another model or recipe never mixed in
// without the user's say-so, and files we did not write never adopted as ours.
import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
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
  /** Ends the job's hold on the folder (journal closed, lock removed). */
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Output folders this engine process is writing to right now. */
const held = new Set<string>();

async function lock(stateDir: string, outputFolder: string): Promise<() => Promise<void>> {
  const path = join(stateDir, LOCK_FILE);
  const busy = () =>
    new WorkbenchError(
      'INVALID_INPUT',
      `Another batch job is writing to ${outputFolder}; wait for it or choose another folder (if none is running, delete ${path})`,
    );
  if (held.has(stateDir)) throw busy();
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      held.add(stateDir);
      return async () => {
        held.delete(stateDir);
        await rm(path, { force: true }).catch(() => {});
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw writeFailed(error, path);
      const pid = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
      // A lock left by a process that is gone (an engine that crashed) is taken over.
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) throw busy();
      await rm(path, { force: true });
    }
  }
  throw busy();
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

export async function openOutputFolder(plan: JobPlan, jobId: string): Promise<OutputFolder> {
  const { outputFolder, job, stateDir } = plan;
  try {
    await mkdir(stateDir, { recursive: true });
  } catch (error) {
    throw writeFailed(error, stateDir);
  }
  const unlock = await lock(stateDir, outputFolder);
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
