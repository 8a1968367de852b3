// The suspects ranking on synthetic histories: shuffled orders of n tests with one true polluter
// (or state setter), outcomes decided by whether it ran first, and the seeded PRNG, so every
// number here is the same on every machine. The K-vs-n curve measured below is docs/flaky.md's.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import {
  coincidence,
  fisherTail,
  maySuspect,
  positionsAlone,
  rankSuspects,
  rankTally,
  SHOWN_CHANCE,
  SHOWN_SCORE,
  shownSuspects,
  type Suspect,
  type SuspectRun,
  tallySuspects,
} from '../../src/analysis/suspects.js'
import { prng } from '../helpers/files.js'
import { REPO } from '../helpers/project.js'

const P = 'passed' as const
const F = 'failed' as const

function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

const names = (n: number) => Array.from({ length: n }, (_, i) => `test/a.test.ts > t${i}`)

/** n tests in one isolated file, `t0` the victim; each run a random order, outcome from `fails(before)`. */
function history(n: number, runs: number, random: () => number, fails: (before: readonly string[]) => boolean, tests = names(n)): SuspectRun[] {
  return Array.from({ length: runs }, (_, i) => {
    const order = shuffle(tests, random)
    const before = order.slice(0, order.indexOf(tests[0]!))
    return { run: i + 1, state: fails(before) ? F : P, before }
  })
}

const VICTIM = 'test/a.test.ts > t0'
const CULPRIT = 'test/a.test.ts > t1'

/** `culprit` is ranked first, strictly ahead of the next. */
function uniquelyFirst(ranking: readonly Suspect[], culprit: string): boolean {
  return ranking[0]?.test === culprit && !(ranking[1] && ranking[1].score === ranking[0].score)
}

/**
 * The number of random orders after which the polluter is uniquely first, for one history grown
 * run by run. Once it is, it stays (only a test that preceded the victim in exactly the same runs
 * can tie with it, and each new run can only remove such tests), so the first such K is found by
 * doubling, then halving. Infinity past `max`.
 */
function runsUntilFirst(n: number, random: () => number, max = 64): number {
  const runs: SuspectRun[] = []
  const tests = names(n)
  const firstAfter = (k: number) => {
    while (runs.length < k) runs.push({ ...history(n, 1, random, (before) => before.includes(CULPRIT), tests)[0]!, run: runs.length + 1 })
    return uniquelyFirst(rankSuspects(runs.slice(0, k)), CULPRIT)
  }
  let high = 1
  while (!firstAfter(high)) {
    high *= 2
    if (high > max) return Number.POSITIVE_INFINITY
  }
  let low = high / 2
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2)
    if (firstAfter(mid)) high = mid
    else low = mid
  }
  return high
}

const TRIALS = 200
const SIZES = [10, 30, 100, 300, 1000]

/** For each n, the K by which the polluter is uniquely first in ≥ 95 % of the trials, and in half of them. */
function curve(): Array<{ n: number; k95: number; k50: number }> {
  return SIZES.map((n) => {
    const random = prng(n)
    const ks = Array.from({ length: TRIALS }, () => runsUntilFirst(n, random)).sort((a, b) => a - b)
    return { n, k95: ks[Math.ceil(0.95 * TRIALS) - 1]!, k50: ks[TRIALS / 2 - 1]! }
  })
}

describe('rankSuspects', () => {
  test('the true polluter ranks first after K random orders, K growing with log n, as docs/flaky.md says', () => {
    const measured = curve()
    // Each test other than the polluter matches its pattern in one run with chance 2/3 (see
    // src/analysis/suspects.ts), so K grows like log_{3/2}(20 n): about 1.7·log₂ n + 7.
    for (const { n, k95 } of measured) expect(k95, `n = ${n}`).toBeLessThanOrEqual(Math.ceil(2 * Math.log2(n)) + 8)
    // And it does grow: a thousand tests need more runs than ten.
    expect(measured.at(-1)!.k95).toBeGreaterThan(measured[0]!.k95)
    const readme = readFileSync(join(REPO, 'docs/flaky.md'), 'utf8')
    expect(readme).toContain(`| uniquely first in 95 % of histories | ${measured.map((m) => m.k95).join(' | ')} |`)
    expect(readme).toContain(`| uniquely first in half of them | ${measured.map((m) => m.k50).join(' | ')} |`)
  }, 60_000)

  test('a state setter ranks first for a brittle test', () => {
    // The brittle test passes only when t1 set things up before it.
    const runs = history(30, 40, prng(7), (before) => !before.includes(CULPRIT))
    const ranking = rankSuspects(runs)
    expect(ranking[0]).toMatchObject({ test: CULPRIT, role: 'state-setter', score: 1 })
    expect(uniquelyFirst(ranking, CULPRIT)).toBe(true)
    const failing = runs.filter((r) => r.state === F).length
    expect(ranking[0]!.before).toEqual({ failing: 0, passing: runs.length - failing })
    expect(ranking[0]!.runs).toEqual({ failing, passing: runs.length - failing })
  })

  test('the counts and the score: before it in 5/5 failing runs and 1/9 passing', () => {
    const runs: SuspectRun[] = [
      ...Array.from({ length: 5 }, (_, i) => ({ run: i + 1, state: F, before: ['x', 'y'] })),
      { run: 6, state: P, before: ['x'] },
      ...Array.from({ length: 8 }, (_, i) => ({ run: i + 7, state: P, before: i < 4 ? ['y'] : [] })),
    ]
    const [x, y, ...rest] = rankSuspects(runs)
    expect(x).toEqual({ test: 'x', role: 'polluter', before: { failing: 5, passing: 1 }, runs: { failing: 5, passing: 9 }, score: 1 - 1 / 9 })
    expect(y).toEqual({ test: 'y', role: 'polluter', before: { failing: 5, passing: 4 }, runs: { failing: 5, passing: 9 }, score: 1 - 4 / 9 })
    expect(rest).toEqual([])
  })

  test('nothing is claimed from one run, or without both a failing and a passing run', () => {
    expect(rankSuspects([])).toEqual([])
    expect(rankSuspects([{ run: 1, state: F, before: ['x'] }])).toEqual([])
    expect(rankSuspects([{ run: 1, state: P, before: ['x'] }])).toEqual([])
    const failing = Array.from({ length: 9 }, (_, i) => ({ run: i + 1, state: F, before: i % 2 ? ['x'] : ['y'] }))
    expect(rankSuspects(failing)).toEqual([])
    expect(rankSuspects(failing.map((r) => ({ ...r, state: P })))).toEqual([])
    // A test before it as often in failing as in passing runs is no suspect.
    expect(
      rankSuspects([
        { run: 1, state: F, before: ['x'] },
        { run: 2, state: P, before: ['x', 'y'] },
      ]).map((s) => s.test),
    ).toEqual(['y'])
  })

  test('ties are broken the same way whatever order the runs and tests were read in', () => {
    const runs: SuspectRun[] = [
      { run: 1, state: F, before: ['b', 'a', 'p'] },
      { run: 2, state: F, before: ['a', 'b', 'p', 'q'] },
      { run: 3, state: P, before: ['s', 'q', 't'] },
      { run: 4, state: P, before: ['t', 's'] },
    ]
    const ranking = rankSuspects(runs)
    // a, b and p preceded it in both failing runs and no passing one (score 1, by id); s and t in
    // both passing runs and no failing one (score 1, state setters after polluters); q in one of each.
    expect(ranking.map((s) => [s.test, s.role, s.score])).toEqual([
      ['a', 'polluter', 1],
      ['b', 'polluter', 1],
      ['p', 'polluter', 1],
      ['s', 'state-setter', 1],
      ['t', 'state-setter', 1],
    ])
    const random = prng(3)
    for (let i = 0; i < 20; i++) {
      const reordered = shuffle(runs, random).map((r) => ({ ...r, before: shuffle(r.before, random) }))
      expect(rankSuspects(reordered)).toEqual(ranking)
    }
  })

  test('an equal score goes to the test more runs speak for', () => {
    // 2 failing runs, 4 passing: u before it in 2/2 and 2/4 (0.5), v in 1/2 and 0/4 (0.5).
    const runs: SuspectRun[] = [
      { run: 1, state: F, before: ['u', 'v'] },
      { run: 2, state: F, before: ['u'] },
      { run: 3, state: P, before: ['u'] },
      { run: 4, state: P, before: ['u'] },
      { run: 5, state: P, before: [] },
      { run: 6, state: P, before: [] },
    ]
    expect(rankSuspects(runs).map((s) => [s.test, s.score])).toEqual([
      ['u', 0.5],
      ['v', 0.5],
    ])
  })

  test('a test listed twice in one run counts once', () => {
    expect(tallySuspects([{ run: 1, state: F, before: ['x', 'x'] }]).before.get('x')).toEqual({ failing: 1, passing: 0 })
  })
})

describe('the suspects flaky shows', () => {
  test("Fisher's exact test, one-sided in the suspect's role, by hand", () => {
    // Before it in 6 of 6 failing runs and 0 of 10 passing: the 6 runs it preceded are the 6
    // failing ones, one draw of C(16, 6) = 8008.
    expect(fisherTail({ role: 'polluter', before: { failing: 6, passing: 0 }, runs: { failing: 6, passing: 10 } })).toBeCloseTo(1 / 8008, 15)
    // 3 failing runs, 2 passing; before it in all 3 failing and 1 passing: drawing 4 of 5 runs
    // takes all 3 failing ones in C(2, 1) of C(5, 4) ways.
    expect(fisherTail({ role: 'polluter', before: { failing: 3, passing: 1 }, runs: { failing: 3, passing: 2 } })).toBeCloseTo(2 / 5, 15)
    // A state setter, the same table seen from the passing runs: before it in 2 of 2 passing runs
    // and 1 of 3 failing: at least 2 passing among 3 drawn of 5, C(2,2)·C(3,1) / C(5,3) = 3/10.
    expect(fisherTail({ role: 'state-setter', before: { failing: 1, passing: 2 }, runs: { failing: 3, passing: 2 } })).toBeCloseTo(3 / 10, 15)
    // Before it in every run, or in none: no evidence either way.
    expect(fisherTail({ role: 'polluter', before: { failing: 4, passing: 5 }, runs: { failing: 4, passing: 5 } })).toBeCloseTo(1, 15)
  })

  test("the issue's case: 16 shuffled runs of a 12-test file, before it in 6/6 failing and 0/10 passing, is shown", () => {
    // Random orders of 12 tests with t1 the polluter, kept until 6 failed and 10 passed; over
    // 50 such histories (the rule of positions alone hid it in 44 % of them).
    const tests = names(12)
    for (let seed = 1; seed <= 50; seed++) {
      const random = prng(seed)
      const runs: SuspectRun[] = []
      const want = { failed: 6, passed: 10 }
      while (runs.length < 16) {
        const [run] = history(12, 1, random, (before) => before.includes(CULPRIT), tests)
        if (runs.filter((r) => r.state === run!.state).length < want[run!.state]) runs.push({ ...run!, run: runs.length + 1 })
      }
      const tally = tallySuspects(runs)
      const [first] = rankTally(tally)
      expect(first, `seed ${seed}`).toMatchObject({
        test: CULPRIT,
        role: 'polluter',
        before: { failing: 6, passing: 0 },
        runs: { failing: 6, passing: 10 },
        score: 1,
      })
      expect(shownSuspects(tally)[0]?.test, `seed ${seed}`).toBe(CULPRIT)
      expect(tally.before.size).toBeLessThanOrEqual(11)
    }
    // p = 1/8008; with at most 11 candidates, each a polluter or a state setter, 22 · p ≈ 0.0027 ≤ 1 %.
    expect(fisherTail({ role: 'polluter', before: { failing: 6, passing: 0 }, runs: { failing: 6, passing: 10 } }) * 2 * 11).toBeLessThan(SHOWN_CHANCE)
  })

  test('with no polluter, a test is shown as a suspect in at most 1 % of histories (simulated)', () => {
    // Histories in which the outcome does not depend on the order (each run fails with chance q):
    // any suspect shown is a false positive. Files of 12 and 40 tests, 10 to 60 runs.
    const random = prng(2026)
    const trials = 3000
    let shown = 0
    let eligible = 0
    for (let i = 0; i < trials; i++) {
      const n = i % 2 ? 12 : 40
      const q = 0.2 + 0.5 * random()
      const runs = history(n, 10 + Math.floor(random() * 51), random, () => random() < q)
      const tally = tallySuspects(runs)
      if (maySuspect(tally.runs)) eligible++
      if (shownSuspects(tally).length) shown++
    }
    expect(eligible).toBeGreaterThan(0.9 * trials)
    expect(shown / trials).toBeLessThanOrEqual(SHOWN_CHANCE)
  }, 30_000)

  test('the chance of a coincidence, given where the test ran, by hand', () => {
    // Two tests seen before it (x, y), one of them before it in every run: each preceded it
    // with chance 1/2 per run. x: in all 3 failing runs and 1 of 2 passing (score 1/2).
    const tally = tallySuspects([
      { run: 1, state: F, before: ['x'] },
      { run: 2, state: F, before: ['x'] },
      { run: 3, state: F, before: ['x'] },
      { run: 4, state: P, before: ['x'] },
      { run: 5, state: P, before: ['y'] },
    ])
    const alone = positionsAlone(tally)
    expect([...alone.failing]).toEqual([1 / 8, 3 / 8, 3 / 8, 1 / 8])
    expect([...alone.passing]).toEqual([1 / 4, 1 / 2, 1 / 4])
    const [x, y] = rankTally(tally)
    expect(x).toMatchObject({ test: 'x', role: 'polluter', score: 0.5 })
    // A/3 − B/2 ≥ 1/2: A = 3 and B ≤ 1 (1/8 · 3/4), or A = 2 and B = 0 (3/8 · 1/4).
    expect(coincidence(x!, alone)).toBeCloseTo(3 / 32 + 3 / 32, 12)
    // y, a state setter: before it in 1/2 passing runs and none of 3 failing: B/2 − A/3 ≥ 1/2.
    expect(y).toMatchObject({ test: 'y', role: 'state-setter', score: 0.5 })
    // B = 2 and A ≤ 1 (1/4 · 1/2), or B = 1 and A = 0 (1/2 · 1/8).
    expect(coincidence(y!, alone)).toBeCloseTo(1 / 8 + 1 / 16, 12)
  })

  test('where the test ran reads the same from typed arrays (as the store counts it) as from lists', () => {
    const tally = tallySuspects(history(10, 30, prng(13), (before) => before.includes(CULPRIT)))
    const typed = { ...tally, preceding: { failing: Int32Array.from(tally.preceding.failing), passing: Int32Array.from(tally.preceding.passing) } }
    const alone = positionsAlone(tally)
    expect(positionsAlone(typed)).toEqual(alone)
    // Fractions of a run, not whole numbers: a chance b/m below 1 somewhere.
    expect(alone.failing.some((p) => p > 0 && p < 1)).toBe(true)
    expect(shownSuspects(typed)).toEqual(shownSuspects(tally))
  })

  test('the true polluter is shown once the runs make a coincidence unlikely, innocent tests are not', () => {
    const runs = history(10, 30, prng(11), (before) => before.includes(CULPRIT))
    const tally = tallySuspects(runs)
    expect(shownSuspects(tally).map((s) => s.test)).toEqual([CULPRIT])
    // An innocent test that preceded it in failing runs more often than in passing ones (a
    // victim that ran late had more tests before it, and it ran late when the polluter preceded
    // it): Fisher's test alone would show it, what the victim's positions explain does not.
    const innocent = rankTally(tally).find((s) => s.test !== CULPRIT && s.score >= SHOWN_SCORE)!
    expect(innocent).toBeDefined()
    expect(fisherTail(innocent)).toBeLessThan(SHOWN_CHANCE / (2 * tally.before.size))
    expect(coincidence(innocent, positionsAlone(tally)) * tally.before.size).toBeGreaterThan(SHOWN_CHANCE)
    // Too few runs: the same polluter, first in the ranking, is not shown yet.
    const few = runs.slice(0, 4)
    expect(rankSuspects(few)[0]?.test).toBe(CULPRIT)
    expect(few.some((r) => r.state === F) && few.some((r) => r.state === P)).toBe(true)
    expect(shownSuspects(tallySuspects(few))).toEqual([])
  })

  test('a state setter is shown for a brittle test', () => {
    const runs = history(10, 30, prng(12), (before) => !before.includes(CULPRIT))
    expect(shownSuspects(tallySuspects(runs))).toMatchObject([{ test: CULPRIT, role: 'state-setter' }])
  })

  test('one failing run is never enough, and at most three are shown', () => {
    // Failed once, when x ran first; passed 99 times without it: still one coincidence.
    const once: SuspectRun[] = [{ run: 1, state: F, before: ['x'] }, ...Array.from({ length: 99 }, (_, i) => ({ run: i + 2, state: P, before: [] }))]
    expect(rankSuspects(once)[0]).toMatchObject({ test: 'x', score: 1 })
    expect(shownSuspects(tallySuspects(once))).toEqual([])
    // Five tests (a describe block) that always ran together, among ten others: it failed when they preceded it.
    const random = prng(4)
    const gang = ['a', 'b', 'c', 'd', 'e']
    const others = Array.from({ length: 10 }, (_, i) => `o${i}`)
    const together: SuspectRun[] = Array.from({ length: 40 }, (_, i) => {
      const order = shuffle(['victim', 'gang', ...others], random)
      const before = order.slice(0, order.indexOf('victim')).flatMap((t) => (t === 'gang' ? gang : [t]))
      return { run: i + 1, state: before.includes('a') ? F : P, before }
    })
    expect(
      rankSuspects(together)
        .slice(0, 5)
        .map((s) => [s.test, s.score]),
    ).toEqual(gang.map((t) => [t, 1]))
    expect(shownSuspects(tallySuspects(together)).map((s) => s.test)).toEqual(['a', 'b', 'c'])
  })

  test('rankTally ranks the counts as rankSuspects ranks the runs', () => {
    const runs = history(40, 25, prng(5), (before) => before.includes(CULPRIT))
    expect(rankTally(tallySuspects(runs))).toEqual(rankSuspects(runs))
    expect(rankSuspects(runs).every((s) => s.test !== VICTIM)).toBe(true)
  })
})
