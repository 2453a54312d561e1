import { defineConfig } from 'vitest/config';

/** `npm run test:browser`: the console page in Debian's Chromium (installed by .ci/run). */
export default defineConfig({
  test: {
    include: ['test/browser/**/*.browser.test.ts'],
    maxWorkers: 1,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    silent: 'passed-only',
  },
});
