// Lint rules: typescript-eslint's recommended set everywhere, plus the restrictions Temporal
// recommends for workflow code (no Node built-ins, no non-deterministic globals, no activity
// implementations) so a determinism bug is caught before it reaches a replay.
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

// The layers (README "How it works"): what each top-level folder may import of ours. Checked on the
// resolved path of every import (eslint-plugin-import-x), so `'../training'`, `'../training/x'` and
// `'../../training'` all count, and a file of the same name inside a folder does not. Folders not
// listed here (cli, bench, tests) may import anything. An entry with an extension is one file, not a folder.
const LAYERS = {
  schemas: [],
  search: [],
  // Pure analysis of finished trials (issue 14): the search layer's ranking, Pareto and RNG only.
  analysis: ['search'],
  spec: ['schemas', 'search'],
  trials: ['search', 'spec'],
  mlflow: [],
  // Checkpoint stores (issue 17): a job folder's durable copy, local or in its MLflow run's artifacts.
  stores: ['mlflow'],
  // The contract with users' code (tuneflow/trainable): types only.
  trainable: [],
  // And one file of set-up's, data only: the CUDA libraries set-up installs are the ones doctor looks for.
  training: ['schemas', 'search', 'spec', 'trainable', 'setup/cuda-libraries.json'],
  catalog: ['search', 'spec', 'training'],
  // Workflows also import activity *types*: the rule below lets `import type` through and nothing else.
  workflows: ['search', 'spec', 'trials', 'activities'],
  activities: ['analysis', 'catalog', 'mlflow', 'report', 'schemas', 'search', 'spec', 'stores', 'training', 'trials'],
  report: ['analysis', 'search', 'spec', 'trials', 'mlflow'],
  // `tuneflow serve` (issue 15): the API and dashboard over the CLI's client, control and worker wiring.
  serve: ['activities', 'analysis', 'catalog', 'cli', 'mlflow', 'report', 'search', 'spec', 'trials', 'workflows'],
};
const layerZones = Object.entries(LAYERS).map(([folder, allowed]) => ({
  target: `./${folder}`,
  from: './',
  except: [`./${folder}`, ...allowed.map((a) => `./${a}`), './node_modules'],
  message: `${folder}/ may import only ${allowed.length ? allowed.map((a) => (/\.\w+$/.test(a) ? a : `${a}/`)).join(', ') : 'its own files'} (layers: eslint.config.mjs).`,
}));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tuneflow/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': 'off',
    },
  },
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })] },
    rules: { 'import-x/no-restricted-paths': ['error', { zones: layerZones }] },
  },
  {
    // Workflow code runs in Temporal's sandbox and must not carry activity code into it: types only.
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/activities', '**/activities/**'], allowTypeImports: true, message: 'Workflows import activity types only (import type), through proxyActivities.' }] },
      ],
    },
  },
  {
    // The dashboard's script runs in the browser (serve/public/app.js): browser globals, no Node ones.
    files: ['serve/public/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: Object.fromEntries(['window', 'document', 'location', 'sessionStorage', 'Node', 'DOMParser', 'AbortController', 'TextDecoder', 'URL', 'fetch', 'console'].map((g) => [g, 'readonly'])),
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    ignores: ['serve/public/**'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', fetch: 'readonly', setTimeout: 'readonly', Buffer: 'readonly' },
    },
  },
  {
    // Workflow code and the pure search algorithms it imports run inside Temporal's deterministic sandbox;
    // the analysis layer is held to the same rules (pure functions of finished trials, no I/O).
    files: ['workflows/**/*.ts', 'search/**/*.ts', 'analysis/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*', 'fs', 'path', 'os', 'crypto', 'child_process', 'http', 'https', 'net'], message: 'Workflow and search code must not do I/O: move it to an activity.' },
            { group: ['@tensorflow/*', '@temporalio/activity', '@temporalio/worker', '@temporalio/client'], message: 'No TensorFlow or activity, worker or client code in workflow or search code.' },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'Use sleep() from @temporalio/workflow.' },
        { name: 'setInterval', message: 'Not deterministic in workflow code.' },
        { name: 'process', message: 'No process state in workflow code.' },
        { name: 'fetch', message: 'No I/O in workflow code.' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Use the seeded RNG in search/rng.ts.' },
      ],
    },
  },
  {
    // Workflow time is replay-safe inside a workflow; the search algorithms must not depend on time at all.
    files: ['search/**/*.ts', 'analysis/**/*.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Use the seeded RNG in search/rng.ts.' },
        { object: 'Date', property: 'now', message: 'Search algorithms are pure functions of their inputs.' },
      ],
    },
  },
);
