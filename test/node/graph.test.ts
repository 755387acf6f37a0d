// The Graph tab's model: reading the graph, grouping (scopes, subgraphs, functions, flat runs),
// the layout worker's handler, search by tensor name, links, attribute decoding, the profile
// overlay, the SVG export and the `graph` command.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readGraph } from '../../electron/common/onnx/reader';
import { GraphCache } from '../../electron/engine/graph-cache';
import { decodeAttribute, decodeAttributes, operatorDocUrl } from '../../shared/graph/attributes';
import { expandedGroups } from '../../shared/graph/export';
import { GraphHierarchy, MAX_CHILDREN, OVERVIEW_BUDGET } from '../../shared/graph/hierarchy';
import { LayoutCache, handleLayoutMessage, labelEdges, layoutInProcess, layoutScene } from '../../shared/graph/layout';
import { GraphModel } from '../../shared/graph/model';
import { HEAT_DECADES, ProfileOverlay, formatMs, heatColor, heatPosition, providerColor } from '../../shared/graph/overlay';
import { searchGraph } from '../../shared/graph/search';
import { sceneToSvg } from '../../shared/graph/svg';
import type { ProfileSummary } from '../../shared/profile';
import { flatModel, functionModel, scopedModel, subgraphModel, torchvisionResnet } from '../fixtures/graph-models';
import { type ModelSpec, writeModelFile } from '../fixtures/onnx-builder';
import { MODELS, ROOT, sourceEngine } from '../helpers';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'owb-graph-'));
});

async function load(name: string, spec: ModelSpec) {
  const path = join(dir, `${name}.onnx`);
  await writeModelFile(path, spec);
  const data = await readGraph(path);
  const model = new GraphModel(data);
  return { path, data, model, h: new GraphHierarchy(model) };
}

const nodeNamed = (m: GraphModel, name: string) => m.data.node.name.indexOf(name);

/** Every item under the root, once each. */
function allItems(h: GraphHierarchy): number[] {
  const out: number[] = [];
  const walk = (g: number) => {
    for (const c of h.group(g).children) {
      out.push(c);
      if (h.isGroup(c)) walk(c);
    }
  };
  walk(h.root);
  return out;
}

function visibleCount(h: GraphHierarchy, expanded: Set<number>): number {
  let n = 0;
  const walk = (g: number) => {
    for (const c of h.group(g).children) {
      if (h.isGroup(c) && expanded.has(c)) walk(c);
      else n++;
    }
  };
  walk(h.root);
  return n;
}

describe('reading the graph', () => {
  it('keeps nodes in the Nodes table order, with tensors, shapes and weights resolved', async () => {
    const { model, data } = await load('scoped', scopedModel(60));
    const cast = nodeNamed(model, '/embeddings/Cast');
    expect(cast).toBe(0);
    expect(model.attrs(cast)).toEqual({ to: '1' });
    const out = model.outputs(cast)[0];
    expect(model.tensorName(out)).toBe('/embeddings/Cast_output_0');
    expect(model.shape(out)).toEqual(['batch', 8, 8]);
    expect(model.dtype(out)).toBe('float32');
    // The Cast's output feeds query, key and value and the first residual Add.
    const readers = model.consumers(out).map((i) => model.name(i));
    expect(readers).toEqual([
      '/encoder/layer.0/attention/self/query/MatMul',
      '/encoder/layer.0/attention/self/key/MatMul',
      '/encoder/layer.0/attention/self/value/MatMul',
      '/encoder/layer.0/attention/output/Add',
    ]);
    const q = nodeNamed(model, '/encoder/layer.0/attention/self/query/MatMul');
    expect(model.producer[model.inputs(q)[0]]).toBe(cast);
    const w = model.inputs(q)[1];
    expect(model.isWeight(w)).toBe(true);
    expect(model.tensorName(w)).toBe('encoder.layer.0.attention.self.query.weight');
    expect(data.graphs[0].inputs.map((t) => model.tensorName(t))).toEqual(['input_ids']);
  });

  it('resolves a subgraph’s reads of outer tensors to the outer graph', async () => {
    const { model, data } = await load('control', subgraphModel());
    expect(data.graphs.map((g) => g.kind)).toEqual(['main', 'subgraph', 'subgraph']);
    const pre = nodeNamed(model, 'pre');
    const neg = nodeNamed(model, 'then_neg');
    expect(model.graphOf(neg)).toBe(1);
    expect(model.inputs(neg)[0]).toBe(model.outputs(pre)[0]);
    expect(data.graphs[1]).toMatchObject({ owner: nodeNamed(model, 'branch'), attr: 'then_branch', parent: 0 });
  });

  it('keeps a function’s names apart from the main graph’s', async () => {
    const { model, data } = await load('fn', functionModel());
    expect(data.graphs[1]).toMatchObject({ kind: 'function', attr: 'custom::Swish' });
    const sig = nodeNamed(model, 'sig');
    expect(model.graphOf(sig)).toBe(1);
    expect(model.tensorName(model.inputs(sig)[0])).toBe('X');
    expect(model.producer[model.inputs(sig)[0]]).toBe(-1);
  });
  it('reads a model once while it stays the same file, and again when it changes', async () => {
    const path = join(dir, 'cached.onnx');
    await writeModelFile(path, flatModel(5));
    const reads: string[] = [];
    const cache = new GraphCache(async (p) => {
      reads.push(p);
      return readGraph(p);
    });
    const first = await cache.get(path);
    expect(await cache.get(path)).toBe(first);
    expect(reads).toEqual([path]);
    await writeModelFile(path, flatModel(7));
    await utimes(path, new Date(), new Date(Date.now() + 5000));
    const changed = await cache.get(path);
    expect(reads).toEqual([path, path]);
    expect(changed.node.name.length).toBe(7);
    // A read that fails is not kept: the next call tries again (and names the file).
    const broken = join(dir, 'broken.onnx');
    await writeFile(broken, 'not a model');
    await expect(cache.get(broken)).rejects.toThrow(/broken\.onnx/);
    await expect(cache.get(broken)).rejects.toThrow(/broken\.onnx/);
    expect(reads.filter((p) => p === broken)).toHaveLength(2);
  });
});

describe('grouping', () => {
  it('groups by name scope, one level per path segment, single-child scopes merged', async () => {
    const { model, h } = await load('scoped3', scopedModel(60));
    const softmax = nodeNamed(model, '/encoder/layer.1/attention/self/Softmax');
    const titles = h.ancestors(softmax).map((g) => h.group(g).title);
    expect(titles.slice(1)).toEqual([
      'encoder',
      'encoder › layer.1',
      'encoder › layer.1 › attention',
      'encoder › layer.1 › attention › self',
    ]);
    const encoder = h.ancestors(softmax)[1];
    expect(h.group(encoder).children.map((c) => h.group(c).label)).toEqual(['layer.0', 'layer.1', 'layer.2']);
    // "/embeddings/Cast" is alone in its scope: the node stands for it at the root.
    expect(h.parent[nodeNamed(model, '/embeddings/Cast')]).toBe(h.root);
    // A scope with one node is that node: query/MatMul sits in "self".
    const query = nodeNamed(model, '/encoder/layer.0/attention/self/query/MatMul');
    expect(h.group(h.parent[query]).label).toBe('self');
    // A scope holding only one scope reads "a › b".
    const nested = await load('nested', {
      ...flatModel(1),
      nodes: [
        { name: '/a/b/X', op: 'Relu', inputs: ['x'], outputs: ['t'] },
        { name: '/a/b/Y', op: 'Relu', inputs: ['t'], outputs: ['y'] },
      ],
    });
    expect(nested.h.group(nested.h.parent[0])).toMatchObject({ kind: 'scope', label: 'a › b', nodeCount: 2 });
    expect(nested.h.parent[nested.h.parent[0]]).toBe(nested.h.root);
  });

  it('cuts a flat 20k-node chain into runs, so every level and the first view stay small', async () => {
    const { h } = await load('flat20k', flatModel(20_000));
    const items = allItems(h);
    const nodes = items.filter((i) => h.isNode(i));
    expect(nodes.length).toBe(20_000);
    expect(new Set(nodes).size).toBe(20_000);
    for (const i of items) if (h.isGroup(i)) expect(h.group(i).children.length).toBeLessThanOrEqual(MAX_CHILDREN);
    expect(h.group(h.root).children.length).toBeLessThanOrEqual(MAX_CHILDREN + 2);
    const overview = h.overview();
    expect(visibleCount(h, overview)).toBeLessThanOrEqual(OVERVIEW_BUDGET);
    // Runs follow the file order: the first run starts at node 1.
    const firstRun = h.group(h.root).children.find((c) => h.isGroup(c))!;
    expect(h.group(firstRun).kind).toBe('run');
    expect(h.group(firstRun).label).toMatch(/^nodes 1–\d+$/);
    expect(h.group(firstRun).nodeCount).toBe(Math.ceil(20_000 / MAX_CHILDREN));
  });

  it('puts If branches beside their node and a local function in its own group', async () => {
    const sub = await load('control2', subgraphModel());
    const branch = nodeNamed(sub.model, 'branch');
    const neg = nodeNamed(sub.model, 'then_neg');
    const thenGroup = sub.h.parent[neg];
    expect(sub.h.group(thenGroup)).toMatchObject({ kind: 'subgraph', label: 'If branch › then_branch' });
    expect(sub.h.parent[thenGroup]).toBe(sub.h.parent[branch]);
    const siblings = sub.h.group(sub.h.root).children;
    expect(siblings.indexOf(thenGroup)).toBe(siblings.indexOf(branch) + 1);
    // The branch reads `r` from the main graph: an edge from pre to then_neg.
    const e = sub.h.edges;
    const pre = nodeNamed(sub.model, 'pre');
    expect(e.from.some((f, k) => f === pre && e.to[k] === neg)).toBe(true);

    const fn = await load('fn2', functionModel());
    const sig = nodeNamed(fn.model, 'sig');
    expect(fn.h.group(fn.h.parent[sig])).toMatchObject({ kind: 'function', label: 'function custom::Swish', nodeCount: 2 });
  });

  it('shows Constant nodes as inputs of their readers, not as boxes', async () => {
    const { model, h } = await load('paddle', {
      ...flatModel(3),
      nodes: [
        { op: 'Constant', outputs: ['c'], attrs: { value: { t: { name: 'v', dtype: 'float32', dims: [2], data: [1, 2] } } } },
        { op: 'Add', inputs: ['x', 'c'], outputs: ['y'] },
      ],
    });
    expect(allItems(h)).not.toContain(0);
    expect(h.isHidden(0)).toBe(true);
    expect(model.producer[model.inputs(1)[1]]).toBe(0);
  });
});

describe('layout', () => {
  it('the worker’s handler places a chain top to bottom without overlaps', () => {
    const reply = handleLayoutMessage({
      requests: [
        {
          key: 'g',
          nodes: [
            { id: 1, w: 80, h: 30 },
            { id: 2, w: 80, h: 30 },
            { id: 3, w: 120, h: 30 },
            { id: 4, w: 80, h: 30 },
          ],
          edges: [
            [1, 2],
            [2, 4],
            [1, 3],
            [3, 4],
          ],
        },
      ],
    });
    const l = reply.layouts[0];
    expect(l.key).toBe('g');
    expect(l.pos[1][1]).toBeLessThan(l.pos[2][1]);
    expect(l.pos[2][1]).toBeLessThan(l.pos[4][1]);
    expect(l.pos[2][1]).toBe(l.pos[3][1]);
    expect(Math.abs(l.pos[2][0] - l.pos[3][0])).toBeGreaterThanOrEqual((80 + 120) / 2);
    expect(l.routes['1>2'].length).toBeGreaterThanOrEqual(4);
    expect(l.width).toBeGreaterThanOrEqual(200);
    expect(handleLayoutMessage({} as never)).toEqual({ layouts: [] });
  });

  it('lays out the overview of a scoped model and reuses cached groups when one opens', async () => {
    const { h } = await load('scoped-layout', scopedModel(400));
    const cache = new LayoutCache(h);
    const calls: number[] = [];
    const run = async (r: Parameters<typeof layoutInProcess>[0]) => {
      calls.push(r.length);
      return layoutInProcess(r);
    };
    const expanded = h.overview();
    const scene = await layoutScene(h, expanded, cache, run);
    const boxes = scene.boxes.filter((b) => b.kind !== 'container');
    expect(boxes.length).toBeLessThanOrEqual(OVERVIEW_BUDGET);
    for (const b of scene.boxes) {
      expect(b.x).toBeGreaterThanOrEqual(-1);
      expect(b.y).toBeGreaterThanOrEqual(-1);
      expect(b.x + b.w).toBeLessThanOrEqual(scene.width + 1);
    }
    // Every edge starts at its source box's bottom and ends at its target's top.
    for (const e of scene.edges) {
      const a = scene.boxes[scene.index.get(e.from)!];
      const b = scene.boxes[scene.index.get(e.to)!];
      expect(e.points[1]).toBeCloseTo(a.y + a.h);
      expect(e.points.at(-1)).toBeCloseTo(b.y);
    }
    const closed = scene.boxes.find((b) => b.kind === 'group')!;
    const before = calls.reduce((a, b) => a + b, 0);
    await layoutScene(h, new Set([...expanded, closed.id]), cache, run);
    const laidOut = calls.reduce((a, b) => a + b, 0) - before;
    // Only the opened group and the groups above it are laid out again (fewer when a group of
    // the same shape was laid out before).
    expect(laidOut).toBeGreaterThan(0);
    expect(laidOut).toBeLessThanOrEqual(h.ancestors(closed.id).length + 1);
  });

  it('lays out groups of the same shape once: every layer of a transformer alike', async () => {
    const { h } = await load('scoped-alike', scopedModel(400));
    const requested: string[] = [];
    const expanded = expandedGroups(h, 'all');
    const scene = await layoutScene(h, expanded, new LayoutCache(h), async (r) => {
      requested.push(...r.map((x) => x.key));
      return layoutInProcess(r);
    });
    expect(new Set(requested).size).toBe(requested.length);
    expect(requested.length).toBeLessThan(expanded.size / 5);
    // Layers 3 and 7 look the same: each node at the same place relative to its layer's box.
    const layer = (l: number) => {
      const box = scene.boxes.find((b) => b.kind === 'container' && b.label === `layer.${l}`)!;
      const inner = scene.boxes.filter((b) => b.kind === 'node' && h.model.name(b.id).startsWith(`/encoder/layer.${l}/`));
      return inner.map((b) => [h.model.name(b.id).replace(`layer.${l}`, 'L'), b.x - box.x, b.y - box.y]);
    };
    expect(layer(3).length).toBe(20);
    expect(layer(7)).toEqual(layer(3));
  });
});

describe('search, links and attributes', () => {
  it('finds nodes by tensor name: the producer, or the readers of an input', async () => {
    const { model } = await load('control3', subgraphModel());
    expect(searchGraph(model, 'then_out')).toEqual({ nodes: [nodeNamed(model, 'then_neg')], tensors: 1 });
    expect(searchGraph(model, 'COND').nodes).toEqual([nodeNamed(model, 'branch')]);
    expect(searchGraph(model, 'sigmoid').nodes).toEqual([nodeNamed(model, 'post')]);
    expect(searchGraph(model, '  ').nodes).toEqual([]);
  });

  it('decodes data types, summarises tensors and links operators to onnx.ai', async () => {
    expect(decodeAttribute('Cast', 'to', '1')).toEqual({ name: 'to', value: 'float', raw: '1' });
    expect(decodeAttribute('Cast', 'to', '7').value).toBe('int64');
    expect(decodeAttribute('Conv', 'group', '1').value).toBe('1');
    expect(decodeAttribute('Constant', 'value', 'tensor float32[3,4]').value).toBe('tensor float32 [3×4], 12 values');
    expect(decodeAttribute('Constant', 'value', 'tensor int64[]').value).toBe('tensor int64 scalar');
    const { model } = await load('scoped4', scopedModel(20));
    expect(decodeAttributes(model.opType(0), model.attrs(0))).toEqual([{ name: 'to', value: 'float', raw: '1' }]);
    expect(operatorDocUrl('Cast', '')).toBe('https://onnx.ai/onnx/operators/onnx__Cast.html');
    expect(operatorDocUrl('Swish', 'custom')).toBeNull();
  });
});

describe('profile overlay', () => {
  const profileFor = (names: [string, number, string][]): ProfileSummary => ({
    total_ms: names.reduce((s, [, ms]) => s + ms, 0),
    macs: 0,
    nodes: names.map(([name, ms, provider]) => ({
      name,
      op: 'X',
      provider,
      ms,
      macs: null,
      outputs: [{ name: `${name}_out`, shape: [1, 2], bytes: 8 }],
    })),
    ops: [],
    providers: [],
  });

  it('colours by time relative to the slowest box, sums groups, and by provider', async () => {
    const { model, h } = await load('scoped5', scopedModel(60));
    const q0 = nodeNamed(model, '/encoder/layer.0/attention/self/query/MatMul');
    const k0 = nodeNamed(model, '/encoder/layer.0/attention/self/key/MatMul');
    const q1 = nodeNamed(model, '/encoder/layer.1/attention/self/query/MatMul');
    const p = new ProfileOverlay(
      h,
      profileFor([
        [model.name(q0), 3, 'CUDAExecutionProvider'],
        [model.name(k0), 1, 'CPUExecutionProvider'],
        [model.name(q1), 2, 'CUDAExecutionProvider'],
      ]),
    );
    expect(p.matched).toBe(3);
    const layer0 = h.ancestors(q0)[2];
    const layer1 = h.ancestors(q1)[2];
    expect(p.ms(layer0)).toBe(4);
    expect(p.ms(layer1)).toBe(2);
    const time = p.colors([layer0, layer1], 'time');
    expect(time.get(layer0)!.color).toBe(heatColor(1));
    // Log scale below the slowest: half the time is log10(2)/3 of the way down.
    expect(time.get(layer1)!.color).toBe(heatColor(1 - Math.log10(2) / HEAT_DECADES));
    expect(heatPosition(4e-3, 4)).toBe(0);
    expect(heatPosition(0.4, 4)).toBeCloseTo(2 / 3);
    expect(time.get(layer0)!.text).toBe('4.00 ms · 67%');
    expect(p.slowest([layer0, layer1, q1])).toBe(4);
    // The legend's ends: three powers of ten apart, in the unit that reads.
    expect([formatMs(250), formatMs(4), formatMs(0.004), formatMs(0.000022)]).toEqual(['250 ms', '4.00 ms', '4.0 µs', '22 ns']);
    const prov = p.colors([layer0, q0, k0], 'provider');
    expect(prov.get(layer0)).toEqual({ color: providerColor('CUDAExecutionProvider'), text: 'CUDA 75%' });
    expect(prov.get(k0)).toEqual({ color: providerColor('CPUExecutionProvider'), text: 'CPU' });
    expect(p.colors([layer0], 'none').size).toBe(0);
    expect(p.shapes().get(`${model.name(q0)}_out`)).toEqual([1, 2]);
  });

  it('gives a fused node’s time to the nodes it replaces', async () => {
    const { model, h } = await load('scoped6', scopedModel(20));
    const a = nodeNamed(model, '/encoder/layer.0/attention/self/MatMul');
    const b = nodeNamed(model, '/encoder/layer.0/attention/self/Softmax');
    const summary = profileFor([['FusedAttention_1', 4, 'CPUExecutionProvider']]);
    summary.nodes[0].fusedFrom = [model.name(a), model.name(b)];
    const p = new ProfileOverlay(h, summary);
    expect([p.nodeMs[a], p.nodeMs[b]]).toEqual([2, 2]);
  });
});

describe('export', () => {
  it('writes every node as an element carrying its name, with shapes on the edges', async () => {
    const { h, model } = await load('resnet', torchvisionResnet(16));
    const scene = await layoutScene(h, expandedGroups(h, 'all'), new LayoutCache(h), layoutInProcess);
    labelEdges(scene, h);
    const svg = sceneToSvg(scene, h);
    const names = [...svg.matchAll(/<g class="node" data-name="([^"]*)"/g)].map((m) => m[1]);
    expect(names.sort()).toEqual([...model.data.node.name].sort());
    expect(svg).toContain('<title>/layer1/layer1.0/conv1/Conv (Conv)</title>');
    expect(svg).toContain('[batch_size×4×56×56]');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  });

  it('answers other requests while a big export is laid out in its worker thread', async () => {
    const big = join(dir, 'big.onnx');
    await writeModelFile(big, scopedModel(20_000));
    const { client } = sourceEngine();
    try {
      // Stage events and the inspect's answer, in the order they arrive. Laid out in place, the
      // engine could only read the inspect request after the layout, once 'drawing' was sent.
      const seen: string[] = [];
      let inspected: Promise<unknown> | null = null;
      const exported = await client.call(
        'graph.export',
        { path: big, to: join(dir, 'big.svg'), expand: 'all' },
        {
          onEvent: (e) => {
            seen.push(e.stage);
            if (e.stage === 'laying out' && !inspected)
              inspected = client.call('model.inspect', { path: MODELS.ocrCls }).then((r) => {
                seen.push(r.ok ? 'inspect answered' : 'inspect failed');
              });
          },
        },
      );
      await inspected;
      expect(exported.ok).toBe(true);
      expect(seen).toEqual(['reading', 'laying out', 'inspect answered', 'drawing', 'writing']);
      const svg = await readFile(join(dir, 'big.svg'), 'utf8');
      expect(svg.match(/<g class="node"/g)).toHaveLength(20_003);
    } finally {
      client.kill();
    }
  }, 180_000);

  function cli(...args: string[]) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'electron/cli/index.ts'), ...args], {
      encoding: 'utf8',
      cwd: ROOT,
      env: { ...process.env, OWB_ENGINE_SOURCE: '1' },
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  it('`graph` writes SVG and PNG, never over an existing file, and says what is wrong', async () => {
    const svgPath = join(dir, 'det.svg');
    const r = cli('graph', MODELS.ocrDet, '--out', svgPath, '--expand', 'all');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Wrote .*det\.svg/);
    const svg = await readFile(svgPath, 'utf8');
    expect(svg).toContain('data-name="p2o.Conv.0"');
    const pngPath = join(dir, 'det.png');
    expect(cli('graph', MODELS.ocrDet, '--out', pngPath).code).toBe(0);
    expect((await readFile(pngPath)).subarray(1, 4).toString()).toBe('PNG');

    await writeFile(join(dir, 'taken.svg'), 'mine');
    const taken = cli('graph', MODELS.ocrDet, '--out', join(dir, 'taken.svg'));
    expect(taken.code).not.toBe(0);
    expect(taken.stderr).toMatch(/taken\.svg/);
    expect(await readFile(join(dir, 'taken.svg'), 'utf8')).toBe('mine');

    expect(cli('graph', MODELS.ocrDet, '--out', join(dir, 'x.jpg')).code).toBe(2);
    expect(cli('graph', MODELS.ocrDet, '--out', join(dir, 'y.svg'), '--expand', 'some').code).toBe(2);
    const missing = cli('graph', join(dir, 'nope.onnx'), '--out', join(dir, 'z.svg'));
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/nope\.onnx/);
  }, 120_000);
});
