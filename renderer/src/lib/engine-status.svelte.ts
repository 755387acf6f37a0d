// What the engine is doing, for the status bar: the `EngineActivity` the main side builds from
// real calls and job events. Until that arrives (older hosts), the window's own calls stand in,
// described in the same shape so the status bar renders one type.
import type { ActiveCall, ActiveJob, EngineActivity } from '../../../shared/activity';

export interface StatusLine {
  tone: 'idle' | 'busy' | 'bad';
  /** One line: "Running model.onnx", "Batch photos 120/500", "Engine idle". */
  text: string;
  /** Everything going on, one entry each (the tooltip and the screen reader's list). */
  items: string[];
}

function jobText(job: ActiveJob): string {
  const count = job.total !== null ? ` ${job.done}/${job.total}` : job.done > 0 ? ` ${job.done}` : '';
  return `${job.label}${count}${job.state === 'paused' ? ' (paused)' : ''}`;
}

/** The status bar's words for an activity: jobs first (they last), then calls, else idle or the exit reason. */
export function describeActivity(activity: EngineActivity): StatusLine {
  const items = [...activity.jobs.map(jobText), ...activity.calls.map((c) => c.label)];
  if (activity.engine === 'crashed') {
    const why = activity.lastExit?.reason ?? 'it ended unexpectedly';
    return { tone: 'bad', text: `Engine stopped: ${why}`, items: [`Engine stopped: ${why}`, ...items] };
  }
  if (items.length > 0) {
    const more = items.length > 1 ? ` (+${items.length - 1} more)` : '';
    const running = activity.jobs.some((j) => j.state === 'running') || activity.calls.length > 0;
    return { tone: running ? 'busy' : 'idle', text: `${items[0]}${more}`, items };
  }
  if (activity.engine === 'starting') return { tone: 'busy', text: 'Engine starting', items: ['Engine starting'] };
  if (activity.engine === 'stopped' && activity.lastExit) {
    const text = `Engine idle (last exit: ${activity.lastExit.reason})`;
    return { tone: 'idle', text, items: [text] };
  }
  return { tone: 'idle', text: 'Engine idle', items: [] };
}

/** Builds an activity from what this window itself is waiting for (the stand-in described above). */
export function localActivity(calls: ActiveCall[], jobs: ActiveJob[]): EngineActivity {
  return { engine: 'ready', calls, jobs };
}

export class EngineStatus {
  /** The last activity reported by the host; null until the first report. */
  activity = $state.raw<EngineActivity | null>(null);

  apply(activity: EngineActivity): void {
    this.activity = activity;
  }
}
