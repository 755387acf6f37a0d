// The task guess's rule table, one case per rule (and its neighbours): signatures as real model
// families write them, with the kind and the reason a user reads.
import { describe, expect, it } from 'vitest';
import type { Dim, DType, ModelInfo, ValueInfo } from '../../shared/model-info';
import { guessTask } from '../../shared/task-guess';

const t = (name: string, shape: Dim[], dtype: DType = 'float32'): ValueInfo => ({ name, kind: 'tensor', dtype, shape });

function info(inputs: ValueInfo[], outputs: ValueInfo[], extra: { metadata?: Record<string, string>; producer?: string } = {}) {
  return {
    inputs,
    outputs,
    metadata: extra.metadata ?? {},
    producer: { name: extra.producer ?? '', version: '' },
  } as unknown as Omit<ModelInfo, 'task'>;
}

const image = t('images', [1, 3, 640, 640]);

describe('guessTask', () => {
  it.each([
    [
      'Ultralytics metadata',
      info([image], [t('out', [1, 116, 8400]), t('protos', [1, 32, 160, 160])], { metadata: { task: ' Segment ' } }),
      'detection',
      /^Ultralytics YOLO-seg: metadata "task" is "segment" \(Ultralytics/,
    ],
    [
      'metadata naming no task is ignored',
      info([image], [t('out', [1, 1000])], { metadata: { task: 'constructor' } }),
      'classification',
      /1000 classes \(ImageNet classes\)/,
    ],
    [
      'audio with a sample rate',
      info([t('input', [1, 512]), t('sr', [], 'int64')], [t('output', [1, 1])]),
      'audio',
      /sample-rate input "sr"/,
    ],
    ['audio by name', info([t('waveform', [1, null])], [t('logits', [1, 2])]), 'audio', /named like audio/],
    [
      'box and score outputs',
      info([image], [t('boxes', [1, 100, 4]), t('scores', [1, 100])]),
      'detection',
      /separate box and score outputs/,
    ],
    [
      'OCR recognition',
      info([t('x', [null, 3, 48, null])], [t('softmax', [null, 'T', 6625])]),
      'text',
      /text-line height of 48.*6625 characters/,
    ],
    ['YOLOv8', info([image], [t('output0', [1, 84, 8400])]), 'detection', /80 classes, 8400 candidates\] \(YOLOv8-style\)/],
    ['NMS output', info([image], [t('dets', [1, 300, 6])]), 'detection', /\(NMS output\)/],
    ['YOLOv5', info([image], [t('output', [1, 25200, 85])]), 'detection', /25200 candidates, 5 \+ 80 classes\] \(YOLOv5-style\)/],
    [
      'PaddleOCR detection',
      info([t('x', [null, 3, null, null])], [t('sigmoid_0.tmp_0', [null, 1, null, null])]),
      'text',
      /PaddleOCR-style/,
    ],
    ['binary segmentation', info([image], [t('mask', [1, 1, 640, 640])]), 'segmentation', /one-channel mask/],
    [
      'super-resolution',
      info([t('lr', [1, 3, 128, 128])], [t('hr', [1, 3, 512, 512])]),
      'image-to-image',
      /"hr" \[1, 3, 512, 512\] is ×4 the image input/,
    ],
    [
      'semantic segmentation',
      info([t('x', [1, 3, 512, 512])], [t('logits', [1, 21, 512, 512])]),
      'segmentation',
      /21 class maps/,
    ],
    [
      'channels-last semantic segmentation',
      info([t('x', [1, 512, 512, 3])], [t('y', [1, 512, 512, 19])]),
      'segmentation',
      /19 class maps/,
    ],
    ['classification', info([t('data', [1, 3, 224, 224])], [t('prob', [1, 10])]), 'classification', /10 classes$/],
    [
      'nothing matches',
      info([t('tokens', [1, 128], 'int64')], [t('hidden', [1, 128, 768])]),
      'unknown',
      /no rule matched the inputs \(tokens \[1, 128\]\)/,
    ],
  ])('%s', (_what, model, kind, reason) => {
    const guess = guessTask(model);
    expect(guess.kind).toBe(kind);
    expect(guess.reason).toMatch(reason);
  });
});
