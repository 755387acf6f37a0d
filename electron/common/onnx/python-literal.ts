// A tiny parser for Python literals as exporters write them into metadata_props
// (Ultralytics: names "{0: 'person', 1: 'bicycle'}", imgsz "[640, 640]").
// Supports dicts, lists, tuples, strings (single/double quoted), numbers, True/False/None.

export type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue };

class PyParser {
  private pos = 0;
  constructor(private readonly s: string) {}

  private fail(what: string): never {
    throw new SyntaxError(`${what} at position ${this.pos}`);
  }

  private ws(): void {
    while (this.pos < this.s.length && /\s/.test(this.s[this.pos])) this.pos++;
  }

  parseAll(): PyValue {
    const v = this.value(0);
    this.ws();
    if (this.pos !== this.s.length) this.fail('unexpected trailing text');
    return v;
  }

  private value(depth: number): PyValue {
    if (depth > 100) this.fail('nesting too deep');
    this.ws();
    const c = this.s[this.pos];
    if (c === '{') return this.dict(depth);
    if (c === '[') return this.seq(']', depth);
    if (c === '(') return this.seq(')', depth);
    if (c === "'" || c === '"') return this.str();
    const word = /^(True|False|None)\b/.exec(this.s.slice(this.pos, this.pos + 6));
    if (word) {
      this.pos += word[1].length;
      return word[1] === 'True' ? true : word[1] === 'False' ? false : null;
    }
    const num = /^[-+]?(\d[\d_]*\.?[\d_]*|\.\d[\d_]*)([eE][-+]?\d+)?|^[-+]?(inf|nan)\b/.exec(this.s.slice(this.pos));
    if (num) {
      this.pos += num[0].length;
      const t = num[0].replace(/_/g, '');
      if (/inf$/.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
      if (/nan$/.test(t)) return NaN;
      return Number(t);
    }
    return this.fail(c === undefined ? 'unexpected end' : `unexpected character ${JSON.stringify(c)}`);
  }

  private str(): string {
    const q = this.s[this.pos++];
    let out = '';
    while (this.pos < this.s.length) {
      const c = this.s[this.pos++];
      if (c === q) return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.s[this.pos++];
      const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', '\\': '\\', "'": "'", '"': '"' };
      if (e in simple) out += simple[e];
      else if (e === 'x' || e === 'u') {
        const n = e === 'x' ? 2 : 4;
        const hex = this.s.slice(this.pos, this.pos + n);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== n) this.fail('bad escape');
        out += String.fromCharCode(parseInt(hex, 16));
        this.pos += n;
      } else out += `\\${e ?? ''}`;
    }
    return this.fail('unterminated string');
  }

  private seq(close: string, depth: number): PyValue[] {
    this.pos++;
    const out: PyValue[] = [];
    for (;;) {
      this.ws();
      if (this.s[this.pos] === close) {
        this.pos++;
        return out;
      }
      out.push(this.value(depth + 1));
      this.ws();
      if (this.s[this.pos] === ',') this.pos++;
      else if (this.s[this.pos] !== close) this.fail(`expected "," or "${close}"`);
    }
  }

  private dict(depth: number): { [key: string]: PyValue } {
    this.pos++;
    const out: { [key: string]: PyValue } = {};
    for (;;) {
      this.ws();
      if (this.s[this.pos] === '}') {
        this.pos++;
        return out;
      }
      const k = this.value(depth + 1);
      if (typeof k === 'object' && k !== null) this.fail('unhashable dict key');
      this.ws();
      if (this.s[this.pos++] !== ':') this.fail('expected ":"');
      // Keys become strings, as in JSON: {0: 'person'} → { "0": "person" }.
      out[String(k)] = this.value(depth + 1);
      this.ws();
      if (this.s[this.pos] === ',') this.pos++;
      else if (this.s[this.pos] !== '}') this.fail('expected "," or "}"');
    }
  }
}

/** Parses a Python literal; throws SyntaxError when it is not one. */
export function parsePythonLiteral(s: string): PyValue {
  return new PyParser(s).parseAll();
}

/**
 * A metadata value as structured data: JSON first, then a Python dict/list/tuple literal.
 * undefined when it is plain text.
 */
export function parseMetadataValue(s: string): unknown {
  const t = s.trim();
  if (!t) return undefined;
  try {
    return JSON.parse(t) as unknown;
  } catch {
    // not JSON; try a Python literal below
  }
  if (!/^[[{(]/.test(t)) return undefined;
  try {
    return parsePythonLiteral(t);
  } catch {
    return undefined;
  }
}
