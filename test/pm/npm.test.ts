// npm runs better-sqlite3's install script (npm 11 warns it is not covered by allowScripts): a
// shuffled run is recorded. Installed with --ignore-scripts, the warning names `npm rebuild
// better-sqlite3`, and running it records the next run. Under another Node.js (22, from the npm
// registry) the binding built for this one gives the NODE_MODULE_VERSION warning: the run goes
// on, the CLI exits 2 with the same line.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, expect, inject, test } from 'vitest'
import type { RunJson } from '../helpers/cli.js'
import { App, flakeseedLines } from './app.js'

const context = inject('pm')

let installed: App
let skipped: App

beforeAll(() => {
  installed = App.create(context, 'npm')
  const install = installed.install()
  expect(install.code, install.output).toBe(0)
  skipped = App.create(context, 'npm')
  const skip = skipped.install(['--ignore-scripts'])
  expect(skip.code, skip.output).toBe(0)
})

test('installed: the install script built the binding, a shuffled run is recorded, and its printed replay command works', () => {
  expect(existsSync(join(installed.dir, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node'))).toBe(true)
  const run = installed.sh('npx vitest run', { FLAKESEED_SEED: '21' })
  expect(run.code, run.output).toBe(0)
  expect(flakeseedLines(run.output)).toEqual([])
  const start = /flakeseed seed 21 · run (\d+) · 2 files shuffled · replay: (npx flakeseed replay \d+)/.exec(run.output)
  expect(start, run.output).not.toBeNull()

  const replay = installed.sh(start![2]!)
  expect(replay.code, replay.output).toBe(0)
  const runs = JSON.parse(installed.sh('npx flakeseed runs --json').stdout) as RunJson[]
  expect(runs.find((r) => r.id === Number(start![1]))).toMatchObject({ seed: '21', status: 'passed', passed: 4 })
})

test('--ignore-scripts: the warning names npm rebuild better-sqlite3; running it records the next run', () => {
  const before = skipped.sh('npx vitest run', { FAIL: '1' })
  expect(before.code, before.output).toBe(1)
  const warning =
    "flakeseed: not recording this run: better-sqlite3's native binding was never built (its install script did not run): run `npm rebuild better-sqlite3` (if npm refuses it as not covered by allowScripts, run `npm install-scripts approve better-sqlite3` first)"
  expect(flakeseedLines(before.output)).toEqual([warning])

  const rebuilt = skipped.sh(/run `([^`]+)`/.exec(warning)![1]!, skipped.buildEnv())
  expect(rebuilt.code, rebuilt.output).toBe(0)
  const after = skipped.sh('npx vitest run', { FLAKESEED_SEED: '22' })
  expect(after.code, after.output).toBe(0)
  expect(flakeseedLines(after.output)).toEqual([])
  expect((JSON.parse(skipped.sh('npx flakeseed runs --json').stdout) as RunJson[]).map((r) => [r.seed, r.passed])).toEqual([['22', 4]])
})

test.skipIf(!context.node22)(
  'under Node 22, a binding built for this Node gives the NODE_MODULE_VERSION warning; the run goes on and the CLI exits 2 with the same line',
  () => {
    const node22 = context.node22!
    // A history of its own, written under this Node first, so that the CLI has one to open.
    const env = { FLAKESEED_DB: 'node22.db' }
    expect(installed.sh('npx vitest run', env).code).toBe(0)

    const vitest = installed.sh(`'${node22}' node_modules/vitest/vitest.mjs run`, { ...env, FAIL: '1' })
    expect(vitest.code, vitest.output).toBe(1)
    expect(vitest.output).toContain('Tests  1 failed | 3 passed (4)')
    const abi = `better-sqlite3's native binding was built for another Node.js (NODE_MODULE_VERSION ${process.versions.modules}; Node.js v22.`
    const [warning, ...others] = flakeseedLines(vitest.output)
    expect(others).toEqual([])
    expect(warning).toMatch(/^flakeseed: not recording this run: .*: run `npm rebuild better-sqlite3`$/)
    expect(warning).toContain(abi)
    expect(warning).toMatch(/Node\.js v22\.\d+\.\d+ needs 127\)/)

    const listed = installed.sh(`'${node22}' node_modules/flakeseed/dist/cli/index.js runs`, env)
    expect(listed.code, listed.output).toBe(2)
    expect(listed.stderr).toBe(`${warning!.replace('not recording this run: ', '')}\n`)
  },
)
