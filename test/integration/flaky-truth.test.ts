// What the history says about a test is what its evidence backs (issue 25): two failing shuffled
// runs are no "known broken" (an order may be the cause: next is bisect); a brittle finding is
// class brittle in `flaky`, its JSON, the HTML report and the run's own block; a run of one file
// under a failing run's seed and a replay are not seeds.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { testId } from '../../src/core/names.js'
import { gitInit, runsBefore, seedsWhere } from '../helpers/cli.js'
import { config, createProject } from '../helpers/project.js'

interface Row {
  test: string
  class: string
  failingSeeds: string[]
  passingSeeds: string[]
  otherRuns: { replays: { passed: number; failed: number }; partial: { passed: number; failed: number } }
  command: string
}

// Steps of one history, in order: this suite runs shuffled under its own plugin.
describe('a brittle test', { shuffle: false }, () => {
  const FILE = 'test/brittle.test.ts'
  const ids = ['setup', 'o1', 'o2', 'brittle', 'o3'].map((n) => testId('', FILE, n))
  const [SETUP, , , BRITTLE] = ids as [string, string, string, string]
  // In declaration order `setup` runs first and `brittle` passes; these orders run it before `setup`, never first.
  const failing = seedsWhere(ids, (o) => runsBefore(o, BRITTLE, SETUP) && o.indexOf(BRITTLE) > 0, 3)
  const [passing] = seedsWhere(ids, (o) => runsBefore(o, SETUP, BRITTLE), 1)
  const project = createProject({
    'vitest.config.ts': config(),
    [FILE]: [
      `import { expect, test } from 'vitest'`,
      `const cache: Record<string, number> = {}`,
      `test('setup', () => { cache.rate = 2 })`,
      `test('o1', () => {})`,
      `test('o2', () => {})`,
      `test('brittle', () => { expect(cache.rate).toBe(2) })`,
      `test('o3', () => {})`,
    ].join('\n'),
  })

  test('two failing shuffled runs are not "known broken": failing, next bisect', async () => {
    expect((await project.runVitest([], { FLAKESEED_SEED: failing[0] })).code).toBe(1)
    const second = await project.runVitest([], { FLAKESEED_SEED: failing[1] })
    expect(second.code).toBe(1)
    expect(second.stdout).not.toContain('broken')
    expect(second.stdout).toContain(
      `flakeseed 1 failed: 1 known failing (failed all 2 recorded runs under 2 seeds, never yet in its declaration order: an earlier test may be the cause)`,
    )
    expect(second.stdout).toContain(`\n    next: npx flakeseed bisect 2 --test '${BRITTLE}'\n`)
    // The run's bisect takes it (a test called broken it would leave alone).
    expect(await project.runCliJson<{ victim: string }>(['bisect', '2'])).toMatchObject({ victim: BRITTLE })
  })

  test("bisect's brittle is the class in flaky, flaky --json, the HTML report and the run's block", async () => {
    expect((await project.runVitest([], { FLAKESEED_SEED: passing })).code).toBe(0)
    const finding = await project.runCliJson<{ kind: string; stateSetters: string[] }>(['bisect', '2', '--test', BRITTLE])
    expect(finding).toMatchObject({ kind: 'brittle', stateSetters: [SETUP] })

    const [row] = await project.runCliJson<Row[]>(['flaky'])
    expect(row).toMatchObject({ test: BRITTLE, class: 'brittle' })
    const table = (await project.runCli(['flaky'])).stdout
    expect(table).toMatch(/ brittle +test\/brittle\.test\.ts > brittle\n/)
    expect(table).toContain(`passes only after ${SETUP}`)
    expect(table).not.toContain('order-dependent')

    expect((await project.runCli(['report', '--html', 'report.html'])).code).toBe(0)
    const html = readFileSync(join(project.dir, 'report.html'), 'utf8')
    expect(html).toContain('<span class="badge c-brittle">brittle</span>')
    expect(html).not.toContain('c-order-dependent">')

    const again = await project.runVitest([], { FLAKESEED_SEED: failing[2] })
    expect(again.stdout).toContain(`flakeseed 1 failed: 1 known brittle (passes only after ${SETUP})`)
  })
})

describe('replays and runs of one file', () => {
  // Without isolation, in one worker, a.test.ts leaves a global that fails b.test.ts after it.
  const A = 'test/a.test.ts'
  const B = 'test/b.test.ts'
  const VICTIM = testId('', B, 'victim')
  const [F1, F2] = seedsWhere([A, B], (o) => o[0] === A, 2) as [string, string]
  const [P1, P2, P3] = seedsWhere([A, B], (o) => o[0] === B, 3) as [string, string, string]
  const project = createProject({
    'vitest.config.ts': config('', 'isolate: false, fileParallelism: false'),
    '.gitignore': '.flakeseed/\norder-*.log\nnode_modules/\n',
    [A]: `import { test } from 'vitest'\ntest('pollute', () => { (globalThis as any).polluted = true })\n`,
    [B]: `import { expect, test } from 'vitest'\ntest('victim', () => { expect((globalThis as any).polluted).toBeUndefined() })\ntest('other', () => {})\n`,
  })

  test('a run of one file under a failing seed and a replay are shown apart, not as seeds', async () => {
    gitInit(project)
    for (const seed of [F1, P1, F2, P2, P3]) await project.runVitest([], { FLAKESEED_SEED: seed })
    // The victim's file alone under the first failing seed: it passes (the polluter did not run).
    expect((await project.runVitest([B], { FLAKESEED_SEED: F1 })).code).toBe(0)
    // A replay of the victim alone from run 1: passes too.
    expect((await project.runCli(['replay', '1', '--only', VICTIM])).code).toBe(0)

    const [row] = await project.runCliJson<Row[]>(['flaky'])
    expect(row).toMatchObject({ test: VICTIM, failingSeeds: [F1, F2], passingSeeds: [P1, P2, P3] })
    expect(row!.otherRuns).toEqual({ replays: { passed: 1, failed: 0 }, partial: { passed: 1, failed: 0 } })
    // One order failing and passing would have been called non-deterministic.
    expect(row!.class).not.toBe('non-deterministic')
    const table = (await project.runCli(['flaky'])).stdout
    expect(table).toContain('1 flaky test in the last 6 runs (runs 1–6, 1 commit, 1 of part of the suite), most disruptive first')
    expect(table).toContain('replayed: 1 passed · runs of part of the suite: 1 passed (not seeds)')
  })
})
