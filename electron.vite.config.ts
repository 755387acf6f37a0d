import { resolve } from 'node:path';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'electron-vite';

const root = import.meta.dirname;

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      // Pure-JS dependencies are bundled (picomatch stays out: its subpath imports would be left bare): each process starts faster from a few files than from
      // hundreds of modules (zod alone: ~120 ms as files, ~50 ms bundled, on a 2-core machine).
      // Native ones (onnxruntime-node, sharp) and their loaders stay in node_modules.
      externalizeDeps: { exclude: ['zod', 'ws', '@dagrejs/dagre'] },
      rolldownOptions: {
        // The Electron main process, the engine process (utilityProcess or fork) and the CLI.
        input: {
          index: resolve(root, 'electron/main/index.ts'),
          engine: resolve(root, 'electron/engine/main.ts'),
          // The engine's image decoder thread (electron/engine/image/decode-pool.ts).
          'decode-worker': resolve(root, 'electron/engine/image/decode-worker.ts'),
          // The graph export's worker thread, found beside engine.js.
          'graph-worker': resolve(root, 'electron/engine/graph-worker.ts'),
          cli: resolve(root, 'electron/cli/index.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // Sandboxed preloads must be CommonJS.
      lib: { entry: resolve(root, 'electron/preload/index.ts'), formats: ['cjs'], fileName: () => 'index.cjs' },
    },
  },
  renderer: {
    root: resolve(root, 'renderer'),
    build: {
      outDir: resolve(root, 'out/renderer'),
      emptyOutDir: true,
      rolldownOptions: { input: resolve(root, 'renderer/index.html') },
    },
    plugins: [svelte({ configFile: resolve(root, 'svelte.config.js') })],
  },
});
