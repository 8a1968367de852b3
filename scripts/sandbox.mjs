// A folder where a project imports `flakeseed` as a user's does: its node_modules links every
// package of this repository plus `flakeseed` itself (the built dist/), and .bin holds the
// `flakeseed` and `vitest` commands. Shared by the integration tests and the example script.
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..')

export function linkModules(dir) {
  const modules = join(dir, 'node_modules')
  const bin = join(modules, '.bin')
  mkdirSync(bin, { recursive: true })
  for (const entry of readdirSync(join(REPO, 'node_modules'))) {
    if (entry === '.package-lock.json' || entry === '.bin') continue
    symlinkSync(join(REPO, 'node_modules', entry), join(modules, entry))
  }
  for (const entry of readdirSync(join(REPO, 'node_modules/.bin'))) {
    symlinkSync(join(REPO, 'node_modules/.bin', entry), join(bin, entry))
  }
  symlinkSync(REPO, join(modules, 'flakeseed'))
  symlinkSync(join(REPO, 'dist/cli/index.js'), join(bin, 'flakeseed'))
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'flakeseed-sandbox', private: true, type: 'module' }))
}
