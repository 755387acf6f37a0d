// The scene as an SVG document. Every node is a <g> with data-name and a <title>, so that the file
// can be searched for a node's name.
import type { Scene, SceneBox } from './layout';
import type { ItemOverlay } from './overlay';
import { GRAPH_COLORS, opColor } from './style';
import type { GraphHierarchy } from './hierarchy';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function fill(box: SceneBox): string {
  if (box.kind === 'node') return opColor(box.label);
  if (box.kind === 'input') return GRAPH_COLORS.input;
  if (box.kind === 'output') return GRAPH_COLORS.output;
  return GRAPH_COLORS.group;
}

export interface SvgOptions {
  overlay?: Map<number, ItemOverlay>;
  background?: string;
}

export function sceneToSvg(scene: Scene, h: GraphHierarchy, options: SvgOptions = {}): string {
  const m = 20;
  const W = Math.ceil(scene.width + 2 * m);
  const H = Math.ceil(scene.height + 2 * m);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="${-m} ${-m} ${W} ${H}" font-family="Inter, Segoe UI, Helvetica, Arial, sans-serif">`,
    `<rect x="${-m}" y="${-m}" width="${W}" height="${H}" fill="${options.background ?? '#ffffff'}"/>`,
    `<defs><marker id="arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="${GRAPH_COLORS.edge}"/></marker></defs>`,
  ];
  const r = (v: number) => Math.round(v * 10) / 10;
  for (const b of scene.boxes) {
    if (b.kind !== 'container') continue;
    const g = h.group(b.id);
    out.push(
      `<g class="group" data-name="${esc(g.title)}"><title>${esc(g.title)}</title><rect x="${r(b.x)}" y="${r(b.y)}" width="${r(b.w)}" height="${r(b.h)}" rx="6" fill="${GRAPH_COLORS.containerFill}" stroke="${GRAPH_COLORS.containerStroke}"/><text x="${r(b.x + 8)}" y="${r(b.y + 17)}" font-size="12" fill="#56627a">${esc(b.label)}</text></g>`,
    );
  }
  for (const e of scene.edges) {
    const pts: string[] = [];
    for (let k = 0; k < e.points.length; k += 2) pts.push(`${r(e.points[k])},${r(e.points[k + 1])}`);
    const dash = e.tensor < 0 ? ' stroke-dasharray="4 3"' : '';
    out.push(
      `<polyline class="edge" points="${pts.join(' ')}" fill="none" stroke="${GRAPH_COLORS.edge}" stroke-width="1.2"${dash} marker-end="url(#arrow)"/>`,
    );
    if (e.label) {
      const k = Math.floor(e.points.length / 4) * 2;
      out.push(`<text x="${r(e.points[k] + 4)}" y="${r(e.points[k + 1])}" font-size="9" fill="#56627a">${esc(e.label)}</text>`);
    }
  }
  for (const b of scene.boxes) {
    if (b.kind === 'container') continue;
    const name = h.isNode(b.id) ? h.model.name(b.id) : h.isGroup(b.id) ? h.group(b.id).title : b.label;
    const ov = options.overlay?.get(b.id);
    const cls = b.kind === 'group' ? 'group collapsed' : b.kind;
    const op = h.isNode(b.id) ? ` data-op="${esc(h.model.op(b.id))}"` : '';
    const title = h.isNode(b.id) ? `${name || '(unnamed)'} (${h.model.op(b.id)})` : name;
    const stroke = ov ? ov.color : b.kind === 'group' ? GRAPH_COLORS.groupStroke : 'none';
    const lines = [b.label, ov ? ov.text : b.sub].filter(Boolean);
    const text = lines
      .map(
        (t, k) =>
          `<text x="${r(b.x + b.w / 2)}" y="${r(b.y + b.h / 2 + (lines.length === 1 ? 4 : k === 0 ? -3 : 10))}" text-anchor="middle" font-size="${k === 0 ? 12 : 9.5}" fill="${k === 0 ? GRAPH_COLORS.text : GRAPH_COLORS.subText}">${esc(t)}</text>`,
      )
      .join('');
    out.push(
      `<g class="${cls}" data-name="${esc(name)}"${op}><title>${esc(title)}</title><rect x="${r(b.x)}" y="${r(b.y)}" width="${r(b.w)}" height="${r(b.h)}" rx="${b.kind === 'node' ? 4 : 8}" fill="${fill(b)}" stroke="${stroke}" stroke-width="${ov ? 3 : 1}"/>${text}</g>`,
    );
  }
  out.push('</svg>');
  return out.join('\n');
}
