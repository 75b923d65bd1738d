import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The exhaustive walks and 1,000-run properties take seconds, not milliseconds.
    testTimeout: 180_000,
    hookTimeout: 60_000,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-output/vitest.json' },
  },
});
