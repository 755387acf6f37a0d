// The CPU and memory a container or scheduler gives this process, from its cgroup: a pod with
// `limits: cpu: 2` on a 64-core node must run 2 threads, not 64. cgroup v2 (cpu.max, memory.max)
// and v1 (cpu.cfs_quota_us / cpu.cfs_period_us, memory.limit_in_bytes), each level from the
// process's own cgroup up to the root (a parent's limit binds its children too).
import { readFile } from 'node:fs/promises';
import { availableParallelism, cpus as hostCpus } from 'node:os';
import { join, posix } from 'node:path';

export interface ContainerLimits {
  /** CPUs the quota allows (may be fractional: 1.5); null: no quota. */
  cpus: number | null;
  /** Bytes of memory the cgroup may use; null: no limit. */
  memoryBytes: number | null;
}

export interface CgroupPaths {
  /** Where cgroup file systems are mounted (default /sys/fs/cgroup). */
  root: string;
  /** The process's cgroup membership (default /proc/self/cgroup). */
  self: string;
}

const DEFAULT_PATHS: CgroupPaths = { root: '/sys/fs/cgroup', self: '/proc/self/cgroup' };

/** v1 writes "no limit" as a huge number (PAGE_COUNTER_MAX pages: 9223372036854771712). */
const V1_UNLIMITED = 2 ** 62;

const read = (path: string) =>
  readFile(path, 'utf8').then(
    (t) => t.trim(),
    () => null,
  );

/** "200000 100000" → 2; "max 100000" → null. */
export function parseCpuMax(text: string | null): number | null {
  if (!text) return null;
  const [quota, period = '100000'] = text.split(/\s+/);
  if (quota === 'max') return null;
  const q = Number(quota);
  const p = Number(period);
  return Number.isFinite(q) && Number.isFinite(p) && q > 0 && p > 0 ? q / p : null;
}

/** memory.max: "max" or bytes; v1 memory.limit_in_bytes: bytes, a huge number meaning none. */
export function parseMemoryLimit(text: string | null): number | null {
  if (!text || text === 'max') return null;
  const n = Number(text);
  return Number.isFinite(n) && n > 0 && n < V1_UNLIMITED ? n : null;
}

/** cpu.cfs_quota_us ("-1": none) over cpu.cfs_period_us. */
export function parseCfsQuota(quota: string | null, period: string | null): number | null {
  if (!quota || !period) return null;
  const q = Number(quota);
  const p = Number(period);
  return Number.isFinite(q) && Number.isFinite(p) && q > 0 && p > 0 ? q / p : null;
}

interface Membership {
  /** The unified (v2) hierarchy's path, when listed. */
  unified?: string;
  /** v1: controller name → path. */
  v1: Map<string, string>;
}

/** /proc/self/cgroup: "0::/path" (v2) and "4:memory:/path", "2:cpu,cpuacct:/path" (v1). */
export function parseMembership(text: string): Membership {
  const out: Membership = { v1: new Map() };
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    const [, id, controllers, path] = m;
    if (id === '0' && controllers === '') out.unified = path;
    else for (const c of controllers.split(',')) if (c) out.v1.set(c, path);
  }
  return out;
}

/** A cgroup path and each ancestor up to the mount's root: /a/b → /a/b, /a, /. */
function levels(path: string): string[] {
  const out: string[] = [];
  let p = posix.normalize(path.startsWith('/') ? path : `/${path}`);
  for (;;) {
    out.push(p);
    if (p === '/') return out;
    p = posix.dirname(p);
  }
}

const smaller = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.min(a, b));

/** The tightest limit along a cgroup's path; a path not mounted here (no cgroup namespace) counts from the mount's root. */
async function alongPath(mount: string, path: string, limit: (dir: string) => Promise<number | null>): Promise<number | null> {
  let best: number | null = null;
  for (const level of levels(path)) best = smaller(best, await limit(join(mount, level)));
  return best;
}

/** The CPU quota and memory limit of this process's cgroups (v2 and v1 both read; the tighter wins). */
export async function readContainerLimits(paths: CgroupPaths = DEFAULT_PATHS): Promise<ContainerLimits> {
  const membership = parseMembership((await read(paths.self)) ?? '');
  let cpus: number | null = null;
  let memoryBytes: number | null = null;
  if (membership.unified !== undefined) {
    const mount = (await read(join(paths.root, 'cgroup.controllers'))) !== null ? paths.root : join(paths.root, 'unified');
    cpus = smaller(cpus, await alongPath(mount, membership.unified, async (d) => parseCpuMax(await read(join(d, 'cpu.max')))));
    memoryBytes = smaller(
      memoryBytes,
      await alongPath(mount, membership.unified, async (d) => parseMemoryLimit(await read(join(d, 'memory.max')))),
    );
  }
  const cpuPath = membership.v1.get('cpu');
  if (cpuPath !== undefined)
    for (const name of ['cpu', 'cpu,cpuacct', 'cpuacct,cpu']) {
      const mount = join(paths.root, name);
      cpus = smaller(
        cpus,
        await alongPath(mount, cpuPath, async (d) =>
          parseCfsQuota(await read(join(d, 'cpu.cfs_quota_us')), await read(join(d, 'cpu.cfs_period_us'))),
        ),
      );
    }
  const memPath = membership.v1.get('memory');
  if (memPath !== undefined)
    memoryBytes = smaller(
      memoryBytes,
      await alongPath(join(paths.root, 'memory'), memPath, async (d) =>
        parseMemoryLimit(await read(join(d, 'memory.limit_in_bytes'))),
      ),
    );
  return { cpus, memoryBytes };
}

/** The cores a process may keep busy: the CPUs it may run on, within a container's quota (at least 1). */
export function usableCores(limits: ContainerLimits, usable = availableParallelism()): number {
  const quota = limits.cpus === null ? Infinity : Math.max(1, Math.floor(limits.cpus));
  return Math.max(1, Math.min(quota, usable));
}

/**
 * Threads to run on: the CPU quota (rounded down, at least 1) or the CPUs this process may be
 * scheduled on (a cpuset), whichever is fewer; null when neither limits the host's count.
 */
export function threadsFor(limits: ContainerLimits, usable = availableParallelism(), host = hostCpus().length): number | null {
  const n = usableCores(limits, usable);
  return n < host ? n : null;
}
