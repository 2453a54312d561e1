import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The browser test needs Chromium; it runs on its own (npm run test:browser, and in .ci/run).
    exclude: ['test/browser/**', 'node_modules/**'],
    // End-to-end files each start their own local runtime; two cores run two files at a time.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    restoreMocks: true,
    // The service logs JSON lines on purpose; show them only for a test that failed.
    silent: 'passed-only',
  },
});
