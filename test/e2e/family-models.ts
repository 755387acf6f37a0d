// Runnable YOLOv8-seg, -pose and -obb stand-ins for the e2e tests: the real heads' output layouts
// and metadata, with constant outputs (added to 0 × the input's mean, so the input is used) that
// place known objects on a 640×480 photo letterboxed into 320×320 (scale 0.5, 40 px on top).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { buildModel, type ModelSpec } from '../fixtures/onnx-builder';

const SIDE = 320;
const N = 100;

/** Image pixels (640×480 photo) → tensor pixels. */
const tx = (x: number): number => x * 0.5;
const ty = (y: number): number => y * 0.5 + 40;

/** A model whose outputs are these constants (shapes and values), after touching the input. */
function constantModel(
  metadata: Record<string, string>,
  outputs: { name: string; dims: number[]; data: Float32Array }[],
): ModelSpec {
  return {
    metadata: { author: 'Ultralytics', stride: '32', imgsz: `[${SIDE}, ${SIDE}]`, ...metadata },
    inputs: [{ name: 'images', dtype: 'float32', shape: [1, 3, SIDE, SIDE] }],
    outputs: outputs.map((o) => ({ name: o.name, dtype: 'float32', shape: o.dims })),
    initializers: [
      { name: 'zero', dtype: 'float32', dims: [], data: [0] },
      ...outputs.map((o) => ({ name: `${o.name}_value`, dtype: 'float32' as const, dims: o.dims, data: o.data })),
    ],
    nodes: [
      { op: 'ReduceMean', inputs: ['images'], outputs: ['mean'], attrs: { keepdims: 0 } },
      { op: 'Mul', inputs: ['mean', 'zero'], outputs: ['nothing'] },
      ...outputs.map((o) => ({ op: 'Add', inputs: [`${o.name}_value`, 'nothing'], outputs: [o.name] })),
    ],
  };
}

/** [1, F, N] with candidate j's features in column j. */
function head(features: number, rows: number[][]): Float32Array {
  const data = new Float32Array(features * N);
  rows.forEach((r, j) => r.forEach((v, f) => (data[f * N + j] = v)));
  return data;
}

/** YOLOv8-seg: a person and a dog, each mask an ellipse of prototype logits. */
export function segModel(): ModelSpec {
  const nm = 4;
  const [mh, mw] = [SIDE / 4, SIDE / 4];
  const protos = new Float32Array(nm * mh * mw);
  const blobs = [
    { cx: tx(200), cy: ty(260), rx: tx(90), ry: 0.5 * 170 },
    { cx: tx(450), cy: ty(330), rx: tx(110), ry: 0.5 * 80 },
  ];
  blobs.forEach((b, k) => {
    for (let v = 0; v < mh; v++)
      for (let u = 0; u < mw; u++) {
        const x = (u + 0.5) * (SIDE / mw);
        const y = (v + 0.5) * (SIDE / mh);
        const d = Math.hypot((x - b.cx) / b.rx, (y - b.cy) / b.ry);
        protos[k * mh * mw + v * mw + u] = 6 * (1 - d);
      }
  });
  const rows = [
    [tx(200), ty(260), tx(200), 0.5 * 360, 0.91, 0.02, 1, 0, 0, 0],
    [tx(450), ty(330), tx(240), 0.5 * 180, 0.05, 0.84, 0, 1, 0, 0],
  ];
  return constantModel({ task: 'segment', names: "{0: 'person', 1: 'dog'}" }, [
    { name: 'output0', dims: [1, 4 + 2 + nm, N], data: head(4 + 2 + nm, rows) },
    { name: 'output1', dims: [1, nm, mh, mw], data: protos },
  ]);
}

/** COCO's 17 keypoints of a person standing at (x, y) (the hips), `h` tall, in image pixels. */
function person(x: number, y: number, h: number, hidden: number[] = []): number[] {
  const s = h / 10;
  const points: [number, number][] = [
    [0, -8.6], // nose
    [-0.3, -8.9],
    [0.3, -8.9],
    [-0.7, -8.7],
    [0.7, -8.7], // ears
    [-1.6, -7], // shoulders
    [1.6, -7],
    [-2.2, -4.6], // elbows
    [2.4, -4.8],
    [-2.4, -2.3], // wrists
    [2.9, -2.6],
    [-1, 0], // hips
    [1, 0],
    [-1.2, 2.8], // knees
    [1.3, 2.8],
    [-1.3, 5.5], // ankles
    [1.5, 5.5],
  ];
  return points.flatMap(([px, py], k) => [tx(x + px * s), ty(y + py * s), hidden.includes(k) ? 0.1 : 0.95]);
}

/** YOLOv8-pose: two people. */
export function poseModel(): ModelSpec {
  const rows = [
    [tx(200), ty(240), tx(150), 0.5 * 300, 0.9, ...person(200, 260, 190)],
    [tx(460), ty(250), tx(140), 0.5 * 280, 0.76, ...person(460, 270, 170, [3, 15])],
  ];
  return constantModel({ task: 'pose', kpt_shape: '[17, 3]', names: "{0: 'person'}" }, [
    { name: 'output0', dims: [1, 56, N], data: head(56, rows) },
  ]);
}

/** YOLOv8-obb (DOTA classes, no names in the metadata): ships and a plane at angles, one duplicate. */
export function obbModel(): ModelSpec {
  const cls = (k: number, score: number): number[] => Array.from({ length: 15 }, (_, i) => (i === k ? score : 0));
  const box = (x: number, y: number, w: number, h: number) => [tx(x), ty(y), w * 0.5, h * 0.5];
  const rows = [
    [...box(180, 150, 200, 60), ...cls(1, 0.88), 0.5],
    [...box(180, 150, 200, 60), ...cls(1, 0.6), 0.58], // the same ship again: rotated NMS drops it
    [...box(430, 300, 180, 50), ...cls(1, 0.8), -0.9],
    [...box(470, 120, 120, 120), ...cls(0, 0.7), Math.PI / 4],
  ];
  return constantModel({ task: 'obb' }, [{ name: 'output0', dims: [1, 4 + 15 + 1, N], data: head(20, rows) }]);
}

/** A 640×480 scene to draw on. */
export async function writePhoto(path: string): Promise<void> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="480">
    <defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#9cc9ef"/><stop offset="1" stop-color="#e7f0f7"/></linearGradient></defs>
    <rect width="640" height="300" fill="url(#g)"/><rect y="300" width="640" height="180" fill="#7aa35a"/>
    <ellipse cx="200" cy="260" rx="80" ry="165" fill="#5a4a7a"/><ellipse cx="450" cy="330" rx="105" ry="70" fill="#a0703a"/>
  </svg>`;
  await writeFile(path, await sharp(Buffer.from(svg)).png().toBuffer());
}

export async function writeFamilyModels(dir: string): Promise<{ seg: string; pose: string; obb: string; photo: string }> {
  const paths = { seg: join(dir, 'yolov8n-seg.onnx'), pose: join(dir, 'yolov8n-pose.onnx'), obb: join(dir, 'yolov8n-obb.onnx') };
  await writeFile(paths.seg, buildModel(segModel()));
  await writeFile(paths.pose, buildModel(poseModel()));
  await writeFile(paths.obb, buildModel(obbModel()));
  const photo = join(dir, 'street.png');
  await writePhoto(photo);
  return { ...paths, photo };
}
