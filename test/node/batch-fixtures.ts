// Models and image folders for the batch job tests, built here so every answer is known.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll } from 'vitest';
import type { BatchJobInput } from '../../shared/batch';
import { SessionCache } from '../../electron/engine/run/session-cache';
import { buildModel, type NodeSpec, type TensorSpec } from '../fixtures/onnx-builder';

export const LABELS = ['red', 'green', 'blue', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9'];

/**
 * A classifier-like model: x [batch,3,32,32] → mean of each channel → logits [batch,10] where
 * logit k is the mean of channel k (k < 3) and 0 otherwise. A red image is "red", and so on.
 * `convs` adds that many 3×3 convolutions of 16 channels in front (a slower model, same answers:
 * the extra branch is multiplied by 0 before it joins).
 */
export function classifierModel(
  options: {
    convs?: number;
    channels?: number;
    batch?: number | string;
    /** The class each colour channel (red, green, blue) scores; default 0, 1, 2. */
    classes?: [number, number, number];
  } = {},
): Uint8Array {
  const batch = options.batch ?? 'batch';
  const w = new Array(3 * 10).fill(0);
  (options.classes ?? [0, 1, 2]).forEach((c, channel) => (w[channel * 10 + c] = 1));
  const nodes: NodeSpec[] = [
    { op: 'ReduceMean', inputs: ['x'], outputs: ['m'], attrs: { axes: [2, 3], keepdims: 0 } },
    { op: 'MatMul', inputs: ['m', 'w'], outputs: ['l0'] },
  ];
  const initializers: TensorSpec[] = [{ name: 'w', dtype: 'float32', dims: [3, 10], data: w }];
  const convs = options.convs ?? 0;
  if (convs > 0) {
    const c = options.channels ?? 16;
    const rnd = (n: number, seed: number) => Array.from({ length: n }, (_, k) => Math.sin(k * 12.9898 + seed) * 0.05);
    initializers.push({ name: 'k0', dtype: 'float32', dims: [c, 3, 3, 3], data: rnd(c * 27, 1) });
    nodes.push({ op: 'Conv', inputs: ['x', 'k0'], outputs: ['h0'], attrs: { pads: [1, 1, 1, 1] } });
    for (let i = 1; i < convs; i++) {
      initializers.push({ name: `k${i}`, dtype: 'float32', dims: [c, c, 3, 3], data: rnd(c * c * 9, i + 1) });
      nodes.push({ op: 'Conv', inputs: [`h${i - 1}`, `k${i}`], outputs: [`h${i}`], attrs: { pads: [1, 1, 1, 1] } });
    }
    initializers.push({ name: 'zero', dtype: 'float32', dims: [1], data: [0] });
    nodes.push(
      { op: 'ReduceMean', inputs: [`h${convs - 1}`], outputs: ['hm'], attrs: { axes: [1, 2, 3], keepdims: 0 } },
      { op: 'Mul', inputs: ['hm', 'zero'], outputs: ['hz'] },
      { op: 'Unsqueeze', inputs: ['hz', 'ax'], outputs: ['hu'] },
      { op: 'Add', inputs: ['l0', 'hu'], outputs: ['logits'] },
    );
    initializers.push({ name: 'ax', dtype: 'int64', dims: [1], data: [1] });
  } else {
    nodes.push({ op: 'Identity', inputs: ['l0'], outputs: ['logits'] });
  }
  return buildModel({
    inputs: [{ name: 'x', dtype: 'float32', shape: [batch, 3, 32, 32] }],
    outputs: [{ name: 'logits', dtype: 'float32', shape: [batch, 10] }],
    initializers,
    nodes,
  });
}

/** A model whose one output is a constant (the image [1,3,64,64] is fed but not used): known results. */
export function constantModel(output: { name: string; dims: number[]; data: number[] }): Uint8Array {
  return buildModel({
    inputs: [{ name: 'images', dtype: 'float32', shape: [1, 3, 64, 64] }],
    outputs: [{ name: output.name, dtype: 'float32', shape: output.dims }],
    initializers: [{ name: 'value', dtype: 'float32', dims: output.dims, data: output.data }],
    nodes: [{ op: 'Identity', inputs: ['value'], outputs: [output.name] }],
  });
}

export const COLORS = {
  red: { r: 255, g: 0, b: 0 },
  green: { r: 0, g: 255, b: 0 },
  blue: { r: 0, g: 0, b: 255 },
} as const;
export type ColorName = keyof typeof COLORS;

/** A solid image of a colour; the format follows the extension. */
export async function solidImage(path: string, color: ColorName, size = { width: 40, height: 30 }): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const img = sharp({ create: { ...size, channels: 3, background: COLORS[color] } });
  const ext = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
  const encoded =
    ext === 'png'
      ? img.png()
      : ext === 'webp'
        ? img.webp({ lossless: true })
        : ext === 'tif' || ext === 'tiff'
          ? img.tiff()
          : ext === 'gif'
            ? img.gif()
            : img.jpeg({ quality: 95 });
  await writeFile(path, await encoded.toBuffer());
}

/** The colour each generated file has, by its name: "red-3.png" → red. */
export function colorOf(file: string): ColorName {
  const name = file.slice(file.lastIndexOf('/') + 1);
  return name.split('-')[0] as ColorName;
}

/** Writes `count` images named color-k.ext (colours in turn) into `folder`; returns their relative paths. */
export async function imageFolder(folder: string, count: number, prefix = ''): Promise<string[]> {
  const names: string[] = [];
  const colors: ColorName[] = ['red', 'green', 'blue'];
  for (let k = 0; k < count; k++) {
    const color = colors[k % 3];
    const rel = `${prefix}${color}-${String(k).padStart(3, '0')}.${k % 2 ? 'png' : 'jpg'}`;
    await solidImage(join(folder, rel), color);
    names.push(rel);
  }
  return names;
}

/**
 * A PNG that says width×height but holds only the first kilobyte of its pixel data: a header
 * reader sees the size; decoding it would fail (and would need gigabytes).
 */
export function pngHeaderOnly(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(1000))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

export const RECIPE = { resize: { mode: 'stretch', width: 32, height: 32 } } as const;

/** A recipe file for the CLI's --recipe: the classifier's input and a classification task with LABELS. */
export async function classifierRecipeFile(path: string, topK = 2): Promise<string> {
  await writeFile(
    path,
    JSON.stringify({ inputs: { x: RECIPE }, task: { kind: 'classification', topK, labels: { kind: 'list', labels: LABELS } } }),
  );
  return path;
}

export function classifierJob(model: string, input: string, output: string, over: Partial<BatchJobInput> = {}): BatchJobInput {
  return {
    model,
    recipe: {
      inputs: { x: RECIPE },
      task: { kind: 'classification', topK: 3, softmax: 'never', labels: { kind: 'list', labels: LABELS } },
    },
    input: { folder: input },
    output: { folder: output },
    ...over,
  };
}

/** Parses a CSV written by the job (quoted fields, CRLF rows). */
export function parseCsv(text: string): Record<string, string>[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n') {
      row.push(field.replace(/\r$/, ''));
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  const [header, ...body] = rows;
  return body.map((r) => Object.fromEntries(header.map((h, k) => [h, r[k] ?? ''])));
}

/** A session cache that sees the CPU provider only, ready (no probe: the tests run on the CPU). */
export function cpuSessions(options: { maxSessions?: number } = {}): SessionCache {
  return new SessionCache({
    ...options,
    providerStatuses: async () => [{ id: 'cpu', label: 'CPU', status: 'ready', bundled: true, probeMs: 0 }],
  });
}

/**
 * A scratch folder holding the classifier model (`classifier.onnx`) and a CPU-only session cache,
 * made before the tests of the file (or describe block) that calls this, removed after them.
 */
export function classifierScratch(prefix: string): {
  readonly dir: string;
  readonly model: string;
  readonly sessions: SessionCache;
} {
  const scratch = { dir: '', model: '', sessions: null as unknown as SessionCache };
  beforeAll(async () => {
    scratch.dir = await mkdtemp(join(tmpdir(), prefix));
    scratch.model = join(scratch.dir, 'classifier.onnx');
    await writeFile(scratch.model, classifierModel());
    scratch.sessions = cpuSessions();
  });
  afterAll(async () => {
    await scratch.sessions?.release();
    if (scratch.dir) await rm(scratch.dir, { recursive: true, force: true });
  });
  return scratch;
}
