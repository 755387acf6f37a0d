// A small JSON file that survives crashes: written to a temporary name and renamed, one write
// at a time; a damaged file is set aside (never silently overwritten) and the default used.
import { readFile, rename } from 'node:fs/promises';
import { writeAtomic } from './fs';

export class JsonStore<T> {
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly fallback: () => T,
    private readonly validate: (value: unknown) => value is T,
  ) {}

  async read(): Promise<T> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch {
      return this.fallback();
    }
    try {
      const value: unknown = JSON.parse(text);
      if (this.validate(value)) return value;
    } catch {
      /* damaged: fall through */
    }
    await rename(this.path, `${this.path}.damaged-${Date.now()}`).catch(() => {});
    return this.fallback();
  }

  write(value: T): Promise<void> {
    const next = this.queue.then(async () => {
      await writeAtomic(this.path, JSON.stringify(value), { mkdir: true });
    });
    this.queue = next.catch(() => {});
    return next;
  }
}
