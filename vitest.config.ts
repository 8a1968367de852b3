import { defineConfig } from 'vitest/config'
// Dogfood: our own suite runs shuffled under our own built plugin (`npm test` builds first), so an
// order-dependent test of ours shows up here before it shows up for a user.
import flakeseed from './dist/src/index.js'

export default defineConfig({
  plugins: [flakeseed()],
  test: {
    include: ['test/**/*.test.ts'],
    // test/pm installs with npm, pnpm and Yarn from the registry: its own CI leg (test/pm/vitest.config.ts).
    exclude: ['test/fixtures/**', 'test/pm/**', '**/node_modules/**'],
    // Forks, not threads: tests run fixture projects in this process (test/helpers/in-process.ts),
    // which changes the working folder, and a worker thread cannot.
    pool: 'forks',
    // Two test files at a time. Vitest's default in a run is one fewer than the cores (4.1.12 and
    // 5.1.2: `Math.max(availableParallelism() - 1, 1)`), so one file at a time on a 2-core machine,
    // where a file spends much of its time waiting on the Vitest runs it starts (their workers, their
    // sleeps, spawned commands). Each file has a forks worker of its own, and its in-process runs
    // borrow that process's cwd and env one at a time (test/helpers/in-process.ts); fixture projects
    // live in temp folders of their own.
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
})
