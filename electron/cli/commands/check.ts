// `onnx-workbench check DIR…`: ONNX backend-test folders against their expected outputs.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PROVIDER_IDS, type ProviderId } from '../../../shared/providers';
import { type CliContext, UsageError, parseNumber, printJson, withServices } from '../args';
import { formatCheckReport } from '../format';

export async function checkCommand(args: string[], ctx: CliContext): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      provider: { type: 'string' },
      atol: { type: 'string' },
      rtol: { type: 'string' },
      json: { type: 'boolean' },
    },
    allowPositionals: true,
  });
  if (positionals.length === 0) throw new UsageError('check takes one or more test-data folders');
  const provider = values.provider;
  if (provider !== undefined && !(PROVIDER_IDS as readonly string[]).includes(provider))
    throw new UsageError(`unknown provider "${provider}" (one of: ${PROVIDER_IDS.join(', ')})`);
  const report = await withServices(ctx, (call) =>
    call(
      'check.run',
      {
        dirs: positionals.map((d) => resolve(d)),
        provider: provider as ProviderId | undefined,
        atol: parseNumber('--atol', values.atol),
        rtol: parseNumber('--rtol', values.rtol),
      },
      values.json
        ? undefined
        : (event) => {
            const e = event as { done: number; total: number; case: string; set: string; pass: boolean };
            if (!e.pass) process.stderr.write(`  ${e.case}/${e.set} failed (${e.done}/${e.total})\n`);
          },
    ),
  );
  if (values.json) printJson(report);
  else process.stdout.write(formatCheckReport(report));
  if (report.summary.failed > 0 || report.cases.some((c) => !c.pass)) process.exitCode = 1;
}
