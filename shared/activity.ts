// What the engine is doing right now, for the status bar (issues #11 and #15). Built on the main
// side from real RPC traffic and job events, never guessed by the renderer.

export interface ActiveCall {
  /** Contract channel, e.g. `run.model`. */
  channel: string;
  /** In the user's words: "Running model.onnx", "Loading model.onnx". */
  label: string;
  /** Epoch milliseconds when the call started. */
  since: number;
}

export interface ActiveJob {
  jobId: string;
  kind: 'batch' | 'pipeline' | 'eval' | 'benchmark' | 'profile';
  label: string;
  state: 'running' | 'paused';
  done: number;
  total: number | null;
}

export interface EngineActivity {
  engine: 'stopped' | 'starting' | 'ready' | 'crashed';
  calls: ActiveCall[];
  jobs: ActiveJob[];
  /** Why the engine process last ended, in words ("out of memory", "crashed with SIGSEGV"). */
  lastExit?: { reason: string; at: number };
}
