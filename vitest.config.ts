import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*'],
    passWithNoTests: true,
    reporters: ['default', ['json', { outputFile: '.vitest-report.json' }]],
    // Two cores: two test files at a time.
    maxWorkers: 2,
  },
});
