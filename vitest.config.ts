import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // In CI a JSON report is kept too, so .ci/run can print a plain "N passed, N failed" closing line.
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: '.tmp/vitest-results.json' }]]
      : ['default'],
  },
});
