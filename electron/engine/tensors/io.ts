// Tensors from and to files, and from a recipe's TensorSource; the format follows the extension.
import { writeFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { ValueInfo } from '../../../shared/model-info';
import { WorkbenchError } from '../../../shared/result';
import { readRegularFile } from '../../common/regular-file';
import { fsError } from '../../common/fs';
import { isFeedable, type FeedableDType, type TensorSource } from '../../../shared/tensor';
import { generateTensor, generatedDtype, resolveDims } from './generate';
import { decodeJsonTensor, encodeJsonTensor } from './json';
import { decodeNpy, encodeNpy } from './npy';
import { decodeTensorProto, encodeTensorProto } from './pb';
import { assertTensor, type LoadedTensor, type Tensor } from './tensor';
import { decodeWav, resample } from './wav';

export const TENSOR_EXTENSIONS = ['.npy', '.pb', '.json'] as const;
export const AUDIO_EXTENSIONS = ['.wav'] as const;

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return await readRegularFile(path, 'a tensor file');
  } catch (e) {
    throw fsError(e, path, { what: 'tensor file' });
  }
}

export interface ReadTensorOptions {
  /** dtype for JSON files that are plain nested arrays (usually the model input's). */
  fallbackDtype?: FeedableDType;
}

/** Reads a .npy, .pb or .json tensor file. */
export async function readTensorFile(path: string, options: ReadTensorOptions = {}): Promise<LoadedTensor> {
  const label = basename(path);
  const ext = extname(path).toLowerCase();
  if (!(TENSOR_EXTENSIONS as readonly string[]).includes(ext)) {
    const hint = ext === '.wav' ? ' (load audio as an audio source)' : '';
    throw new WorkbenchError(
      'UNSUPPORTED',
      `${label}: '${ext || 'no extension'}' is not a tensor format; use .npy, .pb or .json${hint}`,
    );
  }
  const bytes = await readBytes(path);
  const loaded =
    ext === '.npy'
      ? decodeNpy(bytes, label)
      : ext === '.pb'
        ? await decodeTensorProto(bytes, label)
        : decodeJsonTensor(new TextDecoder().decode(bytes), label, options.fallbackDtype);
  assertTensor(loaded.tensor, label);
  return loaded;
}

/** Audio as float32 samples in [-1, 1], mono, at `sampleRate`; shaped [N], [1,N] (default) or [1,1,N]. */
export async function readAudioFile(path: string, sampleRate: number, rank = 2): Promise<LoadedTensor> {
  const label = basename(path);
  const audio = decodeWav(await readBytes(path), label);
  const notes: string[] = [
    `${label}: ${audio.format}, ${audio.channels} channel(s) at ${audio.sampleRate} Hz, ${audio.samples.length} frames`,
  ];
  if (audio.channels > 1) notes.push(`${label}: ${audio.channels} channels mixed down to mono`);
  const samples = resample(audio.samples, audio.sampleRate, sampleRate);
  if (audio.sampleRate !== sampleRate)
    notes.push(`${label}: resampled from ${audio.sampleRate} Hz to ${sampleRate} Hz (windowed sinc)`);
  const dims = rank <= 1 ? [samples.length] : [...new Array<number>(rank - 1).fill(1), samples.length];
  return { tensor: { dtype: 'float32', dims, data: samples }, notes };
}

export interface SourceOptions {
  /** Sizes for symbolic dims by name (and unnamed ones as "input[position]"). */
  dimOverrides?: Record<string, number>;
}

/** The tensor a recipe's source describes, shaped for `input` when one is given. */
export async function loadTensorSource(
  source: TensorSource,
  input: ValueInfo | null,
  options: SourceOptions = {},
): Promise<LoadedTensor> {
  switch (source.kind) {
    case 'file': {
      const d = input?.dtype ?? null;
      return readTensorFile(source.path, { fallbackDtype: isFeedable(d) ? d : undefined });
    }
    case 'audio': {
      const rank = input?.shape?.length;
      return readAudioFile(source.path, source.sampleRate, rank && rank <= 3 ? rank : 2);
    }
    case 'generate': {
      let dims = source.dims;
      if (!dims) {
        if (!input)
          throw new WorkbenchError('INVALID_INPUT', 'a generated tensor needs dims or a model input to take its shape from');
        dims = resolveDims(input, options.dimOverrides);
      }
      const dtype = generatedDtype(input, source.dtype);
      return { tensor: generateTensor({ ...source, dtype, dims }), notes: [] };
    }
  }
}

export type TensorFileFormat = 'npy' | 'pb' | 'json';

export function formatOf(path: string): TensorFileFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.npy' || ext === '.pb' || ext === '.json') return ext.slice(1) as TensorFileFormat;
  throw new WorkbenchError(
    'UNSUPPORTED',
    `${basename(path)}: '${ext || 'no extension'}' is not a tensor format; use .npy, .pb or .json`,
  );
}

export function encodeTensor(t: Tensor, format: TensorFileFormat, name = ''): Uint8Array {
  if (format === 'npy') return encodeNpy(t);
  if (format === 'pb') return encodeTensorProto(t, name);
  return new TextEncoder().encode(encodeJsonTensor(t));
}

/** Writes a tensor in the format its extension names; `name` goes into .pb files. */
export async function writeTensorFile(path: string, t: Tensor, name = ''): Promise<void> {
  const bytes = encodeTensor(t, formatOf(path), name);
  try {
    await writeFile(path, bytes);
  } catch (e) {
    throw new WorkbenchError('IO_ERROR', `${basename(path)}: cannot be written (${(e as Error).message})`);
  }
}
