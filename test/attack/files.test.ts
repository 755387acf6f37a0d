// Hostile paths, files and models: every channel that writes a renderer-named file refuses
// escapes, unchosen folders, wrong extensions, links and files it did not write; FIFOs, devices
// and sockets are refused as models, images, tensors, job and recipe files (never a hang);
// external data stays inside the model's folder; absurd declared sizes name their tensor.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatModelInfo } from '../../electron/cli/format';
import { readInitializerData, readModelInfo } from '../../electron/common/onnx/reader';
import { PathGrants, isPlainAbsolute } from '../../electron/node/path-grants';
import { createServices, serverHost } from '../../electron/node/services';
import type { ChannelName } from '../../shared/contract';
import { FILE_READS, FILE_WRITES, JOB_CHECKED_AS } from '../../shared/file-access';
import { JOB_KINDS } from '../../shared/jobs';
import { printable } from '../../shared/format';
import { buildModel, type ModelSpec } from '../fixtures/onnx-builder';
import { MODELS, ROOT, sourceEngineLauncher, tmpDataDir } from '../helpers';
import { RECIPE, classifierJob, classifierModel, imageFolder } from '../node/batch-fixtures';

let dir: string;
let chosen: string;
let elsewhere: string;
let model: string;
const counts = { escapes: 0, refused: 0, specialFiles: 0 };

// A renderer's services: nothing chosen yet (no test shortcut granting the temp folder).
const services = createServices({
  launch: sourceEngineLauncher(),
  host: serverHost(),
  resourcesDir: join(ROOT, 'resources'),
  dataDir: tmpDataDir(),
});
const dispatch = (channel: string, input: unknown) => services.backend.dispatch(channel, input);

const simple = (extra: Partial<ModelSpec> = {}): ModelSpec => ({
  inputs: [{ name: 'x', dtype: 'float32', shape: [1, 4] }],
  outputs: [{ name: 'y', dtype: 'float32', shape: [1, 4] }],
  nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
  ...extra,
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'owb-attack-files-'));
  chosen = join(dir, 'chosen');
  elsewhere = join(dir, 'elsewhere');
  await mkdir(chosen);
  await mkdir(elsewhere);
  model = join(dir, 'classifier.onnx');
  await writeFile(model, classifierModel());
});
afterAll(() => {
  services.dispose();
  console.log(
    `[attack/files] path escapes tried ${counts.escapes}, refused ${counts.refused}; special files refused ${counts.specialFiles}`,
  );
});

/** A valid request of each writing channel, writing `to`. */
function writeRequest(channel: keyof typeof FILE_WRITES, to: string, overwrite = false): unknown {
  const job = classifierJob(model, join(dir, 'in'), join(dir, 'out'));
  const requests: Record<keyof typeof FILE_WRITES, unknown> = {
    'model.exportInitializer': { path: model, name: 'w', to },
    'run.saveOutput': { runId: 'run-1', name: 'y', to },
    'run.exportResult': { runId: 'run-1', task: { kind: 'classification' }, what: 'json', to },
    'recipe.export': { path: model, to },
    'batch.saveJob': { job, to, overwrite },
    'model.run': { path: model, inputs: {}, options: { saveOptimizedModel: to } },
    'model.bench': { path: model, inputs: {}, options: { saveOptimizedModel: to } },
    'graph.export': { path: model, to, expand: 'overview' },
    'batch.merge': { folder: to },
    'audio.exportSpeech': { to, duration: 1, segments: [] },
    'pipeline.run': {
      file: join(ROOT, 'resources', 'pipelines', 'paddleocr.json'),
      input: join(dir, 'x.png'),
      annotatedImage: to,
    },
    'run.profile': { path: model, inputs: {}, options: { graphOptimization: 'disabled', saveOptimizedModel: to } },
    // A job is checked as the one-off call of its kind: a benchmark job as model.bench.
    'jobs.start': {
      job: { kind: 'benchmark', request: { path: model, inputs: {}, providers: ['cpu'], options: { saveOptimizedModel: to } } },
    },
  };
  return requests[channel];
}
const EXT: Record<keyof typeof FILE_WRITES, string> = {
  'model.exportInitializer': '.npy',
  'run.saveOutput': '.npy',
  'run.exportResult': '.json',
  'recipe.export': '.json',
  'batch.saveJob': '.json',
  'model.run': '.onnx',
  'model.bench': '.onnx',
  'pipeline.run': '.png',
  'run.profile': '.onnx',
  'jobs.start': '.onnx',
  'graph.export': '.svg',
  'batch.merge': '.csv',
  'audio.exportSpeech': '.csv',
};
// batch.merge names a folder, not a file: its own case below.
const WRITING = (Object.keys(FILE_WRITES) as (keyof typeof FILE_WRITES)[]).filter((c) => c !== 'batch.merge');

describe('writes named by a renderer', () => {
  it.each(WRITING)('%s refuses escapes, unchosen folders, wrong extensions, links and foreign files', async (channel) => {
    const ext = EXT[channel];
    await writeFile(join(elsewhere, `victim${ext}`), 'not ours');
    await symlink(join(elsewhere, `victim${ext}`), join(chosen, `${channel}-link${ext}`));
    await writeFile(join(chosen, `${channel}-foreign${ext}`), 'not ours either');
    const attempts: [string, string, string][] = [
      [`/../../../../etc/x${ext}`, 'INVALID_INPUT', 'plain absolute path'],
      [`${chosen}/../elsewhere/x${ext}`, 'INVALID_INPUT', 'plain absolute path'],
      [`${chosen}//x${ext}`, 'INVALID_INPUT', 'plain absolute path'],
      [`/etc/passwd${ext}`, 'PERMISSION_DENIED', 'only where you chose'],
      [join(elsewhere, `new${ext}`), 'PERMISSION_DENIED', 'only where you chose'],
      [join(tmpdir(), `owb-new${ext}`), 'PERMISSION_DENIED', 'only where you chose'],
      [join(chosen, 'x.sh'), 'INVALID_INPUT', 'must end'],
      [join(chosen, `${channel}-link${ext}`), 'PERMISSION_DENIED', 'is a link'],
    ];
    // The user looks at `chosen` in the file browser: new files may be written there.
    expect((await dispatch('files.list', { path: chosen })).ok).toBe(true);
    for (const [to, code, words] of attempts) {
      counts.escapes++;
      const result = await dispatch(channel, writeRequest(channel, to, true));
      expect(result, `${channel} → ${to}`).toMatchObject({ ok: false, error: { code } });
      expect(!result.ok && result.error.message).toContain(words);
      counts.refused++;
    }
    if (channel === 'batch.saveJob') {
      counts.escapes++;
      const foreign = await dispatch(channel, writeRequest(channel, join(chosen, `${channel}-foreign${ext}`), true));
      expect(foreign).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED' } });
      expect(!foreign.ok && foreign.error.message).toContain('not written by ONNX Workbench');
      counts.refused++;
    }
    expect(await readFile(join(elsewhere, `victim${ext}`), 'utf8')).toBe('not ours');
    expect(await readFile(join(chosen, `${channel}-foreign${ext}`), 'utf8')).toBe('not ours either');
  });

  it('batch.merge writes only into a folder the user chose, through a plain path', async () => {
    expect(await dispatch('batch.merge', { folder: '/etc' })).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED' } });
    expect(await dispatch('batch.merge', { folder: '/tmp/../etc' })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_INPUT' },
    });
    expect(await dispatch('batch.merge', { folder: elsewhere })).toMatchObject({
      ok: false,
      error: { code: 'PERMISSION_DENIED' },
    });
  });

  it('the reproducer: batch.saveJob over a system file with overwrite fails and changes nothing', async () => {
    const before = await readFile('/etc/passwd', 'utf8');
    const result = await dispatch('batch.saveJob', writeRequest('batch.saveJob', '/../../../../etc/passwd', true));
    expect(result).toMatchObject({ ok: false });
    const direct = await dispatch('batch.saveJob', writeRequest('batch.saveJob', '/etc/passwd', true));
    expect(direct).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(await readFile('/etc/passwd', 'utf8')).toBe(before);
  });

  it('writes a new file where the user chose, and replaces only a file it wrote itself', async () => {
    const to = join(chosen, 'job.json');
    expect(await dispatch('batch.saveJob', writeRequest('batch.saveJob', to))).toMatchObject({ ok: true });
    expect(await dispatch('batch.saveJob', writeRequest('batch.saveJob', to, true))).toMatchObject({ ok: true });
    // The weight export of a real model (through the engine), into the chosen folder.
    const initializer = join(chosen, 'w.npy');
    const exported = await dispatch('model.exportInitializer', { path: model, name: 'w', to: initializer });
    expect(exported).toMatchObject({ ok: true, value: { path: initializer } });
    expect((await readFile(initializer)).subarray(1, 6).toString()).toBe('NUMPY');
  });

  it('opens in the file manager only folders the app wrote, never a file', async () => {
    const opened: string[] = [];
    const grants = new PathGrants();
    const folder = await mkdtemp(join(dir, 'out-'));
    await grants.grantBatchOutput(folder);
    expect(await grants.wroteInto(folder)).toBe(true);
    expect(await grants.wroteInto('/etc')).toBe(false);
    expect(await grants.wroteInto(model)).toBe(false);
    // Browser mode has no file manager: the channel says so rather than opening anything.
    const answer = await dispatch('app.showFolder', { path: '/etc' });
    expect(answer).toMatchObject({ ok: false });
    expect(opened).toEqual([]);
  });

  it('knows plain absolute paths (POSIX and Windows)', () => {
    expect(isPlainAbsolute('/a/b.json')).toBe(true);
    expect(isPlainAbsolute('C:\\Users\\me\\b.json')).toBe(true);
    expect(isPlainAbsolute('\\\\server\\share\\b.json')).toBe(true);
    for (const p of ['/a/../b', '/a/./b', 'C:\\a\\..\\b', '/a//b', 'C:\\a\\\\b', '/a/b/'])
      expect(isPlainAbsolute(p), p).toBe(false);
  });
});

describe('special files as models, images, tensors, jobs and recipes', () => {
  const specials = {
    'a FIFO': { words: /FIFO/ },
    'a device': { words: /device/ },
    'a socket': { words: /socket/ },
  };
  const servers: Server[] = [];
  /** The special file of a kind, with the extension a channel wants. */
  const special = (kind: keyof typeof specials, ext: string) => join(dir, 'specials', `${kind.replace(/ /g, '-')}${ext}`);
  beforeAll(async () => {
    await mkdir(join(dir, 'specials'));
    for (const ext of ['.onnx', '.npy', '.json', '.png']) {
      execFileSync('mkfifo', [special('a FIFO', ext)]);
      await symlink('/dev/zero', special('a device', ext));
      const server = createServer();
      await new Promise<void>((r) => server.listen(special('a socket', ext), () => r()));
      servers.push(server);
    }
  });
  afterAll(() => servers.forEach((s) => s.close()));
  const requests = (kind: keyof typeof specials): [ChannelName, unknown][] => [
    ['model.inspect', { path: special(kind, '.onnx') }],
    ['model.initializers', { path: special(kind, '.onnx') }],
    ['model.checkRuntime', { path: special(kind, '.onnx') }],
    ['task.suggest', { path: special(kind, '.onnx') }],
    ['model.run', { path: special(kind, '.onnx'), inputs: {} }],
    ['image.preview', { path: special(kind, '.png'), recipe: RECIPE }],
    ['model.run', { path: model, inputs: { x: { kind: 'image', paths: [special(kind, '.png')], recipe: RECIPE } } }],
    ['tensor.read', { source: { kind: 'file', path: special(kind, '.npy') } }],
    ['batch.loadJob', { path: special(kind, '.json') }],
    ['recipe.import', { path: model, from: special(kind, '.json') }],
  ];
  it.each(Object.keys(specials) as (keyof typeof specials)[])('%s is refused everywhere, at once', async (kind) => {
    for (const [channel, input] of requests(kind)) {
      const result = await dispatch(channel, input);
      // The runtime check answers with its own verdict: "does not load, because …".
      const problem = result.ok ? (result.value as { ok: boolean; problem?: { detail: string } }) : null;
      if (problem) expect(problem.ok, channel).toBe(false);
      const message = problem ? problem.problem?.detail : !result.ok && result.error.message;
      expect(message, channel).toMatch(specials[kind].words);
      counts.specialFiles++;
    }
  });
});
describe('external data', () => {
  let folder: string;
  let outside: string;
  const ext = (name: string, location: string, dims = [4]) => ({
    name,
    dtype: 'float32' as const,
    dims,
    external: { location, offset: 0, length: dims.reduce((a, b) => a * b, 1) * 4 },
  });
  beforeAll(async () => {
    folder = join(dir, 'model-folder');
    await mkdir(join(folder, 'sub'), { recursive: true });
    outside = join(dir, 'secret.bin');
    await writeFile(outside, new Uint8Array(Float32Array.of(1, 2, 3, 4).buffer));
    await writeFile(join(folder, 'sub', 'ok.bin'), new Uint8Array(Float32Array.of(5, 6, 7, 8).buffer));
    await symlink(outside, join(folder, 'link.bin'));
    await symlink(join(folder, 'sub', 'ok.bin'), join(folder, 'inside-link.bin'));
    execFileSync('mkfifo', [join(folder, 'fifo.bin')]);
    await writeFile(
      join(folder, 'm.onnx'),
      buildModel(
        simple({
          initializers: [
            ext('ok', 'sub/ok.bin'),
            ext('insideLink', 'inside-link.bin'),
            ext('up', '../secret.bin'),
            ext('absolute', outside),
            ext('passwd', '/etc/passwd'),
            ext('link', 'link.bin'),
            ext('zero', '/dev/zero'),
            ext('fifo', 'fifo.bin'),
            ext('upWin', '..\\secret.bin'),
          ],
        }),
      ),
    );
  });

  it('reads a file inside the model folder, even through a link that stays inside', async () => {
    const m = join(folder, 'm.onnx');
    expect(Array.from((await readInitializerData(m, 'ok')).data as Float32Array)).toEqual([5, 6, 7, 8]);
    expect(Array.from((await readInitializerData(m, 'insideLink')).data as Float32Array)).toEqual([5, 6, 7, 8]);
  });

  it.each(['up', 'absolute', 'passwd', 'link', 'zero', 'fifo', 'upWin'])('"%s" returns no byte of it', async (name) => {
    counts.escapes++;
    const error = await readInitializerData(join(folder, 'm.onnx'), name).then(
      () => null,
      (e: { code: string; message: string }) => e,
    );
    expect(error?.code).toBe('EXTERNAL_DATA');
    expect(error?.message).toContain(`"${name}"`);
    counts.refused++;
  });

  it('inspect says nothing about files outside the folder (not even whether they exist)', async () => {
    const info = await readModelInfo(join(folder, 'm.onnx'));
    const size = (location: string) => info.file.externalData.find((e) => e.location === location)?.size;
    expect(size('sub/ok.bin')).toBe(16);
    for (const location of ['../secret.bin', outside, '/etc/passwd', 'link.bin', '/dev/zero', 'fifo.bin']) {
      expect(size(location), location).toBeNull();
    }
  });

  it('through the engine: weight statistics of an escaping tensor fail, of a good one work', async () => {
    const bad = await dispatch('model.initializerStats', { path: join(folder, 'm.onnx'), name: 'passwd' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'EXTERNAL_DATA' } });
    const good = await dispatch('model.initializerStats', { path: join(folder, 'm.onnx'), name: 'ok' });
    expect(good).toMatchObject({ ok: true, value: { min: 5, max: 8 } });
  });
});

describe('declared sizes and printed text', () => {
  it('a tensor declaring 2^40 × 2^40 elements is an error naming it', async () => {
    const path = join(dir, 'huge.onnx');
    await writeFile(
      path,
      buildModel(
        simple({ initializers: [{ name: 'enormous', dtype: 'float32', dims: [2 ** 40, 2 ** 40], raw: new Uint8Array(4) }] }),
      ),
    );
    await expect(readModelInfo(path)).rejects.toMatchObject({
      code: 'CORRUPT_MODEL',
      message: expect.stringContaining('"enormous"'),
    });
    const big = join(dir, 'big.onnx');
    await writeFile(
      big,
      buildModel(simple({ initializers: [{ name: 'tooBig', dtype: 'float32', dims: [1000, 1000], raw: new Uint8Array(16) }] })),
    );
    await expect(readModelInfo(big)).rejects.toMatchObject({ message: expect.stringContaining('"tooBig"') });
  });

  it('prints metadata and names with control characters escaped', async () => {
    const path = join(dir, 'escapes.onnx');
    await writeFile(
      path,
      buildModel({
        ...simple(),
        producer: 'evil\u001b]0;pwned\u0007',
        metadata: { 'k\u001b[2J': 'v\u001b[31mred\u009b1m', note: 'line1\nline2' },
      }),
    );
    const text = formatModelInfo(await readModelInfo(path));
    for (const control of ['\u001b', '\u0007', '\u009b']) expect(text.includes(control)).toBe(false);
    expect(text).toContain('evil\\x1b]0;pwned\\x07');
    expect(text).toContain('line1\\nline2');
    expect(printable('a\u0000b\u007fc')).toBe('a\\x00b\\x7fc');
  });
});

describe('batch folders', () => {
  it('a FIFO in the input folder is not an image to process, and never hangs the job', async () => {
    const input = join(dir, 'fifo-input');
    await imageFolder(input, 2);
    execFileSync('mkfifo', [join(input, 'stuck.jpg')]);
    const count = await dispatch('batch.count', { job: classifierJob(model, input, join(dir, 'fifo-out')) });
    expect(count).toMatchObject({ ok: true, value: { files: 2 } });
  });
});

describe('jobs started by a page', () => {
  /** Starts a job through jobs.start and follows it to its end: its outcome. */
  async function startAndWatch(job: unknown) {
    const started = await dispatch('jobs.start', { job });
    if (!started.ok) return started;
    return services.backend.dispatch('jobs.watch', { jobId: (started.value as { jobId: string }).jobId });
  }
  const pipelineJob = (pipelineFile: string, input: string, output: string) => ({
    kind: 'batch',
    request: {
      model: pipelineFile,
      pipeline: {},
      input: { folder: input },
      output: { folder: output, write: ['csv', 'images'] },
    },
  });

  it('a pipeline job never reads a special file as its pipeline, and never hangs on one', async () => {
    const input = join(dir, 'pipeline-in');
    await imageFolder(input, 1);
    const fifo = join(dir, 'pipeline.json');
    execFileSync('mkfifo', [fifo]);
    counts.escapes++;
    const result = await startAndWatch(pipelineJob(fifo, input, join(dir, 'pipeline-out')));
    expect(result).toMatchObject({ ok: false });
    expect(!result.ok && result.error.message).toMatch(/FIFO/);
    counts.refused++;
  });

  it('a pipeline job writes nothing into its input folder, nor over files it did not write', async () => {
    const input = join(dir, 'pipeline-in2');
    const files = await imageFolder(input, 1);
    const pipelineFile = join(dir, 'ocr.json');
    // The tasks are the models' suggested ones (the charset beside the recognition model).
    const det = { id: 'det', model: MODELS.ocrDet };
    const rec = { id: 'rec', model: MODELS.ocrRec, from: { kind: 'regions', step: 'det' } };
    await writeFile(pipelineFile, JSON.stringify({ format: 'onnx-workbench/pipeline', version: 1, steps: [det, rec] }));
    counts.escapes++;
    const inside = await startAndWatch(pipelineJob(pipelineFile, input, join(input, 'out')));
    expect(inside).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(!inside.ok && inside.error.message).toMatch(/inside/);
    counts.refused++;
    // An output folder holding a results.csv the app did not write: kept as it is.
    const output = join(dir, 'pipeline-out2');
    await mkdir(output);
    await writeFile(join(output, 'results.csv'), 'not ours');
    counts.escapes++;
    const foreign = await startAndWatch(pipelineJob(pipelineFile, input, output));
    expect(foreign).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(!foreign.ok && foreign.error.message).toMatch(/already holds results\.csv, not written by a batch job/);
    expect(await readFile(join(output, 'results.csv'), 'utf8')).toBe('not ours');
    counts.refused++;
    expect((await readdir(input)).sort()).toEqual([...files].sort());
  });

  it('jobs.start of each kind is checked as the one-off call of that kind', () => {
    // Every kind has a rule; a new kind without one is a compile error (JOB_CHECKED_AS).
    expect(Object.keys(JOB_CHECKED_AS).sort()).toEqual([...JOB_KINDS].sort());
    expect(FILE_READS['jobs.start']).toMatch(/pipeline file/);
  });
});
