// `onnx-workbench`: the command line over the same engine and services as the app.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { toErrorInfo } from '../../shared/result';
import { readModelInfo } from '../engine/onnx/reader';
import { defaultDataDir } from '../node/data-dir';
import { APP_VERSION, createServices, forkLauncher, layoutFromRoot, serverHost } from '../node/services';
import { startServer } from '../node/server';
import { formatModelInfo } from './format';

const HELP = `ONNX Workbench ${APP_VERSION}: inspect and run ONNX models on your machine.

Usage:
  onnx-workbench inspect MODEL [--json]     Inputs, outputs, opsets, metadata, operators
  onnx-workbench serve [--port N]           The app in your browser (127.0.0.1 only)
  onnx-workbench --help | --version

Exit codes: 0 success, 1 failure, 2 wrong usage, 3 file not found,
            4 not an ONNX model, 5 corrupt model.
`;

const EXIT: Record<string, number> = { INVALID_INPUT: 2, NOT_FOUND: 3, NOT_ONNX: 4, CORRUPT_MODEL: 5, EXTERNAL_DATA: 5 };

class UsageError extends Error {}

function die(error: unknown): never {
  if (error instanceof UsageError) {
    process.stderr.write(`onnx-workbench: ${error.message}\nTry: onnx-workbench --help\n`);
    process.exit(2);
  }
  const info = toErrorInfo(error);
  process.stderr.write(`onnx-workbench: ${info.message.replace(/\s*\n\s*/g, ' ')}\n`);
  process.exit(EXIT[info.code] ?? 1);
}

async function inspect(args: string[]) {
  const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean' } }, allowPositionals: true });
  if (positionals.length !== 1) throw new UsageError('inspect takes exactly one model file');
  const info = await readModelInfo(resolve(positionals[0]));
  process.stdout.write(values.json ? `${JSON.stringify(info, null, 2)}\n` : formatModelInfo(info));
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
