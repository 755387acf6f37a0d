// Runs in plain Node inside a copy of the packaged app (never the repo): loads the packaged
// onnxruntime-node and sharp, runs a model and resizes an image, imports every package the
// built bundles import, and reports where each native library was loaded from.
// Usage: node package-probe.mjs MODEL.onnx SPECIFIER... → one JSON object on stdout.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const [modelPath, ...specifiers] = process.argv.slice(2);
const appRoot = dirname(fileURLToPath(import.meta.url));
const require = createRequire(`${appRoot}/package.json`);
const result = { appRoot, resolved: {}, imported: {}, ort: null, sharp: null, nativeLibraries: [], errors: [] };

async function step(name, run) {
  try {
    await run();
  } catch (error) {
    result.errors.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

await step('onnxruntime-node', async () => {
  result.resolved['onnxruntime-node'] = require.resolve('onnxruntime-node');
  const ort = require('onnxruntime-node');
  const session = await ort.InferenceSession.create(readFileSync(modelPath));
  const feeds = {
    a: new ort.Tensor('float32', Float32Array.from([1, 2]), [2]),
    b: new ort.Tensor('float32', Float32Array.from([10, 20]), [2]),
  };
  const outputs = await session.run(feeds);
  result.ort = { inputs: session.inputNames, outputs: session.outputNames, sum: Array.from(outputs.sum.data) };
});

await step('sharp', async () => {
  result.resolved.sharp = require.resolve('sharp');
  const sharp = require('sharp');
  const png = await sharp({ create: { width: 8, height: 6, channels: 3, background: { r: 200, g: 10, b: 30 } } })
    .png()
    .toBuffer();
  const { data, info } = await sharp(png).resize(4, 3).raw().toBuffer({ resolveWithObject: true });
  result.sharp = { width: info.width, height: info.height, channels: info.channels, firstPixel: Array.from(data.subarray(0, 3)) };
});

for (const specifier of specifiers) {
  await step(`import ${specifier}`, async () => {
    const module = await import(specifier);
    result.imported[specifier] = Object.keys(module).length;
    result.resolved[specifier] = require.resolve(specifier);
  });
}

// Which shared objects the dynamic linker actually mapped: they must come from the package.
const maps = readFileSync('/proc/self/maps', 'utf8');
result.nativeLibraries = [...new Set(maps.split('\n').map((line) => line.split(/\s+/)[5] ?? ''))].filter(
  (path) => /\.(so(\.\d+)*|node|dylib|dll)$/.test(path) && /onnxruntime|vips|sharp/.test(path),
);

process.stdout.write(JSON.stringify(result));
