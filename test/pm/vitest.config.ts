import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'
// As the main suite: shuffled and recorded by our own built plugin.
import flakeseed from '../../dist/src/index.js'

// The package-manager tests: slow (registry installs), so `npm test` leaves them out and .ci/run
// runs them as their own leg: `vitest run --config test/pm/vitest.config.ts`.
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  plugins: [flakeseed()],
  test: {
    include: ['test/pm/**/*.test.ts'],
    globalSetup: ['test/pm/setup.ts'],
    testTimeout: 600_000,
    hookTimeout: 900_000,
  },
})
