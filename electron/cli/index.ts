// CLI entry, built as out/main/cli.js: the project root is two folders up.
import { dirname, join } from 'node:path';
import { main } from './main';

void main(process.argv.slice(2), join(dirname(import.meta.dirname), '..'));
