// Where bisect looks, end to end: a brittle test's state setter when only the failing run is
// recorded (the tests that can share its process, the declaration order first); what it is given
// to spend (`--budget`, at most 24 h), and what it spends it on first (`--new --budget`: what can be
// explained before what fails every run).
import { describe, expect, test } from 'vitest'
import type { Finding } from '../../src/core/model.js'
import { testId } from '../../src/core/names.js'
import { expectOneLineError, runsBefore, seedWhere } from '../helpers/cli.js'
import { config, createProject } from '../helpers/project.js'

describe('bisect searches beyond the failing run', () => {
  test('a brittle test with only its failing run recorded: the setter that ran after it is found', async () => {
    const file = 'test/locale.test.ts'
    const names = ['should set a new locale', 'formats dates', 'formats numbers', 'should update the main locale', 'parses input']
    const ids = names.map((n) => testId('', file, n))
    const [setter, , , victim] = ids as [string, string, string, string]
    const project = createProject({
      'vitest.config.ts': config('', 'fileParallelism: false'),
      'src/locale.ts': `let current = 'en'\nexport const setLocale = (l: string) => { current = l }\nexport const locale = () => current\n`,
      [file]: [
        `import { expect, test } from 'vitest'`,
        `import { locale, setLocale } from '../src/locale'`,
        `test('should set a new locale', () => { setLocale('fr'); expect(locale()).toBe('fr') })`,
        `test('formats dates', () => {})`,
        `test('formats numbers', () => {})`,
        // It only passes after the test above, as its authors always ran it.
        `test('should update the main locale', () => { expect(locale()).toBe('fr') })`,
        `test('parses input', () => {})`,
        '',
      ].join('\n'),
    })
    const seed = seedWhere(ids, (o) => runsBefore(o, victim, setter))
    const recorded = await project.runVitest([], { FLAKESEED_SEED: seed })
    expect(recorded.code, recorded.output).toBe(1)
    const finding = await project.runCliJson<Finding>(['bisect', 'last', '--repeat', '1', '--no-diagnose'])
    expect(finding).toMatchObject({ victim, kind: 'brittle', stateSetters: [setter] })
  })
})

describe('--new --budget (the in-job bisect)', () => {
  test('a failure with suspects goes before new ones that fail alone: a small budget still reaches the order-dependent one', async () => {
    const shop = 'test/z-shop.test.ts'
    const fillers = Array.from({ length: 8 }, (_, i) => `f${i}`)
    const ids = ['pollutes', 'victim', ...fillers].map((n) => testId('', shop, n))
    const [polluter, victim] = ids as [string, string]
    const project = createProject({
      'vitest.config.ts': config('', 'fileParallelism: false'),
      // Broken by this change (BREAK), slow, and first in the list of new failures (by id).
      'test/a-broken.test.ts': [
        `import { expect, test } from 'vitest'`,
        `test('broken 1', async () => { await new Promise((r) => setTimeout(r, 3000)); expect(process.env.BREAK).toBeUndefined() })`,
        `test('broken 2', async () => { await new Promise((r) => setTimeout(r, 3000)); expect(process.env.BREAK).toBeUndefined() })`,
        '',
      ].join('\n'),
      [shop]: [
        `import { expect, test } from 'vitest'`,
        `let dirty = false`,
        `test('pollutes', () => { dirty = true })`,
        `test('victim', () => { expect(dirty).toBe(false) })`,
        ...fillers.map((n) => `test('${n}', () => {})`),
        '',
      ].join('\n'),
    })
    const failing = seedWhere(ids, (o) => runsBefore(o, polluter, victim))
    const passing = seedWhere(ids, (o) => runsBefore(o, victim, polluter))
    // All three fail for the first time in the last run; the victim's two runs make the polluter a suspect.
    await project.runVitest([], { FLAKESEED_SEED: passing })
    await project.runVitest([], { FLAKESEED_SEED: failing, BREAK: '1' })
    // The budget is wall time, and test files run two at a time: a busy machine can use 20 s up
    // before the victim's search ends (9 probes under a load of 14). What shows the priority is
    // that the victim is bisected first (findings come in the order bisected, and a broken one
    // first would be findings[0] under any budget), so a victim cut by the budget is bisected
    // again on a copy of the same history with twice the budget, at most twice.
    let result: { findings: Array<Finding & { seconds: number }>; left: Array<{ test: string; why: string }> } | undefined
    for (const budget of ['20', '40', '80']) {
      result = await project.copy().runCliJson<NonNullable<typeof result>>(['bisect', 'last', '--new', '--budget', budget, '--no-diagnose'], { BREAK: '1' })
      if (!(result.findings[0]?.victim === victim && result.findings[0].interrupted)) break
    }
    if (!result) throw new Error('no bisect ran')
    expect(result.findings[0], JSON.stringify(result)).toMatchObject({ victim, kind: 'victim', polluters: [polluter] })
    // What was left for lack of time is the broken ones.
    for (const left of result.left) expect(left.test).toMatch(/^test\/a-broken\.test\.ts > /)
  }, 300_000)
})

describe('--budget', () => {
  test('above 24 h (a timer cannot hold it) is refused in one line that says so; 1e9 too, for that reason; exit 2', async () => {
    const project = createProject({})
    for (const value of ['99999999', '1e9', '86400.5']) {
      const result = await project.runCli(['bisect', 'last', '--budget', value])
      expectOneLineError(result, `argument '${value}' is invalid. must be at most 86400 seconds (24 h)`)
      expect(result.stderr).not.toContain('TimeoutOverflowWarning')
    }
    for (const value of ['0', 'soon', '-1'])
      expectOneLineError(await project.runCli(['bisect', 'last', '--budget', value]), 'must be a number of seconds above 0')
  })

  test('in a run, FLAKESEED_BISECT_BUDGET=1000000000 is one warning, and the in-job bisect runs with 24 h', async () => {
    const file = 'test/m.test.ts'
    const ids = ['pollutes', 'victim', 'other'].map((n) => testId('', file, n))
    const project = createProject({
      'vitest.config.ts': config('', 'fileParallelism: false'),
      [file]: [
        `import { expect, test } from 'vitest'`,
        `let dirty = false`,
        `test('pollutes', () => { dirty = true })`,
        `test('victim', () => { expect(dirty).toBe(false) })`,
        `test('other', () => {})`,
        '',
      ].join('\n'),
    })
    const seed = seedWhere(ids, (o) => runsBefore(o, ids[0]!, ids[1]!))
    const run = await project.runVitest([], { FLAKESEED_SEED: seed, FLAKESEED_BISECT: 'new', FLAKESEED_BISECT_BUDGET: '1000000000' })
    expect(run.code, run.output).toBe(1)
    expect(run.output).toContain('flakeseed: FLAKESEED_BISECT_BUDGET="1000000000" is more than the longest budget, 86400 s (24 h): using 86400 s')
    expect(run.output).toContain('within 86400 s (exit code unchanged)')
    expect(run.output).toContain(`polluter ${ids[0]}`)
    expect(run.output).not.toContain('TimeoutOverflowWarning')
    expect(run.output).not.toContain('the bisect in this job failed')
  })
})
