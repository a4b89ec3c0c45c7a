import { defineConfig } from 'vitest/config';

// Browser tests: the built web app (dist/web) served by an in-process all-in-one server, driven by
// Debian's chromium through playwright-core. Run with `npm run test:browser` (it builds the web app first).
export default defineConfig({
  test: {
    include: ['test/browser/**/*.browser.test.ts'],
    globalSetup: ['src/test-support/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One browser at a time: the machine has two cores.
    fileParallelism: false,
    reporters: ['default'],
  },
});
