// Which of the engine's threads come first, on Linux. A batch job's model runs on this thread
// and on onnxruntime's own pool; its images are decoded by everything else (the decoder thread,
// libuv's pool where sharp works, libvips' workers). On a machine with few cores they compete,
// and a run whose threads wait for a core takes twice as long. So the decoding threads are put
// lowest (nice +19): they take the cores the model leaves, and the model is hardly slowed by them
// (measured by bench:batch on 2 cores: MobileNet-class 62 → 77 img/s, ResNet-50-class 11.3 → 12.8
// at +10; +19 against +10, a ResNet-50-class job over 200 small images 5.56 → 5.39 s, its runs
// at every core slowed less by decodes that still got a tenth of a core at +10, and MobileNet-class
// the same). Linux lets a process lower a thread's priority but not raise it back: the
// decoding threads stay lower for the engine's life, which only matters when something else
// wants the CPU too. Elsewhere (macOS, Windows: a thread id is not a process id there) nothing
// changes.
import { readFileSync, readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

const TASKS = '/proc/self/task';
/** How much lower the decoding threads run (to the lowest, 19, from a process at 0). */
export const DECODE_NICE_STEP = 19;
/**
 * How much lower they run while a batch job samples its model's threads (batch/job.ts): at the
 * lowest they finish next to nothing during a run at every core, and the sample counts them.
 */
export const SAMPLING_NICE_STEP = 10;
const LOWEST = 19;

const linux = process.platform === 'linux';

/** This process's thread ids (Linux; [] elsewhere or when /proc cannot be read). */
export function threadIds(): number[] {
  if (!linux) return [];
  try {
    return readdirSync(TASKS).map(Number).filter(Number.isInteger);
  } catch {
    return [];
  }
}

function threadName(tid: number): string {
  try {
    return readFileSync(`${TASKS}/${tid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/**
 * CPU time the given threads have used, in ms (Linux, from schedstat); null elsewhere or when no
 * thread's could be read (a kernel without scheduler statistics). Gone threads count 0.
 */
export function threadsCpuMs(tids: Iterable<number>): number | null {
  if (!linux) return null;
  let ns = 0;
  let read = 0;
  for (const tid of tids) {
    try {
      ns += Number(readFileSync(`${TASKS}/${tid}/schedstat`, 'utf8').split(' ')[0]);
      read += 1;
    } catch {
      // Ended: its time is no longer counted (nor was it for the whole stretch).
    }
  }
  return read > 0 && Number.isFinite(ns) ? ns / 1e6 : null;
}

/**
 * Runs `make` (a session's creation) and says which threads it started: onnxruntime's pool.
 * libvips' workers, which a decode running meanwhile may start, are left out by their name.
 */
export async function threadsStartedBy<T>(make: () => Promise<T>): Promise<{ value: T; threads: number[] }> {
  const before = new Set(threadIds());
  const value = await make();
  const threads = linux ? threadIds().filter((t) => !before.has(t) && !threadName(t).startsWith('libvips')) : [];
  return { value, threads };
}

/**
 * Puts every thread of this process a step below this one, but this one and `keep` (the model's
 * threads); threads made later by the lowered ones (libvips' workers) start lower too. Returns
 * how many threads were lowered now.
 */
export function lowerOtherThreads(keep: Iterable<number>, step = DECODE_NICE_STEP): number {
  if (!linux) return 0;
  const kept = new Set([process.pid, ...keep]);
  let own: number;
  try {
    own = getPriority(0);
  } catch {
    return 0;
  }
  const target = Math.min(LOWEST, own + step);
  let lowered = 0;
  for (const tid of threadIds()) {
    if (kept.has(tid)) continue;
    try {
      if (getPriority(tid) >= target) continue;
      setPriority(tid, target);
      lowered += 1;
    } catch {
      // Gone meanwhile, or not ours to change: it keeps its priority.
    }
  }
  return lowered;
}
