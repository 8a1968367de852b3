// `analyse` over packed histories: the same rows (src/analysis/flakiness.ts is the reference, and
// test/unit/packed.test.ts compares the two on random histories), computed on typed arrays, with
// no object per outcome. A long window holds millions of outcomes; made as objects, creating,
// walking and collecting them was most of `flaky --window 1000`.
//
// An outcome is a position k in its history's arrays: the run it belongs to (an index into the
// window's `PackedRuns`, which hold each run's seed and commit once, as strings and as small
// numbers for counting), its flags, its retries and its order (a number per execution key).
import { DEFAULT_MIN_RUNS } from '../core/defaults.js'
import { plural, shortSha } from '../core/format.js'
import { FLAG, type PackedHistory, type PackedRuns } from '../core/model.js'
import {
  type AnalysisOptions,
  compareRows,
  entropy,
  type FindingHint,
  type FlakyClass,
  type FlakyRow,
  fromFinding,
  type Metrics,
  nextCommand,
  STREAK_CHANCE,
  suspected,
} from './flakiness.js'

export { FLAG, type PackedHistory, type PackedRuns } from '../core/model.js'

const EVIDENCE = FLAG.replay | FLAG.partial
/** `counted(o) === 'failed'`: it failed, or passed only on a retry. */
const COUNTED_FAILED = FLAG.failed | FLAG.retried

/** Scratch space shared by every history of one window: marks stamped with a number per use. */
class Scratch {
  private stamp = 0
  readonly seedMark: Int32Array
  readonly seedMark2: Int32Array
  readonly commitMark: Int32Array
  orderMark: Int32Array
  orderPassed: Int32Array
  orderFailed: Int32Array
  readonly commitFailedSeed: Int32Array
  readonly commitPassedSeed: Int32Array
  readonly commitMixed: Uint8Array
  full = new Int32Array(64)
  constructor(readonly runs: PackedRuns) {
    this.seedMark = new Int32Array(runs.seeds)
    this.seedMark2 = new Int32Array(runs.seeds)
    this.commitMark = new Int32Array(runs.commits)
    this.orderMark = new Int32Array(runs.orders)
    this.orderPassed = new Int32Array(runs.orders)
    this.orderFailed = new Int32Array(runs.orders)
    this.commitFailedSeed = new Int32Array(runs.commits)
    this.commitPassedSeed = new Int32Array(runs.commits)
    this.commitMixed = new Uint8Array(runs.commits)
  }
  /** Room for every order numbered so far (a store numbers them as it makes each history). */
  fitOrders(): void {
    const n = this.runs.orders
    if (n <= this.orderMark.length) return
    const size = Math.max(n, this.orderMark.length * 2)
    const grown = (a: Int32Array) => {
      const b = new Int32Array(size)
      b.set(a)
      return b
    }
    this.orderMark = grown(this.orderMark)
    this.orderPassed = grown(this.orderPassed)
    this.orderFailed = grown(this.orderFailed)
  }
  /** A new stamp: every mark set before it reads as unset. */
  next(): number {
    return ++this.stamp
  }
}

/** The outcomes of full shuffled runs (`fullRuns`): indices into h, in `s.full`; their count. */
function fullOf(h: PackedHistory, s: Scratch): number {
  if (s.full.length < h.length) s.full = new Int32Array(Math.max(h.length, s.full.length * 2))
  let n = 0
  for (let k = 0; k < h.length; k++) if (!(h.flags[k]! & EVIDENCE)) s.full[n++] = k
  return n
}

/** `analyse` on packed histories: the same rows in the same order. */
export function analysePacked(histories: Iterable<PackedHistory>, runs: PackedRuns, options: AnalysisOptions = {}): FlakyRow[] {
  const settings = { ...options, minRuns: options.minRuns ?? DEFAULT_MIN_RUNS }
  const s = new Scratch(runs)
  const rows: FlakyRow[] = []
  for (const h of histories) {
    const nf = fullOf(h, s)
    const full = s.full
    let failures = 0
    let passed = false
    let flips = 0
    let previous = -1
    for (let i = 0; i < nf; i++) {
      const flags = h.flags[full[i]!]!
      const failed = flags & COUNTED_FAILED ? 1 : 0
      failures += failed
      if (!(flags & FLAG.failed)) passed = true
      if (i && failed !== previous) flips++
      previous = failed
    }
    if (!failures || !passed) continue
    const p = failures / nf
    const m: Metrics = { runs: nf, failures, failRate: p, flipRate: nf > 1 ? flips / (nf - 1) : 0, entropy: entropy(p) }
    rows.push(describePacked(h, nf, m, s, settings))
  }
  return rows.sort(compareRows)
}

function describePacked(h: PackedHistory, nf: number, m: Metrics, s: Scratch, options: AnalysisOptions & { minRuns: number }): FlakyRow {
  const runs = s.runs
  const { class: cls, reason } = classifyPacked(h, nf, s, options.minRuns)
  const { retriedRuns, retries, failingSeeds, passingSeeds, commits } = seedsOfPacked(h, nf, s)
  // The runs a next command can act on: the full ones, else every one but the replays.
  let last = -1
  let acted = -1
  let end = -1
  let quarantinedFailures = 0
  const other = { replays: { passed: 0, failed: 0 }, partial: { passed: 0, failed: 0 } }
  for (let k = 0; k < h.length; k++) {
    const flags = h.flags[k]!
    const counted = flags & COUNTED_FAILED ? 'failed' : 'passed'
    if (flags & FLAG.replay) other.replays[counted]++
    else if (flags & FLAG.partial) other.partial[counted]++
    if (nf ? flags & EVIDENCE : flags & FLAG.replay) continue
    end = k
    if (flags & FLAG.failed) {
      last = k
      if (flags & FLAG.quarantined) quarantinedFailures++
    }
    if (counted === 'failed') acted = k
  }
  const runOf = (k: number) => runs.id[h.run[k]!]!
  const lastRun = h.run[last]!
  const row: FlakyRow = {
    test: h.test,
    ...m,
    rated: m.runs >= options.minRuns,
    retriedRuns,
    retries,
    quarantinedFailures,
    otherRuns: other,
    class: cls,
    reason,
    failingSeeds,
    passingSeeds,
    commits,
    lastFailure:
      last < 0
        ? null
        : {
            run: runs.id[lastRun]!,
            seed: runs.seed[lastRun]!,
            commit: runs.commit[lastRun]!,
            error: h.error(last) ?? null,
            startedAt: runs.startedAt[lastRun] ?? null,
          },
    run: acted >= 0 ? runOf(acted) : end >= 0 ? runOf(end) : 0,
    command: '',
    finding: h.finding ?? null,
  }
  row.command = nextCommand(row, options)
  return row
}

/** Retries, and the failing and passing seeds and the commits of the full outcomes, each once, in order. */
function seedsOfPacked(h: PackedHistory, nf: number, s: Scratch) {
  const runs = s.runs
  const full = s.full
  let retriedRuns = 0
  let retries = 0
  const failingSeeds: string[] = []
  // Made at the most it can hold and cut to what it holds: a long window's row has a thousand,
  // and growing them a push at a time was much of what the collector had to copy.
  const passingSeeds: string[] = new Array(nf)
  let passing = 0
  const commits: string[] = []
  const failingMark = s.next()
  const passingMark = s.next()
  const commitMark = s.next()
  for (let i = 0; i < nf; i++) {
    const k = full[i]!
    const flags = h.flags[k]!
    const r = h.run[k]!
    if (flags & FLAG.retried) retriedRuns++
    retries += h.retries[k]!
    const seed = runs.seedNo[r]!
    if (flags & COUNTED_FAILED && s.seedMark[seed] !== failingMark) {
      s.seedMark[seed] = failingMark
      failingSeeds.push(runs.seed[r]!)
    }
    if (!(flags & FLAG.failed) && s.seedMark2[seed] !== passingMark) {
      s.seedMark2[seed] = passingMark
      passingSeeds[passing++] = runs.seed[r]!
    }
    const commit = runs.commit[r]!
    if (commit !== null && s.commitMark[runs.commitNo[r]!] !== commitMark) {
      s.commitMark[runs.commitNo[r]!] = commitMark
      commits.push(commit)
    }
  }
  passingSeeds.length = passing
  return { retriedRuns, retries, failingSeeds, passingSeeds, commits }
}

/** `classify` over the full outcomes (`s.full`, nf of them). */
function classifyPacked(h: PackedHistory, nf: number, s: Scratch, minRuns: number): { class: FlakyClass; reason: string } {
  const full = s.full
  const f = h.finding
  const known = fromFinding(f)
  let retried = 0
  let firstRetried = -1
  let lastRetried = -1
  for (let i = 0; i < nf; i++) {
    if (h.flags[full[i]!]! & FLAG.retried) {
      retried++
      if (firstRetried < 0) firstRetried = full[i]!
      lastRetried = full[i]!
    }
  }
  if (nf < minRuns && !retried && !(f && f.kind !== 'independent')) {
    return { class: 'suspected', reason: `${plural(nf, 'outcome')} so far, fewer than ${minRuns} to tell (--min-runs)` }
  }
  // A row's history has passed and failed (`analysePacked` skips the others): `classify`'s never-passed
  // and never-failed cases do not arise.

  const broken = streakPacked(h, nf, s, (flags) => (flags & FLAG.failed) !== 0)
  if (broken) return { class: 'broken', reason: `fails every run since ${shortSha(broken)}` }
  const fixed = streakPacked(h, nf, s, (flags) => !(flags & COUNTED_FAILED))
  if (fixed) return { class: 'fixed', reason: `no failure since ${shortSha(fixed)}` }

  if (known) return known
  if (f?.kind === 'nod') return { class: 'non-deterministic', reason: 'replay: the same order passed and failed' }
  if (f?.kind === 'not-reproduced') return { class: 'non-deterministic', reason: 'bisect: the failing order passed when run again' }
  if (retried) {
    const runOf = (k: number) => s.runs.id[h.run[k]!]!
    return {
      class: 'non-deterministic',
      reason: `failed, then passed on a retry in ${retried === 1 ? `run ${runOf(firstRetried)}` : `${retried} runs (last ${runOf(lastRetried)})`}`,
    }
  }
  return byOrder(h, nf, s, f)
}

/** The end of `classify`: each order's tally, then the seeds of one commit. */
function byOrder(h: PackedHistory, nf: number, s: Scratch, f: FindingHint | undefined): { class: FlakyClass; reason: string } {
  const full = s.full
  const mark = s.next()
  s.fitOrders()
  // The orders in the order first seen, each with its tally.
  const seen: number[] = []
  for (let i = 0; i < nf; i++) {
    const k = full[i]!
    const order = h.order[k]!
    if (s.orderMark[order] !== mark) {
      s.orderMark[order] = mark
      s.orderPassed[order] = 0
      s.orderFailed[order] = 0
      seen.push(order)
    }
    if (h.flags[k]! & FLAG.failed) s.orderFailed[order]!++
    else s.orderPassed[order]!++
  }
  for (const order of seen) {
    if (s.orderPassed[order] && s.orderFailed[order]) {
      return { class: 'non-deterministic', reason: `one order failed ${s.orderFailed[order]}× and passed ${s.orderPassed[order]}×` }
    }
  }
  let n = 0
  let failed = 0
  for (const order of seen) {
    if (s.orderFailed[order]! >= 2) {
      n++
      failed += s.orderFailed[order]!
    }
  }
  if (n) return { class: 'order-dependent', reason: `${n} order${n === 1 ? '' : 's'} failed every time (${failed}×), others pass` }
  return suspected(f, () => commitWithBothPacked(h, nf, s))
}

/** `streak` over the full outcomes. */
function streakPacked(h: PackedHistory, nf: number, s: Scratch, is: (flags: number) => boolean): string | undefined {
  const full = s.full
  const runs = s.runs
  const at = (i: number) => h.run[full[i]!]!
  let last = nf - 1
  while (last >= 0 && is(h.flags[full[last]!]!)) last--
  if (last < 0 || last === nf - 1) return undefined
  const changed = runs.commit[at(last)]!
  let start = last + 1
  while (start < nf && runs.commit[at(start)] === changed) start++
  const tail = nf - start
  if (!tail || !changed) return undefined
  let seeds = false
  const first = runs.seedNo[at(start)]!
  for (let i = start; i < nf; i++) {
    if (runs.commit[at(i)] === null) return undefined
    if (runs.seedNo[at(i)] !== first) seeds = true
  }
  if (!seeds) return undefined
  let before = 0
  for (let i = 0; i < start; i++) if (is(h.flags[full[i]!]!)) before++
  const q = before / start
  return q ** tail <= STREAK_CHANCE ? runs.commit[at(start)]! : undefined
}

/** `commitWithBoth`: the first commit (first seen) on which one seed failed and another passed. */
function commitWithBothPacked(h: PackedHistory, nf: number, s: Scratch): string | null | undefined {
  const runs = s.runs
  const mark = s.next()
  const seen: number[] = []
  for (let i = 0; i < nf; i++) {
    const k = s.full[i]!
    const r = h.run[k]!
    const c = runs.commitNo[r]!
    if (s.commitMark[c] !== mark) {
      s.commitMark[c] = mark
      s.commitFailedSeed[c] = -1
      s.commitPassedSeed[c] = -1
      s.commitMixed[c] = 0
      seen.push(c)
    }
    const seed = runs.seedNo[r]!
    const own = h.flags[k]! & FLAG.failed ? s.commitFailedSeed : s.commitPassedSeed
    // Two seeds on one side: any seed of the other side has a different one to pair with.
    if (own[c] === -1) own[c] = seed
    else if (own[c] !== seed) s.commitMixed[c] = 1
  }
  for (const c of seen) {
    const failed = s.commitFailedSeed[c]!
    const passed = s.commitPassedSeed[c]!
    if (failed >= 0 && passed >= 0 && (s.commitMixed[c] || failed !== passed)) {
      for (let i = 0; i < nf; i++) {
        const r = h.run[s.full[i]!]!
        if (runs.commitNo[r] === c) return runs.commit[r]!
      }
    }
  }
  return undefined
}
