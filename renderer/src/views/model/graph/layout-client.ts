// Talks to the layout worker; where there is no Worker (tests in jsdom) the layout runs in place.
import { type GroupLayout, type LayoutReply, type LayoutRequest, layoutGroup } from '../../../../../shared/graph/layout';

export class LayoutClient {
  #worker: Worker | null = null;
  #next = 1;
  readonly #pending = new Map<number, (layouts: GroupLayout[]) => void>();

  constructor() {
    if (typeof Worker === 'undefined') return;
    try {
      this.#worker = new Worker(new URL('./layout.worker.ts', import.meta.url), { type: 'module' });
      this.#worker.onmessage = (e: MessageEvent<LayoutReply & { id: number }>) => {
        const done = this.#pending.get(e.data.id);
        this.#pending.delete(e.data.id);
        done?.(e.data.layouts);
      };
      this.#worker.onerror = () => this.#fallBack();
    } catch {
      this.#worker = null;
    }
  }

  /** A worker that fails to start: the requests in flight are laid out here instead. */
  #fallBack(): void {
    this.#worker?.terminate();
    this.#worker = null;
    for (const done of this.#pending.values()) done([]);
    this.#pending.clear();
  }

  run = (requests: LayoutRequest[]): Promise<GroupLayout[]> => {
    const worker = this.#worker;
    if (!worker) return Promise.resolve(requests.map(layoutGroup));
    const id = this.#next++;
    return new Promise<GroupLayout[]>((resolve) => {
      this.#pending.set(id, (layouts) => resolve(layouts.length || !requests.length ? layouts : requests.map(layoutGroup)));
      worker.postMessage({ id, requests });
    });
  };

  dispose(): void {
    this.#worker?.terminate();
    this.#worker = null;
    for (const done of this.#pending.values()) done([]);
    this.#pending.clear();
  }
}
