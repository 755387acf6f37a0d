// The Runtime tab: a failed load is a sentence with onnxruntime's text one click away, and the
// stage it failed at carries a cross, never a tick.
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import RuntimeTab from '../../renderer/src/views/model/RuntimeTab.svelte';
import { ModelInspection } from '../../renderer/src/lib/inspection.svelte';
import type { RuntimeCheck } from '../../shared/contract';
import type { Result } from '../../shared/result';
import { fakeApi } from './fake-api';
import { modelInfo } from './fixtures';

const MODEL = '/models/fancy.onnx';

function setup(answer: Result<RuntimeCheck>) {
  const api = fakeApi({
    'model.checkRuntime': (_input, { onEvent }) => {
      onEvent?.({ stage: 'loading onnxruntime' });
      onEvent?.({ stage: 'creating session' });
      return answer;
    },
  });
  render(RuntimeTab, { props: { inspection: new ModelInspection(api, MODEL), model: modelInfo(MODEL) } });
}

const stageMarks = () =>
  within(screen.getByRole('list', { name: 'Progress' }))
    .getAllByRole('listitem')
    .map((li) => `${li.textContent!.trim()} [${li.querySelector('[aria-label]')?.getAttribute('aria-label')}]`);

describe('runtime tab', () => {
  it('shows a load failure in words, the raw text in a details, and the failed stage without a tick', async () => {
    const sentence =
      'Operator FancyOp of domain com.example is not implemented by onnxruntime 1.30 (the model imports com.example at opset 1): it is a custom operator, which needs the library that implements it.';
    const raw = 'Load model from /models/fancy.onnx failed:Fatal error: com.example:FancyOp(-1) is not a registered function/op';
    setup({
      ok: true,
      value: { ok: false, provider: 'cpu', loadMs: 3, inputs: [], outputs: [], problem: { summary: sentence, detail: raw } },
    });
    await fireEvent.click(screen.getByRole('button', { name: 'Check with ONNX Runtime' }));
    const alert = await screen.findByRole('alert');
    expect(within(alert).getByText(sentence)).toBeTruthy();
    const details = alert.querySelector('details')!;
    expect(details.open).toBe(false);
    expect(within(details).getByText(raw)).toBeTruthy();
    expect(stageMarks()).toEqual(['loading onnxruntime [done]', 'creating session: failed [failed]']);
  });

  it('ticks every stage of a load that worked', async () => {
    setup({ ok: true, value: { ok: true, provider: 'cpu', loadMs: 3, inputs: [], outputs: [] } });
    await fireEvent.click(screen.getByRole('button', { name: 'Check with ONNX Runtime' }));
    await screen.findByRole('status');
    expect(stageMarks()).toEqual(['loading onnxruntime [done]', 'creating session [done]']);
  });

  it('marks the last stage failed when the check itself could not run', async () => {
    setup({ ok: false, error: { code: 'ENGINE_CRASHED', message: 'The engine stopped.' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Check with ONNX Runtime' }));
    await screen.findByText('The engine stopped.');
    expect(stageMarks()).toEqual(['loading onnxruntime [done]', 'creating session: failed [failed]']);
  });
});
