import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        // Fast and in-process: run it before every commit (`npm run test:unit`). `isolate: false`
        // lets the files of one worker share loaded modules (the grammar is compiled once per
        // worker, not once per file: this halves the suite's CPU time), so a test that changes
        // process-wide state (env, globals, console, cwd) must restore it (vi.stubEnv/spyOn do).
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.e2e.test.ts'],
          isolate: false,
          testTimeout: 20_000,
        },
      },
      {
        // End to end on this machine: real `currant` processes (the bin, signals, kill -9, two
        // processes on one database), real Python task processes, the examples with their sleeps.
        // `npm test` runs it after the unit project (`npm run test:e2e`).
        test: {
          name: 'e2e',
          include: ['test/**/*.e2e.test.ts'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'infra',
          include: ['infra-test/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
