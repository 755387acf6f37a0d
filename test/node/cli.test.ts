// The CLI: help, inspect (readable and --json), and exit codes with one-line errors.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MODELS, ROOT } from '../helpers';

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'electron/cli/index.ts'), ...args], {
    encoding: 'utf8',
    cwd: ROOT,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'owb-cli-'));
  await writeFile(join(dir, 'empty.onnx'), '');
  await writeFile(join(dir, 'image.onnx'), Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'));
  const real = await readFile(MODELS.ocrCls);
  await writeFile(join(dir, 'truncated.onnx'), real.subarray(0, Math.floor(real.length / 2)));
});

describe('onnx-workbench CLI', () => {
  it('prints help', () => {
    const r = cli('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/inspect MODEL/);
    expect(r.stdout).toMatch(/serve/);
  });

  it('inspect --json prints the ModelInfo with symbolic dims', () => {
    const r = cli('inspect', MODELS.vadV5, '--json');
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.inputs.map((i: { name: string }) => i.name)).toEqual(['input', 'state', 'sr']);
    expect(info.inputs.find((i: { name: string }) => i.name === 'sr')).toMatchObject({ dtype: 'int64', shape: [] });
    expect(info.file.path).toBe(MODELS.vadV5);
  });

  it('inspect prints a readable summary', () => {
    const r = cli('inspect', MODELS.ocrDet);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Inputs \(1\)\n\s+x\s+float32\s+\[/);
    expect(r.stdout).toMatch(/Outputs \(1\)/);
    expect(r.stdout).toMatch(/Nodes: \d+/);
  });

  it.each([
    ['a missing file', () => join(dir, 'missing.onnx'), 3, /not found/i],
    ['an empty file', () => join(dir, 'empty.onnx'), 4, /empty/i],
    ['a PNG renamed .onnx', () => join(dir, 'image.onnx'), 4, /PNG/],
    ['a truncated model', () => join(dir, 'truncated.onnx'), 5, /truncated|byte/i],
  ])('inspect of %s fails with one line on stderr', (_name, file, code, message) => {
    const path = file();
    const r = cli('inspect', path);
    expect(r.code).toBe(code);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain(path);
  });

  it('wrong usage exits 2', () => {
    expect(cli('frobnicate').code).toBe(2);
    expect(cli('inspect').code).toBe(2);
    expect(cli('serve', '--port', 'abc').code).toBe(2);
  });
});
