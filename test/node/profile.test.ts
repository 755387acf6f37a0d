// Reading onnxruntime's profile (streamed), folding it per node, op type and provider, the MACs,
// the fused nodes and the fallback report: fabricated profiles whose answers the test knows.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeInfo } from '../../shared/model-info';
import { ArrayElementScanner, readProfileEvents } from '../../electron/engine/profile/events';
import { fusedNodes } from '../../electron/engine/profile/fusion';
import { nodeMacs } from '../../electron/engine/profile/macs';
import { ProfileAccumulator } from '../../electron/engine/profile/summary';
import { capNodes } from '../../electron/engine/profile/run';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'owb-profile-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A node event as onnxruntime 1.30 writes it (the thread statistics included: they make profiles big). */
function nodeEvent(
  name: string,
  op: string,
  dur: number,
  o: { provider?: string; inputs?: number[][]; outputs?: number[][]; type?: string } = {},
): string {
  const t = o.type ?? 'float';
  const shapes = (list: number[][]) => list.map((s) => ({ [t]: s }));
  return JSON.stringify({
    cat: 'Node',
    pid: 1,
    tid: 1,
    dur,
    ts: 0,
    ph: 'X',
    name: `${name}_kernel_time`,
    args: {
      op_name: op,
      provider: o.provider ?? 'CPUExecutionProvider',
      thread_scheduling_stats: { main_thread: { thread_pool_name: 'session-1-intra-op', block_size: [], core: -1 } },
      input_type_shape: shapes(o.inputs ?? []),
      output_type_shape: shapes(o.outputs ?? []),
      output_size: '0',
    },
  });
}
const runEvent = (dur: number) => JSON.stringify({ cat: 'Session', name: 'model_run', dur, ts: 0, ph: 'X', args: {} });
const session = (name: string) => JSON.stringify({ cat: 'Session', name, dur: 5, ts: 0, ph: 'X', args: {} });

async function writeProfile(name: string, events: string[]): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `[\n${events.join(',\n')}\n]\n`);
  return path;
}

async function summarise(path: string, warmup: number, extra: Partial<Parameters<ProfileAccumulator['summary']>[0]> = {}) {
  const acc = new ProfileAccumulator(warmup);
  for await (const e of readProfileEvents(path)) acc.add(e);
  return acc.summary({ graphNodes: [], ...extra });
}

describe('the streaming scanner', () => {
  const events = [
    { cat: 'Node', name: 'a{b}[c]', args: { s: 'quote " and \\ and }]' } },
    { cat: 'Session', name: 'é ünïcode ☃', args: { nested: [[1, { x: '}' }], 2] } },
  ];
  const text = JSON.stringify(events, null, 1);

  it('finds every element whatever the chunk boundaries', () => {
    for (const size of [1, 2, 3, 7, 64, text.length]) {
      const s = new ArrayElementScanner('p.json');
      const found: string[] = [];
      for (let i = 0; i < text.length; i += size) found.push(...s.push(text.slice(i, i + size)));
      s.end();
      expect(found.map((f) => JSON.parse(f))).toEqual(events);
    }
  });

  it('names the file and the problem for text that is not a profile', () => {
    expect(() => new ArrayElementScanner('x.json').push('{"a":1}')).toThrow(/x\.json is not an onnxruntime profile.*"\["/);
    expect(() => new ArrayElementScanner('x.json').push('[1, 2]')).toThrow(/not an object/);
    const cut = new ArrayElementScanner('cut.json');
    cut.push('[{"cat":"Node","name":"a"},{"cat":"No');
    expect(() => cut.end()).toThrow(/cut\.json ends in the middle of an event/);
    expect(() => new ArrayElementScanner('e.json').end()).toThrow(/e\.json is empty/);
  });

  it('reads a file of events as a stream, and fails cleanly on a bad one', async () => {
    const path = await writeProfile('small.json', [session('model_loading_uri'), nodeEvent('n', 'Relu', 3)]);
    const names: string[] = [];
    for await (const e of readProfileEvents(path)) names.push(e.name);
    expect(names).toEqual(['model_loading_uri', 'n_kernel_time']);
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '[{"cat":"Node", "name": }]');
    await expect(async () => {
      for await (const _ of readProfileEvents(bad)) void _;
    }).rejects.toThrow(/bad\.json has an event that is not valid JSON/);
    await expect(async () => {
      for await (const _ of readProfileEvents(join(dir, 'missing.json'))) void _;
    }).rejects.toThrow(/missing\.json/);
  });

  it('streams a large profile (tens of MB) with the right totals and without holding it', async () => {
    const path = join(dir, 'large.json');
    const out = createWriteStream(path);
    const nodesPerRun = 5000;
    const runs = 12;
    let expectedUs = 0;
    out.write('[\n');
    out.write(session('session_initialization'));
    for (let r = 0; r < runs; r++) {
      let chunk = '';
      for (let k = 0; k < nodesPerRun; k++) {
        const dur = ((k * 7 + r) % 13) + 1;
        if (r > 0) expectedUs += dur;
        chunk += `,\n${nodeEvent(`/block${k % 50}/node${k}`, k % 2 ? 'Conv' : 'Relu', dur, { outputs: [[1, 8, 4, 4]] })}`;
      }
      chunk += `,\n${runEvent(100_000)}`;
      if (!out.write(chunk)) await once(out, 'drain');
    }
    out.end('\n]\n');
    await once(out, 'finish');
    const size = (await stat(path)).size;
    expect(size).toBeGreaterThan(20_000_000);

    const acc = new ProfileAccumulator(1);
    for await (const e of readProfileEvents(path)) acc.add(e);
    const s = acc.summary({ graphNodes: [] });
    expect(s.nodes).toHaveLength(nodesPerRun);
    expect(s.runs).toBe(runs - 1);
    expect(s.node_ms).toBeCloseTo(expectedUs / 1000 / (runs - 1), 6);
    expect(s.ops.map((o) => [o.op, o.count])).toEqual(
      expect.arrayContaining([
        ['Conv', nodesPerRun / 2],
        ['Relu', nodesPerRun / 2],
      ]),
    );
    // What the scanner holds between chunks is at most one unfinished event, never the file.
    const scanner = new ArrayElementScanner(path);
    let held = 0;
    let longest = 0;
    for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 64 * 1024 })) {
      for (const text of scanner.push(chunk as string)) longest = Math.max(longest, text.length);
      held = Math.max(held, scanner.pending);
    }
    scanner.end();
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThanOrEqual(longest);
  });
});

describe('aggregation', () => {
  it('means over the measured runs, warm-up left out; per op type and per provider', async () => {
    const events = [session('session_initialization')];
    // Warm-up run: slow, must not count.
    events.push(
      nodeEvent('conv', 'Conv', 9000, {
        inputs: [
          [1, 3, 8, 8],
          [4, 3, 3, 3],
        ],
        outputs: [[1, 4, 8, 8]],
      }),
    );
    events.push(nodeEvent('relu', 'Relu', 9000, { outputs: [[1, 4, 8, 8]] }));
    events.push(runEvent(20_000));
    for (const [c, r, total] of [
      [300, 100, 500],
      [500, 100, 700],
    ]) {
      events.push(
        nodeEvent('conv', 'Conv', c, {
          inputs: [
            [1, 3, 8, 8],
            [4, 3, 3, 3],
          ],
          outputs: [[1, 4, 8, 8]],
        }),
      );
      events.push(nodeEvent('relu', 'Relu', r, { outputs: [[1, 4, 8, 8]] }));
      events.push(nodeEvent('relu2', 'Relu', r, { outputs: [[1, 4, 8, 8]], type: 'int64' }));
      events.push(runEvent(total));
    }
    const graphNodes: NodeInfo[] = [
      { graph: '', name: 'conv', opType: 'Conv', domain: '', inputs: ['x', 'w'], outputs: ['c'], attributes: {} },
      { graph: '', name: 'relu', opType: 'Relu', domain: '', inputs: ['c'], outputs: ['y'], attributes: {} },
    ];
    const s = await summarise(await writeProfile('agg.json', events), 1, { graphNodes });
    expect(s.runs).toBe(2);
    expect(s.warmup_runs).toBe(1);
    expect(s.total_ms).toBeCloseTo(0.6, 9);
    const conv = s.nodes.find((n) => n.name === 'conv')!;
    expect(conv.ms).toBeCloseTo(0.4, 9);
    expect(conv.outputs).toEqual([{ name: 'c', shape: [1, 4, 8, 8], bytes: 4 * 256, dtype: 'float' }]);
    // relu2 first appears in a measured run: its mean is over the measured runs too.
    const relu2 = s.nodes.find((n) => n.name === 'relu2')!;
    expect(relu2.ms).toBeCloseTo(0.1, 9);
    expect(relu2.outputs[0]).toMatchObject({ name: 'output 0', bytes: 8 * 256 });
    expect(s.nodes.map((n) => n.name)).toEqual(['conv', 'relu', 'relu2']);
    const relu = s.ops.find((o) => o.op === 'Relu')!;
    expect(relu).toMatchObject({ count: 2 });
    expect(relu.ms).toBeCloseTo(0.2, 9);
    expect(relu.meanMs).toBeCloseTo(0.1, 9);
    expect(relu.share).toBeCloseTo(0.2 / 0.6, 9);
    expect(s.ops[0].op).toBe('Conv');
    expect(s.providers).toEqual([expect.objectContaining({ provider: 'CPUExecutionProvider', nodes: 3, nodeShare: 1 })]);
    expect(s.macs).toBe(4 * 64 * 27);
    expect(s.fallback).toBeUndefined();
  });

  it('counts every run when there is no run past the warm-up', async () => {
    const s = await summarise(await writeProfile('one.json', [nodeEvent('a', 'Add', 2000), runEvent(2500)]), 1);
    expect(s.runs).toBe(1);
    expect(s.nodes[0].ms).toBeCloseTo(2, 9);
  });

  it('keeps the slowest nodes when the list is capped, in execution order, with the totals of all', async () => {
    const events = [1, 5, 2, 4, 3].map((ms, i) => nodeEvent(`n${i}`, 'Relu', ms * 1000));
    const s = await summarise(await writeProfile('cap.json', [...events, runEvent(20_000)]), 0);
    const capped = capNodes(s, 3);
    expect(capped.nodes.map((n) => n.name)).toEqual(['n1', 'n3', 'n4']);
    expect(capped.nodes_total).toBe(5);
    expect(capped.node_ms).toBeCloseTo(15, 9);
  });
});

describe('the fallback report', () => {
  const CUDA = 'CUDAExecutionProvider';
  async function fabricated(name: string, placement: [string, string, string][]) {
    const events = placement.map(([n, op, provider]) => nodeEvent(n, op, 1000, { provider }));
    return summarise(await writeProfile(name, [...events, runEvent(10_000)]), 0, { requestedProvider: CUDA });
  }

  it('lists the nodes that ran on the CPU and the copies, and warns in words when CUDA took little', async () => {
    const s = await fabricated('fallback.json', [
      ['MemcpyFromHost_0', 'MemcpyFromHost', CUDA],
      ['conv', 'Conv', CUDA],
      ['MemcpyToHost_1', 'MemcpyToHost', CUDA],
      ['nms', 'NonMaxSuppression', 'CPUExecutionProvider'],
      ['topk', 'TopK', 'CPUExecutionProvider'],
      ['gather', 'Gather', 'CPUExecutionProvider'],
      ['gather2', 'Gather', 'CPUExecutionProvider'],
    ]);
    expect(s.fallback).toMatchObject({
      requested: CUDA,
      cpuNodes: ['nms', 'topk', 'gather', 'gather2'],
      cpuOps: { NonMaxSuppression: 1, TopK: 1, Gather: 2 },
      copies: 2,
      nodeShare: 0.2,
    });
    expect(s.fallback!.copyMs).toBeCloseTo(2, 9);
    expect(s.warnings).toEqual([
      'CUDA ran only 1 of 5 nodes (20% of the node time); 4 fell back to the CPU (2 Gather, 1 NonMaxSuppression, 1 TopK), and 2 copies moved data between the devices.',
    ]);
    expect(s.providers.find((p) => p.provider === CUDA)).toMatchObject({ nodes: 3 });
  });

  it('says nothing alarming when CUDA ran most of the graph, and says so when it ran none', async () => {
    const most = await fabricated('most.json', [
      ['a', 'Conv', CUDA],
      ['b', 'Relu', CUDA],
      ['c', 'Shape', 'CPUExecutionProvider'],
    ]);
    expect(most.fallback?.cpuNodes).toEqual(['c']);
    expect(most.warnings).toEqual([]);
    const none = await fabricated('none.json', [['a', 'Conv', 'CPUExecutionProvider']]);
    expect(none.warnings).toEqual(['CUDA was asked for but ran none of the 1 nodes: the whole model ran on the CPU.']);
  });
});

describe('MACs from concrete shapes', () => {
  /** Counts multiply-accumulates by walking every output element and every weight it uses. */
  function naiveConv(
    n: number,
    cin: number,
    h: number,
    w: number,
    cout: number,
    k: number,
    stride: number,
    pad: number,
    group: number,
  ) {
    const oh = Math.floor((h + 2 * pad - k) / stride) + 1;
    const ow = Math.floor((w + 2 * pad - k) / stride) + 1;
    let macs = 0;
    for (let b = 0; b < n; b++)
      for (let co = 0; co < cout; co++)
        for (let y = 0; y < oh; y++)
          for (let x = 0; x < ow; x++) for (let ci = 0; ci < cin / group; ci++) for (let i = 0; i < k * k; i++) macs++;
    return { macs, out: [n, cout, oh, ow] };
  }

  it('Conv, grouped and strided', () => {
    for (const [cin, cout, k, stride, pad, group] of [
      [3, 8, 3, 1, 1, 1],
      [8, 8, 3, 2, 1, 8],
      [6, 4, 5, 2, 0, 2],
    ]) {
      const { macs, out } = naiveConv(2, cin, 9, 11, cout, k, stride, pad, group);
      expect(nodeMacs('Conv', [[2, cin, 9, 11], [cout, cin / group, k, k], [cout]], [out])).toBe(macs);
      expect(
        nodeMacs(
          'FusedConv',
          [
            [2, cin, 9, 11],
            [cout, cin / group, k, k],
          ],
          [out],
        ),
      ).toBe(macs);
    }
  });

  it('ConvTranspose: every input element times its weights', () => {
    // Input [1,4,5,5], weight [4, 6/2, 3, 3] (group 2): each input value meets 3·9 weights.
    let macs = 0;
    for (let e = 0; e < 1 * 4 * 5 * 5; e++) for (let j = 0; j < 3 * 3 * 3; j++) macs++;
    expect(
      nodeMacs(
        'ConvTranspose',
        [
          [1, 4, 5, 5],
          [4, 3, 3, 3],
        ],
        [[1, 6, 11, 11]],
      ),
    ).toBe(macs);
  });

  it('Gemm and MatMul, transposed and batched', () => {
    const loops = (m: number, n: number, k: number, batch = 1) => batch * m * n * k;
    expect(
      nodeMacs(
        'Gemm',
        [
          [7, 5],
          [3, 5],
        ],
        [[7, 3]],
      ),
    ).toBe(loops(7, 3, 5));
    // transA: A is [K, M]
    expect(
      nodeMacs(
        'Gemm',
        [
          [5, 7],
          [5, 3],
        ],
        [[7, 3]],
      ),
    ).toBe(loops(7, 3, 5));
    expect(
      nodeMacs(
        'MatMul',
        [
          [2, 4, 6, 5],
          [5, 3],
        ],
        [[2, 4, 6, 3]],
      ),
    ).toBe(loops(6, 3, 5, 8));
    expect(nodeMacs('MatMul', [[5], [5, 3]], [[3]])).toBe(15);
    expect(nodeMacs('Relu', [[1, 2]], [[1, 2]])).toBeNull();
    expect(nodeMacs('Conv', [[1, 3, 8, 8]], [[1, 4, 8, 8]])).toBeNull();
  });
});

describe('fused nodes', () => {
  const node = (name: string, opType: string, inputs: string[], outputs: string[]): NodeInfo => ({
    graph: '',
    name,
    opType,
    domain: '',
    inputs,
    outputs,
    attributes: {},
  });
  const original = [
    node('/conv/Conv', 'Conv', ['x', 'w', 'b'], ['c']),
    node('', 'Relu', ['c'], ['r']),
    node('/add', 'Add', ['r', 'r'], ['y']),
    node('/id', 'Identity', ['y'], ['z']),
  ];

  it('a node that kept its name with a new op takes the nodes whose outputs it now writes', () => {
    const optimized = [node('/conv/Conv', 'FusedConv', ['x', 'w', 'b'], ['r']), node('/add', 'Add', ['r', 'r'], ['z'])];
    expect(fusedNodes(original, optimized)).toEqual(new Map([['/conv/Conv', ['/conv/Conv', 'Relu_1']]]));
  });

  it('a renamed node (NCHWc) is matched through the tensor it writes; removed nodes are not fused', () => {
    const optimized = [
      node('r_nchwc', 'Conv', ['x', 'reorder'], ['t1']),
      node('/add', 'Add', ['t1', 't1'], ['t2']),
      node('ReorderOutput', 'ReorderOutput', ['t2'], ['z']),
    ];
    const fused = fusedNodes(original, optimized);
    expect(fused.get('r_nchwc')).toEqual(['/conv/Conv', 'Relu_1']);
    // The Identity was removed, not fused into the node that now writes its output.
    expect([...fused.keys()]).toEqual(['r_nchwc']);
  });
});
