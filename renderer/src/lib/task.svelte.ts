// One call to the engine as reactive state: running/done/failed, its progress events, cancel.
// Views read it; they never juggle promises and AbortControllers themselves.
import type { CallOptions } from '../../../shared/api';
import type { Result, WorkbenchErrorInfo } from '../../../shared/result';

export type TaskState = 'idle' | 'running' | 'done' | 'failed';

export class Task<T, E = never> {
  state = $state<TaskState>('idle');
  value = $state.raw<T | null>(null);
  error = $state.raw<WorkbenchErrorInfo | null>(null);
  /** Progress events of the current run, oldest first. */
  events = $state.raw<E[]>([]);
  #controller: AbortController | null = null;
  #run: (options: CallOptions<E>) => Promise<Result<T>>;

  constructor(run: (options: CallOptions<E>) => Promise<Result<T>>) {
    this.#run = run;
  }

  get running(): boolean {
    return this.state === 'running';
  }

  /** Starts (or restarts) the call; resolves once it has settled. */
  async start(): Promise<void> {
    this.#controller?.abort();
    const controller = new AbortController();
    this.#controller = controller;
    this.state = 'running';
    this.error = null;
    this.events = [];
    const result = await this.#run({
      signal: controller.signal,
      onEvent: (event) => {
        if (this.#controller === controller) this.events = [...this.events, event];
      },
    });
    if (this.#controller !== controller) return; // superseded or cancelled
    this.#controller = null;
    if (result.ok) {
      this.value = result.value;
      this.state = 'done';
    } else {
      this.error = result.error;
      this.state = 'failed';
    }
  }

  /** Starts the call unless it already ran or is running. */
  ensure(): void {
    if (this.state === 'idle') void this.start();
  }

  cancel(): void {
    if (!this.#controller) return;
    this.#controller.abort();
    this.#controller = null;
    this.state = this.value === null ? 'idle' : 'done';
  }
}
