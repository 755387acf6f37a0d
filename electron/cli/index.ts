// CLI entry, built as out/main/cli.js: the project root is two folders up (inside app.asar
// when packaged, where the samples live beside it in the resources folder).
import { dirname, join } from 'node:path';
import { main } from './main';

const root = join(dirname(import.meta.dirname), '..');
const resourcesPath = (process as { resourcesPath?: string }).resourcesPath;
const packaged = !!resourcesPath && root.endsWith('.asar');

void main(process.argv.slice(2), root, packaged ? resourcesPath : undefined);
