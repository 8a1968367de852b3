// The bisect coordinator against a fake Vitest: the victim's outcome is a function of the tests
// planned before it (and, for flaky cases, of a seeded PRNG), so the classes, the culprits and the
// probe counts are checked exactly, and the odds of blaming a test for a flaky victim are counted
// over many simulated bisects.
import { describe, expect, test } from 'vitest'
import { bisect } from '../../src/bisect/coordinator.js'
import type { Finding, RecordedTest } from '../../src/model.js'
import type { Plan } from '../../src/order.js'
import { prng } from '../helpers/files.js'

const FILE = 'test/x.test.ts'
const VICTIM = `${FILE} > victim`
const id = (name: string) => `${FILE} > ${name}`

/** n passing tests t0…t(n-1), then the failing victim, in one file. */
function order(n: number): RecordedTest[] {
  const tests: RecordedTest[] = Array.from({ length: n }, (_, i) => ({
    project: '',
    file: FILE,
    name: `t${i}`,
    fileIndex: 0,
    testIndex: i,
    worker: null,
    state: 'passed',
  }))
  tests.push({ project: '', file: FILE, name: 'victim', fileIndex: 0, testIndex: n, worker: null, state: 'failed' })
  return tests
}

/** Runs `bisect` with the victim failing when `fails(names before it)` says so. */
async function run(n: number, fails: (before: Set<string>) => boolean, repeat: number, passing: RecordedTest[][] = []): Promise<Finding> {
  return bisect({
    victim: VICTIM,
    failing: order(n),
    isolate: true,
    passing: passing.map((results) => ({ results, isolate: true })),
    repeat,
    cleaners: false,
    execute: async (plan: Plan) => {
      const names = plan.files.flatMap((f) => f.tests)
      const before = new Set(names.slice(0, -1))
      return { states: new Map([[VICTIM, fails(before) ? 'failed' : 'passed']]), errors: new Map(), missing: [], unhandled: 0 }
    },
  })
}

describe('bisect (coordinator)', () => {
  test('one polluter among 100: exactly it, in ⌈log₂ n⌉ + 3 probes at --repeat 1', async () => {
    const finding = await run(100, (b) => b.has('t63'), 1)
    expect(finding).toMatchObject({ kind: 'victim', polluters: [id('t63')], probes: Math.ceil(Math.log2(100)) + 3 })
  })

  test('at --repeat 3 the result is checked: polluters with the victim fail 3×, the victim alone passes 3×', async () => {
    const finding = await run(100, (b) => b.has('t63'), 3)
    // confirm 1 (stops at the failure), alone 3, search 7 + 1, check 3 + 3.
    expect(finding).toMatchObject({ kind: 'victim', polluters: [id('t63')], probes: 1 + 3 + 8 + 6 })
  })

  test('a brittle victim and its state setter, checked the same way', async () => {
    // It failed after t0…t19; in a passing run, `setup` had run before it.
    const setup: RecordedTest = { project: '', file: FILE, name: 'setup', fileIndex: 0, testIndex: 0, worker: null, state: 'passed' }
    const passingOrder = [setup, ...order(20).map((t) => ({ ...t, testIndex: t.testIndex + 1, state: 'passed' as const }))]
    const finding = await run(20, (b) => !b.has('setup'), 3, [passingOrder])
    expect(finding).toMatchObject({ kind: 'brittle', stateSetters: [id('setup')], passingOrders: 1 })
  })

  test('a victim that fails alone with no passing order to search is independent, and says so', async () => {
    const finding = await run(20, () => true, 3)
    expect(finding).toMatchObject({ kind: 'independent', polluters: [], stateSetters: [], passingOrders: 0 })
  })

  test('a victim that fails 40 % of the time whatever ran before is almost never blamed on a test', async () => {
    const random = prng(1)
    const kinds: Record<string, number> = {}
    for (let i = 0; i < 400; i++) {
      const f = await run(30, () => random() < 0.4, 3)
      kinds[f.kind] = (kinds[f.kind] ?? 0) + 1
    }
    const blamed = (kinds.victim ?? 0) + (kinds.brittle ?? 0)
    // About 0.3 % in theory (see README, Bisect); 400 runs allow a few. The rest is nod or
    // not-reproduced, or (failing 3 times alone, with no passing order to search) independent.
    expect(blamed).toBeLessThanOrEqual(4)
    expect(Object.keys(kinds).filter((k) => !['victim', 'brittle', 'nod', 'not-reproduced', 'independent'].includes(k))).toEqual([])
    expect((kinds.nod ?? 0) + (kinds['not-reproduced'] ?? 0)).toBeGreaterThan(350)
  })

  test('a polluter that shows only 95 % of the time is still found, or the victim is called non-deterministic: never another test', async () => {
    const random = prng(2)
    let found = 0
    for (let i = 0; i < 200; i++) {
      const f = await run(64, (b) => b.has('t40') && random() < 0.95, 3)
      if (f.kind === 'victim') {
        expect(f.polluters).toEqual([id('t40')])
        found++
      } else {
        expect(['nod', 'not-reproduced']).toContain(f.kind)
      }
    }
    // The check needs 3 failures in a row with the polluter: 0.95³ ≈ 86 %.
    expect(found).toBeGreaterThan(140)
  })
})

/** A test at a position of a recorded order. */
function at(file: string, name: string, fileIndex: number, testIndex: number, worker: number | null, state: RecordedTest['state'] = 'passed'): RecordedTest {
  return { project: '', file, name, fileIndex, testIndex, worker, state }
}

/**
 * A fake Vitest for orders across files: the victim's outcome is `fails(ids before it, in
 * order)`; every plan it ran is kept, as the ids it ran.
 */
function fakeVitest(victim: string, fails: (before: string[]) => boolean) {
  const plans: string[][] = []
  const execute = async (plan: Plan) => {
    const ran = plan.files.flatMap((f) => f.tests.map((name) => `${f.file} > ${name}`))
    plans.push(ran)
    const state = fails(ran.slice(0, -1)) ? ('failed' as const) : ('passed' as const)
    return { states: new Map([[victim, state]]), errors: new Map(), missing: [], unhandled: 0 }
  }
  return { execute, plans }
}

describe('bisect (coordinator): follow-up questions and processes', () => {
  test("when another test of the polluter's describe pollutes too, the describe (its hooks) is named, in one more probe", async () => {
    const failing = [
      at(FILE, 'd > a', 0, 0, null),
      at(FILE, 't0', 0, 1, null),
      at(FILE, 'd > b', 0, 2, null),
      at(FILE, 't1', 0, 3, null),
      at(FILE, 'victim', 0, 4, null, 'failed'),
    ]
    // The describe's beforeAll pollutes: any of its tests brings it along.
    const vitest = fakeVitest(VICTIM, (before) => before.some((t) => t.startsWith(`${FILE} > d > `)))
    const finding = await bisect({ victim: VICTIM, failing, isolate: true, passing: [], repeat: 1, cleaners: false, execute: vitest.execute })
    expect(finding).toMatchObject({ kind: 'victim', describe: `${FILE} > d` })
    expect(finding.polluters).toHaveLength(1)
    expect(finding.probes).toBe(finding.probesToFind! + 1)
    // The last probe ran the other test of the describe alone before the victim.
    expect(vitest.plans.at(-1)).toHaveLength(2)
  })

  test('one test alone is not a describe: no describe named when its sibling does not pollute', async () => {
    const failing = [at(FILE, 'd > a', 0, 0, null), at(FILE, 'd > b', 0, 1, null), at(FILE, 'victim', 0, 2, null, 'failed')]
    const vitest = fakeVitest(VICTIM, (before) => before.includes(id('d > b')))
    const finding = await bisect({ victim: VICTIM, failing, isolate: true, passing: [], repeat: 1, cleaners: false, execute: vitest.execute })
    expect(finding).toMatchObject({ kind: 'victim', polluters: [id('d > b')] })
    expect(finding.describe).toBeUndefined()
  })

  test('--cleaners: the tests between polluter and victim in a passing order that undo the pollution', async () => {
    const failing = [at(FILE, 'pollute', 0, 0, null), at(FILE, 'x', 0, 1, null), at(FILE, 'victim', 0, 2, null, 'failed')]
    const passing = [
      at(FILE, 'pollute', 0, 0, null),
      at(FILE, 'y', 0, 1, null),
      at(FILE, 'clean', 0, 2, null),
      at(FILE, 'z', 0, 3, null),
      at(FILE, 'victim', 0, 4, null),
    ]
    // Fails when `pollute` ran and no `clean` ran after it.
    const vitest = fakeVitest(VICTIM, (before) => {
      const p = before.lastIndexOf(id('pollute'))
      return p >= 0 && !before.slice(p).includes(id('clean'))
    })
    const finding = await bisect({
      victim: VICTIM,
      failing,
      isolate: true,
      passing: [{ results: passing, isolate: true }],
      repeat: 1,
      cleaners: true,
      execute: vitest.execute,
    })
    expect(finding).toMatchObject({ kind: 'victim', polluters: [id('pollute')], cleaners: [id('clean')] })
    // Without --cleaners, none are searched for.
    const without = await bisect({
      victim: VICTIM,
      failing,
      isolate: true,
      passing: [{ results: passing, isolate: true }],
      repeat: 1,
      cleaners: false,
      execute: vitest.execute,
    })
    expect(without.cleaners).toEqual([])
    expect(without.probes).toBeLessThan(finding.probes)
  })

  test('isolate: false searches the earlier files of the same worker, and never another worker', async () => {
    const victim = 'test/v.test.ts > victim'
    const failing = [
      at('test/a.test.ts', 'a0', 0, 0, 1),
      at('test/b.test.ts', 'b0', 1, 0, 2),
      at('test/a.test.ts', 'pollute', 0, 1, 1),
      at('test/b.test.ts', 'b1', 1, 1, 2),
      at('test/c.test.ts', 'c0', 2, 0, 1),
      at('test/v.test.ts', 'v0', 3, 0, 1),
      at('test/v.test.ts', 'victim', 3, 1, 1, 'failed'),
    ]
    const vitest = fakeVitest(victim, (before) => before.includes('test/a.test.ts > pollute'))
    const finding = await bisect({ victim, failing, isolate: false, passing: [], repeat: 1, cleaners: false, execute: vitest.execute })
    expect(finding).toMatchObject({ kind: 'victim', polluters: ['test/a.test.ts > pollute'] })
    // The first probe confirmed the failure after worker 1's earlier tests, in their order.
    expect(vitest.plans[0]).toEqual(['test/a.test.ts > a0', 'test/a.test.ts > pollute', 'test/c.test.ts > c0', 'test/v.test.ts > v0', victim])
    expect(vitest.plans.flat().some((t) => t.startsWith('test/b.test.ts'))).toBe(false)
  })

  test("with isolated files (the default) only the victim file's earlier tests are candidates", async () => {
    const victim = 'test/v.test.ts > victim'
    const failing = [at('test/a.test.ts', 'pollute', 0, 0, 1), at('test/v.test.ts', 'v0', 1, 0, 1), at('test/v.test.ts', 'victim', 1, 1, 1, 'failed')]
    // With isolation the other file cannot matter; a fake that says otherwise is never asked about it.
    const vitest = fakeVitest(victim, (before) => before.includes('test/v.test.ts > v0'))
    const finding = await bisect({ victim, failing, isolate: true, passing: [], repeat: 1, cleaners: false, execute: vitest.execute })
    expect(finding).toMatchObject({ kind: 'victim', polluters: ['test/v.test.ts > v0'] })
    expect(vitest.plans.flat().some((t) => t.startsWith('test/a.test.ts'))).toBe(false)
  })
})
