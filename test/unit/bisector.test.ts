// The bisect coordinator against a fake Vitest: the victim's outcome is a function of the tests
// planned before it (and, for flaky cases, of a seeded PRNG), so the classes, the culprits and the
// probe counts are checked exactly, and the odds of blaming a test for a flaky victim are counted
// over many simulated bisects.
import { describe, expect, test } from 'vitest'
import { bisect, type Finding, type Ordered } from '../../src/bisector.js'
import type { Plan } from '../../src/order.js'
import { prng } from '../helpers/files.js'

const FILE = 'test/x.test.ts'
const VICTIM = `${FILE} > victim`
const id = (name: string) => `${FILE} > ${name}`

/** n passing tests t0…t(n-1), then the failing victim, in one file. */
function order(n: number): Ordered[] {
  const tests: Ordered[] = Array.from({ length: n }, (_, i) => ({ project: '', file: FILE, name: `t${i}`, fileIndex: 0, testIndex: i, worker: null, state: 'passed' }))
  tests.push({ project: '', file: FILE, name: 'victim', fileIndex: 0, testIndex: n, worker: null, state: 'failed' })
  return tests
}

/** Runs `bisect` with the victim failing when `fails(names before it)` says so. */
async function run(n: number, fails: (before: Set<string>) => boolean, repeat: number, passing: Ordered[][] = []): Promise<Finding> {
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
    const setup: Ordered = { project: '', file: FILE, name: 'setup', fileIndex: 0, testIndex: 0, worker: null, state: 'passed' }
    const passingOrder = [setup, ...order(20).map((t) => ({ ...t, testIndex: t.testIndex + 1, state: 'passed' }))]
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
