// Lint, including the process boundaries: each folder says which runtime its files belong to.
//   shared/          imports nothing of ours outside shared/, and no Node or Electron module
//   renderer/        imports only shared/ (and browser packages)
//   electron/engine, electron/node, electron/cli   never import electron
//   electron/main/   the only code that imports electron
import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';
import svelteConfig from './svelte.config.js';

const nodeBuiltins = [
  'node:*',
  'fs',
  'fs/*',
  'path',
  'os',
  'child_process',
  'http',
  'https',
  'net',
  'crypto',
  'stream',
  'stream/*',
  'util',
  'worker_threads',
  'url',
];

const noElectron = { group: ['electron', 'electron/*'], message: 'Only electron/main/ and the preload import electron.' };
const noNative = {
  group: ['onnxruntime-node', 'onnxruntime-node/*', 'sharp'],
  message: 'onnxruntime-node and sharp are loaded only in the engine process.',
};
const noUi = { group: ['**/renderer/**'], message: 'Node-side code does not import the renderer.' };

const noMain = { group: ['../main/*', '**/electron/main/*'], message: 'Only Electron loads electron/main/.' };

const restrict = (patterns) => ({
  'no-restricted-imports': ['error', { patterns }],
});

export default ts.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'resources/**', 'coverage/**', '.gl/**', '.whl/**'] },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
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
  {
    files: ['shared/**'],
    languageOptions: { globals: { ...globals['shared-node-browser'] } },
    rules: restrict([
      { group: ['electron', 'electron/*'], message: 'shared/ runs everywhere: no Electron.' },
      { group: nodeBuiltins, message: 'shared/ runs everywhere: no Node modules.' },
      {
        group: ['../electron/**', '../renderer/**', '../test/**', '**/electron/**', '**/renderer/**'],
        message: 'shared/ imports only shared/.',
      },
    ]),
  },
  {
    files: ['renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: restrict([
      { group: ['electron', 'electron/*'], message: 'The renderer talks to the app only through the Api from shared/.' },
      { group: nodeBuiltins, message: 'The renderer has no Node.' },
      { group: ['**/electron/**', '**/test/**'], message: 'The renderer imports only shared/.' },
      { group: ['onnxruntime-node', 'sharp'], message: 'Native modules live in the engine process.' },
    ]),
  },
  {
    files: ['electron/engine/**'],
    rules: restrict([noElectron, noUi, noMain]),
  },
  {
    files: ['electron/node/**', 'electron/cli/**'],
    rules: restrict([noElectron, noUi, noMain, noNative]),
  },
  {
    // The two places allowed to import electron (and still not the native modules).
    files: ['electron/main/**', 'electron/preload/**'],
    rules: restrict([noUi, noNative]),
  },
  {
    files: ['electron/preload/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['test/**', '**/*.test.ts', 'scripts/**', 'bin/**', '*.config.*'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
