// `onnx-workbench run VAD.onnx --input speech.wav --task speech-activity`: the .wav through the
// model chunk by chunk (audio.speech), printed as speech segments; --out writes speech.json and
// speech.csv, never over an existing file. A branch of the run command, not a TaskSettings kind:
// the audio is streamed through the model, not run once.
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type SpeechResult, type SpeechSettingsInput, speechCsv, speechRecord } from '../../../shared/audio/speech';
import { SPEECH_ACTIVITY } from '../../../shared/batch';
import type { SessionOptionsInput } from '../../../shared/run';
import { exists, writeNew } from '../../common/fs';
import { type CliContext, CliFailure, UsageError, parseNumber, printJson, withServices } from '../args';

export const SPEECH_TASK = SPEECH_ACTIVITY;

export const speechFlags = {
  threshold: { type: 'string' },
  'min-speech': { type: 'string' },
  'min-silence': { type: 'string' },
  pad: { type: 'string' },
} as const;

interface SpeechValues {
  input?: string[];
  threshold?: string;
  'min-speech'?: string;
  'min-silence'?: string;
  pad?: string;
  'sample-rate'?: string;
  out?: string;
  json?: boolean;
}

/** The speech flags given without --task speech-activity are a usage error. */
export function checkSpeechFlags(values: SpeechValues, task: string | undefined) {
  if (task === SPEECH_TASK) return;
  for (const flag of Object.keys(speechFlags))
    if (values[flag as keyof typeof speechFlags] !== undefined) throw new UsageError(`--${flag} goes with --task ${SPEECH_TASK}`);
}

const fmt = (s: number) => s.toFixed(2);

export function formatSpeech(r: SpeechResult): string {
  const lines = r.segments.map((s) => `speech ${fmt(s.start)} s – ${fmt(s.end)} s`);
  const speech = r.segments.reduce((a, s) => a + s.end - s.start, 0);
  lines.push(
    `${r.segments.length} speech segment${r.segments.length === 1 ? '' : 's'}, ${fmt(speech)} s of ${fmt(r.duration)} s ` +
      `(${Math.round(r.speechShare * 100)} %); ${r.probabilities.length} chunks of ${r.chunk} samples at ${r.sampleRate} Hz ` +
      `on ${r.provider.used} in ${Math.round(r.runMs)} ms`,
  );
  return `${lines.join('\n')}\n`;
}

/** --sample-rate and the segment flags (run and batch --task speech-activity). */
export function speechSettingsFrom(values: SpeechValues): { rate: 16000 | 8000; settings: SpeechSettingsInput } {
  const rate = values['sample-rate'] === undefined ? 16000 : Number(values['sample-rate']);
  if (rate !== 16000 && rate !== 8000)
    throw new UsageError(`--sample-rate for ${SPEECH_TASK} is 16000 or 8000, not "${values['sample-rate']}"`);
  const threshold = parseNumber('--threshold', values.threshold);
  if (threshold !== undefined && threshold > 1) throw new UsageError(`--threshold is from 0 to 1, not "${values.threshold}"`);
  const settings = {
    threshold,
    minSpeechMs: parseNumber('--min-speech', values['min-speech']),
    minSilenceMs: parseNumber('--min-silence', values['min-silence']),
    padMs: parseNumber('--pad', values.pad),
  };
  return { rate, settings };
}

export async function speechCommand(model: string, values: SpeechValues, options: SessionOptionsInput, ctx: CliContext) {
  const inputs = values.input ?? [];
  if (inputs.length !== 1 || !/\.wav$/i.test(inputs[0])) throw new UsageError(`--task ${SPEECH_TASK} takes one --input FILE.wav`);
  const audio = resolve(inputs[0]);
  const { rate, settings } = speechSettingsFrom(values);
  const outDir = values.out === undefined ? undefined : resolve(values.out);
  const files = outDir ? [join(outDir, 'speech.json'), join(outDir, 'speech.csv')] : [];
  for (const f of files)
    if (await exists(f)) throw new CliFailure(`${f} already exists: choose another --out folder (nothing was written)`);
  const progress =
    !values.json && process.stderr.isTTY
      ? (e: unknown) => {
          const { done, total } = e as { done?: number; total?: number };
          if (done !== undefined && total) process.stderr.write(`\r${Math.round((done / total) * 100)} %`);
        }
      : undefined;
  const result = await withServices(ctx, (call) =>
    call('audio.speech', { model, audio, settings, sampleRate: rate, options }, progress),
  );
  if (progress) process.stderr.write('\r');
  const record = {
    ...speechRecord(result),
    sample_rate: result.sampleRate,
    chunk: result.chunk,
    provider: result.provider.used,
    run_ms: Math.round(result.runMs),
    source: result.source,
  };
  if (outDir) {
    await mkdir(outDir, { recursive: true });
    await writeNew(files[0], `${JSON.stringify(record, null, 2)}\n`);
    await writeNew(files[1], speechCsv(result.segments));
  }
  if (values.json) printJson(record);
  else {
    process.stdout.write(formatSpeech(result));
    if (outDir) process.stdout.write(`Saved speech.json and speech.csv to ${outDir}\n`);
  }
}
