// `onnx-workbench providers`: GPUs, each execution provider's readiness, and what 'auto' picks.
import { parseArgs } from 'node:util';
import { chooseProvider } from '../../../shared/providers';
import { type CliContext, printJson, withServices } from '../args';
import { formatHardware } from '../format';

export async function providersCommand(args: string[], ctx: CliContext): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { json: { type: 'boolean' }, refresh: { type: 'boolean' } },
    allowPositionals: false,
  });
  const report = await withServices(ctx, (call) => call('hardware.detect', { refresh: values.refresh }));
  const auto = chooseProvider('auto', report.providers, { platform: report.platform });
  if (values.json) printJson({ ...report, auto });
  else process.stdout.write(formatHardware(report, auto));
}
