// The charset file beside a recogniser: with several in the folder, the one whose characters fit
// the model's classes (plus the CTC blank and PaddleOCR's appended space) is taken.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { charsetBeside, recognitionClasses } from '../../electron/common/task-suggest';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'owb-charset-'));
  // en_dict.txt's layout: one character a line, the last one a space.
  await writeFile(join(dir, 'en_dict.txt'), 'a\nb\nc\n \n');
  await writeFile(join(dir, 'ppocr_keys_v1.txt'), '一\n二\n三\n四\n五\n六\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('charsetBeside', () => {
  const model = () => join(dir, 'rec.onnx');
  it('takes the file whose characters fit the classes', async () => {
    // 4 characters + space + blank = 6 classes; 6 + space + blank = 8.
    expect(await charsetBeside(model(), 6)).toBe(join(dir, 'en_dict.txt'));
    expect(await charsetBeside(model(), 8)).toBe(join(dir, 'ppocr_keys_v1.txt'));
    // Without the space PaddleOCR appends: 6 + blank.
    expect(await charsetBeside(model(), 7)).toBe(join(dir, 'ppocr_keys_v1.txt'));
  });

  it('falls back to the first by name when none fits or the classes are not known', async () => {
    expect(await charsetBeside(model(), 97)).toBe(join(dir, 'en_dict.txt'));
    expect(await charsetBeside(model())).toBe(join(dir, 'en_dict.txt'));
  });

  it('reads the class count from the [N, T, classes] output', () => {
    expect(recognitionClasses({ outputs: [{ name: 'y', kind: 'tensor', dtype: 'float32', shape: ['n', 'T', 97] }] })).toBe(97);
    expect(recognitionClasses({ outputs: [{ name: 'y', kind: 'tensor', dtype: 'float32', shape: ['n', 'T', 'K'] }] })).toBeNull();
  });
});
