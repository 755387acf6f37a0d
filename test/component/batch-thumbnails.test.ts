// The Batch view's result previews (renderer/src/lib/batch-thumbnails.svelte.ts): asked of the
// engine a few a second, not as fast as a job finishes files (each is a decode on the job's
// cores), the newest first, and only the newest few waiting.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Api } from '../../shared/api';
import { BatchThumbnails, THUMBNAIL_GAP_MS } from '../../renderer/src/lib/batch-thumbnails.svelte';

function fakeApi() {
  const asked: { path: string; at: number; answer: () => void }[] = [];
  const api = {
    call: (_channel: string, params: { path: string }) =>
      new Promise((resolve) =>
        asked.push({
          path: params.path,
          at: Date.now(),
          answer: () => resolve({ ok: true, value: { dataUrl: `data:${params.path}` } }),
        }),
      ),
  } as unknown as Api;
  return { api, asked };
}

/** Lets the microtasks and promise callbacks run. */
const settle = () => vi.advanceTimersByTimeAsync(0);

describe('batch result previews', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('asks for one at a time at most every THUMBNAIL_GAP_MS, the newest first', async () => {
    const { api, asked } = fakeApi();
    const thumbs = new BatchThumbnails(api);
    // One rendering of the strip: newest first.
    for (const p of ['f6', 'f5', 'f4']) expect(thumbs.url(p)).toBeUndefined();
    await settle();
    expect(asked.map((a) => a.path)).toEqual(['f6']);
    await vi.advanceTimersByTimeAsync(THUMBNAIL_GAP_MS - 1);
    expect(asked.length).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(asked.map((a) => a.path)).toEqual(['f6', 'f5']);
    // A newer rendering goes ahead of what was still waiting.
    for (const p of ['f8', 'f7', 'f6', 'f5', 'f4']) thumbs.url(p);
    for (let round = 0; round < 3; round++) {
      for (const a of asked) a.answer();
      await vi.advanceTimersByTimeAsync(THUMBNAIL_GAP_MS);
    }
    expect(asked.map((a) => a.path)).toEqual(['f6', 'f5', 'f8', 'f7', 'f4']);
    for (let k = 1; k < asked.length; k++) expect(asked[k].at - asked[k - 1].at).toBeGreaterThanOrEqual(THUMBNAIL_GAP_MS);
    for (const a of asked) a.answer();
    await settle();
    expect(thumbs.url('f8')).toBe('data:f8');
  });

  it('keeps only the newest few waiting: older ones are asked again if they are shown again', async () => {
    const { api, asked } = fakeApi();
    const thumbs = new BatchThumbnails(api);
    const paths = Array.from({ length: 40 }, (_, k) => `f${39 - k}`);
    for (const p of paths) thumbs.url(p);
    await settle();
    // Everything answered at once, and time enough for all that waits.
    for (let round = 0; round < 40; round++) {
      for (const a of asked) a.answer();
      await vi.advanceTimersByTimeAsync(THUMBNAIL_GAP_MS);
    }
    expect(asked.length).toBeLessThan(paths.length);
    expect(asked.map((a) => a.path)).toEqual(paths.slice(0, asked.length));
    // The oldest was dropped unasked: shown again, it is asked for.
    expect(thumbs.url('f0')).toBeUndefined();
    await vi.advanceTimersByTimeAsync(THUMBNAIL_GAP_MS);
    expect(asked.at(-1)!.path).toBe('f0');
  });
});
