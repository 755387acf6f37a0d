// Small formatting helpers shared by the CLI and the renderer.
import type { Dim, ValueInfo } from './model-info';

/** "[N, 3, 224, 224]"-style; unnamed dims as "?", unknown rank as "[…]" (rank unknown). */
export function formatShape(shape: Dim[] | null): string {
  if (shape === null) return 'rank unknown';
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

export function formatType(value: ValueInfo): string {
  if (value.kind === 'tensor') return value.dtype ?? 'unknown';
  return value.typeLabel ?? value.kind;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${units[i]}`;
}

/**
 * "12,345": an integer with its thousands grouped as en-US groups them. Not toLocaleString: its
 * first call loads ICU's number formats (~10 ms), which a CLI command's last line waited for.
 */
export function groupDigits(n: number): string {
  if (!Number.isSafeInteger(n)) return n.toLocaleString('en-US');
  const digits = String(Math.abs(n)).replace(/\B(?=(\d{3})+$)/g, ',');
  return n < 0 ? `-${digits}` : digits;
}

export function formatCount(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1e6) return `${(n / 1e3).toFixed(n < 1e4 ? 1 : 0)} K`;
  if (n < 1e9) return `${(n / 1e6).toFixed(n < 1e7 ? 2 : 1)} M`;
  return `${(n / 1e9).toFixed(2)} B`;
}

/** True when a dim is not fixed (named or unnamed): the user must choose a size. */
export function isDynamicDim(d: Dim): boolean {
  return typeof d !== 'number';
}

/**
 * Text from a model or a file made safe to print on a terminal: C0 and C1 control characters and
 * DEL become visible escapes (`\x1b`, `\n`), so no metadata can move the cursor, recolour, set
 * the window title or hide text. `keepLayout` keeps newlines and tabs (our own layout).
 */
export function printable(text: string, keepLayout = false): string {
  let out = '';
  for (const c of text) {
    const code = c.charCodeAt(0);
    const control = code < 0x20 || (code >= 0x7f && code <= 0x9f);
    if (!control || (keepLayout && (c === '\n' || c === '\t'))) out += c;
    else if (c === '\n') out += '\\n';
    else if (c === '\t') out += '\\t';
    else if (c === '\r') out += '\\r';
    else out += `\\x${code.toString(16).padStart(2, '0')}`;
  }
  return out;
}
