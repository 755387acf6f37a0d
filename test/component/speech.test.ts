// The speech timeline view with a made-up timeline: segments listed, re-cut from the
// probabilities when the threshold or min-silence changes (no engine call), exported as shown.
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import SpeechTimelineView from '../../renderer/src/views/run/speech/SpeechTimelineView.svelte';
import { type SpeechResult, speechSettingsSchema } from '../../shared/audio/speech';

// 16 kHz, 512-sample chunks (32 ms): 20 quiet, 30 loud (0.9), 10 at 0.6, 5 quiet, 30 loud, 25 quiet.
const probabilities = [
  ...new Array(20).fill(0.05),
  ...new Array(30).fill(0.9),
  ...new Array(10).fill(0.6),
  ...new Array(5).fill(0.05),
  ...new Array(30).fill(0.9),
  ...new Array(25).fill(0.05),
];
const settings = speechSettingsSchema.parse({ padMs: 0, minSilenceMs: 100 });
const duration = (probabilities.length * 512) / 16000;
const timeline: SpeechResult = {
  sampleRate: 16000,
  chunk: 512,
  duration,
  probabilities,
  // As the engine would have cut them at the settings above.
  segments: [
    { start: (20 * 512) / 16000, end: (60 * 512) / 16000 },
    { start: (65 * 512) / 16000, end: (95 * 512) / 16000 },
  ],
  speechShare: 70 / 120,
  model: '/models/silero_vad.onnx',
  audio: '/audio/talk.wav',
  source: { sampleRate: 16000, channels: 1, format: '16-bit PCM' },
  provider: { requested: 'cpu', used: 'cpu' } as SpeechResult['provider'],
  settings,
  envelope: { min: probabilities.map((p) => -p / 2), max: probabilities.map((p) => p / 2) },
  runMs: 12,
};

const rows = () =>
  within(screen.getByRole('table', { name: 'Speech segments' }))
    .getAllByRole('row')
    .slice(1)
    .map((r) =>
      within(r)
        .getAllByRole('cell')
        .map((c) => c.textContent?.trim()),
    );

describe('SpeechTimelineView', () => {
  it('lists the segments with start, end and length, and shades one band for each', () => {
    const { container } = render(SpeechTimelineView, { timeline });
    expect(rows()).toEqual([
      ['1', '0.64', '1.92', '1.28'],
      ['2', '2.08', '3.04', '0.96'],
    ]);
    expect(container.querySelectorAll('rect.seg')).toHaveLength(2);
    expect(screen.getByText(/2 segments, 2\.24 s of 3\.84 s/)).toBeTruthy();
  });

  it('re-cuts the segments from the probabilities when the threshold or min silence changes', async () => {
    const { container } = render(SpeechTimelineView, { timeline });
    // At 0.8 the 0.6 stretch falls below 0.8 − 0.15: the first segment ends where it begins.
    await fireEvent.input(screen.getByLabelText('Threshold'), { target: { value: '0.8' } });
    expect(rows()[0]).toEqual(['1', '0.64', '1.60', '0.96']);
    expect(container.querySelector('line.thr')?.getAttribute('y1')).toBe(String(160 - 2 - 0.8 * 156));
    await fireEvent.input(screen.getByLabelText('Threshold'), { target: { value: '0.5' } });
    // A min silence of 600 ms bridges the 160 ms gap: one segment.
    await fireEvent.input(screen.getByLabelText('Min silence'), { target: { value: '600' } });
    expect(rows()).toEqual([['1', '0.64', '3.04', '2.40']]);
    expect(container.querySelectorAll('rect.seg')).toHaveLength(1);
    // Min speech above every segment: none left, said in words.
    await fireEvent.input(screen.getByLabelText('Min speech'), { target: { value: '5000' } });
    expect(screen.getByText('No speech found at these settings.')).toBeTruthy();
  });

  it('exports the segments as shown, with the settings that cut them', async () => {
    const onexport = vi.fn();
    render(SpeechTimelineView, { timeline, onexport });
    await fireEvent.input(screen.getByLabelText('Threshold'), { target: { value: '0.8' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Export CSV' }));
    expect(onexport).toHaveBeenCalledWith('csv', expect.objectContaining({ threshold: 0.8 }), [
      { start: 0.64, end: 1.6 },
      { start: 2.08, end: 3.04 },
    ]);
  });
});
