// Every exit code the README and --help document, each produced by really running the CLI; and
// the README's table, the help text and this table list the same codes.
import { spawn, spawnSync } from 'node:child_process';
import { link, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '../fixtures/onnx-builder';
import { writeTestCase } from '../fixtures/tensor-files';
import { MODELS, ROOT } from '../helpers';
import { RECIPE, classifierModel, imageFolder } from './batch-fixtures';

const CLI = ['--import', 'tsx', join(ROOT, 'electron/cli/index.ts')];
let dir: string;
const env = () => ({ ...process.env, OWB_ENGINE_SOURCE: '1', OWB_DATA_DIR: join(dir, 'data') });

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [...CLI, ...args], { encoding: 'utf8', cwd: ROOT, env: env() });
  return { code: r.status, stderr: r.stderr };
}

/** A batch job over many files, signalled once some are done. */
async function cancelledBatch(signal: NodeJS.Signals, name: string) {
  const child = spawn(
    process.execPath,
    [
      ...CLI,
      'batch',
      join(dir, 'classifier.onnx'),
      join(dir, 'many'),
      '--out',
      join(dir, name),
      '--recipe',
      join(dir, 'recipe.json'),
    ],
    { cwd: ROOT, env: env() },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
    if (/^batch: [1-9]\d*\/\d+ done/m.test(stderr) && !child.killed) child.kill(signal);
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  return { code, stderr };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'owb-exit-'));
  await writeFile(join(dir, 'image.onnx'), Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'));
  const real = await readFile(MODELS.ocrCls);
  await writeFile(join(dir, 'truncated.onnx'), real.subarray(0, Math.floor(real.length / 2)));
  // Weights in weights.bin, which is not there.
  await writeFile(
    join(dir, 'external.onnx'),
    buildModel({
      inputs: [{ name: 'x', dtype: 'float32', shape: [4] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: [4] }],
      initializers: [
        {
          name: 'w',
          dtype: 'float32',
          dims: [4],
          data: [1, 2, 3, 4],
          external: { location: 'weights.bin', offset: 0, length: 16 },
        },
      ],
      nodes: [{ op: 'Add', inputs: ['x', 'w'], outputs: ['y'] }],
    }),
  );
  // A test case whose expected output is wrong.
  await writeTestCase(join(dir, 'test_wrong'), {
    model: {
      inputs: [{ name: 'x', dtype: 'float32', shape: [2] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: [2] }],
      nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }],
    },
    sets: [
      {
        inputs: [{ name: 'x', dtype: 'float32', dims: [2], data: [1, 2] }],
        outputs: [{ name: 'y', dtype: 'float32', dims: [2], data: [1, 3] }],
      },
    ],
  });
  await writeFile(join(dir, 'classifier.onnx'), classifierModel());
  await writeFile(join(dir, 'recipe.json'), JSON.stringify({ inputs: { x: RECIPE }, task: { kind: 'classification', topK: 1 } }));
  const photos = join(dir, 'photos');
  const [first] = await imageFolder(photos, 1);
  await mkdir(join(dir, 'bad'), { recursive: true });
  await writeFile(join(dir, 'bad', 'broken.jpg'), 'not a picture');
  await mkdir(join(dir, 'many'), { recursive: true });
  for (let k = 0; k < 3000; k++) await link(join(photos, first), join(dir, 'many', `p${String(k).padStart(4, '0')}.jpg`));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// A provider that cannot be ready on this platform.
const absent = process.platform === 'win32' ? 'coreml' : 'dml';

const CASES: { code: number; what: string; run: () => Promise<{ code: number | null; stderr: string }>; says: RegExp }[] = [
  { code: 0, what: 'success', run: async () => cli('inspect', MODELS.vadV5), says: /^$/ },
  {
    code: 1,
    what: 'a check with a failing set',
    run: async () => cli('check', join(dir, 'test_wrong')),
    says: /test_wrong\/test_data_set_0 failed/,
  },
  { code: 2, what: 'wrong usage', run: async () => cli('inspect'), says: /inspect takes exactly one model file/ },
  { code: 3, what: 'file not found', run: async () => cli('inspect', join(dir, 'nope.onnx')), says: /nope\.onnx/ },
  { code: 4, what: 'not an ONNX model', run: async () => cli('inspect', join(dir, 'image.onnx')), says: /image\.onnx/ },
  { code: 5, what: 'corrupt model', run: async () => cli('inspect', join(dir, 'truncated.onnx')), says: /truncated\.onnx/ },
  {
    code: 5,
    what: 'missing external data',
    run: async () => cli('run', join(dir, 'external.onnx'), '--generate-missing'),
    says: /external data file the model needs is missing.*weights\.bin/,
  },
  {
    code: 6,
    what: 'a provider asked for by name that is not ready',
    run: async () => cli('run', MODELS.vadV5, '--generate-missing', '--provider', absent),
    says: /is not ready here: .*; use --provider auto, or --fallback cpu to run on the CPU instead/,
  },
  {
    code: 7,
    what: 'batch stopped by --max-failures',
    run: async () =>
      cli(
        'batch',
        join(dir, 'classifier.onnx'),
        join(dir, 'bad'),
        '--out',
        join(dir, 'bad-out'),
        '--recipe',
        join(dir, 'recipe.json'),
        '--max-failures',
        '0',
      ),
    says: /failed/,
  },
  {
    code: 129,
    what: 'batch cancelled by SIGHUP',
    run: () => cancelledBatch('SIGHUP', 'hup'),
    says: /Cancelled \(SIGHUP\): \d+ of 3000 files done/,
  },
  {
    code: 130,
    what: 'batch cancelled by Ctrl+C',
    run: () => cancelledBatch('SIGINT', 'int'),
    says: /Cancelled \(SIGINT\): \d+ of 3000 files done/,
  },
  {
    code: 143,
    what: 'batch cancelled by SIGTERM',
    run: () => cancelledBatch('SIGTERM', 'term'),
    says: /Cancelled \(SIGTERM\): \d+ of 3000 files done/,
  },
];

describe('exit codes', () => {
  it.each(CASES)('$code: $what', async ({ code, run, says }) => {
    const r = await run();
    expect(r.stderr).toMatch(says);
    expect(r.code).toBe(code);
  });

  it('the README, --help and this test list the same codes', async () => {
    const tested = [...new Set(CASES.map((c) => c.code))].sort((a, b) => a - b);
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Exit codes'), readme.indexOf('\n#', readme.indexOf('### Exit codes') + 5));
    const documented = [...section.matchAll(/^\| ([\d, ]+) \|/gm)].flatMap((m) => m[1].split(',').map(Number));
    expect(documented.sort((a, b) => a - b)).toEqual(tested);
    const help = spawnSync(process.execPath, [...CLI, '--help'], { encoding: 'utf8', cwd: ROOT }).stdout;
    const helpPart = help.slice(help.indexOf('Exit codes:'), help.indexOf('Environment:'));
    const inHelp = [...helpPart.matchAll(/\b(\d+)\b/g)].map((m) => Number(m[1]));
    expect([...new Set(inHelp)].sort((a, b) => a - b)).toEqual(tested);
  });
});
