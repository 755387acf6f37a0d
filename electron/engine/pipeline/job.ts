// A pipeline over a folder: a batch job whose `model` is a pipeline file. Each image goes through
// every step (sessions made once, kept across the images), one image at a time (a step on regions
// already runs many times per image); its regions and text are one journal record, so results.csv
// and results.jsonl, resume, the failure list and the crash recovery are the batch job's own
// (batch/file-by-file.ts). `images` writes the original with the regions drawn, under images/.
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import {
  type BatchJob,
  type BatchResultSummary,
  type BatchSummary,
  PIPELINE_JOB,
  outputUnavailable,
} from '../../../shared/batch';
import { type PipelineResult, regionJson } from '../../../shared/pipeline';
import { WorkbenchError } from '../../../shared/result';
import { sessionOptionsSchema } from '../../../shared/run';
import { fsError } from '../../common/fs';
import { runFileByFile } from '../batch/file-by-file';
import type { BatchRunOptions } from '../batch/job';
import { FolderMaker, writeItemOutputs } from '../batch/outputs';
import { stableJson } from '../batch/plan';
import { rasterToPng } from '../results/encode';
import { renderResultImage } from '../results/render';
import { type StepModel, loadPipeline, runPipelineOn } from './run';

/** One image's pipeline result as the journal keeps it: the text, and the regions without their children. */
export function pipelineSummary(r: PipelineResult): BatchResultSummary {
  const n = r.regions.length;
  const oneLine = r.text.split('\n').join(' / ');
  return {
    task: PIPELINE_JOB,
    text: oneLine || `no text (${n} region${n === 1 ? '' : 's'})`,
    regions: n,
    pipeline: { text: r.text, regions: r.regions.map(regionJson) },
  };
}

export async function runPipelineJob(job: BatchJob, options: BatchRunOptions, jobId: string): Promise<BatchSummary> {
  return runFileByFile(job, options, jobId, async () => {
    for (const kind of job.output.write) {
      const why = outputUnavailable(kind, PIPELINE_JOB);
      if (why) throw new WorkbenchError('INVALID_INPUT', `--write ${kind}: ${why}`);
    }
    const pipeline = await loadPipeline({ file: job.model, tasks: job.pipeline?.tasks });
    const models = await Promise.all(
      pipeline.steps.map(async (s) => {
        const st = await stat(s.model).catch((error: unknown) => {
          throw fsError(error, s.model, { what: `model of step "${s.id}"` });
        });
        return [s.model, st.size, st.mtimeMs];
      }),
    );
    const sessionOptions = sessionOptionsSchema.parse({ provider: 'auto', ...job.options });
    const drawn = job.output.write.filter((k) => k === 'images');
    // The same job on resume: the same steps and tasks, on the same model files, drawing the same outputs.
    const key = createHash('sha256')
      .update(stableJson({ pipeline: pipeline.steps, models, drawn, options: job.options ?? {} }))
      .digest('hex')
      .slice(0, 16);
    const prepared = new Map<string, StepModel>();
    const folders = new FolderMaker();
    // Regions and their text drawn on the original, as the one-image pipeline saves it.
    const renderers = {
      renderResultImage: (path: string, r: Parameters<typeof renderResultImage>[1], o: { format: 'png' | 'jpeg' }) =>
        renderResultImage(path, r, { ...o, showLabels: true }),
      rasterToPng,
    };
    const params = { file: job.model, options: sessionOptions };
    return {
      key,
      open: async () => {
        // Every session made now, once: the first image is not slower, and a model that cannot load fails the job at once.
        const providers = [];
        for (const step of pipeline.steps) providers.push((await options.sessions.get(step.model, sessionOptions)).provider);
        return providers[0];
      },
      run: async (file, ctx) => {
        const { result, shown } = await runPipelineOn(
          pipeline,
          { ...params, input: file.path },
          options.sessions,
          { signal: ctx.signal, emit: () => {} },
          { preview: false, models: prepared },
        );
        const ran = performance.now();
        const written = await writeItemOutputs(
          { outputFolder: ctx.outputFolder, write: drawn, replace: job.output.overwrite || ctx.known, folders },
          { rel: file.rel, path: file.path, result: shown ?? null, outputs: new Map() },
          renderers,
        );
        const sum = (k: 'prepareMs' | 'runMs' | 'postprocessMs') => result.steps.reduce((a, s) => a + s.timings[k], 0);
        return {
          result: pipelineSummary(result),
          width: result.image.width,
          height: result.image.height,
          outputs: written,
          ms: {
            decode: sum('prepareMs'),
            run: sum('runMs'),
            post: sum('postprocessMs'),
            write: performance.now() - ran,
            wait: 0,
          },
        };
      },
    };
  });
}
