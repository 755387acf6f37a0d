// Offline check of the packaged app: lays out the Linux x64 app with `electron-builder --dir`
// against a stand-in Electron (no downloads), then checks what a user would get: the app
// files in app.asar, native code unpacked and loadable in plain Node, only this platform's
// binaries, the sample models, the CLI launcher, and no source maps, tests or build paths.
// Usage: tsx scripts/check-package.ts [--output DIR] [--build]
import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { extractAll, listPackage, statFile } from '@electron/asar';
import { addModel } from './package-model';
import { createStandInElectron } from './stand-in-electron';

const root = join(import.meta.dirname, '..');

export interface ProbeResult {
  appRoot: string;
  resolved: Record<string, string>;
  imported: Record<string, number>;
  ort: { inputs: string[]; outputs: string[]; sum: number[] } | null;
  sharp: { width: number; height: number; channels: number; firstPixel: number[] } | null;
  nativeLibraries: string[];
  errors: string[];
}

export interface PackageFacts {
  appDir: string;
  sizeBytes: number;
  /** Paths in app.asar, with forward slashes and no leading slash (unpacked entries included). */
  asarFiles: string[];
  /** The asar entries marked as living in app.asar.unpacked. */
  unpackedEntries: string[];
  /** Files actually present under app.asar.unpacked. */
  unpackedFiles: string[];
  samplesCatalog: string[];
  sampleFiles: string[];
  executable: boolean;
  cliLauncher: boolean;
  /** Bare module names the built bundles import (besides electron and node: builtins). */
  bundleImports: string[];
  /** Build-machine paths found in out/ (must be none). */
  buildPaths: string[];
  probe: ProbeResult;
}

// ORT_DISABLE_TELEMETRY: onnxruntime 1.30 otherwise writes ~/.cache/Microsoft/DeveloperTools.
function run(command: string, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, NODE_PATH: '', ORT_DISABLE_TELEMETRY: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function walk(dir: string, base = dir): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await walk(path, base)));
    else files.push(relative(base, path).split(sep).join('/'));
  }
  return files;
}

export async function dirSize(dir: string): Promise<number> {
  const { stdout } = await run('du', ['-sb', dir], root);
  return Number(stdout.split(/\s/)[0]);
}

/** `npm run build` when out/ is missing (or when asked), so the check packages the current code. */
export async function ensureBuilt(force = false): Promise<void> {
  if (
    !force &&
    (await exists(join(root, 'out', 'main', 'index.js'))) &&
    (await exists(join(root, 'resources', 'samples', 'samples.json')))
  )
    return;
  const result = await run('npm', ['run', 'build'], root);
  if (result.code !== 0) throw new Error(`npm run build failed:\n${result.stdout}\n${result.stderr}`);
}

/** electron-builder --linux --dir --x64 against a stand-in Electron; returns linux-unpacked. */
export async function packageLinuxDir(output: string, extraArgs: string[] = []): Promise<string> {
  const electron = await createStandInElectron(root);
  try {
    const args = [
      join(root, 'node_modules', 'electron-builder', 'cli.js'),
      ...['--linux', '--dir', '--x64', '--publish', 'never'],
      `-c.electronDist=${electron.dir}`,
      `-c.electronVersion=${electron.version}`,
      `-c.directories.output=${output}`,
      ...extraArgs,
    ];
    const result = await run(process.execPath, args, root);
    const appDir = join(output, 'linux-unpacked');
    if (result.code !== 0 || !(await exists(join(appDir, 'resources', 'app.asar')))) {
      throw new Error(`electron-builder failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
    }
    return appDir;
  } finally {
    await rm(electron.dir, { recursive: true, force: true });
  }
}

/** Bare specifiers in `from "x"` / `import("x")` / `require("x")` of the built main-process code. */
async function bundleImports(): Promise<string[]> {
  const names = new Set<string>();
  const dir = join(root, 'out', 'main');
  for (const file of await walk(dir)) {
    if (!file.endsWith('.js')) continue;
    const text = await readFile(join(dir, file), 'utf8');
    for (const match of text.matchAll(
      /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)["']((?:@[\w.-]+\/)?[\w-][\w.-]*(?:\/[\w.-]+)*)["']/g,
    )) {
      const name = match[1];
      if (!name.startsWith('node:') && name !== 'electron') names.add(name);
    }
  }
  return [...names].sort();
}

/** Absolute paths of the build machine baked into the built code. */
async function buildPaths(): Promise<string[]> {
  const found: string[] = [];
  const needles = [root, root.replace(/\\/g, '/'), join(root, 'node_modules')];
  for (const file of await walk(join(root, 'out'))) {
    const text = await readFile(join(root, 'out', file), 'utf8');
    if (needles.some((needle) => text.includes(needle))) found.push(`out/${file}`);
  }
  return found;
}

/** Copies the packaged app (asar + unpacked) outside the repo and runs the probe there in plain Node. */
async function probe(appDir: string, specifiers: string[]): Promise<ProbeResult> {
  const work = await mkdtemp(join(tmpdir(), 'owb-package-probe-'));
  try {
    const appRoot = join(work, 'app');
    extractAll(join(appDir, 'resources', 'app.asar'), appRoot);
    await copyFile(join(root, 'scripts', 'package-probe.mjs'), join(appRoot, 'package-probe.mjs'));
    await writeFile(join(work, 'add.onnx'), addModel());
    const result = await run(process.execPath, [join(appRoot, 'package-probe.mjs'), join(work, 'add.onnx'), ...specifiers], work);
    if (result.code !== 0) throw new Error(`the package probe crashed (exit ${result.code}):\n${result.stderr}`);
    const parsed = JSON.parse(result.stdout) as ProbeResult;
    // Report paths relative to the copy, so they read the same on every machine.
    const strip = (path: string) => (path.startsWith(appRoot) ? `<app>${path.slice(appRoot.length)}` : path);
    return {
      ...parsed,
      resolved: Object.fromEntries(Object.entries(parsed.resolved).map(([name, path]) => [name, strip(path)])),
      nativeLibraries: parsed.nativeLibraries.map(strip),
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export async function collectFacts(appDir: string): Promise<PackageFacts> {
  const resources = join(appDir, 'resources');
  const asar = join(resources, 'app.asar');
  const asarFiles = listPackage(asar, { isPack: false }).map((path) => path.split(sep).join('/').replace(/^\//, ''));
  const unpackedEntries = asarFiles.filter((path) => {
    const entry = statFile(asar, path, false) as { unpacked?: boolean; files?: unknown };
    return entry.unpacked === true && entry.files === undefined;
  });
  const unpackedDir = join(resources, 'app.asar.unpacked');
  const catalog = JSON.parse(await readFile(join(resources, 'samples', 'samples.json'), 'utf8')) as { file: string }[];
  const specifiers = await bundleImports();
  const launcher = await stat(join(resources, 'onnx-workbench-cli')).catch(() => null);
  const executable = await stat(join(appDir, 'onnx-workbench')).catch(() => null);
  return {
    appDir,
    sizeBytes: await dirSize(appDir),
    asarFiles,
    unpackedEntries,
    unpackedFiles: (await exists(unpackedDir)) ? await walk(unpackedDir) : [],
    samplesCatalog: catalog.map((sample) => sample.file),
    sampleFiles: await readdir(join(resources, 'samples')),
    executable: !!executable && (executable.mode & 0o111) !== 0,
    cliLauncher: !!launcher && (launcher.mode & 0o111) !== 0,
    bundleImports: specifiers,
    buildPaths: await buildPaths(),
    probe: await probe(appDir, [...new Set([...specifiers, 'onnxruntime-node', 'sharp'])]),
  };
}

const APP_FILES = [
  'out/main/index.js',
  'out/main/engine.js',
  'out/main/cli.js',
  'out/main/graph-worker.js',
  'out/main/decode-worker.js',
  'out/preload/index.cjs',
  'out/renderer/index.html',
  'package.json',
];
const ORT_LINUX_X64 = 'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/';
const NATIVE_LINUX_X64 = [`${ORT_LINUX_X64}onnxruntime_binding.node`, `${ORT_LINUX_X64}libonnxruntime.so.1`];
const OTHER_PLATFORMS =
  /onnxruntime-node\/bin\/napi-v6\/(win32|darwin|linux\/arm64)|@img\/sharp-(libvips-)?(win32|darwin|linuxmusl|linux-arm|wasm32)/;
const NOT_SHIPPED = /\.map$|\.d\.[cm]?ts$|\.tsx?$|(^|\/)(test|tests|__tests__)\/|\.(test|spec)\.[cm]?[jt]s$/;

/** Everything wrong with the package, in words; empty when it is fine. */
export function findProblems(facts: PackageFacts): string[] {
  const problems: string[] = [];
  const asar = new Set(facts.asarFiles);
  for (const file of APP_FILES) if (!asar.has(file)) problems.push(`app.asar lacks ${file}`);
  for (const file of NATIVE_LINUX_X64) {
    if (!facts.unpackedFiles.includes(file)) problems.push(`app.asar.unpacked lacks ${file}`);
    if (!facts.unpackedEntries.includes(file)) problems.push(`app.asar does not mark ${file} as unpacked`);
  }
  if (!facts.unpackedFiles.some((file) => /^node_modules\/@img\/sharp-linux-x64\/.*\.node$/.test(file)))
    problems.push('sharp-linux-x64 .node is not unpacked');
  if (!facts.unpackedFiles.some((file) => /^node_modules\/@img\/sharp-libvips-linux-x64\/lib\/libvips-cpp\.so/.test(file)))
    problems.push('libvips for linux-x64 is not unpacked');
  const foreign = [...facts.asarFiles, ...facts.unpackedFiles].filter((file) => OTHER_PLATFORMS.test(file));
  if (foreign.length > 0)
    problems.push(`other platforms' binaries are packaged: ${[...new Set(foreign)].slice(0, 5).join(', ')}`);
  const junk = facts.asarFiles.filter((file) => NOT_SHIPPED.test(file));
  if (junk.length > 0)
    problems.push(
      `source maps, type declarations, sources or tests are packaged: ${junk.slice(0, 5).join(', ')} (${junk.length} in all)`,
    );
  const leaked = facts.asarFiles.filter(
    (file) => /^(electron|renderer|shared|scripts|test|src)\//.test(file) || file.startsWith('resources/'),
  );
  if (leaked.length > 0) problems.push(`project sources are packaged: ${leaked.slice(0, 5).join(', ')}`);
  if (facts.samplesCatalog.length === 0) problems.push('resources/samples/samples.json lists no sample models');
  for (const file of facts.samplesCatalog)
    if (!facts.sampleFiles.includes(file)) problems.push(`sample ${file} is listed in samples.json but missing`);
  if (!facts.executable) problems.push('the app executable onnx-workbench is missing or not executable');
  if (!facts.cliLauncher) problems.push('resources/onnx-workbench-cli is missing or not executable');
  if (facts.buildPaths.length > 0) problems.push(`build-machine paths in ${facts.buildPaths.join(', ')}`);
  const { probe } = facts;
  problems.push(...probe.errors.map((error) => `in plain Node from the package: ${error}`));
  if (probe.ort && probe.ort.sum.join(',') !== '11,22')
    problems.push(`the packaged onnxruntime computed [${probe.ort.sum}] for [1,2]+[10,20]`);
  if (probe.sharp && (probe.sharp.width !== 4 || probe.sharp.height !== 3))
    problems.push(`the packaged sharp resized to ${probe.sharp.width}x${probe.sharp.height}, not 4x3`);
  const outside = [...Object.values(probe.resolved), ...probe.nativeLibraries].filter((path) => !path.startsWith('<app>/'));
  if (outside.length > 0) problems.push(`loaded from outside the package: ${outside.join(', ')}`);
  return problems;
}

async function main() {
  const { values } = parseArgs({
    options: { output: { type: 'string', default: join(root, 'dist') }, build: { type: 'boolean', default: false } },
  });
  const started = performance.now();
  await ensureBuilt(values.build);
  const built = performance.now();
  const appDir = await packageLinuxDir(values.output);
  const packaged = performance.now();
  const facts = await collectFacts(appDir);
  const problems = findProblems(facts);
  const seconds = (from: number, to: number) => ((to - from) / 1000).toFixed(1);
  process.stdout.write(
    `Packaged app: ${appDir}\n` +
      `  size ${(facts.sizeBytes / 1e6).toFixed(1)} MB (${facts.sizeBytes} bytes), ${facts.asarFiles.length} asar entries, ${facts.unpackedFiles.length} unpacked files\n` +
      `  onnxruntime [1,2]+[10,20] = [${facts.probe.ort?.sum ?? '-'}], sharp → ${facts.probe.sharp ? `${facts.probe.sharp.width}x${facts.probe.sharp.height}` : '-'}\n` +
      `  native libraries: ${facts.probe.nativeLibraries.join(', ')}\n` +
      `  time: build ${seconds(started, built)} s, electron-builder ${seconds(built, packaged)} s, checks ${seconds(packaged, performance.now())} s\n`,
  );
  if (problems.length > 0) {
    process.stderr.write(`\nThe package has ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
    process.exit(1);
  }
  process.stdout.write('Package check passed.\n');
}

if (process.argv[1] && import.meta.filename === process.argv[1]) await main();
