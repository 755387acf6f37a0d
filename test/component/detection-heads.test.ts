// The detection view with what YOLOv8-seg, -pose and -obb heads add: a mask per instance under
// the boxes, keypoints joined by the skeleton, rotated boxes as polygons, and a column that says
// which (angle, keypoints seen, mask area).
import { render, screen, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import DetectionView from '../../renderer/src/views/run/results/DetectionView.svelte';
import type { InterpretedImage } from '../../shared/interpretation';
import type { DetectionResult, EncodedRaster } from '../../shared/tasks';

const PNG = 'data:image/png;base64,iVBORw0KGgo=';
const image: InterpretedImage = { input: 'images', index: 0, path: '/photos/street.jpg', width: 640, height: 480, preview: PNG };
const base = { kind: 'detection', candidates: 9, imageWidth: 640, imageHeight: 480, image: 0 } as const;

function view(result: DetectionResult<EncodedRaster>) {
  const { container } = render(DetectionView, { result, image, showLabels: true, maskOpacity: 0.4 });
  return { container, table: screen.getByRole('table', { name: 'Detections' }) };
}

describe('detection heads in the result view', () => {
  it('draws instance masks (one overlay) under the boxes and gives each its mask area', () => {
    const { container, table } = view({
      ...base,
      layout: 'YOLOv8-seg "output0" [1, 38, 8400]: 8400 candidates, 2 classes + 32 mask coefficients',
      detections: [
        {
          classId: 0,
          label: 'person',
          score: 0.9,
          x1: 10,
          y1: 10,
          x2: 200,
          y2: 400,
          maskArea: 0.125,
          polygon: [
            [12, 12],
            [190, 12],
            [100, 390],
          ],
        },
        { classId: 1, label: 'dog', score: 0.8, x1: 300, y1: 200, x2: 500, y2: 450, maskArea: 0.05, polygon: [] },
      ],
      instances: { mask: { width: 640, height: 480, png: PNG }, overlay: { width: 640, height: 480, png: PNG } },
    });
    const masks = container.querySelectorAll('img.raster.mask');
    expect(masks).toHaveLength(1);
    expect((masks[0] as HTMLElement).style.opacity).toBe('0.4');
    expect(container.querySelectorAll('.vector g.box')).toHaveLength(2);
    expect(within(table).getByRole('columnheader', { name: 'Mask' })).toBeTruthy();
    expect(within(table).getAllByRole('row')[1].textContent).toContain('12.5%');
  });

  it('draws the keypoints it can see, joined by the skeleton, and counts them', () => {
    const kp = (x: number, y: number, score: number) => ({ x, y, score });
    const { container, table } = view({
      ...base,
      layout: 'YOLOv8-pose "output0" [1, 56, 8400]: 8400 candidates, 1 classes + 17 keypoints × 3',
      detections: [
        {
          classId: 0,
          label: 'person',
          score: 0.88,
          x1: 100,
          y1: 50,
          x2: 300,
          y2: 450,
          keypoints: [kp(200, 80, 0.9), kp(190, 70, 0.9), kp(210, 70, 0.2)],
        },
      ],
      skeleton: [
        [0, 1],
        [0, 2],
      ],
    });
    const group = container.querySelector('.vector g.keypoints')!;
    expect(group.querySelectorAll('circle')).toHaveLength(2);
    expect(group.querySelectorAll('line')).toHaveLength(1);
    expect(within(table).getByRole('columnheader', { name: 'Points' })).toBeTruthy();
    expect(within(table).getAllByRole('row')[1].textContent).toContain('2/3');
  });

  it('draws rotated boxes as polygons and gives their angle', () => {
    const { container, table } = view({
      ...base,
      layout: 'YOLOv8-obb "output0" [1, 20, 8400]: 8400 candidates, 15 classes + a rotation angle; rotated NMS per class',
      detections: [
        {
          classId: 1,
          label: 'ship',
          score: 0.7,
          x1: 100,
          y1: 100,
          x2: 200,
          y2: 200,
          angle: Math.PI / 4,
          polygon: [
            [150, 100],
            [200, 150],
            [150, 200],
            [100, 150],
          ],
        },
      ],
    });
    expect(container.querySelector('.vector g.polygon polygon')!.getAttribute('points')).toBe('150,100 200,150 150,200 100,150');
    expect(container.querySelector('.vector g.box')).toBeNull();
    // The hit shape follows the rotated outline too.
    expect(container.querySelector('svg.hits polygon.hit')).not.toBeNull();
    expect(within(table).getByRole('columnheader', { name: 'Angle' })).toBeTruthy();
    expect(within(table).getAllByRole('row')[1].textContent).toContain('45°');
  });
});
