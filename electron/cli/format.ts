// The readable summary of `onnx-workbench inspect` (like `polygraphy inspect model`).
import { formatBytes, formatCount, formatShape, formatType } from '../../shared/format';
import type { ModelInfo, ValueInfo } from '../../shared/model-info';

function table(rows: string[][], indent = '    '): string {
  if (rows.length === 0) return `${indent}(none)\n`;
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
