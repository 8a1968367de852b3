// Suspects from the history, with no rerun: which earlier tests ran before a test more often when
// it failed than when it passed. Pure: the store gathers each run's outcome and the tests that
// shared the process before it (src/store/suspects.ts); `flaky`, `suspects`, the HTML report and
// bisect read the ranking.
//
// One polluter P of a victim V: V fails exactly when P ran before it, so P preceded it in every
// failing run and in no passing one (score 1). A state setter S of a brittle test B: the reverse.
// Any other test T precedes V in a failing run about as often as in a passing one, except that a
// victim placed late has more tests before it: with random orders T precedes V in 2/3 of the runs
// where P does and in 1/3 of those where it does not. So innocent tests score about 1/3 on
// average, and one matches P's pattern over k runs with chance (2/3)^k: the ranking needs more
// runs as the suite grows (docs/flaky.md, "Which tests are flaky"). It is evidence, never a verdict:
// bisect verifies.
//
// What `flaky` shows beside a test is stricter (`shownSuspects`): a suspect must stand out from
// chance by an exact test. For one earlier test, the runs form a 2×2 table (preceded it or not ×
// failed or passed); if its preceding had nothing to do with the outcome, the runs it preceded
// the test in would be a random draw of that many among the runs, and the number of failing ones
// among them hypergeometric (Fisher's exact test, one-sided in the suspect's role). Each earlier
// test is two hypotheses (polluter, state setter), so the family is twice the tests seen before
// it, and Holm's step-down keeps the chance that any innocent test is shown at most SHOWN_CHANCE.
// Fisher's test asks whether a test's preceding goes with the outcome, and beside a real polluter
// every test's does a little (the victim ran late when it failed). So a second and third suspect
// must also stand out from the victim's positions: in a run where b of the m tests seen before it
// preceded it, any one of them did with chance b/m, independently of the outcome (`coincidence`).
import type { SuspectRun, SuspectTally } from '../core/model.js'
import type { FlakyRow } from './flakiness.js'

export type { SuspectRun, SuspectTally }

export interface Suspect {
  test: string
  /** 'polluter': before it in failing runs more than in passing ones; 'state-setter': the reverse (a brittle test needs it). */
  role: 'polluter' | 'state-setter'
  /** Runs in which it ran before the test, failing and passing, and the totals those rest on. */
  before: { failing: number; passing: number }
  runs: { failing: number; passing: number }
  /** Share of failing runs it preceded minus share of passing runs (the reverse for a state setter), in (0, 1]. */
  score: number
}

/** Suspects `flaky` and the HTML report show for a test without a finding. */
export const SHOWN_SUSPECTS = 3

/** Failing runs and passing runs a test needs before `flaky` shows a suspect: one order is one coincidence. */
export const SHOWN_RUNS = 2

/** The score a shown suspect needs: innocent tests score about 1/3 on average (see above). */
export const SHOWN_SCORE = 0.5

/**
 * The chance that `flaky` shows any test as a suspect of a test whose outcome did not depend on
 * which tests ran before it (the family-wise false-positive rate, per test, Holm-corrected).
 */
export const SHOWN_CHANCE = 0.01

/** The ranking, best first; empty when the evidence is too thin to claim anything (e.g. one run, or no passing / no failing run). */
export function rankSuspects(runs: readonly SuspectRun[]): Suspect[] {
  return rankTally(tallySuspects(runs))
}

/** How often each earlier test preceded the test in its failing and its passing runs (a test listed twice in one run counts once). */
export function tallySuspects(runs: readonly SuspectRun[]): SuspectTally {
  const where = { failing: [] as number[], passing: [] as number[] }
  const tally: SuspectTally = { runs: { failing: 0, passing: 0 }, preceding: where, before: new Map() }
  const seen = new Map<string, number>()
  runs.forEach((r, i) => {
    const failed = r.state === 'failed'
    let preceding = 0
    for (const test of r.before) {
      if (seen.get(test) === i) continue
      seen.set(test, i)
      preceding++
      let c = tally.before.get(test)
      if (!c) tally.before.set(test, (c = { failing: 0, passing: 0 }))
      if (failed) c.failing++
      else c.passing++
    }
    if (failed) tally.runs.failing++
    else tally.runs.passing++
    where[failed ? 'failing' : 'passing'].push(preceding)
  })
  return tally
}

/** `rankSuspects` from the counts. */
export function rankTally(tally: SuspectTally): Suspect[] {
  const { failing, passing } = tally.runs
  // One failing run and one passing run at least: a difference needs both sides.
  if (!failing || !passing) return []
  const ranked: Array<{ suspect: Suspect; margin: number; support: number }> = []
  for (const [test, c] of tally.before) {
    // The score times failing × passing, an integer: ties are exact, whatever the floats say.
    const margin = c.failing * passing - c.passing * failing
    if (margin === 0) continue
    const role = margin > 0 ? 'polluter' : 'state-setter'
    ranked.push({
      suspect: { test, role, before: { failing: c.failing, passing: c.passing }, runs: { failing, passing }, score: Math.abs(margin) / (failing * passing) },
      margin: Math.abs(margin),
      support: role === 'polluter' ? c.failing : c.passing,
    })
  }
  // Best score; on a tie, polluters first, then the one more runs speak for, then by id: the
  // same history ranks the same whatever order its runs were read in.
  ranked.sort(
    (a, b) =>
      b.margin - a.margin ||
      (a.suspect.role === b.suspect.role ? 0 : a.suspect.role === 'polluter' ? -1 : 1) ||
      b.support - a.support ||
      (a.suspect.test < b.suspect.test ? -1 : a.suspect.test > b.suspect.test ? 1 : 0),
  )
  return ranked.map((r) => r.suspect)
}

/** Whether a test with these runs can have a shown suspect at all (`flaky` reads no orders for one that cannot). */
export function maySuspect(runs: { failing: number; passing: number }): boolean {
  return runs.failing >= SHOWN_RUNS && runs.passing >= SHOWN_RUNS
}

/**
 * Whether `flaky` and the HTML report look for suspects of a row: bisect has not explained it
 * (a finding says more than statistics), its class leaves the order as a cause (not broken or
 * fixed since a commit, not non-deterministic on one order), and its runs are enough to show one.
 */
export function wantsSuspects(row: Pick<FlakyRow, 'finding' | 'class' | 'failures' | 'runs'>): boolean {
  if (row.finding) return false
  if (row.class !== 'order-dependent' && row.class !== 'suspected-order-dependent') return false
  return maySuspect({ failing: row.failures, passing: row.runs - row.failures })
}

/** The suspects shown beside a flaky test: the best few that stand out from chance (see the top). */
export function shownSuspects(tally: SuspectTally): Suspect[] {
  if (!maySuspect(tally.runs)) return []
  const { failing, passing } = tally.runs
  // Only those with the score to be shown are tested (most tests of a long history have not).
  // Leaving the others out of Holm's sequence only makes its thresholds stricter.
  const least = SHOWN_SCORE * failing * passing
  const strong: SuspectTally['before'] = new Map()
  for (const [test, c] of tally.before) if (Math.abs(c.failing * passing - c.passing * failing) >= least) strong.set(test, c)
  if (!strong.size) return []
  const hypotheses = 2 * tally.before.size
  const tested = rankTally({ ...tally, before: strong }).map((suspect) => ({ suspect, p: fisherTail(suspect) }))
  const byChance = [...tested].sort((a, b) => a.p - b.p)
  const standing = new Set<Suspect>()
  for (const [i, t] of byChance.entries()) {
    if (t.p > SHOWN_CHANCE / (hypotheses - i)) break
    standing.add(t.suspect)
  }
  const shown: Suspect[] = []
  let alone: Positions | undefined
  for (const { suspect } of tested) {
    if (shown.length === SHOWN_SUSPECTS) break
    if (!standing.has(suspect)) continue
    // Beside a real polluter every test precedes the test more often when it fails (it failed
    // when it ran late): a second suspect must also stand out from what its positions explain.
    if (shown.length && tally.before.size * coincidence(suspect, (alone ??= positionsAlone(tally))) > SHOWN_CHANCE) continue
    shown.push(suspect)
  }
  return shown
}

/**
 * Fisher's exact test, one-sided in the suspect's role: the chance that, of the runs the suspect
 * preceded the test in, a random draw of as many among all the runs has at least as many failing
 * ones (at least as many passing ones, for a state setter).
 */
export function fisherTail(s: Pick<Suspect, 'role' | 'before' | 'runs'>): number {
  const polluter = s.role === 'polluter'
  const own = polluter ? s.runs.failing : s.runs.passing
  const other = polluter ? s.runs.passing : s.runs.failing
  const hits = polluter ? s.before.failing : s.before.passing
  const drawn = s.before.failing + s.before.passing
  const lf = logFactorials(own + other)
  const logChoose = (n: number, k: number) => lf[n]! - lf[k]! - lf[n - k]!
  const total = logChoose(own + other, drawn)
  let chance = 0
  for (let x = hits; x <= Math.min(drawn, own); x++) {
    if (drawn - x > other) continue
    chance += Math.exp(logChoose(own, x) + logChoose(other, drawn - x) - total)
  }
  return Math.min(1, chance)
}

/** ln k! for k = 0…n, grown and kept across calls (a window has a few hundred runs). */
let lnFactorial = new Float64Array([0])
function logFactorials(n: number): Float64Array {
  if (lnFactorial.length > n) return lnFactorial
  const grown = new Float64Array(Math.max(n + 1, 2 * lnFactorial.length))
  grown.set(lnFactorial)
  for (let k = lnFactorial.length; k < grown.length; k++) grown[k] = grown[k - 1]! + Math.log(k)
  lnFactorial = grown
  return grown
}

/**
 * Where the test ran, as chances: in each run, any one of the tests seen before it preceded it
 * with chance b/m (b tests preceded it there, m were seen before it in some run), whatever the
 * outcome. The distributions of how many failing and how many passing runs one such test
 * precedes it in, and their cumulative sums.
 */
export interface Positions {
  failing: Float64Array
  passing: Float64Array
  failingAtMost: Float64Array
  passingAtMost: Float64Array
}

export function positionsAlone(tally: SuspectTally): Positions {
  const m = Math.max(1, tally.before.size)
  // Array.from, not map: a typed array's map would keep the chances as whole numbers.
  const failing = poissonBinomial(Array.from(tally.preceding.failing, (b) => Math.min(1, b / m)))
  const passing = poissonBinomial(Array.from(tally.preceding.passing, (b) => Math.min(1, b / m)))
  return { failing, passing, failingAtMost: cumulative(failing), passingAtMost: cumulative(passing) }
}

/**
 * The chance that a test whose preceding has nothing to do with the outcome, placed as the
 * positions say, scores at least as high in the suspect's role: P(A/F − B/P ≥ score) for a
 * polluter, where A and B are the failing and passing runs it precedes the test in.
 */
export function coincidence(s: Pick<Suspect, 'role' | 'before' | 'runs'>, positions: Positions): number {
  const { failing: f, passing: p } = s.runs
  const polluter = s.role === 'polluter'
  // In the role's direction, as integers: own hits · other runs − other hits · own runs ≥ margin.
  const own = polluter ? positions.failing : positions.passing
  const otherAtMost = polluter ? positions.passingAtMost : positions.failingAtMost
  const [ownRuns, otherRuns] = polluter ? [f, p] : [p, f]
  const margin = polluter ? s.before.failing * p - s.before.passing * f : s.before.passing * f - s.before.failing * p
  let chance = 0
  for (let a = 0; a < own.length; a++) {
    // a·otherRuns − b·ownRuns ≥ margin  ⇔  b ≤ (a·otherRuns − margin) / ownRuns
    const most = Math.floor((a * otherRuns - margin) / ownRuns)
    if (most >= 0) chance += own[a]! * otherAtMost[Math.min(most, otherAtMost.length - 1)]!
  }
  return Math.min(1, chance)
}

/** The distribution of the number of successes among independent trials with these chances. */
function poissonBinomial(chances: readonly number[]): Float64Array {
  const dist = new Float64Array(chances.length + 1)
  dist[0] = 1
  chances.forEach((q, n) => {
    // In place, from the top: each count takes its share of the one below.
    for (let k = n + 1; k > 0; k--) dist[k] = dist[k]! * (1 - q) + dist[k - 1]! * q
    dist[0]! *= 1 - q
  })
  return dist
}

function cumulative(dist: Float64Array): Float64Array {
  const out = new Float64Array(dist.length)
  let sum = 0
  dist.forEach((x, i) => {
    out[i] = sum += x
  })
  return out
}
