// The tests that exist now, as Vitest collects them from the project's own config (without
// running any): `quarantine add` accepts a test that was never recorded, if it exists.
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Vitest } from 'vitest/node'
import { FlakeseedError } from '../core/errors.js'
import { moduleTests, testId, toPosix } from '../core/names.js'
import { setControl } from './session.js'

/** Every current test id under `root` (Vitest's collection: files imported, no test run). */
export async function currentTests(root: string, config?: string): Promise<string[]> {
  // Loaded here: the CLI's other commands start without Vitest.
  const { createVitest } = await import('vitest/node')
  const file = config ? resolve(root, config) : undefined
  if (file && !existsSync(file)) throw new FlakeseedError(`flakeseed: config file ${file} does not exist (pass --config)`)
  // Through the plugin, if the config loads it: a probe records nothing and prints nothing.
  setControl({ kind: 'probe', db: false, quiet: true })
  let vitest: Vitest
  try {
    vitest = await createVitest('test', { root, config: file, watch: false, passWithNoTests: true, reporters: [{}] }, {}, {})
  } finally {
    setControl(undefined)
  }
  try {
    const { testModules } = await vitest.collect()
    return testModules.flatMap((module) => {
      const path = toPosix(module.relativeModuleId)
      return moduleTests(module).map(({ name }) => testId(module.project.name, path, name))
    })
  } finally {
    await vitest.close()
  }
}
