import { defineConfig } from 'vitest/config'
// Dogfood: our own suite runs shuffled under our own built plugin (`npm test` builds first), so an
// order-dependent test of ours shows up here before it shows up for a user.
import flakeseed from './dist/src/index.js'

export default defineConfig({
  plugins: [flakeseed()],
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/fixtures/**', '**/node_modules/**'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
})
