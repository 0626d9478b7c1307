import { defineConfig } from 'vitest/config';

// Temporal's native bridge and tfjs-node's addon do not survive worker threads: use forked processes.
export default defineConfig({
  test: {
    pool: 'forks',
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/setup/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    fileParallelism: false,
  },
});
