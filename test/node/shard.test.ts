// Shards without processes: the hash's spread, --shard I/N and --shard auto under each
// scheduler's variables, input lists, the cgroup limits read from fake cgroup trees, and the
// thread and batch-size defaults a plan takes from them.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchJobSchema } from '../../shared/batch';
import {
  type ShardEnv,
  inShard,
  parseShardDirName,
  parseShardSpec,
  shardDirName,
  shardFromEnv,
  shardOfPath,
} from '../../shared/shard';
import { parseMaxFailures, parseShard } from '../../electron/cli/commands/batch';
import { UsageError } from '../../electron/cli/args';
import {
  parseCfsQuota,
  parseCpuMax,
  parseMembership,
  parseMemoryLimit,
  readContainerLimits,
  threadsFor,
} from '../../electron/common/cgroup';
import { listImages, readInputList } from '../../electron/engine/batch/listing';
import { batchForMemory, planJob } from '../../electron/engine/batch/plan';
import { classifierJob, classifierModel, imageFolder } from './batch-fixtures';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'owb-shard-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The names a folder of 200 photos gets from the batch fixtures. */
const fixtureNames = (n: number) =>
  Array.from(
    { length: n },
    (_, k) => `${['red', 'green', 'blue'][k % 3]}-${String(k).padStart(3, '0')}.${k % 2 ? 'png' : 'jpg'}`,
  );

function shares(files: string[], n: number): number[] {
  const counts = new Array<number>(n).fill(0);
  for (const f of files) counts[shardOfPath(f, n)] += 1;
  return counts;
}

describe('the shard hash', () => {
  it('gives every one of 200 files to exactly one shard, each share within ±40% of 200/N, for N = 2…8', () => {
    const files = fixtureNames(200);
    for (let n = 2; n <= 8; n++) {
      const counts = shares(files, n);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(200);
      for (const c of counts) {
        expect(c).toBeGreaterThanOrEqual(Math.ceil((200 / n) * 0.6));
        expect(c).toBeLessThanOrEqual(Math.floor((200 / n) * 1.4));
      }
      // inShard agrees: each file is in exactly one of the N shards.
      for (const f of files.slice(0, 20))
        expect(Array.from({ length: n }, (_, index) => inShard(f, { index, count: n })).filter(Boolean)).toHaveLength(1);
    }
  });

  it('spreads 100,000 paths in nested folders within ±3% of equal shares', () => {
    const files = Array.from({ length: 100_000 }, (_, k) => `cam${k % 13}/2024-06-${k % 30}/IMG_${k}.JPG`);
    for (let n = 2; n <= 8; n++)
      for (const c of shares(files, n)) expect(Math.abs(c - 100_000 / n) / (100_000 / n)).toBeLessThan(0.03);
  });

  it('depends only on the path: the same on every call, different for paths that differ in one character', () => {
    expect(shardOfPath('a/b/photo 1.jpg', 1000)).toBe(shardOfPath('a/b/photo 1.jpg', 1000));
    expect(new Set(['x/1.jpg', 'x/2.jpg', 'x/3.jpg', 'x/4.jpg', 'x/5.jpg'].map((f) => shardOfPath(f, 1000))).size).toBe(5);
    // UTF-8 bytes, not UTF-16 code units: an accented name has a hash of its own.
    expect(shardOfPath('été.jpg', 1 << 20)).not.toBe(shardOfPath('ete.jpg', 1 << 20));
    expect(inShard('anything.jpg', undefined)).toBe(true);
  });
});

describe('--shard I/N', () => {
  it('reads I/N and refuses what is not one', () => {
    expect(parseShardSpec('0/4')).toEqual({ index: 0, count: 4 });
    expect(parseShardSpec(' 3/4 ')).toEqual({ index: 3, count: 4 });
    expect(() => parseShardSpec('4/4')).toThrow(/index 4 is not below the count 4 \(indexes run from 0 to 3\)/);
    expect(() => parseShardSpec('1/0')).toThrow(/count must be from 1/);
    expect(() => parseShardSpec('1-4')).toThrow(/--shard takes I\/N/);
    expect(() => parseShardSpec('a/4')).toThrow(/--shard I must be a whole number, not "a"/);
    expect(() => parseShardSpec('-1/4')).toThrow(/whole number/);
    expect(shardDirName({ index: 1, count: 4 })).toBe('1-of-4');
    expect(parseShardDirName('1-of-4')).toEqual({ index: 1, count: 4 });
    expect(parseShardDirName('4-of-4')).toBeNull();
    expect(parseShardDirName('annotations')).toBeNull();
  });

  it('is part of the job: an index at or over the count is refused by the schema', () => {
    const job = classifierJob('/m.onnx', '/in', '/out');
    expect(batchJobSchema.safeParse({ ...job, shard: { index: 1, count: 2 } }).success).toBe(true);
    expect(batchJobSchema.safeParse({ ...job, shard: { index: 2, count: 2 } }).success).toBe(false);
  });
});

describe('--shard auto', () => {
  // Each scheduler's variables name the same shard as the explicit form (the CLI runs are in batch-shards.test.ts).
  const table: { name: string; env: ShardEnv; explicit: string }[] = [
    { name: 'Kubernetes Indexed Job', env: { JOB_COMPLETION_INDEX: '2', OWB_SHARD_COUNT: '3' }, explicit: '2/3' },
    {
      name: 'Slurm array --array=10-12',
      env: { SLURM_ARRAY_TASK_ID: '11', SLURM_ARRAY_TASK_MIN: '10', SLURM_ARRAY_TASK_MAX: '12', SLURM_ARRAY_TASK_COUNT: '3' },
      explicit: '1/3',
    },
    {
      name: 'Slurm array --array=0-12:4',
      env: {
        SLURM_ARRAY_TASK_ID: '8',
        SLURM_ARRAY_TASK_MIN: '0',
        SLURM_ARRAY_TASK_MAX: '12',
        SLURM_ARRAY_TASK_STEP: '4',
        SLURM_ARRAY_TASK_COUNT: '4',
      },
      explicit: '2/4',
    },
    { name: 'AWS Batch array', env: { AWS_BATCH_JOB_ARRAY_INDEX: '0', AWS_BATCH_JOB_ARRAY_SIZE: '3' }, explicit: '0/3' },
    { name: 'AWS Batch with OWB_SHARD_COUNT', env: { AWS_BATCH_JOB_ARRAY_INDEX: '1', OWB_SHARD_COUNT: '2' }, explicit: '1/2' },
    { name: 'OWB_SHARD_INDEX', env: { OWB_SHARD_INDEX: '1', OWB_SHARD_COUNT: '3' }, explicit: '1/3' },
    {
      name: 'two schedulers that agree',
      env: { OWB_SHARD_INDEX: '1', OWB_SHARD_COUNT: '3', JOB_COMPLETION_INDEX: '1' },
      explicit: '1/3',
    },
  ];
  for (const { name, env, explicit } of table)
    it(`${name}: the shard of --shard ${explicit}`, () => {
      const notes: string[] = [];
      expect(parseShard('auto', env as NodeJS.ProcessEnv, (l) => notes.push(l))).toEqual(parseShardSpec(explicit));
      expect(notes[0]).toMatch(new RegExp(`^Shard: ${explicit} \\(from `));
    });

  const errors: { name: string; env: ShardEnv; message: RegExp }[] = [
    {
      name: 'nothing set',
      env: {},
      message: /found no shard index in the environment.*JOB_COMPLETION_INDEX.*SLURM_ARRAY_TASK_ID/,
    },
    {
      name: 'Kubernetes without the count',
      env: { JOB_COMPLETION_INDEX: '0' },
      message: /JOB_COMPLETION_INDEX .* is set but OWB_SHARD_COUNT is not/,
    },
    {
      name: 'an index over the count',
      env: { JOB_COMPLETION_INDEX: '5', OWB_SHARD_COUNT: '4' },
      message: /shard index 5 is not below the count 4/,
    },
    {
      name: 'Slurm without the count',
      env: { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_MIN: '0' },
      message: /SLURM_ARRAY_TASK_COUNT is not/,
    },
    {
      name: 'a Slurm array with gaps',
      env: { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '8', SLURM_ARRAY_TASK_COUNT: '3' },
      message: /the array has gaps/,
    },
    {
      name: 'OWB_SHARD_COUNT against Slurm',
      env: { SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_COUNT: '4', OWB_SHARD_COUNT: '3' },
      message: /OWB_SHARD_COUNT=3 does not match the 4 shards/,
    },
    {
      name: 'two schedulers that disagree',
      env: { JOB_COMPLETION_INDEX: '0', OWB_SHARD_COUNT: '2', AWS_BATCH_JOB_ARRAY_INDEX: '1', AWS_BATCH_JOB_ARRAY_SIZE: '2' },
      message: /names two shards: JOB_COMPLETION_INDEX gives 0\/2, AWS_BATCH_JOB_ARRAY_INDEX gives 1\/2/,
    },
    {
      name: 'a value that is not a number',
      env: { OWB_SHARD_INDEX: 'one', OWB_SHARD_COUNT: '2' },
      message: /OWB_SHARD_INDEX must be a whole number/,
    },
  ];
  for (const { name, env, message } of errors)
    it(`${name}: a usage error that says what to set`, () => {
      expect(() => shardFromEnv(env)).toThrow(message);
      expect(() => parseShard('auto', env as NodeJS.ProcessEnv, () => {})).toThrow(UsageError);
    });
});

describe('--max-failures', () => {
  it('takes a count or a share', () => {
    expect(parseMaxFailures('0')).toEqual({ count: 0 });
    expect(parseMaxFailures('12')).toEqual({ count: 12 });
    expect(parseMaxFailures('2.5%')).toEqual({ percent: 2.5 });
    expect(() => parseMaxFailures('150%')).toThrow(UsageError);
    expect(() => parseMaxFailures('-1')).toThrow(/takes a number of files \(10\) or a share of them \(5%\), not "-1"/);
    expect(() => parseMaxFailures('ten')).toThrow(UsageError);
  });
});

describe('input lists', () => {
  it('lists the paths of the file in its order, each once, relative or absolute inside the folder', async () => {
    const folder = join(dir, 'photos');
    await imageFolder(folder, 4, 'a/');
    const list = join(dir, 'list.txt');
    await writeFile(
      list,
      `\uFEFFa/red-000.jpg\r\n\n${join(folder, 'a/green-001.png')}\n  \na/./blue-002.jpg\na/red-000.jpg\nmissing.jpg\nnotes.txt\n`,
    );
    const rels: string[] = [];
    for await (const f of readInputList(list, folder)) rels.push(f.rel);
    expect(rels).toEqual(['a/red-000.jpg', 'a/green-001.png', 'a/blue-002.jpg', 'missing.jpg', 'notes.txt']);
    // The job's filters still apply (notes.txt is no image type); a shard keeps its share of the list.
    const all = { folder, recursive: true, include: [], exclude: [], types: ['jpg', 'png'], list };
    const listed: string[] = [];
    for await (const f of listImages(all)) listed.push(f.rel);
    expect(listed).toEqual(['a/red-000.jpg', 'a/green-001.png', 'a/blue-002.jpg', 'missing.jpg']);
    const byShard: string[][] = [[], []];
    for (const index of [0, 1])
      for await (const f of listImages({ ...all, shard: { index, count: 2 } })) byShard[index].push(f.rel);
    expect([...byShard[0], ...byShard[1]].sort()).toEqual([...listed].sort());
    for (const index of [0, 1]) for (const rel of byShard[index]) expect(shardOfPath(rel, 2)).toBe(index);
  });

  it('refuses a line outside the folder, naming the list and the line; a list that is not there is not found', async () => {
    const folder = join(dir, 'photos');
    const list = join(dir, 'bad-list.txt');
    await writeFile(list, 'a/red-000.jpg\n../secret.jpg\n');
    const drain = async (l: string) => {
      for await (const _ of readInputList(l, folder));
    };
    await expect(drain(list)).rejects.toThrow(`${list} line 2: ../secret.jpg is not inside the input folder ${folder}`);
    await writeFile(list, '/etc/passwd\n');
    await expect(drain(list)).rejects.toThrow(/line 1: \/etc\/passwd is not inside the input folder/);
    await expect(drain(join(dir, 'nope.txt'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('cgroup limits', () => {
  async function tree(name: string, files: Record<string, string>) {
    const root = join(dir, name);
    for (const [rel, text] of Object.entries(files)) {
      await mkdir(join(root, rel, '..'), { recursive: true });
      await writeFile(join(root, rel), `${text}\n`);
    }
    return { root: join(root, 'sys'), self: join(root, 'self-cgroup') };
  }

  it('parses the files of v2 and v1', () => {
    expect(parseCpuMax('150000 100000')).toBe(1.5);
    expect(parseCpuMax('max 100000')).toBeNull();
    expect(parseCpuMax(null)).toBeNull();
    expect(parseMemoryLimit('536870912')).toBe(536870912);
    expect(parseMemoryLimit('max')).toBeNull();
    expect(parseMemoryLimit('9223372036854771712')).toBeNull();
    expect(parseCfsQuota('-1', '100000')).toBeNull();
    expect(parseCfsQuota('50000', '100000')).toBe(0.5);
    const m = parseMembership('12:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n1:name=systemd:/\n0::/docker/abc\n');
    expect(m.unified).toBe('/docker/abc');
    expect(m.v1.get('cpu')).toBe('/docker/abc');
    expect(m.v1.get('memory')).toBe('/docker/abc');
  });

  it('v2: the quota of the container at the root of its namespace', async () => {
    const paths = await tree('v2', {
      'sys/cgroup.controllers': 'cpu memory',
      'sys/cpu.max': '150000 100000',
      'sys/memory.max': '536870912',
      'self-cgroup': '0::/',
    });
    expect(await readContainerLimits(paths)).toEqual({ cpus: 1.5, memoryBytes: 536870912 });
  });

  it('v2: the tightest limit on the way from the process cgroup up (a pod limits its containers)', async () => {
    const paths = await tree('v2-nested', {
      'sys/cgroup.controllers': 'cpu memory',
      'sys/cpu.max': 'max 100000',
      'sys/memory.max': 'max',
      'sys/kubepods/cpu.max': '400000 100000',
      'sys/kubepods/pod1/memory.max': '1073741824',
      'sys/kubepods/pod1/c1/cpu.max': 'max 100000',
      'sys/kubepods/pod1/c1/memory.max': 'max',
      'self-cgroup': '0::/kubepods/pod1/c1',
    });
    expect(await readContainerLimits(paths)).toEqual({ cpus: 4, memoryBytes: 1073741824 });
  });

  it('v1: cfs quota and memory.limit_in_bytes, the huge "no limit" value read as none', async () => {
    const paths = await tree('v1', {
      'sys/cpu,cpuacct/cpu.cfs_quota_us': '200000',
      'sys/cpu,cpuacct/cpu.cfs_period_us': '100000',
      'sys/memory/memory.limit_in_bytes': '9223372036854771712',
      'sys/memory/docker/abc/memory.limit_in_bytes': '268435456',
      'self-cgroup': '4:memory:/docker/abc\n2:cpu,cpuacct:/docker/abc\n0::/',
    });
    expect(await readContainerLimits(paths)).toEqual({ cpus: 2, memoryBytes: 268435456 });
  });

  it('no cgroup files: no limits', async () => {
    expect(await readContainerLimits({ root: join(dir, 'none'), self: join(dir, 'none', 'self') })).toEqual({
      cpus: null,
      memoryBytes: null,
    });
  });

  it('threads: the quota rounded down (at least 1) or the usable CPUs; none when the host count is not limited', () => {
    expect(threadsFor({ cpus: 1.5, memoryBytes: null }, 64, 64)).toBe(1);
    expect(threadsFor({ cpus: 0.25, memoryBytes: null }, 64, 64)).toBe(1);
    expect(threadsFor({ cpus: 6, memoryBytes: null }, 4, 64)).toBe(4);
    expect(threadsFor({ cpus: null, memoryBytes: null }, 8, 64)).toBe(8);
    expect(threadsFor({ cpus: null, memoryBytes: null }, 64, 64)).toBeNull();
    expect(threadsFor({ cpus: 128, memoryBytes: null }, 8, 8)).toBeNull();
  });

  it('a plan takes its threads from the quota and its auto batch size from the memory limit', async () => {
    const model = join(dir, 'classifier.onnx');
    await writeFile(model, classifierModel());
    const folder = join(dir, 'photos');
    const job = (over = {}) => batchJobSchema.parse(classifierJob(model, folder, join(dir, 'plan-out'), over));
    const machine = { usable: 16, host: 16 };
    const limited = await planJob(job(), { limits: { cpus: 2, memoryBytes: null }, cpus: machine });
    expect(limited.options.intraOpThreads).toBe(2);
    expect(limited.batchSize).toBe(8);
    const free = await planJob(job(), { limits: { cpus: null, memoryBytes: null }, cpus: machine });
    expect(free.options.intraOpThreads).toBeUndefined();
    // --threads wins over the quota.
    const given = await planJob(job({ options: { intraOpThreads: 3 } }), {
      limits: { cpus: 2, memoryBytes: null },
      cpus: machine,
    });
    expect(given.options.intraOpThreads).toBe(3);
    // 512×512 float32 RGB is 3 MiB a tensor: 256 MiB leaves room for one image per run, 2 GiB for five.
    const big = { recipe: { inputs: { x: { resize: { mode: 'stretch', width: 512, height: 512 } } } } } as const;
    const small = await planJob(job(big), { limits: { cpus: null, memoryBytes: 256 * 2 ** 20 }, cpus: machine });
    expect(small.batchSize).toBe(1);
    const more = await planJob(job(big), { limits: { cpus: null, memoryBytes: 2 * 2 ** 30 }, cpus: machine });
    expect(more.batchSize).toBe(5);
    const unlimited = await planJob(job(big), { limits: { cpus: null, memoryBytes: null }, cpus: machine });
    expect(unlimited.batchSize).toBe(8);
    expect(batchForMemory(2 ** 40, 1)).toBe(64);
  });
});
