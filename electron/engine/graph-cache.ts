// The graph columns of the last models opened in the Graph tab, by path, size and modification
// time: opening the tab again (another window, the model reopened) does not read the file again.
import { stat } from 'node:fs/promises';
import type { GraphData } from '../../shared/graph/data';
import { readGraph } from '../common/onnx/reader';

interface Entry {
  stamp: string;
  data: Promise<GraphData>;
}

export class GraphCache {
  readonly #entries = new Map<string, Entry>();
  constructor(
    private readonly read: (path: string) => Promise<GraphData> = readGraph,
    /** A 100k-node graph holds tens of MB in the engine: keep only a few. */
    private readonly size = 2,
  ) {}

  async get(path: string): Promise<GraphData> {
    // A file that cannot be stat'ed is read anyway, so the reader names the problem.
    const s = await stat(path).catch(() => null);
    const stamp = s ? `${s.size}:${s.mtimeMs}:${s.ino}` : '';
    const have = this.#entries.get(path);
    if (have && stamp && have.stamp === stamp) {
      // Most recently used last.
      this.#entries.delete(path);
      this.#entries.set(path, have);
      return have.data;
    }
    const data = this.read(path);
    this.#entries.delete(path);
    if (stamp) {
      const entry = { stamp, data };
      this.#entries.set(path, entry);
      while (this.#entries.size > this.size) this.#entries.delete(this.#entries.keys().next().value!);
      // A failed read is not kept.
      data.catch(() => {
        if (this.#entries.get(path) === entry) this.#entries.delete(path);
      });
    }
    return data;
  }
}
