// `onnx-workbench bench MODEL`: latency percentiles per provider, side by side.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { BenchmarkResult } from '../../../shared/run';
import { readModelInfo } from '../../common/onnx/reader';
import { type CliContext, UsageError, parseCount, parsePairs, printJson, withServices } from '../args';
import { formatBenchTable } from '../format';
import { buildInputs, inputOptions } from '../inputs';
import { inputFlags, parseProvider, sessionOptions } from './run';

export async function benchCommand(args: string[], ctx: CliContext): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ...inputFlags,
      provider: { type: 'string', multiple: true },
      runs: { type: 'string' },
      warmup: { type: 'string' },
    },
    allowPositionals: true,
  });
  if (positionals.length !== 1) throw new UsageError('bench takes exactly one model file');
  const model = resolve(positionals[0]);
  const providers = (values.provider ?? ['auto']).map(parseProvider);
  const runs = parseCount('--runs', values.runs, 100, 1);
  const warmup = parseCount('--warmup', values.warmup, 10, 0);
  const dims = parsePairs('--dim', values.dim);
  const info = await readModelInfo(model);
  const note = values.json ? () => {} : (line: string) => process.stderr.write(`${line}\n`);

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
