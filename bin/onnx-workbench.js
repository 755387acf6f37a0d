#!/usr/bin/env node
// The `onnx-workbench` command: runs the built CLI (npm install builds it through "prepare").
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'out', 'main', 'cli.js');
if (!existsSync(cli)) {
  process.stderr.write('onnx-workbench: the app is not built yet. Run: npm run build\n');
  process.exit(1);
}
await import(pathToFileURL(cli).href);
