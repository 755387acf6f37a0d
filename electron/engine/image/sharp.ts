// sharp, loaded on first use and once: the engine starts without it (its native library and
// loaders take ~100 ms on a 2-core machine), and a batch job that writes no pictures never
// needs it on this thread (its decoding runs on a thread of its own).
import type SharpModule from 'sharp';

let loading: Promise<typeof SharpModule> | null = null;

export function loadSharp(): Promise<typeof SharpModule> {
  loading ??= import('sharp').then((m) => m.default);
  return loading;
}
