// `onnx-workbench graph MODEL --out FILE.svg|FILE.png [--expand overview|all|LEVEL]`: the Graph
// tab's grouped layout written to a file by the engine (SVG, or PNG through sharp).
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatBytes } from '../../../shared/format';
import { type GraphExpand, graphExportFormat } from '../../../shared/graph/export';
import { type CliContext, UsageError, withServices } from '../args';

export function parseExpand(value: string | undefined): GraphExpand {
  if (value === undefined || value === 'overview') return 'overview';
  if (value === 'all') return 'all';
  if (/^\d+$/.test(value) && Number(value) <= 10_000) return Number(value);
  throw new UsageError(`--expand takes overview, all or a depth (0, 1, 2, …), not "${value}"`);
}

export async function graphCommand(args: string[], ctx: CliContext): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    options: { out: { type: 'string' }, expand: { type: 'string' } },
    allowPositionals: true,
  });
  if (positionals.length !== 1) throw new UsageError('graph takes exactly one model file');
  if (!values.out) throw new UsageError('graph needs --out FILE.svg or --out FILE.png');
  if (!graphExportFormat(values.out)) throw new UsageError(`--out must end in .svg or .png, not "${values.out}"`);
  const expand = parseExpand(values.expand);
  const path = resolve(positionals[0]);
  const to = resolve(values.out);
  const result = await withServices(ctx, (call) => call('graph.export', { path, to, expand }));
  process.stdout.write(`Wrote ${result.path} (${formatBytes(result.bytes)})\n`);
}
