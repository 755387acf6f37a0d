// WAV audio → float32 samples in [-1, 1] at the rate a model expects. Channels are averaged
// to mono; the rate is changed with a windowed-sinc filter (Blackman window, 16 zero crossings
// each side, cut-off at the lower Nyquist frequency), so downsampling does not alias.
import { WorkbenchError } from '../../../shared/result';

export interface Audio {
  sampleRate: number;
  channels: number;
  /** Mono samples in [-1, 1]. */
  samples: Float32Array;
  /** Sample format as found, e.g. "16-bit PCM". */
  format: string;
}

function bad(label: string, message: string): WorkbenchError {
  return new WorkbenchError('INVALID_INPUT', `${label}: ${message}`);
}

const tag = (b: Uint8Array, at: number): string => String.fromCharCode(b[at], b[at + 1], b[at + 2], b[at + 3]);

export function decodeWav(bytes: Uint8Array, label: string): Audio {
  if (bytes.length < 12 || tag(bytes, 0) !== 'RIFF' || tag(bytes, 8) !== 'WAVE') {
    throw bad(
      label,
      tag(bytes, 0) === 'RF64' ? 'is an RF64 file, which is not supported' : 'is not a WAV file (no RIFF/WAVE header)',
    );
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  let fmt: { format: number; channels: number; rate: number; bits: number; block: number } | null = null;
  let data: Uint8Array | null = null;
  for (let pos = 12; pos + 8 <= bytes.length;) {
    const id = tag(bytes, pos);
    const size = dv.getUint32(pos + 4, true);
    const body = pos + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > bytes.length) throw bad(label, "has a 'fmt ' chunk that is too short");
      let format = dv.getUint16(body, true);
      // WAVE_FORMAT_EXTENSIBLE: the real format is the first two bytes of the sub-format GUID.
      if (format === 0xfffe && size >= 26 && body + 26 <= bytes.length) format = dv.getUint16(body + 24, true);
      fmt = {
        format,
        channels: dv.getUint16(body + 2, true),
        rate: dv.getUint32(body + 4, true),
        block: dv.getUint16(body + 12, true),
        bits: dv.getUint16(body + 14, true),
      };
    } else if (id === 'data') {
      // A streamed file may leave the size at 0 or too big: take what is there.
      data = bytes.subarray(body, Math.min(bytes.length, body + (size || bytes.length)));
      if (fmt) break;
    }
    pos = body + size + (size & 1);
  }
  if (!fmt) throw bad(label, "has no 'fmt ' chunk");
  if (!data) throw bad(label, "has no 'data' chunk");
  const { format, channels, rate, bits } = fmt;
  if (channels < 1) throw bad(label, 'has 0 channels');
  if (rate < 1) throw bad(label, 'has a sample rate of 0 Hz');
  const isFloat = format === 3;
  if (format !== 1 && !isFloat) {
    throw new WorkbenchError(
      'UNSUPPORTED',
      `${label}: audio format ${format} is not supported (PCM and IEEE float are; convert compressed WAV first)`,
    );
  }
  const okBits = isFloat ? [32, 64] : [8, 16, 24, 32];
  if (!okBits.includes(bits))
    throw new WorkbenchError('UNSUPPORTED', `${label}: ${bits}-bit ${isFloat ? 'float' : 'PCM'} samples are not supported`);
  const width = bits / 8;
  const block = width * channels;
  const frames = Math.floor(data.length / block);
  const ddv = new DataView(data.buffer, data.byteOffset, data.length);
  const read = (at: number): number => {
    switch (isFloat ? -bits : bits) {
      case 8:
        return (ddv.getUint8(at) - 128) / 128;
      case 16:
        return ddv.getInt16(at, true) / 32768;
      case 24:
        return (ddv.getUint8(at) | (ddv.getUint8(at + 1) << 8) | (ddv.getInt8(at + 2) << 16)) / 8388608;
      case 32:
        return ddv.getInt32(at, true) / 2147483648;
      case -32:
        return ddv.getFloat32(at, true);
      default:
        return ddv.getFloat64(at, true);
    }
  };
  const samples = new Float32Array(frames);
  for (let f = 0; f < frames; f++) {
    let s = 0;
    for (let c = 0; c < channels; c++) s += read(f * block + c * width);
    samples[f] = s / channels;
  }
  return { sampleRate: rate, channels, samples, format: isFloat ? `${bits}-bit float` : `${bits}-bit PCM` };
}

const ZEROS = 16;

/** Band-limited resampling (windowed sinc); returns the input itself when the rates agree. */
export function resample(x: Float32Array, from: number, to: number): Float32Array {
  if (from === to) return x;
  const ratio = to / from;
  const n = Math.ceil(x.length * ratio - 1e-9);
  const out = new Float32Array(n);
  const fc = Math.min(1, ratio); // cut-off relative to the source Nyquist frequency
  const half = ZEROS / fc; // kernel half-width in source samples
  for (let i = 0; i < n; i++) {
    const t = i / ratio;
    const lo = Math.max(0, Math.ceil(t - half));
    const hi = Math.min(x.length - 1, Math.floor(t + half));
    let acc = 0;
    for (let j = lo; j <= hi; j++) {
      const d = j - t;
      const u = fc * d;
      const sinc = u === 0 ? 1 : Math.sin(Math.PI * u) / (Math.PI * u);
      const w = 0.42 + 0.5 * Math.cos((Math.PI * d) / half) + 0.08 * Math.cos((2 * Math.PI * d) / half); // Blackman
      acc += x[j] * fc * sinc * w;
    }
    out[i] = acc;
  }
  return out;
}
