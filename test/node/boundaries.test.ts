// The process boundaries hold by lint and by the compiler, not by memory: each forbidden import is
// written as a fixture in the folder it would live in and must fail with the expected rule or type
// error; the allowed ones beside them must pass, so that neither check can pass by doing nothing.
// Fixtures are never written to disk: ESLint lints them as text at their would-be path, and the
// compiler reads them from memory at that path, with the layer's own tsconfig.json.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ESLint } from 'eslint';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers';

interface LintCase {
  what: string;
  file: string;
  code: string;
  rule?: string;
}

const LAYERS = [
  'shared',
  'renderer',
  'electron/common',
  'electron/engine',
  'electron/node',
  'electron/cli',
  'electron/main',
  'electron/preload',
];

const eslint = new ESLint({ cwd: ROOT });

async function lintRules(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, file) });
  const fatal = result.messages.filter((m) => m.fatal);
  expect(fatal, `${file} should parse`).toEqual([]);
  return result.messages.map((m) => m.ruleId ?? '');
}

// The forbidden imports of issue #11 (and the side doors beside them).
const forbidden: LintCase[] = [
  { what: 'sharp from shared/', file: 'shared/fixture.ts', code: "import sharp from 'sharp';\nexport { sharp };" },
  {
    what: 'onnxruntime-node from shared/',
    file: 'shared/fixture.ts',
    code: "import * as ort from 'onnxruntime-node';\nexport { ort };",
  },
  {
    what: 'electron/node importing engine/ort (native code by a side door)',
    file: 'electron/node/fixture.ts',
    code: "import { loadOrt } from '../engine/ort';\nexport { loadOrt };",
    rule: 'local/import-patterns',
  },
  {
    what: 'electron/node importing engine/image/decode',
    file: 'electron/node/fixture.ts',
    code: "import { decodeImage } from '../engine/image/decode';\nexport { decodeImage };",
    rule: 'local/import-patterns',
  },
  {
    what: "a dynamic import('onnxruntime-node') in electron/node",
    file: 'electron/node/fixture.ts',
    code: "export const ort = () => import('onnxruntime-node');",
    rule: 'local/native-modules',
  },
  {
    what: "a dynamic import('sharp') in electron/cli",
    file: 'electron/cli/fixture.ts',
    code: "export const sharp = async () => (await import('sharp')).default;",
    rule: 'local/native-modules',
  },
  {
    what: 'require of onnxruntime-node through createRequire in electron/main',
    file: 'electron/main/fixture.ts',
    code: "import { createRequire } from 'node:module';\nconst req = createRequire(import.meta.url);\nexport const ort: unknown = req('onnxruntime-node');",
    rule: 'local/native-modules',
  },
  {
    what: 'engine importing node/server',
    file: 'electron/engine/fixture.ts',
    code: "import { startServer } from '../node/server';\nexport { startServer };",
    rule: 'local/import-patterns',
  },
  {
    what: 'engine importing cli/',
    file: 'electron/engine/fixture.ts',
    code: "import { main } from '../cli/main';\nexport { main };",
    rule: 'local/import-patterns',
  },
  {
    what: 'engine/providers importing node/ (the folders depended on each other)',
    file: 'electron/engine/providers/fixture.ts',
    code: "import { createServices } from '../../node/services';\nexport { createServices };",
    rule: 'local/import-patterns',
  },
  {
    what: 'main importing engine/run/runner',
    file: 'electron/main/fixture.ts',
    code: "import * as runner from '../engine/run/runner';\nexport { runner };",
    rule: 'local/import-patterns',
  },
  {
    what: 'preload importing node:fs',
    file: 'electron/preload/fixture.ts',
    code: "import { readFileSync } from 'node:fs';\nexport { readFileSync };",
    rule: 'local/import-patterns',
  },
  {
    what: 'engine importing electron',
    file: 'electron/engine/fixture.ts',
    code: "import { app } from 'electron';\nexport { app };",
    rule: 'local/import-patterns',
  },
  {
    what: 'the renderer importing Node code of ours',
    file: 'renderer/src/lib/fixture.ts',
    code: "import { readModelInfo } from '../../../electron/common/onnx/reader';\nexport { readModelInfo };",
    rule: 'local/import-patterns',
  },
  {
    what: 'the renderer importing a Node built-in',
    file: 'renderer/src/lib/fixture.ts',
    code: "import { join } from 'node:path';\nexport { join };",
    rule: 'local/import-patterns',
  },
  {
    what: 'shared/ importing a Node built-in',
    file: 'shared/fixture.ts',
    code: "import { join } from 'node:path';\nexport { join };",
    rule: 'local/import-patterns',
  },
  {
    what: 'shared/ importing the renderer',
    file: 'shared/fixture.ts',
    code: "import * as api from '../renderer/src/lib/api';\nexport { api };",
    rule: 'local/import-patterns',
  },
  {
    what: 're-exporting the engine from node/',
    file: 'electron/node/fixture.ts',
    code: "export * from '../engine/ort';",
    rule: 'local/import-patterns',
  },
  {
    what: "a type from import('sharp') in electron/common",
    file: 'electron/common/fixture.ts',
    code: "export type Sharp = typeof import('sharp');",
    rule: 'local/native-modules',
  },
  {
    what: 'a plain require of sharp in electron/common',
    file: 'electron/common/fixture.ts',
    code: "declare const require: (id: string) => unknown;\nexport const sharp = require('sharp');",
    rule: 'local/native-modules',
  },
  {
    what: 'a dynamic import of a computed name outside the engine',
    file: 'electron/node/fixture.ts',
    code: "const name = ['sh', 'arp'].join('');\nexport const m = () => import(name);",
    rule: 'local/import-patterns',
  },
  {
    what: 'a Node built-in without the node: prefix',
    file: 'electron/node/fixture.ts',
    code: "import { readFile } from 'fs/promises';\nexport { readFile };",
    rule: 'local/import-patterns',
  },
];

const allowedImports: LintCase[] = [
  {
    what: 'the engine loading onnxruntime-node and sharp',
    file: 'electron/engine/fixture.ts',
    code: "import * as ort from 'onnxruntime-node';\nexport { ort };\nexport const sharp = async () => (await import('sharp')).default;",
  },
  {
    what: 'node/ importing common/ and shared/',
    file: 'electron/node/fixture.ts',
    code: "import { readModelInfo } from '../common/onnx/reader';\nimport { WorkbenchError } from '../../shared/result';\nexport { readModelInfo, WorkbenchError };",
  },
  {
    what: 'engine/providers importing common/hardware',
    file: 'electron/engine/providers/fixture.ts',
    code: "import { detectHardware } from '../../common/hardware';\nexport { detectHardware };",
  },
  {
    what: 'the renderer importing shared/ and svelte',
    file: 'renderer/src/lib/fixture.ts',
    code: "import { mount } from 'svelte';\nimport { SvelteMap } from 'svelte/reactivity';\nimport type { ChannelName } from '../../../shared/contract';\nexport type C = ChannelName;\nexport { mount, SvelteMap };",
  },
  {
    what: 'main importing electron and node/',
    file: 'electron/main/fixture.ts',
    code: "import { app } from 'electron';\nimport { createServices } from '../node/services';\nexport { app, createServices };",
  },
  {
    what: 'the preload importing electron and shared/',
    file: 'electron/preload/fixture.ts',
    code: "import { contextBridge } from 'electron';\nimport type { Bridge } from '../../shared/api';\nexport type B = Bridge;\nexport { contextBridge };",
  },
  {
    what: 'finding a native package file without loading it (require.resolve)',
    file: 'electron/common/fixture.ts',
    code: "import { createRequire } from 'node:module';\nexport const where = createRequire(import.meta.url).resolve('onnxruntime-node/package.json');",
  },
  {
    what: 'shared/ importing zod and shared/',
    file: 'shared/fixture.ts',
    code: "import { z } from 'zod';\nimport type { Result } from './result';\nexport type R = Result<number>;\nexport { z };",
  },
];

describe('forbidden imports fail lint', () => {
  it.each(forbidden)('$what', async ({ file, code, rule }) => {
    const rules = await lintRules(file, code);
    if (rule) expect(rules).toContain(rule);
    else expect(rules.some((r) => r === 'local/import-patterns' || r === 'local/native-modules')).toBe(true);
  });

  it('names the layer and what it may import', async () => {
    const [result] = await eslint.lintText("import { loadOrt } from '../engine/ort';\nexport { loadOrt };", {
      filePath: join(ROOT, 'electron/node/fixture.ts'),
    });
    const message = result.messages.find((m) => m.ruleId === 'local/import-patterns')?.message;
    expect(message).toContain("electron/node/ (services hosted by the main process or the CLI) may not import '../engine/ort'");
    expect(message).toContain('electron/common/');
  });
});

describe('allowed imports pass lint', () => {
  it.each(allowedImports)('$what', async ({ file, code }) => {
    const rules = await lintRules(file, code);
    expect(rules.filter((r) => r.startsWith('local/'))).toEqual([]);
  });

  it.each(LAYERS)('%s/ has an allow-list naming folders that exist', async (layer) => {
    const config = (await eslint.calculateConfigForFile(join(ROOT, layer, 'fixture.ts'))) as {
      rules: Record<string, [unknown, { layer: string; allow: string[] }]>;
    };
    const [, options] = config.rules['local/import-patterns'];
    expect(options.layer).toBe(layer);
    expect(options.allow).toContain(`${layer}/`);
    for (const folder of options.allow.filter((a) => a.endsWith('/'))) expect(existsSync(join(ROOT, folder)), folder).toBe(true);
  });

  it.each(LAYERS)("%s/: the README's layout table says what the lint allows", async (layer) => {
    const config = (await eslint.calculateConfigForFile(join(ROOT, layer, 'fixture.ts'))) as {
      rules: Record<string, [unknown, { allow: string[] }]>;
    };
    // Single files ('./package.json') and subpaths ('svelte/*') are details the table leaves out.
    const allowed = config.rules['local/import-patterns'][1].allow.filter((a) => !a.startsWith('./') && !a.endsWith('/*'));
    const row = readFileSync(join(ROOT, 'README.md'), 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`| \`${layer}/\` |`));
    const listed = row
      ?.split('|')[3]
      .split(',')
      .map((e) => e.trim().replace(/`/g, ''));
    expect(listed?.sort()).toEqual(allowed.sort());
  });
});

/** Type-checks one in-memory file at `file` with the compiler options of the layer's tsconfig. */
function typeErrors(tsconfig: string, file: string, code: string): string[] {
  const configPath = join(ROOT, tsconfig);
  const config = ts.getParsedCommandLineOfConfigFile(
    configPath,
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
  );
  if (!config) throw new Error(`${tsconfig} could not be read`);
  const fixture = join(ROOT, file);
  const host = ts.createCompilerHost(config.options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, ...rest) =>
    name === fixture ? ts.createSourceFile(name, code, version) : getSourceFile(name, version, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === fixture || fileExists(name);
  // The layer's own declaration files (shared/globals.d.ts, renderer/src/env.d.ts) come along.
  const declarations = config.fileNames.filter((f) => f.endsWith('.d.ts') && dirname(f).startsWith(dirname(configPath)));
  const program = ts.createProgram([fixture, ...declarations], config.options, host);
  return ts
    .getPreEmitDiagnostics(program, program.getSourceFile(fixture))
    .map((d) => `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

describe('each layer is compiled with only its runtime', () => {
  it.each([
    {
      what: 'process.platform in the renderer',
      tsconfig: 'renderer/tsconfig.json',
      name: 'process',
      code: 'export const p: string = process.platform;',
    },
    {
      what: 'Buffer in the renderer',
      tsconfig: 'renderer/tsconfig.json',
      name: 'Buffer',
      code: "export const b = Buffer.from('x');",
    },
    { what: 'process in shared/', tsconfig: 'shared/tsconfig.json', name: 'process', code: 'export const e = process.env.HOME;' },
    { what: 'document in shared/', tsconfig: 'shared/tsconfig.json', name: 'document', code: 'export const t = document.title;' },
    {
      what: 'window in electron/',
      tsconfig: 'electron/tsconfig.json',
      name: 'window',
      code: 'export const w = window.innerWidth;',
    },
    {
      what: 'document in electron/',
      tsconfig: 'electron/tsconfig.json',
      name: 'document',
      code: 'export const t = document.title;',
    },
  ])('$what fails the type-check', ({ tsconfig, name, code }) => {
    const file = join(dirname(tsconfig), 'fixture.ts');
    const errors = typeErrors(tsconfig, file, code);
    expect(errors.some((e) => e.includes(`Cannot find name '${name}'`))).toBe(true);
  });

  it.each([
    { what: 'the DOM in the renderer', tsconfig: 'renderer/tsconfig.json', code: 'export const t: string = document.title;' },
    {
      what: 'Node in electron/',
      tsconfig: 'electron/tsconfig.json',
      code: "export const p: string = process.platform;\nexport const b = Buffer.from('x');",
    },
    {
      what: 'the language and the declared common globals in shared/',
      tsconfig: 'shared/tsconfig.json',
      code: 'export const m = new Map<string, number>();\nexport const aborted = (s: AbortSignal) => s.aborted;',
    },
  ])('$what type-checks', ({ tsconfig, code }) => {
    const file = join(dirname(tsconfig), 'fixture.ts');
    expect(typeErrors(tsconfig, file, code)).toEqual([]);
  });
});
