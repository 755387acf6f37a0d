// Names and joins that pose and OBB models leave out of their files: the COCO keypoint skeleton
// and the DOTA v1 classes (what Ultralytics' -pose and -obb models are trained on).

/** COCO's 17-keypoint skeleton as 0-based index pairs (Ultralytics' Annotator.skeleton, minus one). */
export const COCO_SKELETON: [number, number][] = [
  [15, 13],
  [13, 11],
  [16, 14],
  [14, 12],
  [11, 12],
  [5, 11],
  [6, 12],
  [5, 6],
  [5, 7],
  [6, 8],
  [7, 9],
  [8, 10],
  [1, 2],
  [0, 1],
  [0, 2],
  [1, 3],
  [2, 4],
  [3, 5],
  [4, 6],
];

/** DOTA v1.0's 15 classes in Ultralytics' DOTAv1.yaml order. */
export const DOTA_V1_LABELS = [
  'plane',
  'ship',
  'storage tank',
  'baseball diamond',
  'tennis court',
  'basketball court',
  'ground track field',
  'harbor',
  'bridge',
  'large vehicle',
  'small vehicle',
  'helicopter',
  'roundabout',
  'soccer ball field',
  'swimming pool',
];

/** Ultralytics writes kpt_shape as "[17, 3]": keypoints and values per keypoint (x, y[, visibility]). */
export function parseKptShape(text: string | undefined): [number, number] | null {
  const nums = (text ?? '').match(/\d+/g)?.map(Number) ?? [];
  return nums.length >= 2 && nums[0] > 0 && (nums[1] === 2 || nums[1] === 3) ? [nums[0], nums[1]] : null;
}
