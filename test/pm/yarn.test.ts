// Yarn 4 (berry) runs no dependency's build script until the project allows it. With the
// node-modules linker and nothing allowed, the warning gives the two commands that fix it, and
// after them the next run is recorded. Under Plug'n'Play there is no node_modules/.bin, so every
// command flakeseed prints runs through `yarn`, and the printed replay command works as pasted.
import { beforeAll, expect, inject, test } from 'vitest'
import type { RunJson } from '../helpers/cli.js'
import { App, flakeseedLines } from './app.js'

const context = inject('pm')
const UNALLOWED =
  "flakeseed: not recording this run: better-sqlite3's native binding was never built (Yarn runs no dependency's build script until it is allowed): run `npm pkg set dependenciesMeta.better-sqlite3.built=true --json`, then `yarn rebuild better-sqlite3`"

let nodeModules: App
let pnp: App

beforeAll(() => {
  nodeModules = App.create(context, 'yarn', {}, { '.yarnrc.yml': 'nodeLinker: node-modules\n' })
  const installed = nodeModules.install()
  expect(installed.code, installed.output).toBe(0)
  expect(installed.output).toMatch(/better-sqlite3@npm:[\d.]+ lists build scripts, but all build scripts have been disabled/)

  pnp = App.create(context, 'yarn', { dependenciesMeta: { 'better-sqlite3': { built: true } } })
  const pnpInstalled = pnp.install()
  expect(pnpInstalled.code, pnpInstalled.output).toBe(0)
})

test('node-modules, nothing allowed: the run goes on with one warning; its two commands build the binding and the next run is recorded', () => {
  const before = nodeModules.sh('yarn vitest run', { FLAKESEED_SEED: '3' })
  expect(before.code, before.output).toBe(0)
  expect(before.output).toContain('Tests  4 passed (4)')
  expect(flakeseedLines(before.output)).toEqual([UNALLOWED])

  const [, allow, rebuild] = /run `([^`]+)`, then `([^`]+)`$/.exec(UNALLOWED)!
  for (const command of [allow!, rebuild!]) {
    const done = nodeModules.sh(command, nodeModules.buildEnv())
    expect(done.code, `${command}\n${done.output}`).toBe(0)
  }

  const after = nodeModules.sh('yarn vitest run', { FLAKESEED_SEED: '4' })
  expect(after.code, after.output).toBe(0)
  expect(flakeseedLines(after.output)).toEqual([])
  expect(after.output).toContain('flakeseed seed 4 · run 1 · 2 files shuffled · replay: npx flakeseed replay 1')
  // node-modules has a .bin, so the printed `npx flakeseed` finds the installed bin.
  const listed = nodeModules.sh('npx flakeseed runs --json')
  expect(listed.code, listed.output).toBe(0)
  expect((JSON.parse(listed.stdout) as RunJson[]).map((r) => [r.seed, r.status, r.passed])).toEqual([['4', 'passed', 4]])
})

test("Plug'n'Play, allowed in dependenciesMeta: recorded, and the commands printed run through yarn and work as pasted", () => {
  const run = pnp.sh('yarn vitest run', { FLAKESEED_SEED: '9', FAIL: '1' })
  expect(run.code, run.output).toBe(1)
  expect(flakeseedLines(run.output)).toEqual([])
  const end = /flakeseed run (\d+) · seed 9 · 1 failed · replay: (yarn flakeseed replay \d+)/.exec(run.output)
  expect(end, run.output).not.toBeNull()
  expect(run.output).toContain(`flakeseed bisect: yarn flakeseed bisect ${end![1]}`)

  const replay = pnp.sh(end![2]!, { FAIL: '1' })
  expect(replay.code, replay.output).toBe(1)
  expect(replay.output).toContain('Tests  1 failed | 3 passed (4)')

  const listed = pnp.sh('yarn flakeseed runs --json')
  expect(listed.code, listed.output).toBe(0)
  const runs = JSON.parse(listed.stdout) as RunJson[]
  expect(runs.find((r) => r.id === Number(end![1]))).toMatchObject({ seed: '9', status: 'failed', failed: 1, passed: 3 })
  expect(runs.some((r) => r.kind === 'replay')).toBe(true)
})
