// `onnx-workbench profile MODEL`: onnxruntime's own profile of N runs, per node, op type and provider.
import { basename } from 'node:path';
import { formatBytes } from '../../../shared/format';
import { type ProfileSummary, formatMacs, providerWords } from '../../../shared/profile';
import { PROVIDER_NAMES } from '../../../shared/providers';
import { readModelInfo } from '../../common/onnx/reader';
import { type CliContext, parseCount, printJson, withServices } from '../args';
import { table } from '../format';
import { buildInputs, inputOptions } from '../inputs';
import { parseModelCommand, parseProvider, sessionOptions } from './run';

export async function profileCommand(args: string[], ctx: CliContext): Promise<void> {
  const { values, model, dims, note } = parseModelCommand('profile', args, {
    provider: { type: 'string' },
    runs: { type: 'string' },
    top: { type: 'string' },
  });
  const provider = parseProvider(values.provider ?? 'auto');
  const runs = parseCount('--runs', values.runs, 10, 1);
  const top = parseCount('--top', values.top, 15, 1);
  const options = sessionOptions(provider, values.threads, dims, values.fallback, values.optimization);
  const info = await readModelInfo(model);

  const summary = await withServices(ctx, async (call) => {
    const inputs = await buildInputs(call, model, info, inputOptions(values, dims, 'random', note));
    if (!values.json) process.stderr.write(`Profiling ${basename(model)}: 1 warm-up run, then ${runs}…\n`);
    // The CLI prints every node: no bound on the list.
    return call('run.profile', { path: model, inputs, options, runs, maxNodes: 10_000_000 });
  });
  if (values.json) printJson(summary);
  else process.stdout.write(formatProfile(summary, top));
}

const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const pct = (x: number | undefined) => `${((x ?? 0) * 100).toFixed(1)}%`;

export function formatProfile(s: ProfileSummary, top: number): string {
  const out: string[] = [];
  const used = s.provider ? PROVIDER_NAMES[s.provider.used] : '?';
  out.push(
    `Profile: ${s.model ?? ''} on ${used} (optimisation ${s.optimization ?? 'all'}), ${s.runs ?? '?'} runs after ${s.warmup_runs ?? 0} warm-up\n`,
  );
  out.push(
    `    run ${ms(s.total_ms)} ms (nodes ${ms(s.node_ms ?? 0)} ms) · ${s.nodes_total ?? s.nodes.length} nodes · ${formatMacs(s.macs)} MACs\n`,
  );
  if (s.provider?.fallbackReason && !s.warnings?.includes(s.provider.fallbackReason))
    out.push(`    provider: ${s.provider.fallbackReason}\n`);
  for (const w of s.warnings ?? []) out.push(`\n! ${w}\n`);
  out.push(`\nProviders\n`);
  out.push(
    table([
      ['provider', 'nodes', 'of nodes', 'ms', 'of time'],
      ...s.providers.map((p) => [providerWords(p.provider), String(p.nodes), pct(p.nodeShare), ms(p.ms), pct(p.timeShare)]),
    ]),
  );
  if (s.fallback && s.fallback.cpuNodes.length) {
    const names = s.fallback.cpuNodes.slice(0, 20).join(', ');
    out.push(
      `\nOn the CPU instead of ${providerWords(s.fallback.requested)} (${s.fallback.cpuNodes.length}): ${names}${s.fallback.cpuNodes.length > 20 ? ', …' : ''}\n`,
    );
  }
  if (s.fallback && s.fallback.copies)
    out.push(`Copies between devices: ${s.fallback.copies} (${ms(s.fallback.copyMs)} ms per run)\n`);
  out.push(`\nBy op type\n`);
  out.push(
    table([
      ['op', 'count', 'total ms', 'mean ms', 'share', 'MACs'],
      ...s.ops.map((o) => [
        o.op,
        String(o.count),
        ms(o.ms),
        ms(o.meanMs ?? o.ms / o.count),
        pct(o.share),
        o.macs ? formatMacs(o.macs) : '',
      ]),
    ]),
  );
  const slowest = [...s.nodes].sort((a, b) => b.ms - a.ms).slice(0, top);
  out.push(`\nSlowest nodes (${slowest.length} of ${s.nodes_total ?? s.nodes.length}; --json lists them all)\n`);
  out.push(
    table([
      ['node', 'op', 'provider', 'ms', 'MACs', 'outputs'],
      ...slowest.map((n) => [
        n.name + (n.fusedFrom ? ` (fused: ${n.fusedFrom.join(' + ')})` : ''),
        n.op,
        providerWords(n.provider),
        ms(n.ms),
        n.macs === null ? '' : formatMacs(n.macs),
        n.outputs.map((o) => `[${o.shape.join(',')}] ${formatBytes(o.bytes)}`).join(' '),
      ]),
    ]),
  );
  if (s.fusion_note) out.push(`\n${s.fusion_note}\n`);
  if (s.profile_path) out.push(`\nonnxruntime's profile (chrome://tracing or https://ui.perfetto.dev): ${s.profile_path}\n`);
  return out.join('');
}
