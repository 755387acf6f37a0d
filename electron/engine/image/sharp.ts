// sharp, loaded on first use and once: the engine starts without it (its native library and
// loaders take ~100 ms on a 2-core machine), and a batch job that writes no pictures never
// needs it on this thread (its decoding runs on a thread of its own).
import type SharpModule from 'sharp';

let loading: Promise<typeof SharpModule> | null = null;

export function loadSharp(): Promise<typeof SharpModule> {
  loading ??= import('sharp').then((m) => withoutCache(m.default));
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
