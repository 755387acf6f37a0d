// `onnx-workbench bench MODEL`: latency percentiles per provider, side by side.
import type { BenchmarkResult } from '../../../shared/run';
import { readModelInfo } from '../../common/onnx/reader';
import { type CliContext, parseCount, printJson, withServices } from '../args';
import { formatBenchTable } from '../format';
import { buildInputs, inputOptions } from '../inputs';
import { parseModelCommand, parseProvider, sessionOptions } from './run';

export async function benchCommand(args: string[], ctx: CliContext): Promise<void> {
  const { values, model, dims, note } = parseModelCommand('bench', args, {
    provider: { type: 'string', multiple: true },
    runs: { type: 'string' },
    warmup: { type: 'string' },
  });
  const providers = (values.provider ?? ['auto']).map(parseProvider);
  const runs = parseCount('--runs', values.runs, 100, 1);
  const warmup = parseCount('--warmup', values.warmup, 10, 0);
  const info = await readModelInfo(model);

  const results = await withServices(ctx, async (call) => {
    const inputs = await buildInputs(call, model, info, inputOptions(values, dims, 'random', note));
    const rows: BenchmarkResult[] = [];
    for (const provider of providers) {
      if (!values.json) process.stderr.write(`Benchmarking on ${provider}…\n`);
      const options = sessionOptions(provider, values.threads, dims, values.fallback, values.optimization);
      rows.push(await call('model.bench', { path: model, inputs, options, runs, warmup }));
    }
    return rows;
  });
  if (values.json) printJson(results.length === 1 ? results[0] : results);
  else process.stdout.write(formatBenchTable(results));
}
