// Static sharding of a batch job: shard I of N takes the files whose hash of their path relative to
// the input folder falls in the I-th of N equal slices of the hash range. Every shard computes the
// same answer on its own, so shards need no shared listing order and no coordinator; the index and
// count come from the command line (--shard I/N) or from a scheduler's environment (--shard auto).

export interface ShardSpec {
  /** 0 … count − 1. */
  index: number;
  count: number;
}

export const MAX_SHARDS = 100_000;

/** "shard 1 of 4" (the index as given: 0-based). */
export function describeShard(s: ShardSpec): string {
  return `shard ${s.index} of ${s.count}`;
}

/** The folder name of a shard's state and results: "1-of-4". */
export function shardDirName(s: ShardSpec): string {
  return `${s.index}-of-${s.count}`;
}

/** The inverse of shardDirName; null for any other name. */
export function parseShardDirName(name: string): ShardSpec | null {
  const m = /^(\d{1,6})-of-(\d{1,6})$/.exec(name);
  if (!m) return null;
  const spec = { index: Number(m[1]), count: Number(m[2]) };
  return spec.count >= 1 && spec.count <= MAX_SHARDS && spec.index < spec.count ? spec : null;
}

/** A shard the user or the environment gave was not understood: the message says what to change. */
export class ShardSpecError extends Error {}

const WHOLE = /^\d{1,9}$/;

function whole(value: string, what: string): number {
  const v = value.trim();
  if (!WHOLE.test(v)) throw new ShardSpecError(`${what} must be a whole number, not "${value}"`);
  return Number(v);
}

function checked(index: number, count: number, where: string): ShardSpec {
  if (count < 1 || count > MAX_SHARDS)
    throw new ShardSpecError(`${where}: the shard count must be from 1 to ${MAX_SHARDS}, not ${count}`);
  if (index >= count)
    throw new ShardSpecError(
      `${where}: shard index ${index} is not below the count ${count} (indexes run from 0 to ${count - 1})`,
    );
  return { index, count };
}

/** "I/N" as given to --shard. */
export function parseShardSpec(text: string): ShardSpec {
  const m = /^\s*([^/]+)\/([^/]+)\s*$/.exec(text);
  if (!m) throw new ShardSpecError(`--shard takes I/N (for example 0/4) or auto, not "${text}"`);
  return checked(whole(m[1], '--shard I'), whole(m[2], '--shard N'), `--shard ${text}`);
}

export type ShardEnv = Readonly<Record<string, string | undefined>>;

export interface ShardFromEnv extends ShardSpec {
  /** Where the index came from, for the user: "SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN". */
  source: string;
}

const set = (env: ShardEnv, name: string) => env[name] !== undefined && env[name] !== '';

/** One scheduler's reading of the environment; null when its index variable is not set. */
type Reader = (env: ShardEnv) => ShardFromEnv | null;

/** A variable that must be set along with the index variable. */
function required(env: ShardEnv, name: string, hint: string, indexVar: string): number {
  if (!set(env, name)) throw new ShardSpecError(`--shard auto: ${indexVar} is set but ${name} is not; ${hint}`);
  return whole(env[name]!, name);
}

const kubernetes: Reader = (env) => {
  if (!set(env, 'JOB_COMPLETION_INDEX')) return null;
  const index = whole(env.JOB_COMPLETION_INDEX!, 'JOB_COMPLETION_INDEX');
  const count = required(
    env,
    'OWB_SHARD_COUNT',
    "set it to the Job's completions in the pod's env (Kubernetes does not pass the count)",
    'JOB_COMPLETION_INDEX (a Kubernetes Indexed Job)',
  );
  return { ...checked(index, count, 'JOB_COMPLETION_INDEX with OWB_SHARD_COUNT'), source: 'JOB_COMPLETION_INDEX' };
};

const slurm: Reader = (env) => {
  if (!set(env, 'SLURM_ARRAY_TASK_ID')) return null;
  const id = whole(env.SLURM_ARRAY_TASK_ID!, 'SLURM_ARRAY_TASK_ID');
  const hint = 'run it as an array job (sbatch --array=0-3)';
  const min = required(env, 'SLURM_ARRAY_TASK_MIN', hint, 'SLURM_ARRAY_TASK_ID');
  const count = required(env, 'SLURM_ARRAY_TASK_COUNT', hint, 'SLURM_ARRAY_TASK_ID');
  const step = set(env, 'SLURM_ARRAY_TASK_STEP') ? whole(env.SLURM_ARRAY_TASK_STEP!, 'SLURM_ARRAY_TASK_STEP') : 1;
  const where = `SLURM_ARRAY_TASK_ID=${id} (min ${min}, step ${step}, count ${count})`;
  if (id < min) throw new ShardSpecError(`--shard auto: ${where}: the task id is below the array's minimum`);
  // An array with gaps (--array=1,3,8) gives ids that do not map onto 0 … count − 1.
  if (step < 1 || (id - min) % step !== 0)
    throw new ShardSpecError(
      `--shard auto: ${where}: the array is not evenly spaced; use a range such as --array=0-${count - 1}`,
    );
  if (set(env, 'SLURM_ARRAY_TASK_MAX')) {
    const max = whole(env.SLURM_ARRAY_TASK_MAX!, 'SLURM_ARRAY_TASK_MAX');
    if ((max - min) / step + 1 !== count)
      throw new ShardSpecError(
        `--shard auto: ${where}, max ${max}: the array has gaps; use a range such as --array=0-${count - 1}`,
      );
  }
  const source = step === 1 ? 'SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN' : 'SLURM_ARRAY_TASK_ID (stepped array)';
  return { ...checked((id - min) / step, count, `--shard auto: ${where}`), source };
};

const awsBatch: Reader = (env) => {
  if (!set(env, 'AWS_BATCH_JOB_ARRAY_INDEX')) return null;
  const index = whole(env.AWS_BATCH_JOB_ARRAY_INDEX!, 'AWS_BATCH_JOB_ARRAY_INDEX');
  const name = set(env, 'AWS_BATCH_JOB_ARRAY_SIZE') ? 'AWS_BATCH_JOB_ARRAY_SIZE' : 'OWB_SHARD_COUNT';
  const count = required(
    env,
    name,
    "set AWS_BATCH_JOB_ARRAY_SIZE (or OWB_SHARD_COUNT) to the array's size in the job definition",
    'AWS_BATCH_JOB_ARRAY_INDEX (an AWS Batch array job)',
  );
  return { ...checked(index, count, `AWS_BATCH_JOB_ARRAY_INDEX with ${name}`), source: 'AWS_BATCH_JOB_ARRAY_INDEX' };
};

const explicit: Reader = (env) => {
  if (!set(env, 'OWB_SHARD_INDEX')) return null;
  const index = whole(env.OWB_SHARD_INDEX!, 'OWB_SHARD_INDEX');
  const count = required(env, 'OWB_SHARD_COUNT', 'set both', 'OWB_SHARD_INDEX');
  return { ...checked(index, count, 'OWB_SHARD_INDEX with OWB_SHARD_COUNT'), source: 'OWB_SHARD_INDEX' };
};

const READERS: readonly Reader[] = [explicit, kubernetes, slurm, awsBatch];

/**
 * The shard the environment names, for --shard auto. Several schedulers' variables may be set at
 * once (a Slurm job inside a pod) as long as they name the same shard; OWB_SHARD_COUNT, when set,
 * must agree with the scheduler's own count.
 */
export function shardFromEnv(env: ShardEnv): ShardFromEnv {
  const found = READERS.map((read) => read(env)).filter((s): s is ShardFromEnv => s !== null);
  if (!found.length)
    throw new ShardSpecError(
      '--shard auto found no shard index in the environment: run it as a Kubernetes Indexed Job (JOB_COMPLETION_INDEX, with OWB_SHARD_COUNT), a Slurm array (SLURM_ARRAY_TASK_ID), an AWS Batch array job (AWS_BATCH_JOB_ARRAY_INDEX), or set OWB_SHARD_INDEX and OWB_SHARD_COUNT; or give --shard I/N',
    );
  const first = found[0];
  for (const other of found.slice(1))
    if (other.index !== first.index || other.count !== first.count)
      throw new ShardSpecError(
        `--shard auto: the environment names two shards: ${first.source} gives ${first.index}/${first.count}, ${other.source} gives ${other.index}/${other.count}; unset one of them`,
      );
  if (set(env, 'OWB_SHARD_COUNT') && whole(env.OWB_SHARD_COUNT!, 'OWB_SHARD_COUNT') !== first.count)
    throw new ShardSpecError(
      `--shard auto: OWB_SHARD_COUNT=${env.OWB_SHARD_COUNT} does not match the ${first.count} shards ${first.source} is counted from`,
    );
  return first;
}

/** UTF-8 bytes of a string (no TextEncoder needed: this file runs everywhere). */
function utf8(text: string): number[] {
  const out: number[] = [];
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return out;
}

/**
 * A stable 32-bit hash of a relative path ('/' separators): FNV-1a over its UTF-8 bytes, then
 * MurmurHash3's finaliser so that names differing in one character spread over the whole range.
 */
export function pathHash(rel: string): number {
  let h = 0x811c9dc5;
  for (const b of utf8(rel)) {
    h ^= b;
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The shard (0 … count − 1) a file belongs to: its hash's slice of the range. */
export function shardOfPath(rel: string, count: number): number {
  return Math.floor((pathHash(rel) * count) / 2 ** 32);
}

export function inShard(rel: string, shard: ShardSpec | undefined): boolean {
  return !shard || shard.count === 1 || shardOfPath(rel, shard.count) === shard.index;
}
