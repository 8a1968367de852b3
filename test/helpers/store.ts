// Histories for unit tests: a store in a temp folder removed after each test, and the run
// metadata a test does not care about.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach } from 'vitest'
import { type RunMeta, Store } from '../../src/store/index.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** A temp folder, removed after the test. */
export function tempFolder(prefix = 'flakeseed-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  dirs.push(dir)
  return dir
}

/** A new history in a temp folder. */
export function tempStore(): Store {
  return Store.open(join(tempFolder('flakeseed-store-'), 'history.db'))
}

/** A run's metadata, with `fields` as the test needs them and neutral values for the rest. */
export function runMeta(fields: Partial<RunMeta> = {}): RunMeta {
  return {
    uuid: `u-${Math.random()}`,
    kind: 'run',
    startedAt: 1,
    seed: '1',
    seedSource: 'env',
    commitSha: null,
    branch: null,
    dirty: null,
    ciProvider: null,
    ciUrl: null,
    shard: null,
    pool: null,
    isolate: null,
    fileParallelism: null,
    vitestVersion: null,
    nodeVersion: 'v20',
    flakeseedVersion: '0',
    platform: 'linux',
    argv: '[]',
    root: '/',
    config: null,
    ...fields,
  }
}
