// A pipeline step may leave out its task: it then runs the task saved in its model's recipe (or,
// before one is saved, the task suggested for the model, saved then, as opening the model does).
// The recipes live on this side, not in the engine, so the tasks are looked up here as a pipeline
// run or a pipeline job starts, and travel with the request (`tasks`, by step id).
import { dirname } from 'node:path';
import { stepsWithoutTask } from '../../shared/pipeline';
import type { TaskSettings } from '../../shared/tasks';
import { readRegularFile } from '../common/regular-file';

/** A step's saved (or suggested) task, or undefined when there is none. */
export type TaskOf = (model: string) => Promise<TaskSettings | undefined>;

/**
 * The tasks of the steps of a pipeline (a file, or given inline) that name none. A file that
 * cannot be read or parsed gives none: running it then says what is wrong with it.
 */
export async function savedTasks(
  source: { file?: string; pipeline?: unknown },
  taskOf: TaskOf,
): Promise<Record<string, TaskSettings>> {
  let value = source.pipeline;
  let baseDir: string | undefined;
  if (source.file !== undefined) {
    try {
      value = JSON.parse((await readRegularFile(source.file, 'a pipeline file')).toString('utf8'));
    } catch {
      return {};
    }
    baseDir = dirname(source.file);
  }
  const tasks: Record<string, TaskSettings> = {};
  for (const step of stepsWithoutTask(value, baseDir)) {
    const task = await taskOf(step.model).catch(() => undefined);
    if (task) tasks[step.id] = task;
  }
  return tasks;
}

/** A request with the saved tasks of its pipeline filled in: a one-image run, or a batch job over a pipeline file. */
export async function withSavedTasks(channel: string, input: unknown, taskOf: TaskOf): Promise<unknown> {
  if (channel === 'pipeline.run') {
    const r = input as { file?: string; pipeline?: unknown; tasks?: Record<string, TaskSettings> };
    return { ...r, tasks: { ...(await savedTasks(r, taskOf)), ...r.tasks } };
  }
  const withJob = async <T extends { model: string; pipeline?: { tasks: Record<string, TaskSettings> } }>(job: T): Promise<T> =>
    job.pipeline
      ? {
          ...job,
          pipeline: { ...job.pipeline, tasks: { ...(await savedTasks({ file: job.model }, taskOf)), ...job.pipeline.tasks } },
        }
      : job;
  // Not batch.count: counting files runs no step (and looking a task up may save it in a recipe).
  if (channel === 'batch.start') {
    const r = input as { job: Parameters<typeof withJob>[0] };
    return { ...r, job: await withJob(r.job) };
  }
  if (channel === 'jobs.start') {
    const r = input as { job: { kind: string; request: Parameters<typeof withJob>[0] } };
    if (r.job.kind === 'batch') return { ...r, job: { ...r.job, request: await withJob(r.job.request) } };
  }
  return input;
}
