import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Fails the run if any process it started is still alive at the end (and kills it).
    globalSetup: ['test/support/no-leftover-processes.ts'],
    // The exhaustive walks and 1,000-run properties take seconds, not milliseconds.
    testTimeout: 180_000,
    hookTimeout: 60_000,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-output/vitest.json' },
  },
});
