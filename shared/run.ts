// Running a model: session options, timings, results and benchmarks. Pure and shared.
import { z } from 'zod';
import { absolutePath } from './paths';
import { PROVIDER_IDS, type ProviderChoice } from './providers';
import { type ImageTransform, preprocessRecipeSchema } from './recipe';
import { TensorSource, type TensorSummary } from './tensor';

/** An image input: one or more images (a batch) through a preprocessing recipe. */
export const ImageSource = z.strictObject({
  kind: z.literal('image'),
  paths: z.array(absolutePath).min(1).max(256),
  recipe: preprocessRecipeSchema,
});

/** Where one model input's value comes from. */
export const RunInputSource = z.union([TensorSource, ImageSource]);
export type RunInputSource = z.infer<typeof RunInputSource>;
export const runInputsSchema = z.record(z.string().min(1).max(1000), RunInputSource);

export const GRAPH_OPTIMIZATION_LEVELS = ['disabled', 'basic', 'extended', 'all'] as const;

export const sessionOptionsSchema = z.strictObject({
  /** 'auto' picks the best ready provider and falls back to the CPU, saying why. */
  provider: z.enum([...PROVIDER_IDS, 'auto']).default('auto'),
  /**
   * What happens when the provider asked for by name is not ready, or cannot load the model:
   * 'cpu' (the default) runs on the CPU and says why in `fallbackReason`; 'none' fails with
   * PROVIDER_UNAVAILABLE (the CLI asks for this unless given --fallback cpu).
   */
  fallback: z.enum(['cpu', 'none']).optional(),
  /** 0 lets onnxruntime decide. */
  intraOpThreads: z.number().int().min(0).max(1024).optional(),
  interOpThreads: z.number().int().min(0).max(1024).optional(),
  graphOptimization: z.enum(GRAPH_OPTIMIZATION_LEVELS).optional(),
  /** Sizes for symbolic dims, by name ("batch": 1). */
  freeDimensionOverrides: z
    .record(
      z.string().min(1).max(200),
      z
        .number()
        .int()
        .min(1)
        .max(1 << 30),
    )
    .optional(),
  /**
   * Let onnxruntime's worker threads spin while waiting for work (its default: lowest latency for
   * single runs). Batch jobs turn it off: the spinning takes CPU that image decoding needs.
   */
  spinning: z.boolean().optional(),
  /** onnxruntime's per-node profile for this run (chrome://tracing JSON); the session is not cached. */
  profiling: z.boolean().optional(),
  /** Write the graph as onnxruntime optimised it to this .onnx file (never over an existing file). */
  saveOptimizedModel: absolutePath
    .refine((p) => p.toLowerCase().endsWith('.onnx'), { message: 'must end with .onnx' })
    .optional(),
});
export type SessionOptions = z.output<typeof sessionOptionsSchema>;
export type SessionOptionsInput = z.input<typeof sessionOptionsSchema>;

export interface SessionTimings {
  /** Time to create the session; 0 when it came from the cache. */
  createMs: number;
  cached: boolean;
}

export interface RunTimings extends SessionTimings {
  /** Reading and converting inputs (images, files, generators). */
  prepareMs: number;
  runMs: number;
  /** Output statistics (and, later, task postprocessing). */
  postprocessMs: number;
  totalMs: number;
}

export interface RunResult {
  /** Outputs stay in the engine under this id (paging, saving) until the next runs push them out. */
  runId: string;
  model: string;
  provider: ProviderChoice;
  timings: RunTimings;
  inputs: TensorSummary[];
  outputs: TensorSummary[];
  /** For each image input, how each image of the batch maps to the tensor (to put results back). */
  transforms: Record<string, ImageTransform[]>;
  /** onnxruntime's profile (chrome://tracing JSON) when profiling was on. */
  profilePath?: string;
  /** Where the optimised model was written (saveOptimizedModel). */
  optimizedModelPath?: string;
}

export interface LatencyStats {
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface BenchmarkResult {
  provider: ProviderChoice;
  /** Time to create the session; 0 when it came from the cache (then `cached` is true). */
  createMs: number;
  cached?: boolean;
  warmup: number;
  runs: number;
  latencyMs: LatencyStats;
  /** Runs per second over the measured runs. */
  throughput: number;
  /** Every measured latency, in order (for a chart). */
  samples: number[];
}

/** Percentile by linear interpolation between closest ranks (as numpy's default). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

export function latencyStats(samples: readonly number[]): LatencyStats {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((s, x) => s + x, 0) / (sorted.length || 1);
  return {
    min: sorted[0] ?? NaN,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? NaN,
    mean,
  };
}

export const runRequestSchema = z.strictObject({
  path: absolutePath,
  inputs: runInputsSchema,
  options: sessionOptionsSchema.default({ provider: 'auto' }),
});

export const benchRequestSchema = runRequestSchema.extend({
  runs: z.number().int().min(1).max(100_000).default(100),
  warmup: z.number().int().min(0).max(10_000).default(10),
});

/** The exact tensor an image becomes, shown back as an image (wrong mean or BGR swap visible). */
export interface ImagePreview {
  /** data:image/png;base64,… of the de-normalised tensor, longest side at most 512. */
  previewPng: string;
  /** Per channel of the tensor, in tensor units. */
  channels: { name: string; min: number; max: number; mean: number }[];
  dims: number[];
  dtype: string;
  width: number;
  height: number;
  transform: ImageTransform;
  original: { width: number; height: number; format: string; orientation: number };
}
