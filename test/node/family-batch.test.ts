// `onnx-workbench batch` with no --task and no recipe: the family preset alone decides what the
// outputs are read as, so an ISNet model writes masks and cut-outs and a YOLOv8-layout detector
// writes COCO and drawn images.
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliFromSource } from '../helpers';
import { isnetModel, yoloLayoutModel } from '../fixtures/family-models';
import { buildModel } from '../fixtures/onnx-builder';

let dir: string;

const cli = (...args: string[]) => cliFromSource(join(dir, 'data'), ['batch', ...args]);

/** A 64×64 picture: black, with a bright square (red, or green) at x 4..52, y 4..52 (56% of the pixels). */
async function picture(path: string, color: [number, number, number]): Promise<void> {
  const px = new Uint8Array(64 * 64 * 3);
  for (let y = 4; y < 52; y++) for (let x = 4; x < 52; x++) px.set(color, (y * 64 + x) * 3);
  await writeFile(
    path,
    await sharp(px, { raw: { width: 64, height: 64, channels: 3 } })
      .png()
      .toBuffer(),
  );
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'owb-family-batch-'));
  await writeFile(join(dir, 'isnet-general-use.onnx'), buildModel(isnetModel()));
  await writeFile(join(dir, 'detector.onnx'), buildModel(yoloLayoutModel()));
  await mkdir(join(dir, 'photos'));
  await picture(join(dir, 'photos', 'red.png'), [255, 0, 0]);
  await picture(join(dir, 'photos', 'green.png'), [0, 255, 0]);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('batch with a family preset and nothing else', () => {
  it('ISNet: masks and cut-outs, the foreground where the picture is bright', async () => {
    const out = join(dir, 'isnet-out');
    const r = cli(join(dir, 'isnet-general-use.onnx'), join(dir, 'photos'), '--out', out, '--write', 'masks,cutouts');
    expect(r.stderr).toContain('Task: segmentation (ISNet');
    expect(r.code).toBe(0);
    expect((await readdir(join(out, 'masks'))).sort()).toEqual(['green.png.png', 'red.png.png']);
    const mask = await sharp(join(out, 'masks', 'red.png.png'))
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect([mask.info.width, mask.info.height]).toEqual([64, 64]);
    const grey = (x: number, y: number) => mask.data[(y * 64 + x) * mask.info.channels];
    // Min–max stretched soft mask: the square is the brightest, the black background 0.
    expect([grey(20, 20), grey(60, 60)]).toEqual([255, 0]);
    const cut = await sharp(join(out, 'cutouts', 'red.png.png'))
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect(cut.info.channels).toBe(4);
    expect([cut.data[(20 * 64 + 20) * 4 + 3], cut.data[(60 * 64 + 60) * 4 + 3]]).toEqual([255, 0]);
  });

  it('YOLOv8-layout detector: COCO with one box per picture, and drawn images', async () => {
    const out = join(dir, 'yolo-out');
    const r = cli(join(dir, 'detector.onnx'), join(dir, 'photos'), '--out', out, '--write', 'coco,images');
    expect(r.stderr).toContain('Task: detection (YOLO-layout detector');
    expect(r.code).toBe(0);
    const coco = JSON.parse(await readFile(join(out, 'coco.json'), 'utf8')) as {
      images: { id: number; file_name: string }[];
      annotations: { image_id: number; category_id: number; bbox: number[] }[];
    };
    const byFile = Object.fromEntries(
      coco.images.map((i) => [
        i.file_name,
        coco.annotations.filter((a) => a.image_id === i.id).map((a) => [a.category_id, a.bbox]),
      ]),
    );
    // Red → class 0's box (centre 20,20, 16×16); green → class 1's (centre 44,40, 20×24). Letterbox 64→64: no change.
    expect(byFile).toEqual({ 'red.png': [[1, [12, 12, 16, 16]]], 'green.png': [[2, [34, 28, 20, 24]]] });
    expect((await readdir(join(out, 'images'))).sort()).toEqual(['green.png.png', 'red.png.png']);
  });
});
