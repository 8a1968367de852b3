import { defineConfig } from 'vitest/config'
import flakeseed from 'flakeseed'

export default defineConfig({
  plugins: [flakeseed()],
})
