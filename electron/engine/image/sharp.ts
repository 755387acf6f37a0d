// sharp, loaded on first use and once: the engine starts without it (its native library and
// loaders take ~100 ms on a 2-core machine), and a batch job that writes no pictures never
// needs it on this thread (its decoding runs on a thread of its own).
// It is required, not imported: Node's ESM loader would first scan the CommonJS package's files
// for their export names, which costs as much again as loading it (~55 ms → ~30 ms on 2 cores).
import { createRequire } from 'node:module';
import type SharpModule from 'sharp';

const requireCjs = createRequire(import.meta.url);
let loading: Promise<typeof SharpModule> | null = null;

/** sharp as it loads on this thread (the decoder thread's entry loads it at once). */
export function requireSharp(): typeof SharpModule {
  return withoutCache(requireCjs('sharp') as typeof SharpModule);
}

export function loadSharp(): Promise<typeof SharpModule> {
  loading ??= Promise.resolve().then(requireSharp);
  return loading;
}

/**
 * Turns off libvips' operation cache, which knows a file by its path and a buffer by its address:
 * an image edited since (the same path) or a new buffer where an old one was (the same address)
 * would be answered from the cache with the old pixels. Each image here is decoded once anyway.
 */
export function withoutCache(sharp: typeof SharpModule): typeof SharpModule {
  sharp.cache(false);
  return sharp;
}
