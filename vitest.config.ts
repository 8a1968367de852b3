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
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
})
