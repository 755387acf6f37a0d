// Plots of an evaluation as SVG text (pure): the confusion matrix as a heatmap, per-class bars,
// and precision/recall curves. The app shows them inline, `eval --out` writes them (and PNGs).

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const FONT = 'font-family="DejaVu Sans, Arial, sans-serif"';

function svg(width: number, height: number, body: string[], title: string): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<title>${esc(title)}</title>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    ...body,
    '</svg>',
  ].join('\n');
}

/** White → dark blue by share of the row (so every true class reads on its own scale). */
function blue(f: number): string {
  const t = Math.max(0, Math.min(1, f));
  const c = (a: number, b: number) => Math.round(a + (b - a) * t);
  return `rgb(${c(247, 8)},${c(251, 48)},${c(255, 107)})`;
}

export function confusionMatrixSvg(
  confusion: readonly (readonly number[])[],
  names: readonly string[],
  title = 'Confusion matrix',
): string {
  const k = names.length;
  const cell = Math.max(8, Math.min(48, Math.floor(720 / Math.max(k, 1))));
  const label = k <= 40 ? 120 : 0;
  const top = 50 + (label ? 70 : 0);
  const width = Math.max(label + k * cell + 40, 420);
  const height = top + k * cell + 40;
  const body: string[] = [
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" ${FONT}>${esc(title)}</text>`,
    `<text x="${width / 2}" y="36" text-anchor="middle" font-size="11" fill="#555" ${FONT}>rows: true class · columns: predicted · shade: share of the row</text>`,
  ];
  confusion.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((v, j) => {
      const f = total ? v / total : 0;
      body.push(
        `<rect x="${label + j * cell}" y="${top + i * cell}" width="${cell}" height="${cell}" fill="${blue(f)}" stroke="#ddd"><title>${esc(names[i])} → ${esc(names[j])}: ${v}</title></rect>`,
      );
      if (cell >= 24 && v)
        body.push(
          `<text x="${label + j * cell + cell / 2}" y="${top + i * cell + cell / 2 + 4}" text-anchor="middle" font-size="11" fill="${f > 0.5 ? '#fff' : '#222'}" ${FONT}>${v}</text>`,
        );
    });
  });
  if (label)
    names.forEach((n, i) => {
      body.push(
        `<text x="${label - 6}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end" font-size="11" ${FONT}>${esc(n.slice(0, 18))}</text>`,
        `<text transform="translate(${label + i * cell + cell / 2 + 4},${top - 6}) rotate(-60)" font-size="11" ${FONT}>${esc(n.slice(0, 18))}</text>`,
      );
    });
  return svg(width, height, body, title);
}

/** Horizontal bars, one per class, values 0..1 (null: drawn as "n/a"). */
export function classBarsSvg(rows: readonly { name: string; value: number | null }[], title: string): string {
  const bar = 18;
  const label = 160;
  const plot = 420;
  const width = label + plot + 80;
  const height = 40 + rows.length * (bar + 4) + 20;
  const body = [`<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" ${FONT}>${esc(title)}</text>`];
  rows.forEach((r, i) => {
    const y = 36 + i * (bar + 4);
    body.push(
      `<text x="${label - 6}" y="${y + bar - 5}" text-anchor="end" font-size="12" ${FONT}>${esc(r.name.slice(0, 24))}</text>`,
    );
    if (r.value === null) body.push(`<text x="${label + 4}" y="${y + bar - 5}" font-size="12" fill="#888" ${FONT}>n/a</text>`);
    else
      body.push(
        `<rect x="${label}" y="${y}" width="${(plot * Math.max(0, Math.min(1, r.value))).toFixed(1)}" height="${bar}" fill="#3b6fb6"/>`,
        `<text x="${label + plot * Math.min(1, r.value) + 6}" y="${y + bar - 5}" font-size="12" ${FONT}>${r.value.toFixed(3)}</text>`,
      );
  });
  return svg(width, height, body, title);
}

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** Precision (y) over recall (x) at the 101 recall points, one line per class. */
export function prCurvesSvg(
  curves: readonly { name: string; precision: readonly number[] }[],
  title = 'Precision / recall at IoU 0.5',
): string {
  const size = 360;
  const left = 50;
  const top = 40;
  const legend = 170;
  const width = left + size + 20 + legend;
  const height = top + size + 50;
  const x = (r: number) => left + r * size;
  const y = (p: number) => top + (1 - p) * size;
  const body = [
    `<text x="${(left + size) / 2 + 20}" y="22" text-anchor="middle" font-size="15" ${FONT}>${esc(title)}</text>`,
    `<rect x="${left}" y="${top}" width="${size}" height="${size}" fill="none" stroke="#444"/>`,
    `<text x="${left + size / 2}" y="${top + size + 36}" text-anchor="middle" font-size="12" ${FONT}>recall</text>`,
    `<text transform="translate(16,${top + size / 2}) rotate(-90)" text-anchor="middle" font-size="12" ${FONT}>precision</text>`,
  ];
  for (let t = 0; t <= 10; t += 2)
    body.push(
      `<text x="${x(t / 10)}" y="${top + size + 16}" text-anchor="middle" font-size="10" ${FONT}>${t / 10}</text>`,
      `<text x="${left - 6}" y="${y(t / 10) + 4}" text-anchor="end" font-size="10" ${FONT}>${t / 10}</text>`,
    );
  curves.slice(0, 20).forEach((c, i) => {
    const color = PALETTE[i % PALETTE.length];
    const pts = c.precision.map((p, k) => `${x(k / (c.precision.length - 1)).toFixed(1)},${y(p).toFixed(1)}`).join(' ');
    body.push(
      `<polyline points="${pts}" fill="none" stroke="${color}" stroke-width="2"><title>${esc(c.name)}</title></polyline>`,
      `<rect x="${left + size + 20}" y="${top + i * 18}" width="12" height="12" fill="${color}"/>`,
      `<text x="${left + size + 38}" y="${top + i * 18 + 10}" font-size="12" ${FONT}>${esc(c.name.slice(0, 20))}</text>`,
    );
  });
  return svg(width, height, body, title);
}
