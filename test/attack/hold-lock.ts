// Helper process for test/attack/batch.test.ts: takes an output folder's lock and holds it until killed.
import { acquireFolderLock } from '../../electron/engine/batch/output-folder';

const stateDir = process.argv[2];
await acquireFolderLock(stateDir, stateDir);
process.stdout.write('held\n');
setInterval(() => {}, 60_000);
