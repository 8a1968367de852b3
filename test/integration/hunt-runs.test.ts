// `flakeseed hunt` end to end, what it runs and records: the seeds its cost cap holds back, its runs
// in the history (kind `hunt`, out of flaky's counts) with fix's verified patch, its budget as a
// deadline (for a bisect and for the run in flight), a hunt inside the Vitest run
// (FLAKESEED_HUNT, hunt.fail), and a base it cannot compare with. What a hunt finds: hunt.test.ts.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { gitInit, paste, seedWhere } from '../helpers/cli.js'
import { CART, cartTests, envTests, hunt, repo } from '../helpers/hunt.js'
import { config, createProject } from '../helpers/project.js'

describe('flakeseed hunt: runs, records, budgets', () => {
  test('a clean change: every run passes, nothing found, exit 0', async () => {
    const project = repo(
      { 'src/cart.ts': CART, 'test/cart.test.ts': cartTests() },
      { 'test/cart.test.ts': cartTests(`test('sums', () => { expect(1 + 2).toBe(3) })`) },
    )
    const { code, json, output } = await hunt(project)
    expect(code, output).toBe(0)
    expect(json.findings).toEqual([])
    expect(json.unblamed).toEqual([])
    expect(json.affected.tests).toEqual(['test/cart.test.ts > sums'])
    // plain, reverse, the new test on its own, then seeds while the hunt stays within 3× a plain run:
    // the ones it held back, it says so.
    expect(json.runs).toBeGreaterThanOrEqual(3)
    expect(json.runs).toBeLessThanOrEqual(7)
    if (json.runs < 7)
      expect(json.seedsHeld).toBe(`${json.runs - 3} of 4 seeded orders: one more would take the hunt past 3× a plain run of the affected files`)
    else expect(json.seedsHeld).toBeUndefined()
    expect(json.passedRuns).toBe(json.runs)
    // Seeds asked for run as the budget allows: 4 of them.
    const asked = await hunt(project, ['--seeds', '4'])
    expect(asked.json.runs, asked.output).toBe(7)
    expect(asked.json.passedRuns).toBe(7)
    // The hunt is in the history as one passed run of kind `hunt` (its plain order), out of flaky's counts.
    expect(json.recorded).toHaveLength(1)
    expect((await project.runCli(['runs'])).stdout).toMatch(new RegExp(`^\\s*${json.recorded[0]}\\b.*passed \\(hunt\\)`, 'm'))
  })

  test('a change to a file that already had an order dependency: reported pre-existing, exit 0', async () => {
    const project = repo({ 'test/env.test.ts': envTests() }, { 'test/env.test.ts': envTests(`test('adds', () => { expect(2 + 2).toBe(4) })`) })
    const { code, json, output } = await hunt(project, ['--seeds', '0'])
    expect(code, output).toBe(0)
    expect(json.findings).toMatchObject([
      { victim: 'test/env.test.ts > no mode by default', polluters: ['test/env.test.ts > sets the mode'], introduced: false },
    ])
    // The finding's failing order is in the history as a run of kind `hunt`, with `fix`'s verified patch.
    const patch = json.findings[0]!.patch
    expect(patch?.diff, output).toContain('HUNT_MODE')
    const run = /fix (\d+) --test 'test\/env\.test\.ts > no mode by default' --apply$/.exec(patch!.apply)?.[1]
    expect(run, patch!.apply).toBeDefined()
    expect(json.recorded).toEqual([Number(run)])
    expect(output).not.toContain('could not record')
    // The reproduce command replays the recorded failing order, not the whole hunt: pasted, the victim fails.
    expect(json.findings[0]!.command).toBe(
      `npx flakeseed replay ${run} --only 'test/env.test.ts > sets the mode' --only 'test/env.test.ts > no mode by default'`,
    )
    const reproduced = paste(project, json.findings[0]!.command)
    expect(reproduced.code, reproduced.out).toBe(1)
    expect(reproduced.out).toContain('flakeseed replay of run')
    expect((await project.runCli(['runs'])).stdout).toMatch(new RegExp(`^\\s*${run}\\b.*failed \\(hunt\\)`, 'm'))
    // Not mixed into flakiness counts: the only runs are the hunt's, and flaky's window has none.
    expect((await project.runCli(['flaky'])).stdout).toContain('no runs in the window')
    expect((await project.runCli(['hunt', '--base', 'main', '--seeds', '0', '--repeat', '1'])).stdout).toContain('0 introduced by this change, 1 pre-existing')
    // Recorded like any run: the Vitest version and pool it ran on.
    const shown = await project.runCliJson<{ run: { vitestVersion: string | null; pool: string | null } }>(['show', run!])
    expect(shown.run.vitestVersion).toMatch(/^\d+\.\d+\.\d+/)
    expect(shown.run.pool).toBe('forks')
    // The budget is a deadline: a bisect whose checks need 200 runs each stops when it passes, says so, and claims no minimal set.
    // (12 s: enough for the targeted runs under load; the bisect alone would need 400 runs.) A
    // machine so busy that the budget ends before the bisect starts (the cut names a run, not the
    // bisect) hunts again with twice the budget, at most twice: the bisect is what must be cut.
    let cut = await project.runCli(['hunt', '--base', 'main', '--seeds', '0', '--repeat', '200', '--budget', '12'])
    let budget = 12
    while (!cut.stdout.includes('the bisect of') && budget < 48) {
      budget *= 2
      cut = await project.runCli(['hunt', '--base', 'main', '--seeds', '0', '--repeat', '200', '--budget', String(budget)])
    }
    expect(cut.code, cut.output).toBe(0)
    expect(cut.stdout).toContain(`(budget of ${budget} s used up: the bisect of test/env.test.ts > no mode by default stopped there)`)
    expect(cut.stdout).not.toContain('victim ')
    const probes = /\+ (\d+) bisect probes? in [\d.]+ s · no order dependency found before the budget ran out$/m.exec(cut.stdout)?.[1]
    expect(Number(probes), cut.stdout).toBeLessThan(200)
    // The printed command writes the verified patch.
    const before = readFileSync(join(project.dir, 'test/env.test.ts'), 'utf8')
    const applied = await project.runCli(['fix', run!, '--test', 'test/env.test.ts > no mode by default', '--apply'])
    expect(applied.code, applied.output).toBe(0)
    expect(readFileSync(join(project.dir, 'test/env.test.ts'), 'utf8')).not.toBe(before)
  }, 300_000)

  test('the budget is a deadline for the run in flight too: it stops, is left out, and the hunt ends soon after', async () => {
    const slow = (name: string) => `test('${name}', async () => { await new Promise((r) => setTimeout(r, 1500)); expect(1).toBe(1) })`
    const file = (extra = '') => [`import { expect, test } from 'vitest'`, ...['one', 'two', 'three', 'four'].map(slow), extra].join('\n')
    const project = repo({ 'test/slow.test.ts': file() }, { 'test/slow.test.ts': file(slow('five')) })
    const began = Date.now()
    expect((await project.runVitest(['test/slow.test.ts'])).code).toBe(0)
    const plain = (Date.now() - began) / 1000
    const budget = 2
    const { code, json, output } = await hunt(project, ['--seeds', '0', '--budget', String(budget)])
    expect(code, output).toBe(0)
    expect(json.findings).toEqual([])
    expect(json.cut, output).toMatch(/^budget of 2 s used up: .*the run in flight was stopped and left out$/)
    // Each whole-file order takes most of a plain run: finishing the one in flight, or starting the next, overshoots by that much.
    expect(json.seconds, output).toBeLessThan(budget + plain / 2)
  })

  test('no base to compare with: one line, nothing hunted; a --base that does not exist: exit 2', async () => {
    const project = createProject({ 'vitest.config.ts': config(), 'test/a.test.ts': `import { test } from 'vitest'\ntest('a', () => {})\n` })
    gitInit(project)
    const none = await project.runCli(['hunt'])
    expect(none.code, none.output).toBe(0)
    expect(none.stdout.trim()).toBe('flakeseed hunt: no base to compare with (origin/HEAD not found; pass --base REF); nothing hunted')
    const bad = await project.runCli(['hunt', '--base', 'nope'])
    expect(bad.code).toBe(2)
    expect(bad.stderr.trim()).toBe('flakeseed: --base nope is not a commit that shares history with HEAD here')
  })

  test('inside the run: FLAKESEED_HUNT fails the run on an introduced dependency; hunt.fail: false only reports it', async () => {
    const victim = `test('no mode by default', () => { expect(process.env.HUNT_MODE).toBeUndefined() })`
    const polluter = `test('sets the mode', () => { process.env.HUNT_MODE = 'fast' })`
    const project = repo(
      { 'test/env.test.ts': `import { expect, test } from 'vitest'\n${victim}\n` },
      { 'test/env.test.ts': `import { expect, test } from 'vitest'\n${victim}\n${polluter}\n` },
    )
    // A seed under which the run itself passes: the victim first.
    const seed = seedWhere(['test/env.test.ts > no mode by default', 'test/env.test.ts > sets the mode'], (o) => o[0]!.endsWith('default'))
    const summary = join(project.dir, 'summary.md')
    const failing = await project.runVitest([], { FLAKESEED_SEED: seed, FLAKESEED_HUNT: 'main', FLAKESEED_HUNT_BUDGET: '60', GITHUB_STEP_SUMMARY: summary })
    expect(failing.code, failing.output).toBe(1)
    expect(failing.stdout).toContain('polluter test/env.test.ts > sets the mode')
    expect(failing.stdout).toContain('cause    introduced by this change: test/env.test.ts > sets the mode is new or changed in this change')
    expect(failing.stdout).toContain(
      'flakeseed hunt failed this run: this change introduced an order dependency (hunt: { fail: false } reports without failing)',
    )
    expect(readFileSync(summary, 'utf8')).toContain('### flakeseed hunt: 1 order dependency introduced by this change')
    // The run's own history holds the hunt (kind `hunt`); the summary shows the verified patch's apply command.
    const recorded = /history: run (\d+) \(hunt; not counted by flaky\)/.exec(failing.stdout)?.[1]
    expect(recorded, failing.output).toBeDefined()
    expect(readFileSync(summary, 'utf8')).toMatch(new RegExp(`apply: .*fix ${recorded} --test`))
    expect((await project.runCli(['runs'])).stdout).toMatch(new RegExp(`^\\s*${recorded}\\b.*\\(hunt\\)`, 'm'))
    project.write({ 'vitest.config.ts': config(`{ hunt: { base: 'main', fail: false } }`) })
    const reporting = await project.runVitest([], { FLAKESEED_SEED: seed })
    expect(reporting.code, reporting.output).toBe(0)
    expect(reporting.stdout).toContain('1 introduced by this change, 0 pre-existing')
    expect(reporting.stdout).not.toContain('flakeseed hunt failed this run')
  }, 300_000)
})
