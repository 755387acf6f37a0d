import sharp from 'sharp';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImage } from '../../electron/engine/image/decode';
import { allocateData, packPixels } from '../../electron/engine/image/pack';
import { normalizePreset } from '../../shared/recipe';
sharp.concurrency(1); sharp.cache(false);
const folder = process.argv[2]; const mode = process.argv[3];
const files = readdirSync(folder).sort().map((f) => join(folder, f));
const recipe = JSON.parse(readFileSync('/tmp/bench-batch-gIIKql/recipe.json','utf8')).inputs.input;
const fns: Record<string, (f: string) => Promise<unknown>> = {
  d: (f) => sharp(f).resize(224, 224, { fit: 'cover', kernel: 'linear' }).removeAlpha().raw().toBuffer(),
  dbuf: async (f) => sharp(readFileSync(f)).resize(224, 224, { fit: 'cover', kernel: 'linear' }).removeAlpha().raw().toBuffer(),
  dfull: async (f) => sharp(readFileSync(f), {autoOrient:true, failOn:'error', sequentialRead:true}).removeAlpha().toColourspace('srgb').resize(224, 224, { fit: 'cover', kernel: 'linear' }).raw({depth:'uchar'}).toBuffer(),
  ours: (f) => decodeImage(f, recipe, {}),
  pack: async (f) => { const im = await decodeImage(f, recipe, {}); const out = allocateData('float32', 224*224*3); packPixels(im.pixels, im.channels, 224, 224, recipe, out, 0); },
};
const fn = fns[mode];
(async () => {
  for (const f of files.slice(0, 3)) await fn(f);
  const c0 = process.cpuUsage(); const t0 = performance.now();
  let next = 0;
  const w = async () => { while (next < files.length) await fn(files[next++]); };
  await Promise.all([w(), w()]);
  const c = process.cpuUsage(c0); const ms = performance.now() - t0;
  console.log(mode, 'wall', (ms/files.length).toFixed(2), 'cpu/img', ((c.user + c.system) / 1000 / files.length).toFixed(2));
})();
