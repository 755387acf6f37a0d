// Lint, including the process boundaries. A file's folder says which process it runs in, and
// `layers` below says what each folder MAY import (an allow-list, as VS Code's code-import-patterns):
// our folders end in '/', './file' is one file of ours, other entries are packages ('node:*' is
// any Node built-in, 'x/*' a package's subpaths). Anything not listed fails `local/import-patterns`.
// The type-check backs this up: each layer has its own tsconfig.json with only its runtime's types.
import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';
import local from './eslint-plugin-local.js';
import svelteConfig from './svelte.config.js';

export const layers = {
  shared: { runs: 'every process: no Node, no DOM', allow: ['shared/', 'zod', '@dagrejs/dagre'] },
  renderer: { runs: 'the web page', allow: ['renderer/', 'shared/', 'svelte', 'svelte/*'] },
  'electron/common': {
    runs: 'Node code shared by the main, engine and CLI processes',
    // ws: the browser-mode wire's port (electron/common/rpc/ws-port.ts).
    allow: ['electron/common/', 'shared/', 'node:*', 'zod', 'ws'],
  },
  'electron/engine': {
    runs: 'the engine process, the only one that loads native modules',
    allow: ['electron/engine/', 'electron/common/', 'shared/', 'node:*', 'onnxruntime-node', 'sharp', 'picomatch', 'zod'],
  },
  'electron/node': {
    runs: 'services hosted by the main process or the CLI',
    allow: ['electron/node/', 'electron/common/', 'shared/', 'node:*', 'ws', 'zod', './package.json'],
  },
  'electron/cli': {
    runs: 'the CLI process',
    allow: ['electron/cli/', 'electron/node/', 'electron/common/', 'shared/', 'node:*'],
  },
  'electron/main': {
    runs: 'the Electron main process',
    allow: ['electron/main/', 'electron/node/', 'electron/common/', 'shared/', 'node:*', 'electron'],
  },
  'electron/preload': { runs: 'the sandboxed preload', allow: ['electron/preload/', 'shared/', 'electron'] },
};

const runtimeGlobals = {
  shared: globals['shared-node-browser'],
  renderer: globals.browser,
  'electron/preload': globals.browser,
};

export default ts.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'resources/**', 'coverage/**', '.gl/**', '.whl/**'] },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs.recommended,
  {
    plugins: { local },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: {
      parserOptions: { projectService: false, extraFileExtensions: ['.svelte'], parser: ts.parser, svelteConfig },
    },
  },
  ...Object.entries(layers).map(([layer, { runs, allow }]) => ({
    files: [`${layer}/**`],
    languageOptions: { globals: runtimeGlobals[layer] ?? globals.node },
    rules: { 'local/import-patterns': ['error', { layer, runs, allow }] },
  })),
  {
    files: ['**/*'],
    ignores: ['electron/engine/**'],
    rules: { 'local/native-modules': 'error' },
  },
  {
    // Tests, scripts and build configs reach into every layer (and may load anything).
    files: ['test/**', '**/*.test.ts', 'scripts/**', 'bin/**', '*.config.*', 'eslint-plugin-local.js'],
    languageOptions: { globals: globals.node },
    rules: { 'local/native-modules': 'off' },
  },
);
