import { defineConfig } from 'vitest/config';

// `npm run record:histories`: runs tests/replay/record.ts alone (it starts its own servers).
export default defineConfig({
  test: { pool: 'forks', include: ['tests/replay/record.ts'], testTimeout: 900_000 },
});
