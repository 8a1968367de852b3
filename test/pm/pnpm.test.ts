// pnpm 10 skips better-sqlite3's build script until the project approves it. Unapproved, the run
// goes on with its own exit code and one warning saying what to type; typing it (pnpm
// approve-builds, picking better-sqlite3) builds the binding and the next run is recorded. A
// project that approved it up front (onlyBuiltDependencies) records from its first run.
import { join } from 'node:path'
import { beforeAll, expect, inject, test } from 'vitest'
import { Store } from '../../src/store/index.js'
import type { RunJson } from '../helpers/cli.js'
import { App, flakeseedLines } from './app.js'

const context = inject('pm')
const UNAPPROVED =
  "better-sqlite3's native binding was never built (pnpm runs no dependency's build script until it is approved): run `pnpm approve-builds` and pick better-sqlite3"

let unapproved: App
let toApprove: App
let approved: App

beforeAll(() => {
  unapproved = App.create(context, 'pnpm')
  toApprove = App.create(context, 'pnpm')
  approved = App.create(context, 'pnpm', { pnpm: { overrides: { 'better-sqlite3': context.betterSqlite3 }, onlyBuiltDependencies: ['better-sqlite3'] } })
  for (const app of [unapproved, toApprove, approved]) {
    const installed = app.install()
    expect(installed.code, installed.output).toBe(0)
    if (app !== approved) expect(installed.output).toContain('Ignored build scripts: better-sqlite3')
  }
})

test('unapproved: the tests run with their own exit code, and one warning says what to type', () => {
  const passing = unapproved.sh('pnpm vitest run', { FLAKESEED_SEED: '5' })
  expect(passing.code, passing.output).toBe(0)
  expect(passing.output).toContain('Tests  4 passed (4)')
  expect(passing.output).toContain('flakeseed seed 5 · 2 files shuffled')
  expect(flakeseedLines(passing.output)).toEqual([`flakeseed: not recording this run: ${UNAPPROVED}`])

  const failing = unapproved.sh('pnpm vitest run', { FLAKESEED_SEED: '5', FAIL: '1' })
  expect(failing.code, failing.output).toBe(1)
  expect(failing.output).toContain('Tests  1 failed | 3 passed (4)')
  expect(flakeseedLines(failing.output)).toEqual([`flakeseed: not recording this run: ${UNAPPROVED}`])
})

test('unapproved: the CLI prints the same line and exits 2', () => {
  // A history from elsewhere (written with this checkout's binding), read where none loads.
  Store.open(join(unapproved.dir, 'ci.db')).close()
  const listed = unapproved.sh('npx flakeseed runs --db ci.db')
  expect(listed.code, listed.output).toBe(2)
  expect(listed.stderr).toBe(`flakeseed: ${UNAPPROVED}\n`)
  expect(listed.stdout).toBe('')
})

test('doing what the warning says (pnpm approve-builds, picking better-sqlite3) builds the binding, and the next run is recorded', async () => {
  const before = toApprove.sh('pnpm vitest run')
  expect(flakeseedLines(before.output)).toEqual([`flakeseed: not recording this run: ${UNAPPROVED}`])
  // pnpm 10's approve-builds asks which packages to build, then to confirm.
  const approval = await toApprove.interact(
    'pnpm approve-builds',
    [
      [/Choose which packages to build/, ' \r'],
      [/Do you approve\?/, 'y\r'],
    ],
    toApprove.buildEnv(),
  )
  expect(approval.code, approval.output).toBe(0)
  expect(approval.output).toContain('better-sqlite3 install: Done')

  const run = toApprove.sh('pnpm vitest run', { FLAKESEED_SEED: '7' })
  expect(run.code, run.output).toBe(0)
  expect(flakeseedLines(run.output)).toEqual([])
  expect(run.output).toContain('flakeseed seed 7 · run 1 · 2 files shuffled · replay: npx flakeseed replay 1')
  const runs = JSON.parse(toApprove.sh('npx flakeseed runs --json').stdout) as RunJson[]
  expect(runs.map((r) => [r.seed, r.status, r.passed])).toEqual([['7', 'passed', 4]])
})

test('approved in package.json (onlyBuiltDependencies): built at install, and every shuffled run is recorded', () => {
  const first = approved.sh('pnpm vitest run', { FLAKESEED_SEED: '11' })
  expect(first.code, first.output).toBe(0)
  expect(flakeseedLines(first.output)).toEqual([])
  expect(first.output).toMatch(/flakeseed run (\d+) · seed 11 · passed · replay: npx flakeseed replay \1/)
  const failing = approved.sh('pnpm vitest run', { FLAKESEED_SEED: '12', FAIL: '1' })
  expect(failing.code, failing.output).toBe(1)

  const runs = JSON.parse(approved.sh('npx flakeseed runs --json').stdout) as RunJson[]
  expect(runs.map((r) => [r.seed, r.status, r.passed, r.failed])).toEqual(
    expect.arrayContaining([
      ['11', 'passed', 4, 0],
      ['12', 'failed', 3, 1],
    ]),
  )
})
