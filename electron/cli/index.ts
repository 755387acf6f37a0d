// CLI entry, built as out/main/cli.js: the project root is two folders up (inside app.asar
// when packaged, where the samples live beside it in the resources folder). It forks the
// command's engine first, then loads the rest of the CLI (a chunk of its own) meanwhile.
import { dirname, join } from 'node:path';
import { dropEarlyEngine, startEarlyEngine } from './early-engine';

const root = join(dirname(import.meta.dirname), '..');
const resourcesPath = (process as { resourcesPath?: string }).resourcesPath;
const packaged = !!resourcesPath && root.endsWith('.asar');
const argv = process.argv.slice(2);

startEarlyEngine(argv, root);
const { main } = await import('./main');
await main(argv, root, packaged ? resourcesPath : undefined);
dropEarlyEngine();
