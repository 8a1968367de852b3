// The bisect coordinator against a fake Vitest: the victim's outcome is a function of the tests
// planned before it (and, for flaky cases, of a seeded PRNG), so the classes, the culprits and the
// probe counts are checked exactly, and the odds of blaming a test for a flaky victim are counted
// over many simulated bisects.
import { describe, expect, test } from 'vitest'
import { bisect } from '../../src/bisect/coordinator.js'
import type { DiagnosisReport } from '../../src/worker/diagnosis.js'
import type { DiagnoseRequest, PlanResult } from '../../src/run/execute.js'
import type { Finding, Leak, RecordedTest } from '../../src/core/model.js'
import type { Plan } from '../../src/core/order.js'
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
async function run(
  n: number,
  fails: (before: Set<string>) => boolean,
  repeat: number,
  passing: RecordedTest[][] = [],
  suspects?: { polluters?: string[]; setters?: string[] },
): Promise<Finding> {
  return bisect({
    victim: VICTIM,
    failing: order(n),
    isolate: true,
    passing: passing.map((results) => ({ results, isolate: true })),
    repeat,
    cleaners: false,
    diagnose: false,
    suspects,
    execute: async (plan: Plan) => {
      const names = plan.files.flatMap((f) => f.tests)
      const before = new Set(names.slice(0, -1))
      return { states: new Map([[VICTIM, fails(before) ? 'failed' : 'passed']]), errors: new Map(), missing: [], unhandled: 0 }
    },
  })
}

/**
 * `bisect` over a failing order of one file, no passing run recorded, `repeat` 1: the victim fails
 * when `fails(names before it)`; each probe lists `declared` (the file's tests as declared) as Vitest does.
 */
function bisectWith(failing: RecordedTest[], fails: (before: string[]) => boolean, declared: string[] = []): Promise<Finding> {
  return bisect({
    victim: VICTIM,
    failing,
    isolate: true,
    passing: [],
    repeat: 1,
    cleaners: false,
    diagnose: false,
    execute: async (plan: Plan) => {
      const names = plan.files.flatMap((f) => f.tests)
      const states = new Map<string, 'passed' | 'failed' | 'skipped'>(declared.map((t) => [t, 'skipped']))
      states.set(VICTIM, fails(names.slice(0, -1)) ? 'failed' : 'passed')
      return { states, errors: new Map(), missing: [], unhandled: 0 }
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

  test('a victim that fails alone, with every other test of its file before it too, is independent, and says so', async () => {
    const finding = await run(20, () => true, 3)
    // No recorded passing order: the tests of its file were the one order tried.
    expect(finding).toMatchObject({ kind: 'independent', polluters: [], stateSetters: [], passingOrders: 1 })
  })

  test('a brittle test with no recorded passing run: its state setter is searched among the tests that can share its process', async () => {
    // The victim ran 10th; its setter t15 ran after it. Only the failing run is recorded.
    const failing = order(20).map((t) => (t.name === 'victim' ? { ...t, testIndex: 10 } : t.testIndex >= 10 ? { ...t, testIndex: t.testIndex + 1 } : t))
    const finding = await bisectWith(failing, (before) => !before.includes('t15'))
    expect(finding).toMatchObject({ kind: 'brittle', stateSetters: [id('t15')], passingOrders: 1 })
  })

  test('the declaration order is a candidate passing order: tests declared before the victim, before all of them', async () => {
    // Declared: t0…t16, victim, t17…t19. t18 undoes what t15 sets: only the declared order passes.
    const declared = [...Array.from({ length: 17 }, (_, i) => `t${i}`), 'victim', 't17', 't18', 't19'].map(id)
    const failing = order(20).map((t) => (t.name === 'victim' ? { ...t, testIndex: 10 } : t.testIndex >= 10 ? { ...t, testIndex: t.testIndex + 1 } : t))
    const fails = (before: string[]) => !before.includes('t15') || before.includes('t18')
    expect(await bisectWith(failing, fails, declared)).toMatchObject({ kind: 'brittle', stateSetters: [id('t15')], passingOrders: 1 })
    // Without the declaration order (Vitest did not list the file's tests), all of them are the only order: no setter.
    expect(await bisectWith(failing, fails)).toMatchObject({ kind: 'independent', passingOrders: 1 })
  })

  test('a victim that fails 40 % of the time whatever ran before is almost never blamed on a test', async () => {
    const random = prng(1)
    const kinds: Record<string, number> = {}
    for (let i = 0; i < 400; i++) {
      const f = await run(30, () => random() < 0.4, 3)
      kinds[f.kind] = (kinds[f.kind] ?? 0) + 1
    }
    const blamed = (kinds.victim ?? 0) + (kinds.brittle ?? 0)
    // About 0.3 % in theory (see docs/bisect.md); 400 runs allow a few. The rest is nod or
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
    const finding = await bisect({ victim: VICTIM, failing, isolate: true, passing: [], repeat: 1, cleaners: false, diagnose: false, execute: vitest.execute })
    expect(finding).toMatchObject({ kind: 'victim', describe: `${FILE} > d` })
    expect(finding.polluters).toHaveLength(1)
    expect(finding.probes).toBe(finding.probesToFind! + 1)
    // The last probe ran the other test of the describe alone before the victim.
    expect(vitest.plans.at(-1)).toHaveLength(2)
  })

  test('one test alone is not a describe: no describe named when its sibling does not pollute', async () => {
    const failing = [at(FILE, 'd > a', 0, 0, null), at(FILE, 'd > b', 0, 1, null), at(FILE, 'victim', 0, 2, null, 'failed')]
    const vitest = fakeVitest(VICTIM, (before) => before.includes(id('d > b')))
    const finding = await bisect({ victim: VICTIM, failing, isolate: true, passing: [], repeat: 1, cleaners: false, diagnose: false, execute: vitest.execute })
    expect(finding).toMatchObject({ kind: 'victim', polluters: [id('d > b')] })
    expect(finding.describe).toBeUndefined()
  })

  test('--cleaners: tests of the suite that undo the pollution when run between polluter and victim, found with only the failing run', async () => {
    // The failing run: `clean` ran after the victim, so no recorded order had it in between.
    const failing = [
      at(FILE, 'pollute', 0, 0, null),
      at(FILE, 'x', 0, 1, null),
      at(FILE, 'victim', 0, 2, null, 'failed'),
      at(FILE, 'y', 0, 3, null),
      at(FILE, 'clean', 0, 4, null),
    ]
    // Fails when `pollute` ran and no `clean` ran after it.
    const vitest = fakeVitest(VICTIM, (before) => {
      const p = before.lastIndexOf(id('pollute'))
      return p >= 0 && !before.slice(p).includes(id('clean'))
    })
    const finding = await bisect({ victim: VICTIM, failing, isolate: true, passing: [], repeat: 1, cleaners: true, diagnose: false, execute: vitest.execute })
    expect(finding).toMatchObject({ kind: 'victim', polluters: [id('pollute')], cleaners: [id('clean')] })
    // Without --cleaners, none are searched for.
    const without = await bisect({ victim: VICTIM, failing, isolate: true, passing: [], repeat: 1, cleaners: false, diagnose: false, execute: vitest.execute })
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
    const finding = await bisect({ victim, failing, isolate: false, passing: [], repeat: 1, cleaners: false, diagnose: false, execute: vitest.execute })
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
    const finding = await bisect({ victim, failing, isolate: true, passing: [], repeat: 1, cleaners: false, diagnose: false, execute: vitest.execute })
    expect(finding).toMatchObject({ kind: 'victim', polluters: ['test/v.test.ts > v0'] })
    expect(vitest.plans.flat().some((t) => t.startsWith('test/a.test.ts'))).toBe(false)
  })
})

/**
 * A fake Vitest whose workers see leaks: `leaks` is what the polluter leaves, `breaks(undone,
 * config)` says whether the victim still fails with those leak keys undone and that config set.
 */
function leakyVitest(
  polluter: string,
  leaks: DiagnosisReport['leaks'],
  breaks: (undone: readonly string[], config: Record<string, unknown>) => boolean,
  stubbed: DiagnosisReport['stubbed'] = { env: [], global: [] },
) {
  const requests: Array<DiagnoseRequest | undefined> = []
  const execute = async (plan: Plan, diagnose?: DiagnoseRequest) => {
    requests.push(diagnose)
    const ran = plan.files.flatMap((f) => f.tests.map((name) => `${f.file} > ${name}`))
    const polluted = ran.slice(0, -1).includes(polluter)
    const undone = diagnose?.undo ?? []
    const fails = polluted && breaks(undone, diagnose?.config ?? {})
    const diagnosis: DiagnosisReport | undefined = diagnose && {
      reached: true,
      leaks: polluted ? leaks : [],
      undone: Object.fromEntries(undone.map((k) => [k, true])),
      stubbed,
    }
    return { states: new Map([[VICTIM, fails ? ('failed' as const) : ('passed' as const)]]), errors: new Map(), missing: [], unhandled: 0, diagnosis }
  }
  return { execute, requests }
}

const leak = (key: string, kind: Leak['kind'], what: string, before: string, after: string): DiagnosisReport['leaks'][number] => ({
  key,
  kind,
  what,
  before,
  after,
  by: id('pollute'),
})
const polluted = () => [
  at(FILE, 'a', 0, 0, null),
  at(FILE, 'pollute', 0, 1, null),
  at(FILE, 'b', 0, 2, null),
  at(FILE, 'victim', 0, 3, null, 'failed'),
  at(FILE, 'reset', 0, 4, null),
]

describe('bisect (coordinator): the diagnosis', () => {
  test('names the leak the victim needs undone, verified by one undo, the one its error names first; the fix is the undo said as code', async () => {
    const leaks = [
      leak('global:cache', 'global', 'globalThis.cache', '(absent)', 'a Map of 3'),
      leak('env:SHOP_CURRENCY', 'env', 'process.env.SHOP_CURRENCY', '(unset)', "'EUR'"),
    ]
    const vitest = leakyVitest(id('pollute'), leaks, (undone) => !undone.includes('env:SHOP_CURRENCY'))
    const finding = await bisect({
      victim: VICTIM,
      failing: polluted(),
      isolate: true,
      passing: [],
      repeat: 1,
      cleaners: false,
      error: "expected 'EUR' to be 'USD'",
      execute: vitest.execute,
    })
    expect(finding).toMatchObject({ kind: 'victim', polluters: [id('pollute')] })
    expect(finding.leaks).toEqual([
      // Not needed: undoing the cause alone was enough.
      { kind: 'global', what: 'globalThis.cache', before: '(absent)', after: 'a Map of 3', verified: false, ruledOut: 'cause-alone', by: id('pollute') },
      { kind: 'env', what: 'process.env.SHOP_CURRENCY', before: '(unset)', after: "'EUR'", verified: true, by: id('pollute') },
    ])
    // The fix is the code the patch writes first, in `flakeseed fix`'s own words.
    expect(finding.fix).toEqual({
      suggestion: 'save process.env.SHOP_CURRENCY before each test and put it back after in test/x.test.ts',
      verified: true,
      how: 'undo-rerun',
      remedy: 'restore-env',
    })
    // One probe to see the leaks, one undo: within the target of 3 beyond the search.
    expect(finding.diagnosisProbes).toBe(2)
    expect(finding.probes).toBe(finding.probesToFind! + 2)
    expect(vitest.requests.filter(Boolean).map((r) => r!.undo ?? [])).toEqual([[], ['env:SHOP_CURRENCY']])
  })

  test('a spy never restored: restoreMocks: true is the fix, verified by a rerun with it (3 probes)', async () => {
    const leaks = [leak('fn:console.error', 'mock', 'console.error', 'function error', 'a vi.fn() mock')]
    const vitest = leakyVitest(id('pollute'), leaks, (undone, config) => !undone.length && !config.restoreMocks)
    const finding = await bisect({ victim: VICTIM, failing: polluted(), isolate: true, passing: [], repeat: 1, cleaners: false, execute: vitest.execute })
    expect(finding.leaks?.[0]).toMatchObject({ kind: 'mock', verified: true })
    expect(finding.fix).toEqual({
      suggestion: 'restoreMocks: true in the Vitest config (or vi.restoreAllMocks() in an afterEach)',
      config: { restoreMocks: true },
      verified: true,
      how: 'config-rerun',
      remedy: 'restoreMocks-config',
    })
    expect(finding.diagnosisProbes).toBe(3)
  })

  test('vi.stubEnv never unstubbed: unstubEnvs; a config switch that does not help falls back to the code fix', async () => {
    const leaks = [leak('env:API', 'env', 'process.env.API', '(unset)', "'x'")]
    const stubbed = leakyVitest(id('pollute'), leaks, (undone, config) => !undone.length && !config.unstubEnvs, { env: ['API'], global: [] })
    const a = await bisect({ victim: VICTIM, failing: polluted(), isolate: true, passing: [], repeat: 1, cleaners: false, execute: stubbed.execute })
    expect(a.fix).toMatchObject({ config: { unstubEnvs: true }, how: 'config-rerun', verified: true })
    // A spy that restoreMocks does not restore (assigned by hand): the undo is the fix, and
    // vi.restoreAllMocks(), which does what the switch does, is passed over.
    const spy = [leak('fn:console.error', 'mock', 'console.error', 'function error', 'a vi.fn() mock')]
    const byHand = leakyVitest(id('pollute'), spy, (undone) => !undone.length)
    const b = await bisect({ victim: VICTIM, failing: polluted(), isolate: true, passing: [], repeat: 1, cleaners: false, execute: byHand.execute })
    expect(b.fix).toEqual({
      suggestion: 'save console.error before each test and put it back after in test/x.test.ts',
      verified: true,
      how: 'undo-rerun',
      remedy: 'restore-global',
    })
  })

  test('nothing visible (a module-private variable): says so, and a test of the suite that resets it becomes the fix', async () => {
    const vitest = fakeVitest(VICTIM, (before) => {
      const p = before.lastIndexOf(id('pollute'))
      return p >= 0 && !before.slice(p).includes(id('reset'))
    })
    const finding = await bisect({ victim: VICTIM, failing: polluted(), isolate: true, passing: [], repeat: 1, cleaners: false, execute: vitest.execute })
    expect(finding.leaks).toEqual([])
    expect(finding.noLeak).toMatch(/^the victim was never reached|^no leak visible/)
    expect(finding.cleaners).toEqual([id('reset')])
    expect(finding.fix).toMatchObject({ how: 'cleaner', verified: true })
    expect(finding.fix!.suggestion).toMatch(/^running 'reset' between them makes it pass/)
  })

  test('no leak is verified when undoing none of them flips the victim; the leaks are still listed, unverified', async () => {
    const leaks = [leak('env:A', 'env', 'process.env.A', '(unset)', "'1'"), leak('env:B', 'env', 'process.env.B', '(unset)', "'2'")]
    const vitest = leakyVitest(id('pollute'), leaks, () => true)
    const finding = await bisect({ victim: VICTIM, failing: polluted(), isolate: true, passing: [], repeat: 1, cleaners: false, execute: vitest.execute })
    expect(finding.leaks!.map((l) => l.verified)).toEqual([false, false])
    expect(finding.fix).toBeUndefined()
    // Two single undos, all at once, then the suite's tests as cleaners: bounded.
    expect(finding.diagnosisProbes).toBeLessThanOrEqual(1 + 2 + 1 + 1)
  })
})

describe('bisect (coordinator): suspects from the history first', () => {
  test('a right suspect is settled in 2 × repeat probes: with it the victim fails, alone it passes', async () => {
    const finding = await bisect({
      victim: VICTIM,
      failing: order(1000),
      isolate: true,
      passing: [],
      repeat: 3,
      cleaners: false,
      diagnose: false,
      suspects: { polluters: [id('t421')] },
      execute: async (plan: Plan) => {
        const before = new Set(plan.files.flatMap((f) => f.tests).slice(0, -1))
        return { states: new Map([[VICTIM, before.has('t421') ? 'failed' : 'passed']]), errors: new Map(), missing: [], unhandled: 0 }
      },
    })
    expect(finding).toMatchObject({ kind: 'victim', polluters: [id('t421')], probes: 6, probesToFind: 6 })
    // Without the suspect: the whole search.
    const searched = await run(1000, (b) => b.has('t421'), 3)
    expect(searched).toMatchObject({ kind: 'victim', polluters: [id('t421')] })
    expect(searched.probes).toBeGreaterThan(15)
  })

  test('a wrong suspect costs one probe, then the search finds the polluter all the same', async () => {
    const with_ = await run(64, (b) => b.has('t40'), 1, [], { polluters: [id('t3')] })
    const without = await run(64, (b) => b.has('t40'), 1)
    expect(with_).toMatchObject({ kind: 'victim', polluters: [id('t40')] })
    expect(with_.probes).toBe(without.probes + 1)
  })

  test('several suspects: the one needed among them is kept', async () => {
    const finding = await run(100, (b) => b.has('t55'), 1, [], { polluters: [id('t10'), id('t70'), id('t55')] })
    expect(finding).toMatchObject({ kind: 'victim', polluters: [id('t55')] })
    // The best suspect alone (1, it passes), then all three (1 and alone 1), then the one of three.
    expect(finding.probes).toBeLessThanOrEqual(6)
  })

  test('a state setter suspect for a brittle test', async () => {
    const setup: RecordedTest = { project: '', file: FILE, name: 'setup', fileIndex: 0, testIndex: 0, worker: null, state: 'passed' }
    const passingOrder = [setup, ...order(20).map((t) => ({ ...t, testIndex: t.testIndex + 1, state: 'passed' as const }))]
    const finding = await bisect({
      victim: VICTIM,
      failing: order(20),
      isolate: true,
      passing: [{ results: passingOrder, isolate: true }],
      repeat: 3,
      cleaners: false,
      diagnose: false,
      suspects: { setters: [id('setup')] },
      execute: async (plan: Plan) => ({
        states: new Map([[VICTIM, plan.files.flatMap((f) => f.tests).includes('setup') ? 'passed' : 'failed']]),
        errors: new Map(),
        missing: [],
        unhandled: 0,
      }),
    })
    expect(finding).toMatchObject({ kind: 'brittle', stateSetters: [id('setup')], probes: 6 })
  })
})

describe('bisect (coordinator): --jobs', () => {
  /** A fake Vitest that counts how many probes run at once, at most. */
  function concurrent(fails: (before: Set<string>) => boolean) {
    let running = 0
    let most = 0
    const execute = async (plan: Plan) => {
      most = Math.max(most, ++running)
      await new Promise((r) => setTimeout(r, 1))
      running--
      const before = new Set(plan.files.flatMap((f) => f.tests).slice(0, -1))
      return { states: new Map([[VICTIM, fails(before) ? ('failed' as const) : ('passed' as const)]]), errors: new Map(), missing: [], unhandled: 0 }
    }
    return { execute, most: () => most }
  }

  test('two jobs find the same polluters as one, running probes two at a time', async () => {
    const random = prng(77)
    for (let i = 0; i < 30; i++) {
      const n = 2 + Math.floor(random() * 200)
      const culprit = `t${Math.floor(random() * n)}`
      const fails = (b: Set<string>) => b.has(culprit)
      const search = (execute: (plan: Plan) => Promise<PlanResult>, jobs?: number) =>
        bisect({ victim: VICTIM, failing: order(n), isolate: true, passing: [], repeat: 3, cleaners: false, diagnose: false, jobs, execute })
      const one = await search(concurrent(fails).execute)
      const fake = concurrent(fails)
      const two = await search(fake.execute, 2)
      expect(two.polluters, `n=${n} ${culprit}`).toEqual(one.polluters)
      expect(two.kind).toBe(one.kind)
      expect(fake.most()).toBeGreaterThan(1)
    }
  })
})
