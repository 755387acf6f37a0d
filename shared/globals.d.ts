// shared/ is compiled with the language's own types only (tsconfig.json: lib ES2023, types []).
// These are the few globals that both the browser and Node (20+) provide and that shared/ names,
// declared only as far as shared/ uses them; anything else of either runtime fails to compile here.
interface AbortSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

interface File {
  readonly name: string;
  readonly size: number;
}

// The RPC core (shared/rpc) aborts calls and delivers in-memory messages on a microtask.
interface AbortController {
  readonly signal: AbortSignal;
  abort(reason?: unknown): void;
}
declare const AbortController: { prototype: AbortController; new (): AbortController };
declare function queueMicrotask(callback: () => void): void;
