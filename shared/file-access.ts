// Which channels read and which write files named by the renderer, declared once. The main
// side checks every write against the user's choices (electron/node/path-grants.ts); reads
// are of regular files only (no FIFOs, devices or sockets), checked where the file is opened.
import type { ChannelName, ParsedInput } from './contract';
import type { JobKind, JobTypes } from './jobs';

/** A file a channel writes: where, with which extensions, and whether the caller asks to replace it. */
export interface WriteTarget {
  path: string;
  extensions: readonly string[];
  overwrite: boolean;
}

type WritesOf = { [C in ChannelName]?: (input: ParsedInput<C>) => WriteTarget[] };

const EXPORT_EXTENSIONS = {
  image: ['.png', '.jpg', '.jpeg'],
  json: ['.json'],
  mask: ['.png'],
  cutout: ['.png'],
} as const;

/** A file in a folder named by the renderer, joined with the folder's own separator. */
const inFolder = (folder: string, name: string) => {
  const sep = folder.includes('\\') && !folder.includes('/') ? '\\' : '/';
  return `${folder.replace(/[\\/]+$/, '')}${sep}${name}`;
};

/** Every channel that writes a file the renderer names (all others write only the app's own data). */
export const FILE_WRITES = {
  'graph.export': ({ to }) => [{ path: to, extensions: ['.svg', '.png'], overwrite: false }],
  // Merged results of a sharded job, at the top of its output folder (rebuilt on each merge).
  'batch.merge': ({ folder }) =>
    (['results.csv', 'results.jsonl', 'coco.json'] as const).map((name) => ({
      path: inFolder(folder, name),
      extensions: ['.csv', '.jsonl', '.json'],
      overwrite: false,
    })),
  'model.exportInitializer': ({ to }) => [{ path: to, extensions: ['.npy'], overwrite: false }],
  'run.saveOutput': ({ to }) => [{ path: to, extensions: ['.npy', '.pb', '.json'], overwrite: false }],
  'run.exportResult': ({ to, what }) => [{ path: to, extensions: EXPORT_EXTENSIONS[what], overwrite: false }],
  'model.run': ({ options }) =>
    options.saveOptimizedModel ? [{ path: options.saveOptimizedModel, extensions: ['.onnx'], overwrite: false }] : [],
  'model.bench': ({ options }) =>
    options.saveOptimizedModel ? [{ path: options.saveOptimizedModel, extensions: ['.onnx'], overwrite: false }] : [],
  // A profile without graph optimisation passes its session options on as they are.
  'run.profile': ({ options }) =>
    options.saveOptimizedModel ? [{ path: options.saveOptimizedModel, extensions: ['.onnx'], overwrite: false }] : [],
  // A job writes what the one-off call of its kind writes (JOB_CHECKED_AS).
  'jobs.start': ({ job }) => {
    const as = jobCheckedAs(job as JobStart);
    return writeTargets(as.channel, as.input);
  },
  'pipeline.run': ({ annotatedImage }) =>
    annotatedImage ? [{ path: annotatedImage, extensions: EXPORT_EXTENSIONS.image, overwrite: false }] : [],
  'recipe.export': ({ to }) => [{ path: to, extensions: ['.json'], overwrite: false }],
  'audio.exportSpeech': ({ to }) => [{ path: to, extensions: ['.json', '.csv'], overwrite: false }],
  'batch.saveJob': ({ to, overwrite }) => [{ path: to, extensions: ['.json'], overwrite: overwrite ?? false }],
} satisfies WritesOf;

/**
 * Channels that read files the renderer names (documentation, and the attack tests' list):
 * the field holding the path, and what the file must be.
 */
export const FILE_READS: { [C in ChannelName]?: string } = {
  'model.inspect': 'path: a model file',
  'model.nodes': 'path: a model file',
  'model.initializers': 'path: a model file',
  'model.initializerStats': 'path: a model file (and its external data, inside its folder)',
  'model.exportInitializer': 'path: a model file (and its external data, inside its folder)',
  'model.checkRuntime': 'path: a model file',
  'model.run': 'path: a model file; inputs: image or tensor files',
  'model.bench': 'path: a model file; inputs: image or tensor files',
  'tensor.read': 'source.path: a tensor file (.npy, .pb, .json, .wav)',
  'image.preview': 'path: an image file',
  'image.thumbnail': 'path: an image file',
  'image.guessRecipe': 'modelPath: a model file',
  'task.suggest': 'path: a model file',
  'pipeline.run': 'models and image: model and image files',
  'check.run': 'dirs: folders of test_data_set_*/input_N.pb',
  'batch.count': 'job.inputFolder: a folder of images (never written)',
  'batch.start': 'job.inputFolder: a folder of images (never written); job.output.folder: written inside',
  'batch.loadJob': 'path: a job JSON file',
  'batch.merge': 'folder: the shards of a batch job (their journals)',
  'eval.run':
    "dataset.root, list, annotations, masks: the labelled images and their truth; out and the jobs' output folders: written inside",
  'model.graph': 'path: a model file',
  'recipe.import': 'from: a recipe JSON file',
  'files.list': 'path: a folder (listed: names, sizes, dates)',
  'library.addFolder': 'path: a folder scanned for models',
  'audio.speech': 'model and audio: a model file and a .wav file',
  'jobs.start':
    "job.request: as the one-off call of its kind reads (JOB_CHECKED_AS); a pipeline job's model is its pipeline file, and the models that file names",
};

type JobStart = { [K in JobKind]: { kind: K; request: JobTypes[K]['request'] } }[JobKind];

/**
 * What a job of each kind is checked as: the one-off channel whose request it takes, and that
 * channel's input. Its reads and writes are that channel's (a batch job's output folder is granted
 * as batch.start grants it), so that starting a job is never a side door around a channel's checks.
 */
export const JOB_CHECKED_AS: { [K in JobKind]: { channel: ChannelName; input(request: JobTypes[K]['request']): unknown } } = {
  batch: { channel: 'batch.start', input: (job) => ({ job }) },
  eval: { channel: 'eval.run', input: (r) => r },
  benchmark: { channel: 'model.bench', input: (r) => r },
  profile: { channel: 'run.profile', input: (r) => r },
};

export function jobCheckedAs(job: JobStart): { channel: ChannelName; input: unknown } {
  const rule = JOB_CHECKED_AS[job.kind] as { channel: ChannelName; input(request: unknown): unknown };
  return { channel: rule.channel, input: rule.input(job.request) };
}

/** The files a request would write, or none. */
export function writeTargets(channel: ChannelName, input: unknown): WriteTarget[] {
  const of = (FILE_WRITES as WritesOf)[channel] as ((input: unknown) => WriteTarget[]) | undefined;
  return of ? of(input) : [];
}
