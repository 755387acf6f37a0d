// `onnx-workbench`: the command line over the same engine and services as the app.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readModelInfo } from '../common/onnx/reader';
import { defaultDataDir } from '../common/data-dir';
import { APP_VERSION, createServices, forkLauncher, layoutFromRoot, serverHost } from '../node/services';
import { installProcessGuards, startServer } from '../node/server';
import { UsageError, die } from './args';
import { batchCommand } from './commands/batch';
import { benchCommand } from './commands/bench';
import { checkCommand } from './commands/check';
import { evalCommand } from './commands/eval';
import { graphCommand } from './commands/graph';
import { pipelineCommand } from './commands/pipeline';
import { profileCommand } from './commands/profile';
import { providersCommand } from './commands/providers';
import { runCommand } from './commands/run';
import { formatModelInfo } from './format';

const HELP = `ONNX Workbench ${APP_VERSION}: inspect and run ONNX models on your machine.

Usage:
  onnx-workbench inspect MODEL [--json]     Inputs, outputs, opsets, metadata, operators
  onnx-workbench run MODEL [options]        One run; prints each output's dtype, dims and statistics
      --input [NAME=]FILE   image (through a recipe), .npy, .pb, .json tensor, or .wav audio;
                            without NAME: by the name inside a .pb, else by position (repeatable)
      --recipe FILE         a recipe file: exported from the app (inputs, task, options), { "inputs":
                            { NAME: recipe } }, or one PreprocessRecipe (default: guessed)
      --set NAME=VALUE      a constant for an input not given (e.g. --set sr=16000)
      --generate-missing    zeros for every other input not given
      --dim NAME=SIZE       size of a symbolic dim (default 1 for generated inputs)
      --sample-rate HZ      rate .wav audio is resampled to (default 16000)
      --provider P          auto (default), cpu, cuda, tensorrt, dml, coreml, webgpu; one asked
                            for by name that is not ready here is an error (exit 6)
      --fallback cpu        instead, run on the CPU and say why (run, bench, batch, pipeline, profile)
      --threads N           intra-op threads (0: onnxruntime decides)
      --optimization L      graph optimisation: disabled, basic, extended, all (default all)
      --profile             write onnxruntime's per-node profile (JSON for chrome://tracing)
      --save-optimized FILE write the graph as onnxruntime optimised it (.onnx, never overwrites)
      --out DIR             save each output as NAME.npy plus result.json (never overwrites)
      --task T              read the outputs as T: auto (suggested from the model), classification,
                            detection, segmentation, image-to-image, text-detection,
                            text-recognition, generic (default: the --recipe file's task);
                            prints the result in words, adds it to result.json and --json,
                            and --out also writes IMAGE.result.png|jpg (and IMAGE.mask.png)
      --labels FILE         class names: .txt one per line, .json list or {index: name}
      --charset FILE        text-recognition characters, one per line (ppocr_keys_v1.txt)
      --conf X  --iou Y     detection confidence and NMS IoU thresholds, 0..1
      --top K               classification: how many classes to list (default 5)
      --task speech-activity  a voice-activity model (Silero VAD) over one --input FILE.wav of any
                            length, chunk by chunk with its state carried over: prints
                            "speech 2.02 s – 6.24 s" lines and a summary; --json the segments,
                            duration and speech_share (seconds); --out DIR writes speech.json and
                            speech.csv (start,end); --sample-rate 16000 (default) or 8000
      --threshold X (0.5) --min-speech MS (250) --min-silence MS (100) --pad MS (30)
                            speech-activity: speech starts at X, ends after MS below X - 0.15
      --expect DIR          compare the outputs with reference tensors saved earlier (NAME.npy,
                            .pb or .json as *Save* and --out write them, or output_N.pb);
                            --atol A (1e-5) --rtol R (1e-3); exit 1 when one is out of tolerance
      --tile auto|N|off     an image larger than the model's input runs tile by tile at its own
                            size, blended over the overlaps (image-to-image, segmentation,
                            matting); auto: a fixed input's size, else chosen from free memory
      --tile-overlap N|auto pixels two tiles share (auto: an eighth of the tile, 4..64)
      --json                the RunResult as JSON on stdout
  onnx-workbench bench MODEL [options]      Latency min/p50/p90/p99/max/mean and runs/s
      --runs N (100) --warmup N (10) --provider P (repeatable: one row each) --threads N
      --optimization L
      --input, --recipe, --set, --dim as for run; inputs not given are generated
      (floats uniform 0..1, others zeros) --json: the BenchmarkResult(s)
  onnx-workbench profile MODEL [options]    onnxruntime's profile: time, provider, output shapes and
                                            MACs per node; totals per op type and provider; nodes
                                            that fell back to the CPU and copies between devices
      --runs N (10, after 1 warm-up) --provider P --optimization L --threads N --top N (15)
      --input, --recipe, --set, --dim as for run; inputs not given are generated
      --json: {total_ms, macs, nodes, ops, providers, …} with every node
  onnx-workbench check DIR... [--provider P] [--atol A] [--rtol R] [--json]
                                            ONNX test-data folders (model.onnx + test_data_set_*)
                                            against their expected outputs; exit 1 if any fails
  onnx-workbench pipeline FILE.json --input IMAGE [--out DIR] [--json] [--provider P] [--threads N]
                                            Models one after another on an image (OCR: text detection,
                                            then recognition of each region); prints the regions and
                                            their text; --out DIR: result.json and result.png with the
                                            regions drawn (never overwrites); a step with no task
                                            runs the task saved in its model's recipe (or suggested)
  onnx-workbench pipeline FILE.json --input FOLDER --out DIR [--write jsonl,csv,images] [--resume] [--json]
                                            The pipeline over every image in FOLDER, as a batch job:
                                            results.csv (file, text …), results.jsonl (regions, text)
                                            and with --write images the regions drawn under images/;
                                            progress, exit codes and --max-failures as for batch;
                                            --resume goes on with an earlier run into DIR
  onnx-workbench batch MODEL FOLDER --out DIR [options]
                                            Every image in FOLDER through the model; results in DIR
                                            (results.csv, results.jsonl, …); run it again to resume
      --recipe FILE         recipe file (inputs, task, options), as for run (default: guessed)
      --task T              as for run, plus none (raw output statistics); default: the recipe's
                            task, else the one suggested for the model (--labels, --conf, --top …)
      --recursive | --no-recursive   into subfolders (default: recursive)
      --include GLOB  --exclude GLOB paths relative to FOLDER, e.g. "2024/**/*.jpg" (repeatable)
      --write LIST          csv,jsonl,coco,images,masks,cutouts,tensors (default csv,jsonl)
      --coco-masks polygon|rle  instance masks in coco.json as polygons (default) or COCO RLE
      --provider P  --threads N  --batch-size N|auto  --max-pixels N (default 100000000)
      --tile auto|N|off  --tile-overlap N|auto   each image tile by tile, as for run
      --progress json|bar|lines|none JSON lines on stdout; default: a bar on a terminal, else a
                            line every 5 s and every tenth ("batch: 120/300 done, 2 failed, …")
      --retry-failed        run the files that failed before again
      --overwrite           replace outputs this job did not write (or another job's results)
      --allow-inside-input  let DIR be inside FOLDER (it is then left out)
      --job FILE            run a saved job (JSON) instead of MODEL FOLDER and the options
                            exit 0 when the job finished, even with failed files (counted in
                            the last line); 1 when it could not run or stopped; Ctrl+C, SIGTERM
                            and SIGHUP print the files done and left (exit 130, 143, 129)
      --input-list FILE     the inputs are the paths in FILE (one per line, relative to FOLDER
                            or absolute inside it) instead of FOLDER's listing
      --max-failures N|P%   stop with exit 7 when more than N files (or P% of them) failed
      --shard I/N|auto      run shard I (0…N-1) of N: the files whose path hash falls in its
                            share; auto: from JOB_COMPLETION_INDEX + OWB_SHARD_COUNT (Kubernetes),
                            SLURM_ARRAY_TASK_ID/_MIN/_COUNT (Slurm), AWS_BATCH_JOB_ARRAY_INDEX/_SIZE,
                            or OWB_SHARD_INDEX + OWB_SHARD_COUNT. Shards may share one --out DIR
  onnx-workbench batch merge DIR [--json]   The shards' results as one results.csv/.jsonl/coco.json
                            in DIR; exit 1 naming the shards missing or unfinished
  onnx-workbench eval MODEL DATASET [options]
                                            MODEL over a labelled dataset (through the batch engine:
                                            resumable), scored: top-1/top-5, mAP@0.5 and @0.5:0.95,
                                            mIoU, CER/WER; writes eval.json, per-file.jsonl, plots
      DATASET               a folder of class folders, or a file,label list (.csv/.tsv/.jsonl)
      --annotations FILE    detection: COCO JSON (else YOLO .txt labels beside the images or
                            under labels/)
      --masks DIR           segmentation: mask PNGs of the same names (else NAME_mask.png beside)
      --list FILE           the file,label (or file,text) list when DATASET is the images' folder
      --task T              classification, detection, segmentation, text-recognition
                            (default: from the dataset's form, else the model's suggestion)
      --against MODEL_B     A/B: the second model too, and the files where the two disagree
      --recipe FILE  --recipe-b FILE  --labels FILE  --charset FILE  --conf X  --iou Y
      --out DIR             (default: a folder per model, dataset and task in the data folder)
      --provider P  --fallback cpu  --threads N  --batch-size N  --ignore-label N  --json
  onnx-workbench graph MODEL --out FILE.svg|FILE.png [--expand overview|all|LEVEL]
                                            The model's graph, grouped by name scopes, subgraphs and
                                            functions, as the Graph tab lays it out; --expand: the
                                            first view (default), every group, or groups to a depth
  onnx-workbench providers [--refresh] [--json]
                                            GPUs, execution providers and what 'auto' picks
  onnx-workbench serve [--port N]           The app in your browser (127.0.0.1 only)
  onnx-workbench --help | --version

Exit codes: 0 success, 1 failure (check: a failing set), 2 wrong usage, 3 file not found,
            4 not an ONNX model, 5 corrupt model or missing external data, 6 provider not
            ready, 7 batch stopped by --max-failures; batch cancelled: 130 (Ctrl+C),
            143 (SIGTERM), 129 (SIGHUP).
Environment: OWB_DATA_DIR (app state folder), OWB_VERBOSE=1 (engine logs, onnxruntime's own),
            OWB_ENGINE_SOURCE=1 (dev/test aid: run the engine from source through tsx).
`;

async function inspect(args: string[]) {
  const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean' } }, allowPositionals: true });
  if (positionals.length !== 1) throw new UsageError('inspect takes exactly one model file');
  const info = await readModelInfo(resolve(positionals[0]));
  // JSON escapes C0 controls; C1 (U+0080–U+009F, CSI included) too, so no terminal acts on them.
  const json = () =>
    JSON.stringify(info, null, 2).replace(/[\u0080-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  process.stdout.write(values.json ? `${json()}\n` : formatModelInfo(info));
}

async function serve(args: string[], root: string, resourcesDir?: string) {
  const { values } = parseArgs({ args, options: { port: { type: 'string' } }, allowPositionals: false });
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be a port number, not "${values.port}"`);
  const layout = layoutFromRoot(root, resourcesDir);
  const verbose = process.env.OWB_VERBOSE === '1';
  const services = createServices({
    launch: forkLauncher({ entry: layout.engineEntry }),
    host: serverHost(),
    resourcesDir: layout.resourcesDir,
    dataDir: defaultDataDir(),
    log: (level, message) => {
      if (verbose || level === 'error' || level === 'warn') process.stderr.write(`[${level}] ${message}\n`);
    },
  });
  // A long-running server: one request's bug is logged, never the end of the process.
  installProcessGuards((message) => process.stderr.write(`[error] ${message}\n`));
  const server = await startServer({ backend: services.backend, rendererDir: layout.rendererDir, port });
  process.stdout.write(
    `ONNX Workbench is serving on 127.0.0.1 only. Open this URL in your browser:\n\n    ${server.url}\n\nPress Ctrl+C to stop.\n`,
  );
  const stop = async () => {
    await server.close();
    services.dispose();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  process.once('SIGHUP', () => void stop());
}

export async function main(argv: string[], root: string, resourcesDir?: string): Promise<void> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(HELP);
        return;
      case '-v':
      case '--version':
        process.stdout.write(`${APP_VERSION}\n`);
        return;
      case 'inspect':
        return await inspect(rest);
      case 'serve':
        return await serve(rest, root, resourcesDir);
      case 'run':
        return await runCommand(rest, { root, resourcesDir });
      case 'bench':
        return await benchCommand(rest, { root, resourcesDir });
      case 'profile':
        return await profileCommand(rest, { root, resourcesDir });
      case 'check':
        return await checkCommand(rest, { root, resourcesDir });
      case 'pipeline':
        return await pipelineCommand(rest, { root, resourcesDir });
      case 'batch':
        return await batchCommand(rest, { root, resourcesDir });
      case 'eval':
        return await evalCommand(rest, { root, resourcesDir });
      case 'graph':
        return await graphCommand(rest, { root, resourcesDir });
      case 'providers':
        return await providersCommand(rest, { root, resourcesDir });
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof TypeError && (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      die(new UsageError(error.message));
    }
    die(error);
  }
}
