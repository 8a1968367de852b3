import { describe, expect, test } from 'vitest'
import { analyse, classify, entropy, executionKey, metrics, nextCommand, type RunOutcome, type TestHistory } from '../../src/analysis/flakiness.js'

const P = 'passed' as const
const F = 'failed' as const

/** Outcomes from a compact spec: [state, seed, commit, order?]; order defaults to commit+seed. */
function outcomes(spec: Array<[typeof P | typeof F, string, string | null, string?]>): RunOutcome[] {
  return spec.map(([state, seed, commit, order], i) => ({ run: i + 1, state, seed, commit, order: order ?? `${commit} ${seed}` }))
}
const history = (spec: Parameters<typeof outcomes>[0], extra: Partial<TestHistory> = {}): TestHistory => ({
  test: 'test/a.test.ts > t',
  outcomes: outcomes(spec),
  ...extra,
})

describe('metrics', () => {
  test('fail rate, flip rate and entropy of P F F P F', () => {
    const m = metrics([P, F, F, P, F])
    expect(m.runs).toBe(5)
    expect(m.failures).toBe(3)
    expect(m.failRate).toBe(0.6)
    // flips: P→F, F→P, P→F = 3 of 4 transitions
    expect(m.flipRate).toBe(0.75)
    // −0.6·log₂0.6 − 0.4·log₂0.4 = 0.6·0.736966 + 0.4·1.321928
    expect(m.entropy).toBeCloseTo(0.970951, 6)
  })

  test('a test that flips once has flip rate 1/(n−1), whatever its fail rate', () => {
    const m = metrics([P, P, P, F, F, F, F, F])
    expect(m.failRate).toBe(5 / 8)
    expect(m.flipRate).toBeCloseTo(1 / 7, 12)
    expect(m.entropy).toBeCloseTo(0.954434, 6)
  })

  test('edge cases: no runs, one run, a constant sequence', () => {
    expect(metrics([])).toEqual({ runs: 0, failures: 0, failRate: 0, flipRate: 0, entropy: 0 })
    expect(metrics([F])).toEqual({ runs: 1, failures: 1, failRate: 1, flipRate: 0, entropy: 0 })
    expect(metrics([P, P]).entropy).toBe(0)
    expect(entropy(0.5)).toBe(1)
  })
})

describe('executionKey', () => {
  const base = { run: 7, commit: 'abc', dirty: false, seed: '42', isolate: true, fileParallelism: true, fileIndex: 3, testIndex: 2 }
  test('isolated files: commit, seed and position in the file; the file position does not matter', () => {
    expect(executionKey(base)).toBe(executionKey({ ...base, run: 8, fileIndex: 5 }))
    expect(executionKey(base)).not.toBe(executionKey({ ...base, seed: '43' }))
    expect(executionKey(base)).not.toBe(executionKey({ ...base, commit: 'abd' }))
    expect(executionKey(base)).not.toBe(executionKey({ ...base, testIndex: 1 }))
  })
  test('no isolation in one worker: the file position counts', () => {
    const serial = { ...base, isolate: false, fileParallelism: false }
    expect(executionKey(serial)).toBe(executionKey({ ...serial, run: 8 }))
    expect(executionKey(serial)).not.toBe(executionKey({ ...serial, fileIndex: 4 }))
  })
  test('a dirty tree or shared workers in parallel: unknown order, unique to the run', () => {
    expect(executionKey({ ...base, dirty: true })).not.toBe(executionKey({ ...base, dirty: true, run: 8 }))
    expect(executionKey({ ...base, isolate: false })).not.toBe(executionKey({ ...base, isolate: false, run: 8 }))
  })
})

describe('classify', () => {
  test('order-dependent: the failing orders failed every time, other orders passed', () => {
    const h = history([
      [F, 's1', 'c1'],
      [P, 's2', 'c1'],
      [F, 's1', 'c1'],
      [P, 's3', 'c1'],
    ])
    expect(classify(h).class).toBe('order-dependent')
  })

  test('suspected-order-dependent: on one commit one seed failed (once), another passed', () => {
    const h = history([
      [P, 's2', 'c1'],
      [F, 's1', 'c1'],
      [P, 's3', 'c1'],
    ])
    expect(classify(h)).toEqual({ class: 'suspected-order-dependent', reason: 'on c1 some seeds fail, others pass' })
  })

  test('non-deterministic: one exact order both failed and passed', () => {
    const h = history([
      [P, 's1', 'c1'],
      [F, 's1', 'c1'],
      [P, 's2', 'c1'],
      [P, 's1', 'c1'],
    ])
    expect(classify(h)).toEqual({ class: 'non-deterministic', reason: 'one order failed 1× and passed 2×' })
  })

  test('the same seed with another order (tests added) is not the same exact order', () => {
    const h = history([
      [P, 's1', 'c1', 'x'],
      [F, 's1', 'c1', 'y'],
    ])
    expect(classify(h).class).toBe('suspected-order-dependent')
  })

  test('broken: every run since a commit failed, under two seeds; fixed: the mirror image', () => {
    const broken = history([
      [P, 's1', 'c1'],
      [P, 's2', 'c1'],
      [F, 's3', 'c2'],
      [F, 's4', 'c2'],
      [F, 's5', 'c3'],
    ])
    expect(classify(broken)).toEqual({ class: 'broken', reason: 'fails every run since c2' })
    const fixed = history([
      [F, 's1', 'c1'],
      [F, 's2', 'c1'],
      [P, 's3', 'c2'],
      [P, 's4', 'c2'],
    ])
    expect(classify(fixed)).toEqual({ class: 'fixed', reason: 'no failure since c2' })
  })

  test('never passed: broken only once it failed in its declaration order, else failing and bisect next', () => {
    const twoShuffled = history([
      [F, 's1', 'c1'],
      [F, 's2', 'c1'],
    ])
    // Two shuffled runs: a brittle test, or a common polluter's victim, fails them too.
    expect(classify(twoShuffled)).toEqual({
      class: 'failing',
      reason: 'failed all 2 recorded runs under 2 seeds, never yet in its declaration order: an earlier test may be the cause',
    })
    expect(analyse([twoShuffled]).length).toBe(0) // not flaky: never passed
    expect(nextCommand({ test: 'a > b', class: 'failing', run: 2, finding: null })).toBe(`npx flakeseed bisect 2 --test 'a > b'`)
    // It also failed in its declaration order (alone in its file, nothing before it): no order is to blame.
    const declared = { ...twoShuffled, outcomes: twoShuffled.outcomes.map((o, i) => ({ ...o, declarationOrder: i === 1 })) }
    expect(classify(declared)).toEqual({ class: 'broken', reason: 'failed all 2 recorded runs under 2 seeds, also in its declaration order' })
    // Bisect saw it fail alone: a brittle test does too, so still failing; the next command shows it alone.
    const independent = { kind: 'independent' as const, polluters: [], stateSetters: [], command: null }
    expect(classify({ ...twoShuffled, finding: independent })).toEqual({
      class: 'failing',
      reason: 'failed all 2 recorded runs under 2 seeds; bisect: fails alone too, never yet run in its declaration order',
    })
    expect(nextCommand({ test: 'a > b', class: 'failing', run: 2, finding: independent })).toBe(`npx flakeseed replay 2 --only 'a > b'`)
    // One run is no record of "every" run; --min-runs still gates it first.
    const once = history([[F, 's1', 'c1']])
    expect(classify({ ...once, outcomes: once.outcomes.map((o) => ({ ...o, declarationOrder: true })) }).class).toBe('failing')
    expect(classify(declared, 5).class).toBe('suspected')
  })

  test('a streak on a new commit is not enough when the earlier fail rate explains it', () => {
    // Before c2 the test failed 1 of 2 runs: 3 passes in a row happen with chance 0.5³ = 0.125 > 0.01.
    const maybe = history([
      [F, 's1', 'c1'],
      [P, 's2', 'c1'],
      [P, 's3', 'c2'],
      [P, 's4', 'c2'],
      [P, 's5', 'c2'],
    ])
    expect(classify(maybe).class).toBe('suspected-order-dependent')
    // 0.5⁶ = 0.016 > 0.01: still not; 0.5⁷ = 0.0078 ≤ 0.01: fixed.
    const more = (n: number) =>
      history([
        ...maybe.outcomes.map((o) => [o.state, o.seed, o.commit] as [typeof P, string, string]),
        ...Array.from({ length: n }, (_, i) => [P, `t${i}`, 'c3'] as [typeof P, string, string]),
      ])
    expect(classify(more(3)).class).toBe('suspected-order-dependent')
    expect(classify(more(4))).toEqual({ class: 'fixed', reason: 'no failure since c2' })
  })

  test('a streak under one seed only is not broken (it may be that order)', () => {
    const h = history([
      [P, 's1', 'c1'],
      [F, 's2', 'c2'],
      [F, 's2', 'c2'],
    ])
    expect(classify(h).class).toBe('order-dependent')
  })

  test('a streak that starts inside a commit is not "since a commit"', () => {
    const h = history([
      [P, 's1', 'c1'],
      [F, 's2', 'c1'],
      [F, 's3', 'c1'],
    ])
    expect(classify(h).class).toBe('suspected-order-dependent')
  })

  test('a bisect finding decides between order-dependent and non-deterministic', () => {
    const spec: Parameters<typeof outcomes>[0] = [
      [P, 's1', 'c1'],
      [F, 's2', 'c1'],
    ]
    const victim = { kind: 'victim' as const, polluters: ['test/a.test.ts > polluter'], stateSetters: [], command: null }
    expect(classify(history(spec, { finding: victim }))).toEqual({ class: 'order-dependent', reason: 'polluted by test/a.test.ts > polluter' })
    expect(classify(history(spec, { finding: { ...victim, kind: 'nod' as const, polluters: [] } })).class).toBe('non-deterministic')
    // Bisect's brittle (passes only after its state setter) is the class every view shows, and the
    // next command is the finding's own.
    const brittle = { kind: 'brittle' as const, polluters: [], stateSetters: ['test/a.test.ts > setter'], command: 'npx flakeseed replay 2' }
    expect(classify(history(spec, { finding: brittle }))).toEqual({ class: 'brittle', reason: 'passes only after test/a.test.ts > setter' })
    expect(analyse([history(spec, { finding: brittle })], { minRuns: 1 })[0]).toMatchObject({ class: 'brittle', command: 'npx flakeseed replay 2' })
    expect(nextCommand({ test: 'a > b', class: 'brittle', run: 2, finding: null })).toBe(`npx flakeseed bisect 2 --test 'a > b'`)
    // Bisect found no earlier test involved: still suspected (other orders pass), but said so, and
    // the next command shows it failing alone instead of bisecting again.
    const independent = { ...victim, kind: 'independent' as const, polluters: [] }
    expect(classify(history(spec, { finding: independent }))).toEqual({
      class: 'suspected-order-dependent',
      reason: 'bisect: fails alone, no earlier test involved (seed-dependent data or the environment?)',
    })
    expect(nextCommand({ test: 'a > b', class: 'suspected-order-dependent', run: 5, finding: independent })).toBe(`npx flakeseed replay 5 --only 'a > b'`)
    // The failing order passed when bisect ran it again: non-determinism, not order.
    expect(classify(history(spec, { finding: { ...victim, kind: 'not-reproduced' as const, polluters: [] } }))).toEqual({
      class: 'non-deterministic',
      reason: 'bisect: the failing order passed when run again',
    })
  })
})

describe('nextCommand and analyse', () => {
  const test_ = "test/a.test.ts > it's $(rm -rf x)"
  test('every command is shell-quoted', () => {
    expect(nextCommand({ test: test_, class: 'suspected-order-dependent', run: 57, finding: null })).toBe(
      `npx flakeseed bisect 57 --test 'test/a.test.ts > it'\\''s $(rm -rf x)'`,
    )
    expect(nextCommand({ test: 'a > b', class: 'non-deterministic', run: 57, finding: null }, { db: ['--db', 'ci.db'] })).toBe(
      `npx flakeseed replay 57 --only 'a > b' --repeat 20 --db ci.db`,
    )
    expect(nextCommand({ test: 'a > b', class: 'broken', run: 9, finding: null })).toBe('npx flakeseed show 9')
    expect(nextCommand({ test: 'a > b', class: 'fixed', run: 9, finding: null })).toBe(`npx flakeseed history 'a > b'`)
  })

  test('analyse keeps mixed tests only, sorted by fail rate then flip rate, and acts on the last failing run', () => {
    const rows = analyse(
      [
        {
          test: 'stable',
          outcomes: outcomes([
            [P, 's1', 'c'],
            [P, 's2', 'c'],
          ]),
        },
        {
          test: 'always',
          outcomes: outcomes([
            [F, 's1', 'c'],
            [F, 's2', 'c'],
          ]),
        },
        // flip 1/3, fail 1/4
        {
          test: 'once',
          outcomes: outcomes([
            [P, 's1', 'c'],
            [P, 's2', 'c'],
            [P, 's3', 'c'],
            [F, 's4', 'c'],
          ]).map((o) => ({ ...o, run: o.run + 10 })),
        },
        // flip 3/3, fail 2/4
        {
          test: 'flips',
          outcomes: outcomes([
            [P, 's1', 'c'],
            [F, 's1', 'c'],
            [P, 's1', 'c'],
            [F, 's1', 'c'],
          ]),
        },
        // flip 1/3, fail 2/4
        {
          test: 'more',
          outcomes: outcomes([
            [P, 's1', 'c'],
            [P, 's2', 'c'],
            [F, 's3', 'c'],
            [F, 's4', 'c'],
          ]),
        },
      ],
      { minRuns: 1 },
    )
    expect(rows.map((r) => [r.test, r.failRate, r.flipRate])).toEqual([
      ['flips', 0.5, 1],
      ['more', 0.5, 1 / 3],
      ['once', 0.25, 1 / 3],
    ])
    const once = rows.find((r) => r.test === 'once')!
    expect(once.run).toBe(14)
    expect(once.failingSeeds).toEqual(['s4'])
    expect(once.passingSeeds).toEqual(['s1', 's2', 's3'])
    expect(once.command).toBe('npx flakeseed bisect 14 --test once')
    expect(rows[0]!.class).toBe('non-deterministic')
  })
})

describe('the order of the rows', () => {
  test('a test failing 9 runs of 10 comes before one failing 2 that flips more; a fixed test comes last', () => {
    const run = (states: Array<typeof P | typeof F>, commit = 'c') => states.map((s, i): [typeof P | typeof F, string, string] => [s, `s${i}`, commit])
    const rows = analyse(
      [
        // fail 9/10, one flip in 9
        history(run([P, F, F, F, F, F, F, F, F, F]), { test: 'mostly fails' }),
        // fail 2/10, four flips in 9
        history(run([P, F, P, P, P, F, P, P, P, P]), { test: 'flips' }),
        // fail 6/10, but none since commit d (fixed): it breaks no build any more
        history([...run([F, F, F, F, F, F], 'c'), ...run([P, P, P, P], 'd')], { test: 'fixed' }),
      ],
      { minRuns: 5 },
    )
    expect(rows.map((r) => [r.test, r.class])).toEqual([
      ['mostly fails', 'suspected-order-dependent'],
      ['flips', 'suspected-order-dependent'],
      ['fixed', 'fixed'],
    ])
  })
})

describe('replays and runs of part of the suite', () => {
  test('are evidence apart: never a seed, a rate or a class; a replay is never the run a command acts on', () => {
    const o: RunOutcome[] = [
      ...outcomes([
        [F, '1', 'c'],
        [P, '2', 'c'],
        [F, '3', 'c'],
        [P, '4', 'c'],
        [P, '5', 'c'],
      ]),
      // seed 1 again: a replay of run 1 that passed, and a run of one file under seed 1 that passed
      { run: 6, seed: '1', commit: 'c', order: 'replay 6', state: 'passed', evidence: 'replay' },
      { run: 7, seed: '1', commit: 'c', order: 'c 1', state: 'passed', evidence: 'partial' },
      { run: 8, seed: '3', commit: 'c', order: 'replay 8', state: 'failed', evidence: 'replay' },
    ]
    const [row] = analyse([{ test: 't', outcomes: o }], { minRuns: 5 })
    expect(row).toMatchObject({ runs: 5, failures: 2, failingSeeds: ['1', '3'], passingSeeds: ['2', '4', '5'], run: 3 })
    expect(row!.otherRuns).toEqual({ replays: { passed: 1, failed: 1 }, partial: { passed: 1, failed: 0 } })
    // Seed 1 in both lists and one order failing and passing would have said non-deterministic.
    expect(row!.class).toBe('suspected-order-dependent')
  })
})

describe('too few outcomes, and passes after a retry', () => {
  test('fewer than minRuns outcomes: class suspected and no rate; from minRuns on, the class the outcomes give', () => {
    const spec: Parameters<typeof outcomes>[0] = [
      [P, 's1', 'c'],
      [F, 's2', 'c'],
      [P, 's3', 'c'],
      [F, 's2', 'c'],
    ]
    const [few] = analyse([history(spec)], { minRuns: 5 })
    expect(few).toMatchObject({ class: 'suspected', rated: false, runs: 4, failures: 2 })
    expect(few!.reason).toBe('4 outcomes so far, fewer than 5 to tell (--min-runs)')
    expect(few!.command).toBe("npx flakeseed history 'test/a.test.ts > t'")
    const [enough] = analyse([history(spec)], { minRuns: 4 })
    expect(enough).toMatchObject({ class: 'order-dependent', rated: true })
    // The default is 5.
    expect(analyse([history(spec)])[0]!.class).toBe('suspected')
  })

  test('a bisect finding is evidence enough below minRuns; rates still wait for minRuns', () => {
    const finding = { kind: 'victim' as const, polluters: ['p'], stateSetters: [], command: null }
    const [row] = analyse(
      [
        history(
          [
            [F, 's1', 'c'],
            [P, 's2', 'c'],
          ],
          { finding },
        ),
      ],
      { minRuns: 5 },
    )
    expect(row).toMatchObject({ class: 'order-dependent', reason: 'polluted by p', rated: false })
  })

  test('a pass after a retry counts as a failure of its run, makes the test flaky and non-deterministic', () => {
    const o: RunOutcome[] = [
      { run: 1, seed: 's1', commit: 'c', order: 'a', state: 'passed' },
      { run: 2, seed: 's2', commit: 'c', order: 'b', state: 'passed', retried: true, retries: 2 },
      { run: 3, seed: 's3', commit: 'c', order: 'c', state: 'passed' },
    ]
    const [row] = analyse([{ test: 't', outcomes: o }], { minRuns: 3 })
    expect(row).toMatchObject({ class: 'non-deterministic', reason: 'failed, then passed on a retry in run 2', failures: 1, runs: 3 })
    expect(row).toMatchObject({ retriedRuns: 1, retries: 2, failingSeeds: ['s2'], passingSeeds: ['s1', 's2', 's3'] })
    expect(row!.flipRate).toBe(1)
    // Retried in every run: no plain pass, still flaky (never broken), evidence enough below minRuns.
    const always = o.map((x) => ({ ...x, retried: true }))
    expect(analyse([{ test: 't', outcomes: always }], { minRuns: 5 })[0]).toMatchObject({ class: 'non-deterministic', failures: 3 })
    // Without the retry flag the same history has no failure at all.
    expect(analyse([{ test: 't', outcomes: o.map((x) => ({ ...x, retried: false })) }])).toEqual([])
  })

  test('a pass after a retry breaks a streak of passes: no "fixed since" past it', () => {
    const o: RunOutcome[] = [
      ...outcomes([
        [F, 's1', 'a'],
        [F, 's2', 'a'],
        [P, 's3', 'b'],
        [P, 's4', 'b'],
      ]),
      { run: 5, seed: 's5', commit: 'b', order: 'x', state: 'passed', retried: true },
    ]
    expect(classify({ test: 't', outcomes: o })).toMatchObject({ class: 'non-deterministic' })
    expect(classify({ test: 't', outcomes: o.slice(0, 4) }).class).not.toBe('non-deterministic')
  })

  test('quarantined failures are counted as failures, and said to be quarantined', () => {
    const o: RunOutcome[] = [
      { run: 1, seed: 's1', commit: 'c', order: 'a', state: 'passed' },
      { run: 2, seed: 's2', commit: 'c', order: 'b', state: 'failed', quarantined: true },
      { run: 3, seed: 's3', commit: 'c', order: 'c', state: 'failed' },
    ]
    expect(analyse([{ test: 't', outcomes: o }], { minRuns: 1 })[0]).toMatchObject({ failures: 2, quarantinedFailures: 1 })
  })
})
