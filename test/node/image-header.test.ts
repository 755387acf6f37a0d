// The JPEG and PNG header read in JS (electron/engine/image/header.ts): where it answers, it says
// what sharp's own metadata() says (size, format, EXIF orientation); where it is not sure, it
// answers nothing and sharp reads the header; and decodeImage gives the same image either way.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../electron/engine/image/decode';
import { quickHeader } from '../../electron/engine/image/header';
import { preprocessRecipeSchema } from '../../shared/recipe';

const base = () =>
  sharp({ create: { width: 37, height: 21, channels: 3, background: { r: 200, g: 30, b: 90 } } }).composite([
    {
      input: { create: { width: 10, height: 21, channels: 3, background: { r: 10, g: 240, b: 20 } } },
      left: 0,
      top: 0,
    },
  ]);

async function sharpSays(bytes: Buffer) {
  const m = await sharp(bytes).metadata();
  return { format: m.format, width: m.width, height: m.height, orientation: m.orientation ?? 1 };
}

/** A PNG chunk: length, type, data, CRC (the CRC is not checked by the header reader; sharp checks it). */
function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function crc32(b: Buffer): number {
  let c = ~0;
  for (const byte of b) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

/** The PNG with a chunk put in right after IHDR. */
const withChunk = (png: Buffer, extra: Buffer): Buffer => Buffer.concat([png.subarray(0, 33), extra, png.subarray(33)]);

describe('the JPEG and PNG header read here', () => {
  it('says what sharp says of JPEGs: baseline, progressive, grey, CMYK, every EXIF orientation', async () => {
    const cases: Buffer[] = [
      await base().jpeg().toBuffer(),
      await base().jpeg({ progressive: true }).toBuffer(),
      await base().greyscale().jpeg().toBuffer(),
      await base().toColourspace('cmyk').jpeg().toBuffer(),
    ];
    for (let orientation = 1; orientation <= 8; orientation++)
      cases.push(await base().jpeg().withMetadata({ orientation }).toBuffer());
    for (const bytes of cases) {
      const quick = quickHeader(bytes);
      expect(quick).not.toBeNull();
      expect(quick).toEqual(await sharpSays(bytes));
    }
    // The orientations really were there to read (not all 1).
    expect(new Set(cases.map((b) => quickHeader(b)?.orientation))).toEqual(new Set([1, 2, 3, 4, 5, 6, 7, 8]));
  });

  it('reads EXIF that comes after the frame header, as libjpeg does (it reads every marker up to the scan)', async () => {
    const jpeg = await base().jpeg().withMetadata({ orientation: 6 }).toBuffer();
    // The segments up to the scan: marker, start, end.
    const segments: { marker: number; start: number; end: number }[] = [];
    let i = 2;
    while (jpeg[i + 1] !== 0xda) {
      const end = i + 2 + jpeg.readUInt16BE(i + 2);
      segments.push({ marker: jpeg[i + 1], start: i, end });
      i = end;
    }
    const exif = segments.find((g) => g.marker === 0xe1)!;
    const frame = segments.find((g) => g.marker === 0xc0)!;
    expect(exif.end).toBeLessThanOrEqual(frame.start);
    const moved = Buffer.concat([
      jpeg.subarray(0, exif.start),
      jpeg.subarray(exif.end, frame.end),
      jpeg.subarray(exif.start, exif.end),
      jpeg.subarray(frame.end),
    ]);
    expect(await sharpSays(moved)).toMatchObject({ orientation: 6 });
    expect(quickHeader(moved)).toEqual(await sharpSays(moved));
    // Cut before the scan: nothing said.
    expect(quickHeader(moved.subarray(0, frame.end + 4))).toBeNull();
  });

  it('says what sharp says of PNGs: RGB, RGBA, palette, grey, and text that is not EXIF', async () => {
    const rgb = await base().png().toBuffer();
    const cases = [
      rgb,
      await base().ensureAlpha(0.5).png().toBuffer(),
      await base().png({ palette: true }).toBuffer(),
      await base().greyscale().png().toBuffer(),
      withChunk(rgb, chunk('tEXt', Buffer.from('Software\0a test', 'latin1'))),
    ];
    for (const bytes of cases) {
      expect(quickHeader(bytes)).not.toBeNull();
      expect(quickHeader(bytes)).toEqual(await sharpSays(bytes));
    }
  });

  it('leaves to sharp what it cannot vouch for: EXIF in a PNG, other formats, cut or odd bytes', async () => {
    const png = await base().png().toBuffer();
    const jpeg = await base().jpeg().toBuffer();
    expect(quickHeader(withChunk(png, chunk('eXIf', Buffer.from('MM\0*\0\0\0\x08\0\0', 'latin1'))))).toBeNull();
    expect(quickHeader(withChunk(png, chunk('zTXt', Buffer.from('Raw profile type exif\0\0x', 'latin1'))))).toBeNull();
    expect(quickHeader(await base().webp().toBuffer())).toBeNull();
    expect(quickHeader(await base().tiff().toBuffer())).toBeNull();
    // Cut before the frame header; a zero height (given later, in a DNL marker); not a marker where one must be.
    expect(quickHeader(jpeg.subarray(0, 20))).toBeNull();
    const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
    const noHeight = Buffer.from(jpeg);
    noHeight.writeUInt16BE(0, sof + 5);
    expect(quickHeader(noHeight)).toBeNull();
    const odd = Buffer.from(jpeg);
    odd[2 + 2 + odd.readUInt16BE(4)] = 0x00;
    expect(quickHeader(odd)).toBeNull();
    expect(quickHeader(Buffer.from('not an image at all'))).toBeNull();
    expect(quickHeader(png.subarray(0, 30))).toBeNull();
  });

  it('decodes a file to the pixels sharp decodes from its path, turned by its orientation', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'owb-header-'));
    const recipe = preprocessRecipeSchema.parse({
      resize: { mode: 'stretch', width: 16, height: 12, interpolation: 'bilinear' },
    });
    for (const orientation of [1, 6, 8]) {
      const path = join(dir, `o${orientation}.jpg`);
      await writeFile(path, await base().jpeg({ quality: 95 }).withMetadata({ orientation }).toBuffer());
      const image = await decodeImage(path, recipe);
      const expected = await sharp(path, { autoOrient: true })
        .removeAlpha()
        .resize(16, 12, { fit: 'fill', kernel: 'linear', fastShrinkOnLoad: true })
        .raw()
        .toBuffer();
      const turned = orientation >= 5;
      expect(image.original).toEqual({ width: turned ? 21 : 37, height: turned ? 37 : 21, format: 'jpeg', orientation });
      expect(image.transform).toMatchObject({ tensorWidth: 16, tensorHeight: 12 });
      // The same pipeline from the bytes as from the path: the same pixels.
      expect(Buffer.from(image.pixels)).toEqual(expected);
    }
  });
});
