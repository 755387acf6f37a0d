// How many threads a batch job's model gets. Its images are decoded on the same cores: a small
// model at every core spends more CPU in its pool (a 2-thread MobileNetV2 run costs 12 CPU ms, a
// 1-thread one 8.6) than it saves, and the decoders are short of it; a big model is worth every
// core. The job measures a few runs at the threads it starts with and keeps for the model the
// cores' share its own work takes: cores × inference / (inference + everything else).

/** What the job measured over some runs after its first (the first pays for warming up). */
export interface ThreadSample {
  /** Wall time of the runs (ms) and the images they ran. */
  runMs: number;
  images: number;
  /** The process's CPU time over the same stretch (ms), and the images decoded meanwhile. */
  cpuMs: number;
  decoded: number;
  /** CPU time of the threads that run the model (this one and onnxruntime's pool), where the system tells. */
  modelCpuMs?: number | null;
  /** The model's threads during the sample, and the cores the job may use. */
  threads: number;
  cores: number;
}

/**
 * Images a sample needs before it decides: one full run after the first. A light model's runs at
 * every core are the slow ones of its job, and the choice is a ratio far from its edge for the
 * models it matters to (MobileNetV2 about 1:1 against its decoding, ResNet-50 7:1); three runs of
 * 24 images cost a 200-photo MobileNetV2 job 30 ms more than one (bench:batch, 2 cores).
 */
export const SAMPLE_IMAGES = 8;
/**
 * Images the decoders must finish during a sample (after the first run) for it to decide: the CPU
 * of the images still in flight (up to the decoders' concurrency) is counted in their share too,
 * and charged to too few images it gave a ResNet-50-class model 1 thread of 2 where the decoders
 * got little CPU (40% slower). Fewer: the sample goes on over the next runs.
 */
export const SAMPLE_DECODES = 8;
/** Images the decoder thread must finish during the first run for that run to decide. */
export const FIRST_RUN_DECODES = 4;
/** Runs a sample needs (after the first). */
export const SAMPLE_RUNS = 1;

/**
 * Per image: the model's CPU ms and the rest's (decoding and the like). Where the threads' own
 * CPU time is not known, a run's CPU counts as its wall time × its threads (at most what it took).
 */
export function sampleCosts(s: ThreadSample): { inferenceMs: number; otherMs: number } {
  const model = s.modelCpuMs ?? s.runMs * s.threads;
  return { inferenceMs: model / s.images, otherMs: Math.max(0, s.cpuMs - model) / s.decoded };
}

/** The threads the model should have from here (never more than it had). */
export function chooseModelThreads(s: ThreadSample): number {
  if (s.images <= 0 || s.decoded <= 0 || s.threads <= 1 || s.cores <= 1) return s.threads;
  const { inferenceMs, otherMs } = sampleCosts(s);
  if (!(inferenceMs > 0)) return s.threads;
  const share = Math.round((s.cores * inferenceMs) / (inferenceMs + otherMs));
  return Math.min(s.threads, Math.max(1, share));
}
