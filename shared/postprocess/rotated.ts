// Rotated boxes (Ultralytics OBB: centre, size and angle): their corners, and the exact overlap of
// two of them by clipping one convex polygon with the other. Pure; NMS over rotated boxes passes
// rotatedIou to nms() (nms.ts) as its overlap.

export type Corners = [number, number][];

/** The four corners of a box of size w×h centred on (cx, cy), turned by `angle` radians (Ultralytics' xywhr2xyxyxyxy). */
export function rotatedCorners(cx: number, cy: number, w: number, h: number, angle: number): Corners {
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const [ax, ay] = [(w / 2) * cos, (w / 2) * sin];
  const [bx, by] = [(-h / 2) * sin, (h / 2) * cos];
  return [
    [cx + ax + bx, cy + ay + by],
    [cx + ax - bx, cy + ay - by],
    [cx - ax - bx, cy - ay - by],
    [cx - ax + bx, cy - ay + by],
  ];
}

/** Signed area (shoelace): positive for corners clockwise on screen (y down). */
export function signedArea(p: Corners): number {
  let a = 0;
  for (let i = 0; i < p.length; i++) {
    const [x1, y1] = p[i];
    const [x2, y2] = p[(i + 1) % p.length];
    a += x1 * y2 - x2 * y1;
  }
  return a / 2;
}

/** The part of polygon `subject` inside the convex polygon `clip` (Sutherland–Hodgman). */
function clipConvex(subject: Corners, clip: Corners): Corners {
  const turn = Math.sign(signedArea(clip)) || 1;
  let out = subject;
  for (let i = 0; i < clip.length && out.length > 0; i++) {
    const [ax, ay] = clip[i];
    const [bx, by] = clip[(i + 1) % clip.length];
    const side = (x: number, y: number): number => turn * ((bx - ax) * (y - ay) - (by - ay) * (x - ax));
    const input = out;
    out = [];
    for (let k = 0; k < input.length; k++) {
      const p = input[k];
      const q = input[(k + 1) % input.length];
      const sp = side(p[0], p[1]);
      const sq = side(q[0], q[1]);
      if (sp >= 0) out.push(p);
      if (sp >= 0 !== sq >= 0) {
        const t = sp / (sp - sq);
        out.push([p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])]);
      }
    }
  }
  return out;
}

/** Intersection over union of two convex polygons (rotated boxes). */
export function polygonIou(a: Corners, b: Corners): number {
  const areaA = Math.abs(signedArea(a));
  const areaB = Math.abs(signedArea(b));
  if (areaA <= 0 || areaB <= 0) return 0;
  const inter = Math.abs(signedArea(clipConvex(a, b)));
  const union = areaA + areaB - inter;
  return union > 0 ? inter / union : 0;
}

/** IoU of rotated boxes i and j in a flat cx, cy, w, h, angle array (5 values per box). */
export function rotatedIou(boxes: ArrayLike<number>, i: number, j: number): number {
  const at = (k: number): Corners =>
    rotatedCorners(boxes[k * 5], boxes[k * 5 + 1], boxes[k * 5 + 2], boxes[k * 5 + 3], boxes[k * 5 + 4]);
  return polygonIou(at(i), at(j));
}

/** Ultralytics' regularize_rboxes: the longer side is the width, the angle in [0, π). */
export function regularAngle(w: number, h: number, angle: number): { w: number; h: number; angle: number } {
  const [rw, rh, ra] = w >= h ? [w, h, angle] : [h, w, angle + Math.PI / 2];
  const a = ((ra % Math.PI) + Math.PI) % Math.PI;
  return { w: rw, h: rh, angle: a };
}
