// Lint rules: typescript-eslint's recommended set everywhere, plus the restrictions Temporal
// recommends for workflow code (no Node built-ins, no non-deterministic globals, no activity
// implementations) so a determinism bug is caught before it reaches a replay.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', fetch: 'readonly', setTimeout: 'readonly', Buffer: 'readonly' },
    },
  },
  {
    // Workflow code and the pure search algorithms it imports run inside Temporal's deterministic sandbox.
    files: ['workflows/**/*.ts', 'search/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*', 'fs', 'path', 'os', 'crypto', 'child_process', 'http', 'https', 'net'], message: 'Workflow and search code must not do I/O: move it to an activity.' },
            { group: ['**/activities/*.js', '**/activities/*', '!**/activities/types*'], message: 'Workflows import activity types only, through proxyActivities.' },
            { group: ['@tensorflow/*', '**/training/*', '**/mlflow/*'], message: 'No TensorFlow or MLflow in workflow or search code.' },
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
    files: ['search/**/*.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Use the seeded RNG in search/rng.ts.' },
        { object: 'Date', property: 'now', message: 'Search algorithms are pure functions of their inputs.' },
      ],
    },
  },
);
