import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DType, ValueInfo } from '../../shared/model-info';
import { scratchFolder, workbenchError } from './file-fixtures';
import { FEEDABLE_DTYPES, TensorSource, floatToHalf, halfToFloat, type FeedableDType } from '../../shared/tensor';
import { generateTensor, mulberry32, resolveDims } from '../../electron/engine/tensors/generate';
import { loadTensorSource, readAudioFile, readTensorFile, writeTensorFile } from '../../electron/engine/tensors/io';
import { castTensor, describeMismatch } from '../../electron/engine/tensors/match';
import { summarizeTensor } from '../../electron/engine/tensors/summary';
import { fromOrtTensor, numbersOf, toOrtTensor, type Tensor } from '../../electron/engine/tensors/tensor';
import { loadOrt } from '../../electron/engine/ort';
import { buildModel, type TensorSpec } from '../fixtures/onnx-builder';
import { npyBytes, pbBytes, wavBytes, type NpySpec } from '../fixtures/tensor-files';

const scratch = scratchFolder('owb-tensors-');
const save = scratch.save;
/** Values as plain numbers/strings for comparison (float16 decoded, bigints exact when safe). */
function plain(t: Tensor): (number | string)[] {
  if (Array.isArray(t.data)) return t.data;
  if (t.dtype === 'float16') return Array.from(t.data as Uint16Array, halfToFloat);
  return Array.from(t.data as ArrayLike<number | bigint>, (v) => Number(v));
}
const input = (name: string, dtype: DType | null, shape: (number | string | null)[] | null): ValueInfo => ({
  name,
  kind: 'tensor',
  dtype,
  shape,
});

describe('.npy', () => {
  const signed = [-3, -2, -1, 0, 1, 2];
  const unsigned = [0, 1, 2, 3, 200, 5];
  const floats = [-1.5, 0, 0.25, 2, 3.5, 100];
  const table: [code: string, dtype: FeedableDType, values: number[]][] = [
    ['b1', 'bool', [1, 0, 1, 1, 0, 0]],
    ['i1', 'int8', signed],
    ['u1', 'uint8', unsigned],
    ['i2', 'int16', signed],
    ['u2', 'uint16', unsigned],
    ['i4', 'int32', signed],
    ['u4', 'uint32', unsigned],
    ['i8', 'int64', signed],
    ['u8', 'uint64', unsigned],
    ['f2', 'float16', floats],
    ['f4', 'float32', floats],
    ['f8', 'float64', floats],
  ];
  const cases = table.flatMap(([code, dtype, values]) =>
    (code.endsWith('1') ? ['|'] : ['<', '>']).flatMap((order) =>
      [false, true].map((fortran) => ({ descr: order + code, dtype, values, fortran })),
    ),
  );
  it.each(cases)('reads $descr fortran=$fortran', async ({ descr, dtype, values, fortran }) => {
    const p = await save(
      `t${descr.replace(/[<>|]/, (c) => ({ '<': 'le', '>': 'be', '|': 'na' })[c] ?? '')}${fortran}.npy`,
      npyBytes({ descr, shape: [2, 3], values, fortran }),
    );
    const { tensor, notes } = await readTensorFile(p);
    expect(tensor.dtype).toBe(dtype);
    expect(tensor.dims).toEqual([2, 3]);
    expect(plain(tensor)).toEqual(values);
    expect(notes.some((n) => n.includes('big-endian'))).toBe(descr.startsWith('>'));
    expect(notes.some((n) => n.includes('Fortran'))).toBe(fortran);
  });

  it('reorders a 3-d Fortran array to C order', async () => {
    const values = Array.from({ length: 24 }, (_, k) => k);
    const p = await save('f3.npy', npyBytes({ descr: '<i4', shape: [2, 3, 4], values, fortran: true }));
    const { tensor } = await readTensorFile(p);
    expect(plain(tensor)).toEqual(values);
  });

  it.each([
    { name: 'v2 header', spec: { descr: '<f4', shape: [3], values: [1, 2, 3], version: 2 } as NpySpec, dims: [3] },
    { name: 'v3 header', spec: { descr: '<f4', shape: [1, 2], values: [1, 2], version: 3 } as NpySpec, dims: [1, 2] },
    { name: '0-d', spec: { descr: '<f8', shape: [], values: [7] } as NpySpec, dims: [] },
    { name: 'zero-size', spec: { descr: '<f4', shape: [0, 3], values: [] } as NpySpec, dims: [0, 3] },
  ])('reads $name', async ({ name, spec, dims }) => {
    const { tensor } = await readTensorFile(await save(`${name.replace(/\W/g, '')}.npy`, npyBytes(spec)));
    expect(tensor.dims).toEqual(dims);
    expect(plain(tensor)).toEqual([...spec.values]);
  });

  it('reads numpy str arrays as strings', async () => {
    const body = new Uint32Array([104, 105, 0, 120, 121, 122]); // "hi", "xyz" as <U3
    const head = npyBytes({ descr: '<U3', shape: [2], values: [] });
    const p = await save('s.npy', new Uint8Array([...head, ...new Uint8Array(body.buffer)]));
    const { tensor } = await readTensorFile(p);
    expect(tensor).toEqual({ dtype: 'string', dims: [2], data: ['hi', 'xyz'] });
  });

  it.each([
    {
      file: 'input.npy',
      spec: { descr: '<c8', shape: [1], values: [] },
      code: 'UNSUPPORTED',
      message: "input.npy: unsupported dtype '<c8' (complex64)",
    },
    {
      file: 'obj.npy',
      spec: { descr: '|O', shape: [1], values: [] },
      code: 'UNSUPPORTED',
      message: "obj.npy: unsupported dtype '|O' (Python objects)",
    },
    {
      file: 'dt.npy',
      spec: { descr: '<M8', shape: [1], values: [] },
      code: 'UNSUPPORTED',
      message: "dt.npy: unsupported dtype '<M8' (datetime)",
    },
    {
      file: 'rec.npy',
      spec: { descr: '', header: "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", shape: [1], values: [] },
      code: 'INVALID_INPUT',
      message: 'rec.npy: holds a structured array',
    },
    {
      file: 'short.npy',
      spec: { descr: '<f4', shape: [2, 3], values: [1, 2, 3, 4, 5, 6], truncate: 4 },
      code: 'INVALID_INPUT',
      message: "short.npy: is truncated: shape (2, 3) of '<f4' needs 24 bytes of data but the file has 20",
    },
    {
      file: 'odd.npy',
      spec: { descr: '<f4', header: "{'descr': '<f4', 'shape': (2,), }", shape: [2], values: [] },
      code: 'INVALID_INPUT',
      message: 'odd.npy: has a header numpy would not write',
    },
  ] as { file: string; spec: NpySpec; code: string; message: string }[])(
    'refuses $file',
    async ({ file, spec, code, message }) => {
      const e = await workbenchError(readTensorFile(await save(file, npyBytes(spec))));
      expect(e.code).toBe(code);
      expect(e.message).toContain(message);
    },
  );

  it('refuses files that are not .npy', async () => {
    const e = await workbenchError(readTensorFile(await save('text.npy', 'hello world, not numpy')));
    expect(e.message).toBe('text.npy: is not a .npy file (it does not start with \\x93NUMPY)');
  });
});

describe('.pb TensorProto', () => {
  const cases: { dtype: DType; data: TensorSpec['data']; want: (number | string)[]; as?: FeedableDType }[] = [
    { dtype: 'float32', data: [1.5, -2, 0, 3.25], want: [1.5, -2, 0, 3.25] },
    { dtype: 'float16', data: [1.5, -2, 0, 65504], want: [1.5, -2, 0, 65504] },
    { dtype: 'int64', data: [1n, -2n, 2n ** 40n, 0n], want: [1, -2, 2 ** 40, 0] },
    { dtype: 'bool', data: [1, 0, 0, 1], want: [1, 0, 0, 1] },
    { dtype: 'uint8', data: [0, 255, 7, 128], want: [0, 255, 7, 128] },
    { dtype: 'int8', data: [-128, 127, -1, 0], want: [-128, 127, -1, 0] },
    { dtype: 'int16', data: [-300, 300, -1, 0], want: [-300, 300, -1, 0] },
    { dtype: 'uint16', data: [65535, 1, 2, 3], want: [65535, 1, 2, 3] },
    { dtype: 'int32', data: [-5, 5, 2 ** 31 - 1, 0], want: [-5, 5, 2 ** 31 - 1, 0] },
    { dtype: 'float64', data: [0.1, -0.2, 1e300, 0], want: [0.1, -0.2, 1e300, 0] },
    { dtype: 'uint64', data: [1n, 2n, 3n, 4n], want: [1, 2, 3, 4] },
    { dtype: 'uint32', data: [1n, 2n, 4294967295n, 0n], want: [1, 2, 4294967295, 0] },
  ];
  const rows = cases.flatMap((c) => [false, true].map((typed) => ({ ...c, typed })));
  it.each(rows)('reads $dtype typed=$typed', async ({ dtype, data, want, typed }) => {
    if (dtype === 'uint32' && !typed) data = [1, 2, 4294967295, 0];
    const p = await save(`${dtype}-${typed}.pb`, pbBytes({ name: 'x', dtype, dims: [2, 2], data, typed }));
    const { tensor, name, notes } = await readTensorFile(p);
    expect(name).toBe('x');
    expect(tensor.dtype).toBe(dtype);
    expect(tensor.dims).toEqual([2, 2]);
    expect(plain(tensor)).toEqual(want);
    expect(notes).toEqual([]);
  });

  it('reads strings from string_data', async () => {
    const p = await save('s.pb', pbBytes({ name: 'words', dtype: 'string', dims: [3], data: ['a', 'héllo', ''], typed: true }));
    const { tensor, name } = await readTensorFile(p);
    expect(name).toBe('words');
    expect(tensor).toEqual({ dtype: 'string', dims: [3], data: ['a', 'héllo', ''] });
  });

  it('widens bfloat16 to float32 with a note', async () => {
    const p = await save('bf.pb', pbBytes({ name: 'b', dtype: 'bfloat16', dims: [3], data: [1, -2.5, 256] }));
    const { tensor, notes } = await readTensorFile(p);
    expect(tensor.dtype).toBe('float32');
    expect(plain(tensor)).toEqual([1, -2.5, 256]);
    expect(notes).toEqual(['bf.pb: bfloat16 values widened to float32 (onnxruntime-node cannot feed bfloat16)']);
  });

  it('reads a scalar without a name', async () => {
    const { tensor, name } = await readTensorFile(
      await save('sc.pb', pbBytes({ name: '', dtype: 'int64', dims: [], data: [16000n] })),
    );
    expect(name).toBeUndefined();
    expect(tensor.dims).toEqual([]);
    expect(plain(tensor)).toEqual([16000]);
  });

  it.each([
    {
      file: 'x.pb',
      bytes: () => pbBytes({ name: 'x', dtype: 'float32', dims: [30], data: new Array(30).fill(1) }).subarray(0, 100),
      code: 'INVALID_INPUT',
      message:
        /^x\.pb is truncated: field 9 \(raw_data\) of TensorProto at byte \d+ claims 120 bytes but the file ends at byte 100$/,
    },
    {
      file: 'len.pb',
      bytes: () => pbBytes({ name: 'x', dtype: 'float32', dims: [2, 3], raw: new Uint8Array(20) }),
      code: 'INVALID_INPUT',
      message: /^len\.pb: raw_data has 20 bytes but dims \[2,3\] of float32 need 24$/,
    },
    {
      file: 'count.pb',
      bytes: () => pbBytes({ name: 'y', dtype: 'float32', dims: [2, 3], data: [1, 2, 3], typed: true }),
      code: 'INVALID_INPUT',
      message: /^count\.pb is inconsistent: tensor "y" stores 3 values but its dims \[2, 3\] need 6$/,
    },
    {
      file: 'empty.pb',
      bytes: () => new Uint8Array(0),
      code: 'INVALID_INPUT',
      message: /^empty\.pb: is not an ONNX TensorProto/,
    },
    {
      file: 'ext.pb',
      bytes: () => pbBytes({ name: 'w', dtype: 'float32', dims: [4], external: { location: 'w.bin' } }),
      code: 'UNSUPPORTED',
      message: /^ext\.pb: tensor 'w' keeps its values in an external file \('w\.bin'\)/,
    },
    {
      file: 'c.pb',
      bytes: () => pbBytes({ name: 'c', dtype: 'complex64', dims: [1], data: [1, 2] }),
      code: 'UNSUPPORTED',
      message: /^c\.pb: tensor 'c' has dtype complex64, which onnxruntime-node cannot feed$/,
    },
    {
      file: 'none.pb',
      bytes: () => pbBytes({ name: 'n', dtype: 'float32', dims: [2] }),
      code: 'INVALID_INPUT',
      message: /^none\.pb: has no values/,
    },
  ])('refuses $file', async ({ file, bytes, code, message }) => {
    const e = await workbenchError(readTensorFile(await save(file, bytes())));
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
  });
});

describe('.json', () => {
  it.each([
    {
      name: 'flat with dims',
      text: '{"dtype":"float32","dims":[2,3],"data":[1,2,3,4,5,6]}',
      dtype: 'float32',
      dims: [2, 3],
      values: [1, 2, 3, 4, 5, 6],
    },
    {
      name: 'nested with dims',
      text: '{"dtype":"int32","dims":[3,2],"data":[[1,2,3],[4,5,6]]}',
      dtype: 'int32',
      dims: [3, 2],
      values: [1, 2, 3, 4, 5, 6],
    },
    {
      name: 'nested, dims implied',
      text: '{"dtype":"float64","data":[[[1],[2]]]}',
      dtype: 'float64',
      dims: [1, 2, 1],
      values: [1, 2],
    },
    { name: 'plain nested arrays', text: '[[0.5, 1], [2, 3]]', dtype: 'float32', dims: [2, 2], values: [0.5, 1, 2, 3] },
    { name: 'plain scalar', text: '3', dtype: 'float32', dims: [], values: [3] },
    {
      name: 'int64 as strings',
      text: '{"dtype":"int64","dims":[2],"data":["9007199254740993", -1]}',
      dtype: 'int64',
      dims: [2],
      values: [9007199254740992, -1],
    },
    {
      name: 'NaN and infinities',
      text: '{"dtype":"float32","data":["NaN","Infinity","-Infinity",1]}',
      dtype: 'float32',
      dims: [4],
      values: [NaN, Infinity, -Infinity, 1],
    },
    { name: 'bools', text: '{"dtype":"bool","data":[true,false,1]}', dtype: 'bool', dims: [3], values: [1, 0, 1] },
    { name: 'strings', text: '{"dtype":"string","data":[["a","b"]]}', dtype: 'string', dims: [1, 2], values: ['a', 'b'] },
    { name: 'float16', text: '{"dtype":"float16","data":[1.5,-2]}', dtype: 'float16', dims: [2], values: [1.5, -2] },
  ])('reads $name', async ({ name, text, dtype, dims, values }) => {
    const { tensor } = await readTensorFile(await save(`${name.replace(/\W/g, '')}.json`, text));
    expect(tensor.dtype).toBe(dtype);
    expect(tensor.dims).toEqual(dims);
    expect(plain(tensor)).toEqual(values);
  });

  it('keeps int64 beyond 2^53 exact', async () => {
    const { tensor } = await readTensorFile(await save('big.json', '{"dtype":"int64","data":["9007199254740993"]}'));
    expect(tensor.data).toEqual(BigInt64Array.of(9007199254740993n));
  });

  it('takes the dtype of plain arrays from the model input', async () => {
    const p = await save('ids.json', '[[101, 2023, 102]]');
    const { tensor } = await loadTensorSource({ kind: 'file', path: p }, input('ids', 'int64', ['batch', 'seq']));
    expect(tensor.dtype).toBe('int64');
    expect(tensor.data).toEqual(BigInt64Array.of(101n, 2023n, 102n));
  });

  it.each([
    {
      file: 'data.json',
      text: '{"dtype":"float32","dims":[2,3],"data":[1,2,3,4,5,6,7,8,9,10]}',
      message: "data.json: 'data' has 10 values but dims [2,3] need 6",
    },
    { file: 'rag.json', text: '[[1,2],[3]]', message: 'rag.json: nested arrays are ragged: data[1] has 1 items, expected 2' },
    {
      file: 'deep.json',
      text: '[[1,2],[3,[4]]]',
      message: 'deep.json: nested arrays are ragged: data[1][1] is a list but its neighbours hold values',
    },
    { file: 'syntax.json', text: '{"data": [1,', message: 'syntax.json: is not valid JSON' },
    {
      file: 'dtype.json',
      text: '{"dtype":"float128","data":[1]}',
      message: `dtype.json: 'dtype' "float128" is not one of ${FEEDABLE_DTYPES.join(', ')}`,
    },
    { file: 'nodata.json', text: '{"dtype":"float32"}', message: "nodata.json: has no 'data' field" },
    { file: 'word.json', text: '{"dtype":"float32","data":[1,"x"]}', message: 'word.json: value 1 ("x") is not a number' },
    { file: 'range.json', text: '{"dtype":"uint8","data":[1,300]}', message: 'range.json: value 1 (300) does not fit in uint8' },
    { file: 'frac.json', text: '{"dtype":"int64","data":[1.5]}', message: 'frac.json: value 0 (1.5) is not an integer' },
    { file: 'dims.json', text: '{"dims":[-1],"data":[1]}', message: "dims.json: 'dims' must be a list of sizes" },
  ])('refuses $file', async ({ file, text, message }) => {
    const e = await workbenchError(readTensorFile(await save(file, text)));
    expect(e.code).toBe('INVALID_INPUT');
    expect(e.message).toContain(message);
  });
});

describe('.wav audio', () => {
  const sine = (hz: number, rate: number, n: number, amp = 0.5): number[] =>
    Array.from({ length: n }, (_, k) => amp * Math.sin((2 * Math.PI * hz * k) / rate));

  it('mixes 16-bit stereo at 48 kHz down to 16 kHz mono', async () => {
    const left = sine(440, 48000, 48000);
    const right = sine(440, 48000, 48000, 0.3);
    const p = await save('stereo.wav', wavBytes({ rate: 48000, bits: 16, channels: [left, right] }));
    const { tensor, notes } = await readAudioFile(p, 16000);
    expect(tensor.dtype).toBe('float32');
    expect(tensor.dims).toEqual([1, 16000]);
    const want = sine(440, 16000, 16000, 0.4);
    let err = 0;
    for (let k = 100; k < 15900; k++) err = Math.max(err, Math.abs((tensor.data[k] as number) - want[k]));
    expect(err).toBeLessThan(2e-3);
    expect(notes).toContain('stereo.wav: 2 channels mixed down to mono');
    expect(notes).toContain('stereo.wav: resampled from 48000 Hz to 16000 Hz (windowed sinc)');
  });

  it('filters out frequencies above the new Nyquist frequency', async () => {
    const p = await save('high.wav', wavBytes({ rate: 48000, bits: 16, channels: [sine(12000, 48000, 9600)] }));
    const { tensor } = await readAudioFile(p, 16000);
    const peak = Math.max(
      ...Array.from(tensor.data as Float32Array)
        .slice(100, -100)
        .map(Math.abs),
    );
    expect(peak).toBeLessThan(0.01); // a 12 kHz tone would alias to 4 kHz at amplitude 0.5
  });

  it.each([
    { bits: 8 as const, float: false, tol: 1e-2 },
    { bits: 16 as const, float: false, tol: 1e-4 },
    { bits: 24 as const, float: false, tol: 1e-6 },
    { bits: 32 as const, float: false, tol: 1e-6 },
    { bits: 32 as const, float: true, tol: 1e-7 },
    { bits: 64 as const, float: true, tol: 1e-7 },
    { bits: 16 as const, float: false, tol: 1e-4, extensible: true },
  ])('reads $bits-bit float=$float extensible=$extensible at its own rate', async ({ bits, float, tol, extensible }) => {
    const values = [0, 0.5, -0.5, 0.25, -0.75, 0.125];
    const p = await save(
      `w${bits}${float}${extensible}.wav`,
      wavBytes({ rate: 8000, bits, float, extensible, channels: [values] }),
    );
    const { tensor } = await readAudioFile(p, 8000, 1);
    expect(tensor.dims).toEqual([6]);
    Array.from(tensor.data as Float32Array).forEach((v, k) => expect(Math.abs(v - values[k])).toBeLessThan(tol));
  });

  it('shapes audio for the model input rank', async () => {
    const p = await save('r3.wav', wavBytes({ rate: 16000, bits: 16, channels: [sine(100, 16000, 320)] }));
    const { tensor } = await loadTensorSource(
      { kind: 'audio', path: p, sampleRate: 16000 },
      input('wave', 'float32', [1, 1, 'n']),
    );
    expect(tensor.dims).toEqual([1, 1, 320]);
  });

  it.each([
    {
      file: 'no.wav',
      bytes: new TextEncoder().encode('definitely not audio'),
      code: 'INVALID_INPUT',
      message: 'no.wav: is not a WAV file (no RIFF/WAVE header)',
    },
    {
      file: 'adpcm.wav',
      bytes: (() => {
        const b = wavBytes({ rate: 8000, bits: 16, channels: [[0, 0]] });
        b[20] = 2;
        return b;
      })(),
      code: 'UNSUPPORTED',
      message: 'adpcm.wav: audio format 2 is not supported',
    },
  ])('refuses $file', async ({ file, bytes, code, message }) => {
    const e = await workbenchError(readAudioFile(await save(file, bytes), 16000));
    expect(e.code).toBe(code);
    expect(e.message).toContain(message);
  });
});

describe('generators', () => {
  it('mulberry32 is deterministic', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it.each([
    { generator: 'uniform' as const, extra: { low: -2, high: 3 } },
    { generator: 'normal' as const, extra: { mean: 1, std: 2 } },
  ])('$generator: same seed, same tensor; other seed, other tensor', ({ generator, extra }) => {
    const make = (seed: number): Tensor => generateTensor({ generator, dtype: 'float32', dims: [10000], seed, ...extra });
    expect(make(7).data).toEqual(make(7).data);
    expect(make(7).data).not.toEqual(make(8).data);
  });

  it('uniform stays in [low, high) and normal has the asked mean and std', () => {
    const u = numbersOf(generateTensor({ generator: 'uniform', dtype: 'float64', dims: [20000], low: -2, high: 3, seed: 1 }))!;
    expect(Math.min(...u)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...u)).toBeLessThan(3);
    const s = summarizeTensor(
      'n',
      generateTensor({ generator: 'normal', dtype: 'float32', dims: [20000], mean: 1, std: 2, seed: 1 }),
    );
    expect(s.stats.mean).toBeCloseTo(1, 1);
    expect(s.stats.std).toBeGreaterThan(1.95);
    expect(s.stats.std).toBeLessThan(2.05);
  });

  it.each([
    { generator: 'zeros' as const, dtype: 'int64' as const, want: [0, 0, 0] },
    { generator: 'ones' as const, dtype: 'float16' as const, want: [1, 1, 1] },
    { generator: 'ones' as const, dtype: 'bool' as const, want: [1, 1, 1] },
    { generator: 'constant' as const, dtype: 'int64' as const, value: 16000, want: [16000, 16000, 16000] },
    { generator: 'constant' as const, dtype: 'uint8' as const, value: 300, want: [255, 255, 255] },
  ])('$generator $dtype', ({ generator, dtype, value, want }) => {
    const t = generateTensor({ generator, dtype, dims: [3], value });
    expect(t.dtype).toBe(dtype);
    expect(plain(t)).toEqual(want);
  });

  it('makes whole numbers for integer inputs', () => {
    const t = generateTensor({ generator: 'uniform', dtype: 'int32', dims: [1000], low: 0, high: 5, seed: 3 });
    const v = plain(t) as number[];
    expect(new Set(v)).toEqual(new Set([0, 1, 2, 3, 4]));
  });

  it('resolves symbolic dims from overrides and names the missing one', () => {
    const x = input('x', 'float32', ['batch', 3, null]);
    expect(resolveDims(x, { batch: 2, 'x[2]': 5 })).toEqual([2, 3, 5]);
    expect(() => resolveDims(x, {})).toThrow("input 'x' has symbolic dim 'batch': choose a size");
    expect(() => resolveDims(x, { batch: 1 })).toThrow(`input 'x' has an unnamed dim at position 2: choose a size (as "x[2]")`);
    expect(() => resolveDims(input('y', 'float32', null))).toThrow("input 'y' has no known shape: give the dims");
  });

  it('generates from a recipe source, shaped and typed by the model input', async () => {
    const src = TensorSource.parse({ kind: 'generate', generator: 'normal', seed: 5 });
    const { tensor } = await loadTensorSource(src, input('state', 'float32', [2, 'b', 128]), { dimOverrides: { b: 1 } });
    expect(tensor.dims).toEqual([2, 1, 128]);
    expect(tensor.dtype).toBe('float32');
    const sr = await loadTensorSource({ kind: 'generate', generator: 'constant', value: 16000 }, input('sr', 'int64', []));
    expect(sr.tensor).toEqual({ dtype: 'int64', dims: [], data: BigInt64Array.of(16000n) });
  });

  it('validates sources', () => {
    expect(TensorSource.safeParse({ kind: 'file', path: 'relative.npy' }).success).toBe(false);
    expect(TensorSource.safeParse({ kind: 'audio', path: '/a.wav' }).success).toBe(false);
    expect(TensorSource.safeParse({ kind: 'generate', generator: 'normal', std: -1 }).success).toBe(false);
    expect(TensorSource.safeParse({ kind: 'image', path: '/a.png' }).success).toBe(false);
    expect(TensorSource.parse({ kind: 'generate', generator: 'uniform', low: 0, high: 1, seed: 3 }).kind).toBe('generate');
  });
});

describe('writers round-trip', () => {
  const tensors: Tensor[] = [
    { dtype: 'float32', dims: [2, 2], data: Float32Array.of(1.5, -0, NaN, Infinity) },
    { dtype: 'float64', dims: [3], data: Float64Array.of(0.1, -1e-300, -Infinity) },
    { dtype: 'float16', dims: [2], data: Uint16Array.of(floatToHalf(1.5), floatToHalf(-65504)) },
    { dtype: 'int8', dims: [2], data: Int8Array.of(-128, 127) },
    { dtype: 'uint8', dims: [2], data: Uint8Array.of(0, 255) },
    { dtype: 'int16', dims: [1], data: Int16Array.of(-32768) },
    { dtype: 'uint16', dims: [1], data: Uint16Array.of(65535) },
    { dtype: 'int32', dims: [1, 1], data: Int32Array.of(-7) },
    { dtype: 'uint32', dims: [1], data: Uint32Array.of(4294967295) },
    { dtype: 'int64', dims: [2], data: BigInt64Array.of(-(2n ** 62n), 9007199254740993n) },
    { dtype: 'uint64', dims: [1], data: BigUint64Array.of(2n ** 63n) },
    { dtype: 'bool', dims: [3], data: Uint8Array.of(1, 0, 1) },
    { dtype: 'string', dims: [2], data: ['hello', 'wörld'] },
    { dtype: 'float32', dims: [], data: Float32Array.of(3) },
    { dtype: 'float32', dims: [0, 4], data: new Float32Array(0) },
  ];
  const rows = tensors.flatMap((t, k) =>
    (['npy', 'pb', 'json'] as const).map((ext) => ({ t, ext, label: `${k}-${t.dtype}[${t.dims}]` })),
  );
  it.each(rows)('$ext $label', async ({ t, ext, label }) => {
    const p = join(scratch.path, `rt-${label.replace(/\W/g, '_')}.${ext}`);
    await writeTensorFile(p, t, 'v');
    const back = await readTensorFile(p);
    expect(back.tensor).toEqual(t);
    if (ext === 'pb') expect(back.name).toBe('v');
  });
});

describe('onnxruntime conversion', () => {
  const dtypes = FEEDABLE_DTYPES;
  it.each(dtypes)('%s goes through Identity unchanged', async (dtype) => {
    const ort = await loadOrt();
    const session = await ort.InferenceSession.create(
      buildModel({
        inputs: [{ name: 'x', dtype, shape: [3] }],
        outputs: [{ name: 'y', dtype, shape: [3] }],
        nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }],
      }),
    );
    const t =
      dtype === 'string'
        ? { dtype, dims: [3], data: ['a', 'b', 'c'] }
        : generateTensor({ generator: 'uniform', dtype, dims: [3], seed: 9, low: 0, high: 100 });
    const out = await session.run({ x: toOrtTensor(ort, t) });
    expect(fromOrtTensor(out.y, "output 'y'")).toEqual(t);
    await session.release();
  });

  it('turns a Float16Array (Electron) into 16-bit patterns', () => {
    const bits = Uint16Array.of(0x3c00, 0xc000);
    // Node 20 has no Float16Array: any other 16-bit view over the same bytes stands in for it.
    const t = fromOrtTensor({ type: 'float16', dims: [2], data: new Int16Array(bits.buffer) } as never, "output 'y'");
    expect(t.data).toBeInstanceOf(Uint16Array);
    expect(t.data).toEqual(bits);
  });

  it('refuses dtypes the workbench cannot hold', () => {
    expect(() => fromOrtTensor({ type: 'bfloat16', dims: [1], data: new Uint16Array(1) } as never, "output 'z'")).toThrow(
      "output 'z' has dtype bfloat16, which the workbench cannot read",
    );
  });
});

describe('summarizeTensor', () => {
  it('counts, bins and previews', () => {
    const data = Float32Array.from({ length: 100 }, (_, k) => k);
    data[0] = NaN;
    data[1] = -Infinity;
    const s = summarizeTensor('x', { dtype: 'float32', dims: [10, 10], data });
    expect(s.stats).toMatchObject({ elements: 100, min: 2, max: 99, nan: 1, inf: 1, zeros: 0 });
    expect(s.histogram?.counts).toHaveLength(32);
    expect(s.histogram?.counts.reduce((a, b) => a + b, 0)).toBe(98);
    expect(s.histogram?.counts[31]).toBeGreaterThan(0);
    expect(s.preview).toHaveLength(64);
    expect(s.preview[2]).toBe(2);
  });

  it.each([
    { t: { dtype: 'string', dims: [2], data: ['a', 'b'] } as Tensor, preview: ['a', 'b'], histogram: null },
    {
      t: { dtype: 'int64', dims: [2], data: BigInt64Array.of(2n ** 60n, 5n) } as Tensor,
      preview: ['1152921504606846976', 5],
      histogram: 32,
    },
    { t: { dtype: 'float16', dims: [1], data: Uint16Array.of(floatToHalf(0.5)) } as Tensor, preview: [0.5], histogram: 32 },
    { t: { dtype: 'float32', dims: [0], data: new Float32Array(0) } as Tensor, preview: [], histogram: null },
  ])('$t.dtype', ({ t, preview, histogram }) => {
    const s = summarizeTensor('t', t);
    expect(s.preview).toEqual(preview);
    expect(s.histogram?.counts.length ?? null).toBe(histogram);
  });
});

describe('mismatch before running', () => {
  const img = input('x', 'float32', [1, 3, 224, 224]);
  it.each([
    { name: 'fits', input: img, t: { dtype: 'float32', dims: [1, 3, 224, 224] }, want: null },
    {
      name: 'symbolic dims take any size',
      input: input('x', 'float32', ['batch', 3, 'h', 'w']),
      t: { dtype: 'float32', dims: [4, 3, 17, 9] },
      want: null,
    },
    {
      name: 'unknown rank takes anything',
      input: input('x', 'float32', null),
      t: { dtype: 'float32', dims: [2, 2, 2, 2, 2] },
      want: null,
    },
    { name: 'unknown dtype takes any dtype', input: input('x', null, [2]), t: { dtype: 'int8', dims: [2] }, want: null },
    {
      name: 'dtype and shape',
      input: img,
      t: { dtype: 'float64', dims: [224, 224, 3] },
      want: "input 'x' expects float32 [1,3,224,224]; the file holds float64 [224,224,3] (3 dims where the model needs 4; convert it to float32 or choose the dtype in the recipe)",
    },
    {
      name: 'only dtype',
      input: img,
      t: { dtype: 'float64', dims: [1, 3, 224, 224] },
      want: "input 'x' expects float32 [1,3,224,224]; the file holds float64 [1,3,224,224] (convert it to float32 or choose the dtype in the recipe)",
    },
    {
      name: 'fixed dim',
      input: input('x', 'float32', ['batch', 3, 224, 224]),
      t: { dtype: 'float32', dims: [1, 4, 224, 224] },
      want: "input 'x' expects float32 [batch,3,224,224]; the file holds float32 [1,4,224,224] (dim 1 is 4 where the model needs 3)",
    },
    {
      name: 'rank',
      input: input('sr', 'int64', []),
      t: { dtype: 'int64', dims: [1] },
      want: "input 'sr' expects int64 []; the file holds int64 [1] (1 dim where the model needs 0)",
    },
    {
      name: 'string to number',
      input: input('x', 'float32', [null]),
      t: { dtype: 'string', dims: [2] },
      want: "input 'x' expects float32 [?]; the file holds string [2] (string values cannot be converted to float32)",
    },
    {
      name: 'dtype onnxruntime-node cannot feed',
      input: input('x', 'bfloat16', [2]),
      t: { dtype: 'float32', dims: [2] },
      want: "input 'x' expects bfloat16 [2]; the file holds float32 [2] (onnxruntime-node cannot feed bfloat16 inputs)",
    },
  ] as { name: string; input: ValueInfo; t: Pick<Tensor, 'dtype' | 'dims'>; want: string | null }[])(
    '$name',
    ({ input: i, t, want }) => {
      expect(describeMismatch(i, t)).toBe(want);
    },
  );

  it.each([
    {
      from: { dtype: 'float64', dims: [4], data: Float64Array.of(1.7, -1.7, NaN, 1e12) } as Tensor,
      to: 'int32' as const,
      want: [1, -1, 0, 2147483647],
    },
    {
      from: { dtype: 'float32', dims: [3], data: Float32Array.of(-5, 300, 2.9) } as Tensor,
      to: 'uint8' as const,
      want: [0, 255, 2],
    },
    { from: { dtype: 'float32', dims: [2], data: Float32Array.of(1.5, 2) } as Tensor, to: 'float16' as const, want: [1.5, 2] },
    {
      from: { dtype: 'float16', dims: [1], data: Uint16Array.of(floatToHalf(-2.5)) } as Tensor,
      to: 'float64' as const,
      want: [-2.5],
    },
    { from: { dtype: 'int64', dims: [2], data: BigInt64Array.of(-1n, 7n) } as Tensor, to: 'float32' as const, want: [-1, 7] },
    {
      from: { dtype: 'float32', dims: [2], data: Float32Array.of(3.9, -1e30) } as Tensor,
      to: 'int64' as const,
      want: [3, -(2 ** 63)],
    },
    { from: { dtype: 'int64', dims: [1], data: BigInt64Array.of(-3n) } as Tensor, to: 'uint64' as const, want: [0] },
    { from: { dtype: 'float32', dims: [3], data: Float32Array.of(0, 0.1, NaN) } as Tensor, to: 'bool' as const, want: [0, 1, 0] },
  ])('casts $from.dtype to $to', ({ from, to, want }) => {
    const t = castTensor(from, to);
    expect(t.dtype).toBe(to);
    expect(t.dims).toEqual(from.dims);
    expect(plain(t)).toEqual(want);
  });

  it('refuses casts from strings', () => {
    expect(() => castTensor({ dtype: 'string', dims: [1], data: ['1'] }, 'float32')).toThrow(
      'string values cannot be converted to float32',
    );
  });

  it('float16 rounding matches IEEE round-to-nearest-even', () => {
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (up)
    expect(floatToHalf(65520)).toBe(0x7c00); // rounds to infinity
    expect(halfToFloat(floatToHalf(2 ** -24))).toBe(2 ** -24); // smallest subnormal
    expect(halfToFloat(floatToHalf(3 * 2 ** -25))).toBe(2 ** -23); // subnormal tie → even
  });
});
