// onnxruntime's profile file, read as a stream of events: the file is one JSON array of small
// objects, and for big models it runs to hundreds of megabytes, so it is never parsed whole. A
// small scanner finds where each top-level object starts and ends (strings and escapes
// respected) and parses only that object.
import { createReadStream } from 'node:fs';
import { WorkbenchError } from '../../../shared/result';

/** One event of onnxruntime's profile (the chrome://tracing "complete event" format). */
export interface ProfileEvent {
  cat: string;
  name: string;
  /** Microseconds. */
  dur: number;
  ts: number;
  args: Record<string, unknown>;
}

/** Splits the text of a JSON array into its top-level elements, chunk by chunk. */
export class ArrayElementScanner {
  private depth = 0;
  private inString = false;
  private escaped = false;
  private started = false;
  private ended = false;
  /** The unfinished element's text carried over from earlier chunks. */
  private carry = '';
  private position = 0;

  constructor(private readonly where: string) {}

  /** Characters held for an element not finished yet (never more than one element's text). */
  get pending(): number {
    return this.carry.length;
  }

  /** Feeds a chunk; returns the elements (as JSON text) completed inside it. */
  push(chunk: string): string[] {
    const out: string[] = [];
    let start = this.depth > 0 ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 0x5c) this.escaped = true;
        else if (c === 0x22) this.inString = false;
        continue;
      }
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
      if (!this.started) {
        if (c !== 0x5b) this.fail(i, 'it does not start with "["');
        this.started = true;
        continue;
      }
      if (this.ended) this.fail(i, 'there is text after the closing "]"');
      if (this.depth === 0) {
        if (c === 0x2c) continue;
        if (c === 0x5d) {
          this.ended = true;
          continue;
        }
        if (c !== 0x7b) this.fail(i, 'an element of the array is not an object');
        start = i;
        this.depth = 1;
        continue;
      }
      if (c === 0x22) this.inString = true;
      else if (c === 0x7b || c === 0x5b) this.depth++;
      else if (c === 0x7d || c === 0x5d) {
        this.depth--;
        if (this.depth === 0) {
          out.push(this.carry + chunk.slice(start, i + 1));
          this.carry = '';
          start = -1;
        }
      }
    }
    if (this.depth > 0) this.carry += chunk.slice(Math.max(0, start));
    this.position += chunk.length;
    return out;
  }

  /** Call at the end of the input: a profile cut short (a crash while writing) is an error. */
  end(): void {
    if (!this.started) throw new WorkbenchError('INVALID_INPUT', `${this.where} is empty: it is not an onnxruntime profile.`);
    // onnxruntime writes "]" last; a file without it was cut short, but its complete events are still good.
    if (this.depth > 0 || this.inString)
      throw new WorkbenchError('INVALID_INPUT', `${this.where} ends in the middle of an event: the profile was cut short.`);
  }

  private fail(offset: number, why: string): never {
    throw new WorkbenchError(
      'INVALID_INPUT',
      `${this.where} is not an onnxruntime profile: ${why} (at character ${this.position + offset}).`,
    );
  }
}

function toEvent(text: string, where: string): ProfileEvent | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new WorkbenchError('INVALID_INPUT', `${where} has an event that is not valid JSON (${(error as Error).message}).`);
  }
  const e = raw as Partial<ProfileEvent>;
  if (typeof e.name !== 'string' || typeof e.cat !== 'string') return null;
  return {
    cat: e.cat,
    name: e.name,
    dur: typeof e.dur === 'number' ? e.dur : 0,
    ts: typeof e.ts === 'number' ? e.ts : 0,
    args: e.args && typeof e.args === 'object' ? (e.args as Record<string, unknown>) : {},
  };
}

/** Every event of a profile file, in file order, parsed one at a time. */
export async function* readProfileEvents(path: string, options: { signal?: AbortSignal } = {}): AsyncGenerator<ProfileEvent> {
  const scanner = new ArrayElementScanner(path);
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      if (options.signal?.aborted) throw new WorkbenchError('CANCELLED', 'Cancelled.');
      for (const text of scanner.push(chunk)) {
        const event = toEvent(text, path);
        if (event) yield event;
      }
    }
  } catch (error) {
    if (error instanceof WorkbenchError) throw error;
    throw new WorkbenchError('IO_ERROR', `Could not read the profile ${path}: ${(error as Error).message}`);
  } finally {
    stream.destroy();
  }
  scanner.end();
}
