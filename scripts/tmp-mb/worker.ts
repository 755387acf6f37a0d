import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DecodeWorker } from '../../electron/engine/image/decode-pool';
const folder = process.argv[2];
const files = readdirSync(folder).sort().map((f) => join(folder, f));
const recipe = JSON.parse(readFileSync('/tmp/bench-batch-gIIKql/recipe.json', 'utf8')).inputs.input;
(async () => {
  const w = new DecodeWorker(new URL(`file://${process.argv[3]}`), 2);
  await w.started();
  for (const f of files.slice(0, 3)) await w.decode(f, recipe, {}, true);
  const c0 = process.cpuUsage(); const t0 = performance.now();
  let next = 0;
  const loop = async () => { while (next < files.length) { const im = await w.decode(files[next++], recipe, {}, true); if (im.packed) w.recycle(im.packed); } };
  await Promise.all([loop(), loop(), loop(), loop()]);
  const c = process.cpuUsage(c0); const ms = performance.now() - t0;
  console.log('worker wall/img', (ms / files.length).toFixed(2), 'cpu/img', ((c.user + c.system) / 1000 / files.length).toFixed(2));
  await w.close();
})();
