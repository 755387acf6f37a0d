// The readable summary of `onnx-workbench inspect` (like `polygraphy inspect model`).
import { formatBytes, formatCount, formatShape, formatType, printable } from '../../shared/format';
import type { CheckReport } from '../../shared/compare';
import type { ModelInfo, ValueInfo } from '../../shared/model-info';
import { type HardwareReport, PROVIDER_NAMES, type ProviderChoice } from '../../shared/providers';
import type { BenchmarkResult, RunResult } from '../../shared/run';
import { type TensorSummary, formatDims } from '../../shared/tensor';

export function table(cells: string[][], indent = '    '): string {
  if (cells.length === 0) return `${indent}(none)\n`;
  // Names and values come from model files: never a terminal escape sequence.
  const rows = cells.map((r) => r.map((cell) => printable(cell)));
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return (
    rows.map((r) => indent + r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ')).join('\n') +
    '\n'
  );
}

function values(list: ValueInfo[]): string {
  return table(list.map((v) => [v.name, formatType(v), formatShape(v.shape)]));
}

export function formatModelInfo(info: ModelInfo): string {
  return printable(modelInfoText(info), true);
}

function modelInfoText(info: ModelInfo): string {
  const out: string[] = [];
  out.push(`Model: ${info.file.path} (${formatBytes(info.file.size)})\n`);
  const opsets = info.opsets.map((o) => `${o.domain || 'ai.onnx'} ${o.version}`).join(', ');
  out.push(`    IR version ${info.irVersion} · opsets: ${opsets || 'none'}\n`);
  const producer = [info.producer.name, info.producer.version].filter(Boolean).join(' ');
  if (producer) out.push(`    Producer: ${producer}\n`);
  if (info.graphName) out.push(`    Graph: ${info.graphName}\n`);
  out.push(`    Task guess: ${info.task.kind} (${info.task.reason})\n`);
  out.push(`\nInputs (${info.inputs.length})\n${values(info.inputs)}`);
  if (info.optionalInputs.length)
    out.push(`\nOptional inputs, with defaults (${info.optionalInputs.length})\n${values(info.optionalInputs)}`);
  out.push(`\nOutputs (${info.outputs.length})\n${values(info.outputs)}`);
  const byDtype = Object.entries(info.initializers.bytesByDtype)
    .map(([dtype, bytes]) => `${dtype} ${formatBytes(bytes ?? 0)}`)
    .join(', ');
  const { constants } = info.initializers;
  out.push(
    `\nWeights: ${info.initializers.count} initializers · ${formatCount(info.initializers.parameters)} parameters · ${formatBytes(info.initializers.bytes)}${byDtype ? ` (${byDtype})` : ''}\n`,
  );
  if (constants.count > 0) {
    out.push(
      `    + ${constants.count} tensors in Constant nodes · ${formatCount(constants.parameters)} parameters · ${formatBytes(constants.bytes)}\n`,
    );
  }
  for (const ext of info.file.externalData) {
    out.push(`    external data: ${ext.location} (${ext.size === null ? 'MISSING' : formatBytes(ext.size)})\n`);
  }
  const ops = Object.entries(info.ops).sort((a, b) => b[1] - a[1]);
  out.push(`\nNodes: ${info.nodes} · ${ops.length} operator types · ${info.subgraphs} subgraphs\n`);
  if (ops.length) out.push(`    ${ops.map(([op, n]) => `${op} ×${n}`).join(', ')}\n`);
  const meta = Object.entries(info.metadata);
  if (meta.length) {
    out.push(`\nMetadata (${meta.length})\n`);
    out.push(table(meta.map(([k, v]) => [k, v.length > 100 ? `${v.slice(0, 100)}…` : v])));
  }
  return out.join('');
}

// ---- run, bench, check, providers ------------------------------------------------------------

const ms = (x: number): string => (Number.isFinite(x) ? x.toFixed(x < 10 ? 2 : 1) : '-');
const num = (x: number | null): string => (x === null ? '-' : Number.isInteger(x) ? String(x) : x.toPrecision(5));

export function formatTensorLine(t: TensorSummary): string[] {
  const { min, max, mean, std } = t.stats;
  const first = t.preview
    .slice(0, 6)
    .map((v) => (typeof v === 'number' ? num(v) : JSON.stringify(v)))
    .join(', ');
  return [
    t.name,
    t.dtype,
    formatDims(t.dims),
    `min ${num(min)}  max ${num(max)}  mean ${num(mean)}  std ${num(std)}`,
    `[${first}${t.stats.elements > 6 ? ', …' : ''}]`,
  ];
}

export function formatProvider(p: ProviderChoice): string {
  return `Provider: ${PROVIDER_NAMES[p.used]}${p.fallbackReason ? ` (${p.fallbackReason})` : ''}\n`;
}

export function formatRunResult(r: RunResult): string {
  return printable(formatRunResultText(r), true);
}

function formatRunResultText(r: RunResult): string {
  const t = r.timings;
  const out = [formatProvider(r.provider)];
  out.push(
    `Timings: session ${t.cached ? 'cached' : `${ms(t.createMs)} ms`} · prepare ${ms(t.prepareMs)} ms · run ${ms(t.runMs)} ms · total ${ms(t.totalMs)} ms\n`,
  );
  out.push(`\nInputs (${r.inputs.length})\n${table(r.inputs.map(formatTensorLine))}`);
  for (const i of r.inputs) for (const n of i.notes) out.push(`    ${i.name}: ${n}\n`);
  out.push(`\nOutputs (${r.outputs.length})\n${table(r.outputs.map(formatTensorLine))}`);
  if (r.profilePath) out.push(`\nProfile (chrome://tracing or https://ui.perfetto.dev): ${r.profilePath}\n`);
  if (r.optimizedModelPath) out.push(`\nOptimised model written to ${r.optimizedModelPath}\n`);
  return out.join('');
}

export function formatBenchTable(rows: BenchmarkResult[]): string {
  return printable(formatBenchTableText(rows), true);
}

function formatBenchTableText(rows: BenchmarkResult[]): string {
  const head = ['provider', 'session ms', 'min', 'p50', 'p90', 'p99', 'max', 'mean', 'runs/s'];
  const body = rows.map((b) => [
    // A fallback row says what ran, and that it is not what was asked for.
    PROVIDER_NAMES[b.provider.used] +
      (b.provider.requested !== 'auto' && b.provider.requested !== b.provider.used
        ? ` (instead of ${PROVIDER_NAMES[b.provider.requested]})`
        : ''),
    b.cached ? 'cached' : ms(b.createMs),
    ...[b.latencyMs.min, b.latencyMs.p50, b.latencyMs.p90, b.latencyMs.p99, b.latencyMs.max, b.latencyMs.mean].map(ms),
    b.throughput.toFixed(1),
  ]);
  const runs = rows[0] ? `${rows[0].runs} runs after ${rows[0].warmup} warm-up, latency in ms\n` : '';
  // Each reason once, however many rows share it.
  const notes = [...new Set(rows.flatMap((b) => (b.provider.fallbackReason ? [b.provider.fallbackReason] : [])))].map(
    (reason) => `note: ${reason}\n`,
  );
  return runs + table([head, ...body], '') + notes.join('');
}

function errors(o: { maxAbsError: number; maxRelError: number }): string {
  return `max abs ${o.maxAbsError.toExponential(2)}, max rel ${o.maxRelError.toExponential(2)}`;
}

export function formatCheckReport(r: CheckReport): string {
  return printable(formatCheckReportText(r), true);
}

function formatCheckReportText(r: CheckReport): string {
  const out: string[] = [`Checking on ${r.provider} (atol ${r.atol}, rtol ${r.rtol})\n`];
  for (const c of r.cases) {
    out.push(`${c.pass ? 'pass' : 'FAIL'}  ${c.name}${c.reason ? `: ${c.reason}` : ''}\n`);
    for (const s of c.sets) {
      out.push(`  ${s.pass ? 'pass' : 'FAIL'}  ${s.name} (${ms(s.durationMs)} ms)${s.reason ? `: ${s.reason}` : ''}\n`);
      for (const o of s.outputs)
        out.push(`    ${o.pass ? 'pass' : 'FAIL'}  ${o.name}: ${errors(o)}${o.reason ? `: ${o.reason}` : ''}\n`);
    }
  }
  const s = r.summary;
  out.push(`check: ${s.passed} passed, ${s.failed} failed (${s.cases} cases, ${s.sets} data sets)\n`);
  return out.join('');
}

export function formatHardware(h: HardwareReport, auto: ProviderChoice): string {
  return printable(formatHardwareText(h, auto), true);
}

function formatHardwareText(h: HardwareReport, auto: ProviderChoice): string {
  const out: string[] = [
    `Machine: ${h.platform} ${h.arch} · ${h.cpu.model} (${h.cpu.cores} cores) · ${formatBytes(h.memoryBytes)}\n`,
  ];
  out.push(`\nGPUs (${h.gpus.length})\n`);
  out.push(
    table(
      h.gpus.map((g) => [
        g.name,
        g.vendor,
        g.memoryBytes === null ? '-' : formatBytes(g.memoryBytes),
        g.driver ? `driver ${g.driver}` : '',
      ]),
    ),
  );
  out.push(`\nProviders\n`);
  out.push(table(h.providers.map((p) => [p.id, p.status, p.reason ?? (p.bundled ? 'bundled' : '')])));
  out.push(`\nauto picks: ${PROVIDER_NAMES[auto.used]}${auto.fallbackReason ? ` (${auto.fallbackReason})` : ''}\n`);
  return out.join('');
}
