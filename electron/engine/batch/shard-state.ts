// The shards of one job sharing an output folder: each has a folder of its own under
// .onnx-workbench/shards/ ("1-of-4": journal, lock, job file, results) and a shard.json that
// says which shard of which job it is and how its last run ended. A shard starting checks its
// siblings' files, so that shards of another split, or of another model or recipe, are refused;
// `batch merge` reads them to say which shards are missing or unfinished.
import { hostname } from 'node:os';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { BATCH_OUTPUTS, type BatchJob, type BatchSummary } from '../../../shared/batch';
import { WorkbenchError } from '../../../shared/result';
import { type ShardSpec, describeShard, parseShardDirName } from '../../../shared/shard';
import { SHARD_FILE, SHARDS_DIR, STATE_DIR, writeAtomic } from './outputs';

export const SHARD_FORMAT = 'onnx-workbench/batch-shard';

const shardStateSchema = z.object({
  format: z.literal(SHARD_FORMAT),
  index: z.number().int().min(0),
  count: z.number().int().min(1),
  /** The model+recipe key of the job (plan.ts): shards of one job share it. */
  key: z.string(),
  write: z.array(z.enum(BATCH_OUTPUTS)),
  /** running: a run started and has not ended (it is running, or it was killed). */
  state: z.enum(['running', 'finished', 'cancelled', 'failed']),
  error: z.string().optional(),
  total: z.number().optional(),
  ok: z.number().optional(),
  failed: z.number().optional(),
  host: z.string(),
  pid: z.number(),
  startedAt: z.string(),
  updatedAt: z.string(),
});
export type ShardState = z.infer<typeof shardStateSchema>;

export interface ShardFolder {
  spec: ShardSpec;
  dir: string;
  /** null: the folder is there but its shard.json is missing or unreadable (a run that never got going). */
  state: ShardState | null;
}

export const shardsRoot = (outputFolder: string) => join(outputFolder, STATE_DIR, SHARDS_DIR);

/** Every shard folder in an output folder, by index then count. */
export async function readShardFolders(outputFolder: string): Promise<ShardFolder[]> {
  const root = shardsRoot(outputFolder);
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return [];
  }
  const out: ShardFolder[] = [];
  for (const name of names) {
    const spec = parseShardDirName(name);
    if (!spec) continue;
    const dir = join(root, name);
    const raw = await readFile(join(dir, SHARD_FILE), 'utf8').catch(() => null);
    let state: ShardState | null = null;
    try {
      const parsed = shardStateSchema.safeParse(raw === null ? null : JSON.parse(raw));
      if (parsed.success && parsed.data.index === spec.index && parsed.data.count === spec.count) state = parsed.data;
    } catch {
      state = null;
    }
    out.push({ spec, dir, state });
  }
  return out.sort((a, b) => a.spec.index - b.spec.index || a.spec.count - b.spec.count);
}

/**
 * Whether a job may write into this output folder next to the shards (or the unsharded job)
 * already there. Returns whether the folder holds nothing of a batch job yet.
 */
export async function checkShardSiblings(
  job: BatchJob,
  key: string,
  outputFolder: string,
  ownJournalExists: boolean,
  topJournalExists: boolean,
): Promise<{ fresh: boolean }> {
  const shards = await readShardFolders(outputFolder);
  const shard = job.shard;
  if (!shard) {
    const any = shards.find((s) => s.state);
    if (any)
      throw new WorkbenchError(
        'INVALID_INPUT',
        `${outputFolder} holds the shards of a job split ${any.spec.count} ways: run each shard with --shard I/${any.spec.count}, or merge them with "onnx-workbench batch merge ${outputFolder}"; choose another folder for a job without shards`,
      );
    return { fresh: !ownJournalExists };
  }
  if (topJournalExists)
    throw new WorkbenchError(
      'INVALID_INPUT',
      `${outputFolder} holds the results of a batch job run without --shard; choose another output folder for a sharded job`,
    );
  const others = shards.filter((s) => s.state && (s.spec.index !== shard.index || s.spec.count !== shard.count));
  const split = others.find((s) => s.spec.count !== shard.count);
  if (split)
    throw new WorkbenchError(
      'INVALID_INPUT',
      `${outputFolder} holds ${describeShard(split.spec)} of a job split ${split.spec.count} ways, not ${shard.count}: run this job with --shard I/${split.spec.count}, or choose another output folder`,
    );
  const foreign = others.find((s) => s.state!.key !== key);
  if (foreign && !job.output.overwrite)
    throw new WorkbenchError(
      'INVALID_INPUT',
      `${outputFolder} holds ${describeShard(foreign.spec)} of a batch job with another model, recipe or per-image outputs; choose another output folder, or allow overwriting to run this one over them`,
    );
  return { fresh: !ownJournalExists && others.length === 0 };
}

/** Writes this shard's shard.json (atomically: merge may read it at any time). */
export async function writeShardState(
  stateDir: string,
  job: BatchJob,
  key: string,
  startedAt: string,
  end?: BatchSummary,
): Promise<void> {
  const shard = job.shard;
  if (!shard) return;
  const state: ShardState = {
    format: SHARD_FORMAT,
    index: shard.index,
    count: shard.count,
    key,
    write: job.output.write,
    state: end ? end.state : 'running',
    ...(end?.error ? { error: end.error.message } : {}),
    ...(end ? { total: end.total, ok: end.ok, failed: end.failed } : {}),
    host: hostname(),
    pid: process.pid,
    startedAt,
    updatedAt: new Date().toISOString(),
  };
  await writeAtomic(join(stateDir, SHARD_FILE), `${JSON.stringify(state, null, 2)}\n`, true);
}
