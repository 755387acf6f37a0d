// The packaged Linux app, laid out offline by electron-builder against a stand-in Electron:
// what a user installs must hold the app, load its native code from the package, and carry
// nothing for other platforms. Slow-ish (a build when out/ is missing, then ~10 s).
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PackageFacts, collectFacts, ensureBuilt, findProblems, packageLinuxDir } from '../../scripts/check-package';
import { FUSE_SENTINEL, createStandInElectron } from '../../scripts/stand-in-electron';

const root = join(import.meta.dirname, '..', '..');
let output = '';
let facts: PackageFacts;

beforeAll(async () => {
  await ensureBuilt();
  output = await mkdtemp(join(tmpdir(), 'owb-package-test-'));
  facts = await collectFacts(await packageLinuxDir(output));
}, 600_000);

afterAll(async () => {
  if (output) await rm(output, { recursive: true, force: true });
});

describe('the packaged Linux x64 app', () => {
  it('passes every check', () => {
    expect(findProblems(facts)).toEqual([]);
  });

  it('has its fuses flipped as electron-builder.yml says (RunAsNode kept on for the CLI; SECURITY.md)', async () => {
    const binary = await readFile(join(facts.appDir, 'onnx-workbench'));
    const at = binary.indexOf(FUSE_SENTINEL) + FUSE_SENTINEL.length;
    expect(at).toBeGreaterThan(FUSE_SENTINEL.length);
    // RunAsNode, cookie encryption, NODE_OPTIONS, --inspect, asar integrity, only app.asar, V8 snapshot, file: privileges.
    expect(binary.subarray(at + 2, at + 2 + 8).toString()).toBe('11001101');
  });

  it('holds the built app in app.asar', () => {
    for (const file of [
      'out/main/index.js',
      'out/main/engine.js',
      'out/main/cli.js',
      'out/preload/index.cjs',
      'out/renderer/index.html',
      'package.json',
    ]) {
      expect(facts.asarFiles).toContain(file);
    }
    expect(facts.asarFiles.filter((file) => file.startsWith('out/main/chunks/')).length).toBeGreaterThan(0);
  });

  it('runs a model with the packaged onnxruntime and resizes an image with the packaged sharp, in plain Node', () => {
    expect(facts.probe.errors).toEqual([]);
    expect(facts.probe.ort).toEqual({ inputs: ['a', 'b'], outputs: ['sum'], sum: [11, 22] });
    expect(facts.probe.sharp).toEqual({ width: 4, height: 3, channels: 3, firstPixel: [200, 10, 30] });
  });

  it('loads every package and native library from the package itself', () => {
    expect(facts.probe.resolved['onnxruntime-node']).toMatch(/^<app>\/node_modules\/onnxruntime-node\//);
    expect(facts.probe.resolved.sharp).toMatch(/^<app>\/node_modules\/sharp\//);
    for (const name of facts.bundleImports) expect(facts.probe.resolved[name], name).toMatch(/^<app>\/node_modules\//);
    expect(facts.probe.nativeLibraries).toEqual(
      expect.arrayContaining([
        '<app>/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node',
        '<app>/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1',
        expect.stringMatching(/^<app>\/node_modules\/@img\/sharp-libvips-linux-x64\/lib\/libvips-cpp\.so/),
      ]),
    );
  });

  it('keeps native code in app.asar.unpacked, and only linux-x64 binaries', () => {
    const ortFolders = new Set(
      facts.unpackedFiles.filter((f) => f.includes('/bin/napi-v6/')).map((f) => f.split('/').slice(4, 6).join('/')),
    );
    expect([...ortFolders]).toEqual(['linux/x64']);
    const imgPackages = new Set(
      facts.unpackedFiles.filter((f) => f.startsWith('node_modules/@img/')).map((f) => f.split('/')[2]),
    );
    expect([...imgPackages].sort()).toEqual(['colour', 'sharp-libvips-linux-x64', 'sharp-linux-x64']);
  });

  it('ships the sample models and the CLI launcher as resources', () => {
    expect(facts.samplesCatalog.length).toBeGreaterThan(0);
    expect(facts.sampleFiles).toEqual(expect.arrayContaining(['samples.json', ...facts.samplesCatalog]));
    expect(facts.cliLauncher).toBe(true);
    expect(facts.executable).toBe(true);
  });

  it('ships no source maps, sources, type declarations or tests, and no build-machine paths', () => {
    expect(facts.asarFiles.filter((f) => /\.map$|\.d\.[cm]?ts$|\.tsx?$|(^|\/)tests?\//.test(f))).toEqual([]);
    expect(facts.asarFiles.filter((f) => /^(electron|renderer|shared|scripts|test|resources)\//.test(f))).toEqual([]);
    expect(facts.buildPaths).toEqual([]);
  });
});

describe('the checks can fail', () => {
  const withChange = (change: (copy: PackageFacts) => void): string[] => {
    const copy = structuredClone(facts);
    change(copy);
    return findProblems(copy);
  };
  it.each([
    {
      name: 'a missing app file',
      change: (f: PackageFacts) => void (f.asarFiles = f.asarFiles.filter((x) => x !== 'out/main/engine.js')),
      want: /lacks out\/main\/engine\.js/,
    },
    {
      name: 'a packed (not unpacked) ORT binding',
      change: (f: PackageFacts) => void (f.unpackedEntries = []),
      want: /does not mark .*onnxruntime_binding\.node as unpacked/,
    },
    {
      name: 'Windows binaries',
      change: (f: PackageFacts) => f.unpackedFiles.push('node_modules/onnxruntime-node/bin/napi-v6/win32/x64/onnxruntime.dll'),
      want: /other platforms' binaries/,
    },
    {
      name: 'macOS sharp',
      change: (f: PackageFacts) => f.asarFiles.push('node_modules/@img/sharp-darwin-arm64/package.json'),
      want: /other platforms' binaries/,
    },
    { name: 'a source map', change: (f: PackageFacts) => f.asarFiles.push('out/main/index.js.map'), want: /source maps/ },
    { name: 'a missing sample', change: (f: PackageFacts) => void (f.sampleFiles = ['samples.json']), want: /missing/ },
    {
      name: 'a wrong sum',
      change: (f: PackageFacts) => void (f.probe.ort = { inputs: [], outputs: [], sum: [0, 0] }),
      want: /computed \[0,0\]/,
    },
    {
      name: 'a library from the repo',
      change: (f: PackageFacts) => f.probe.nativeLibraries.push('/work/node_modules/x.so'),
      want: /outside the package/,
    },
  ])('$name', ({ change, want }) => {
    expect(withChange(change).join('\n')).toMatch(want);
  });
});

describe('electron-builder.yml', () => {
  it("lists the same files for every platform, apart from that platform's binaries", async () => {
    const text = await readFile(join(root, 'electron-builder.yml'), 'utf8');
    const common = (platform: string) => {
      const section = text.slice(text.indexOf(`\n${platform}:\n`) + 1);
      const files = section.slice(section.indexOf('\n  files:\n'));
      return files.slice(0, files.indexOf("# This platform's binaries only"));
    };
    expect(common('linux')).toContain('- out/**');
    expect(common('win')).toBe(common('linux'));
    expect(common('mac')).toBe(common('linux'));
  });

  it("the afterPack hook refuses a package that carries other platforms' binaries", async () => {
    const electron = await createStandInElectron(root);
    const untrimmed = await mkdtemp(join(tmpdir(), 'owb-package-untrimmed-'));
    try {
      const args = [join(root, 'node_modules', 'electron-builder', 'cli.js'), '--linux', '--dir', '--x64'];
      args.push(
        `-c.electronDist=${electron.dir}`,
        `-c.electronVersion=${electron.version}`,
        `-c.directories.output=${untrimmed}`,
        '-c.linux.files=out/**',
      );
      const { code, text } = await new Promise<{ code: number | null; text: string }>((resolve) => {
        const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
        let text = '';
        child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
        child.on('close', (exit) => resolve({ code: exit, text }));
      });
      expect(code).not.toBe(0);
      expect(text).toMatch(/contains other platforms' binaries: .*napi-v6\/win32/);
    } finally {
      await rm(untrimmed, { recursive: true, force: true });
      await rm(electron.dir, { recursive: true, force: true });
    }
  }, 300_000);
});
