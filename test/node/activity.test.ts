// The status bar's source: engine.activity reports the engine's calls in flight in the user's
// words, the batch jobs running (done/total, paused), and why the engine last ended.
import { describe, expect, it } from 'vitest';
import type { EngineActivity } from '../../shared/activity';
import { EngineActivityFeed, callLabel } from '../../electron/node/activity';
import { BatchService } from '../../electron/node/batch-service';
import type { EngineClient, EngineState } from '../../electron/node/engine-client';
import { waitFor } from '../helpers';
import { fakeBatchEngine } from './rpc-fakes';

/** The fake engine, with a state the test sets and change listeners like the real supervisor's. */
function engineWithState() {
  const engine = fakeBatchEngine();
  const listeners = new Set<() => void>();
  let state: EngineState = { engine: 'stopped', calls: [] };
  return Object.assign(engine, {
    state: () => state,
    onChange: (l: () => void) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    set(next: EngineState) {
      state = next;
      for (const l of listeners) l();
    },
  });
}

describe('engine activity', () => {
  it('names calls in the user’s words', () => {
    expect(callLabel('model.run', { path: '/models/resnet.onnx' })).toBe('Running resnet.onnx');
    expect(callLabel('model.checkRuntime', { path: 'C:\\m\\det.onnx' })).toBe('Loading det.onnx');
    expect(callLabel('image.guessRecipe', { modelPath: '/m/cls.onnx' })).toBe('Reading cls.onnx');
    expect(callLabel('batch.count', { job: { input: { folder: '/data/photos/' } } })).toBe('Counting files in photos');
    expect(callLabel('something.else', {})).toBe('something.else');
  });

  it('follows calls, batch jobs (N of M, paused) and the last exit, and stops when the watch is let go', async () => {
    const engine = engineWithState();
    const batch = new BatchService({ engine: engine as unknown as EngineClient });
    const feed = new EngineActivityFeed(engine as unknown as EngineClient, batch.registry);
    const seen: EngineActivity[] = [];
    const controller = new AbortController();
    const following = feed.follow({ signal: controller.signal, emit: (a) => seen.push(a) });
    // The state at once.
    expect(seen).toEqual([{ engine: 'stopped', calls: [], jobs: [] }]);

    engine.set({ engine: 'ready', calls: [{ callId: 'e1', channel: 'model.run', input: { path: '/m/yolo.onnx' }, since: 5 }] });
    await waitFor(() => seen.length === 2);
    expect(seen[1]).toEqual({
      engine: 'ready',
      calls: [{ channel: 'model.run', label: 'Running yolo.onnx', since: 5 }],
      jobs: [],
    });

    await batch.start({ ...engine.job, name: 'holiday' } as never, 'job-a');
    engine.progress({ done: 120, total: 500 });
    await waitFor(() => seen.at(-1)!.jobs[0]?.done === 120);
    expect(seen.at(-1)!.jobs).toEqual([
      { jobId: 'job-a', kind: 'batch', label: 'holiday', state: 'running', done: 120, total: 500 },
    ]);
    engine.progress({ state: 'paused', done: 121, total: 500 });
    await waitFor(() => seen.at(-1)!.jobs[0]?.state === 'paused');

    engine.set({ engine: 'crashed', calls: [], lastExit: { reason: 'ran out of memory', at: 9 } });
    await waitFor(() => seen.at(-1)!.engine === 'crashed');
    expect(seen.at(-1)!.lastExit).toEqual({ reason: 'ran out of memory', at: 9 });

    controller.abort();
    expect(await following).toBeNull();
    const count = seen.length;
    engine.set({ engine: 'ready', calls: [] });
    await new Promise((r) => setTimeout(r, 150));
    expect(seen).toHaveLength(count);
    batch.registry.cancelAll();
  });
});
