// Flakiness metrics and classes over plain outcome sequences. Pure: the store query feeds it, the
// `flaky` command, the end-of-run summary and the HTML report read it, and unit tests pin its
// numbers by hand.
//
// "The same exact order" is an execution key (see `executionKey`): the same code (commit, clean
// tree), the same seed (Math.random is seeded from it) and the same position in a process whose
// earlier tests are fixed by those two. Two runs with equal keys ran the same tests before the
// test, in the same order, on the same code: a different outcome there is non-determinism.
import { bisectCommand, type CommandOptions as BaseCommandOptions, historyCommand, NOD_REPEAT, replayCommand, showCommand } from '../core/commands.js'
import { DEFAULT_MIN_RUNS } from '../core/defaults.js'
import { plural, shortSha } from '../core/format.js'
import type { FindingHint, RunFacts } from '../core/model.js'

export type { FindingHint } from '../core/model.js'

/**
 * `brittle` is bisect's class for a test that passes only after another (its state setter): an order
 * dependency of its own kind, shown as such wherever the finding is (one class everywhere).
 */
export type FlakyClass = 'order-dependent' | 'brittle' | 'suspected-order-dependent' | 'non-deterministic' | 'broken' | 'failing' | 'fixed' | 'suspected'

/** One recorded outcome of a test in a run of kind `run` (skips left out). */
export interface RunOutcome {
  run: number
  seed: string
  commit: string | null
  /** Execution key: equal keys mean the same tests ran before it in the same order on the same code. */
  order: string
  state: 'passed' | 'failed'
  /** Passed only on a retry (Vitest's `retry`): it also failed in this run, under this one order. */
  retried?: boolean
  /** Vitest retries it took in this run. */
  retries?: number
  /** Quarantined in this run: its failure did not fail the run. */
  quarantined?: boolean
  /** Ran in its declaration order (alone in its file, nothing before it): an order cannot be the cause. */
  declarationOrder?: boolean
  /** Not a full shuffled run (a replay, a run of part of the suite): shown apart, never a seed or a rate. */
  evidence?: 'replay' | 'partial'
  error?: string | null
  startedAt?: number | null
}

export interface TestHistory {
  test: string
  /** Oldest first; skips already left out. */
  outcomes: RunOutcome[]
  finding?: FindingHint
}

export interface Metrics {
  runs: number
  failures: number
  failRate: number
  flipRate: number
  entropy: number
}

export interface FlakyRow extends Metrics {
  test: string
  /** At least `minRuns` outcomes: the rates mean something. */
  rated: boolean
  /** Runs in which it failed and then passed on a retry (counted among `failures`). */
  retriedRuns: number
  /** Vitest retries over all its runs. */
  retries: number
  /** Failures in runs that had it quarantined. */
  quarantinedFailures: number
  /** Outcomes in replays and in runs of part of the suite: evidence apart from the rates and seeds. */
  otherRuns: OtherRuns
  class: FlakyClass
  /** Why it got its class, in a few words. */
  reason: string
  failingSeeds: string[]
  passingSeeds: string[]
  commits: string[]
  lastFailure: { run: number; seed: string; commit: string | null; error: string | null; startedAt: number | null } | null
  /** Run that the next command acts on. */
  run: number
  command: string
  finding: FindingHint | null
}

export interface OtherRuns {
  replays: { passed: number; failed: number }
  partial: { passed: number; failed: number }
}

/** The outcomes of full shuffled runs: what rates, classes and seeds count (`RunOutcome.evidence`). */
export function fullRuns(h: TestHistory): TestHistory {
  return h.outcomes.some((o) => o.evidence) ? { ...h, outcomes: h.outcomes.filter((o) => !o.evidence) } : h
}

function otherRuns(outcomes: readonly RunOutcome[]): OtherRuns {
  const replays = { passed: 0, failed: 0 }
  const partial = { passed: 0, failed: 0 }
  for (const o of outcomes) {
    const tally = o.evidence === 'replay' ? replays : o.evidence === 'partial' ? partial : undefined
    if (tally) tally[counted(o)]++
  }
  return { replays, partial }
}

/** `replayed: 1 passed · partial runs: 1 failed (not seeds)`, or nothing when there were none. */
export function otherRunsText(o: OtherRuns): string | undefined {
  const tally = (t: { passed: number; failed: number }) => [t.passed && `${t.passed} passed`, t.failed && `${t.failed} failed`].filter(Boolean).join(', ')
  const parts = [
    o.replays.passed + o.replays.failed ? `replayed: ${tally(o.replays)}` : '',
    o.partial.passed + o.partial.failed ? `runs of part of the suite: ${tally(o.partial)}` : '',
  ].filter(Boolean)
  return parts.length ? `${parts.join(' · ')} (not seeds)` : undefined
}

/** A streak since a commit counts as broken/fixed only if the earlier behaviour explains it with at most this chance. */
export const STREAK_CHANCE = 0.01

/** The outcome the metrics count: a pass that took a retry failed first, so it counts as a failure. */
export function counted(o: RunOutcome): 'passed' | 'failed' {
  return o.state === 'failed' || o.retried ? 'failed' : 'passed'
}

/** p, flip rate and binary entropy of a sequence of outcomes (docs/ARCHITECTURE.md, Metrics). */
export function metrics(states: ReadonlyArray<'passed' | 'failed'>): Metrics {
  const runs = states.length
  const failures = states.filter((s) => s === 'failed').length
  const p = runs ? failures / runs : 0
  let flips = 0
  for (let i = 1; i < runs; i++) if (states[i] !== states[i - 1]) flips++
  return { runs, failures, failRate: p, flipRate: runs > 1 ? flips / (runs - 1) : 0, entropy: entropy(p) }
}

export function entropy(p: number): number {
  if (p <= 0 || p >= 1) return 0
  return -p * Math.log2(p) - (1 - p) * Math.log2(1 - p)
}

/** Where one result ran: its run's facts and its position. */
export interface ExecutionFacts extends RunFacts {
  fileIndex: number
  testIndex: number
}

/**
 * The execution key of one result. With isolated files (Vitest's default), the tests before it
 * are its file's earlier tests, fixed by seed and code, so the key is commit + seed + position in
 * the file. Without isolation in one worker, earlier files count too: add the file's position.
 * A dirty tree, or several workers sharing state without isolation (which files share a process
 * varies run to run), leave the order unknown: the key is then unique to the run and never
 * matches another.
 */
export function executionKey(f: ExecutionFacts): string {
  return executionKeys(f)(f.fileIndex, f.testIndex)
}

/** `executionKey` for the results of one run: what they share is worked out once. */
export function executionKeys(f: RunFacts): RunKeys {
  if (f.dirty || (f.isolate === false && f.fileParallelism !== false)) {
    const key = `run ${f.run}`
    return Object.assign(() => key, { scope: 'run' as const })
  }
  const prefix = `${f.commit ?? '-'} ${JSON.stringify(f.seed)} `
  if (f.isolate === false) return (fileIndex, testIndex) => `${prefix}${fileIndex}.${testIndex}`
  // A run's results share a few dozen positions: one string each, made (and hashed, where the
  // keys are grouped) once rather than once per result.
  const made: string[] = []
  return Object.assign((_: number, testIndex: number) => (made[testIndex] ??= `${prefix}${testIndex}`), { scope: 'test-index' as const })
}

/**
 * One run's execution keys by position. `scope` says what a key depends on, when it is less than
 * both positions: `run`, one key for the whole run; `test-index`, the position in the file alone.
 * A reader of millions of results then asks once per run or per position in a file, not per result.
 */
export type RunKeys = ((fileIndex: number, testIndex: number) => string) & { scope?: 'run' | 'test-index' }

/**
 * The class of a test's history, and why. A history without any pass is `broken` or `failing`
 * (`neverPassed`), unless bisect saw it pass alone or after its state setter. With fewer
 * than `minRuns` outcomes it is `suspected`, unless something established more than a rate can:
 * a bisect or replay finding, or a failure and a pass of one order in one run (a retry).
 */
export function classify(history: TestHistory, minRuns = 1): { class: FlakyClass; reason: string } {
  const o = history.outcomes
  const f = history.finding
  const known = fromFinding(f)
  const retried = o.filter((x) => x.retried)
  if (o.length < minRuns && !retried.length && !(f && f.kind !== 'independent')) {
    return { class: 'suspected', reason: `${plural(o.length, 'outcome')} so far, fewer than ${minRuns} to tell (--min-runs)` }
  }
  // Bisect saw it pass alone (or after its state setter): every recorded order failed it.
  if (!o.some((x) => x.state === 'passed')) return known ?? neverPassed(o, f)
  if (!o.some((x) => counted(x) === 'failed')) return { class: 'fixed', reason: 'passed every recorded run' }

  // A pass after a retry ends a streak of failures (it passed), and breaks one of passes (it failed first).
  const broken = streak(o, (x) => x.state === 'failed')
  if (broken) return { class: 'broken', reason: `fails every run since ${shortSha(broken)}` }
  const fixed = streak(o, (x) => counted(x) === 'passed')
  if (fixed) return { class: 'fixed', reason: `no failure since ${shortSha(fixed)}` }

  if (known) return known
  if (f?.kind === 'nod') return { class: 'non-deterministic', reason: 'replay: the same order passed and failed' }
  if (f?.kind === 'not-reproduced') return { class: 'non-deterministic', reason: 'bisect: the failing order passed when run again' }
  if (retried.length) {
    const runs = retried.map((x) => x.run)
    return {
      class: 'non-deterministic',
      reason: `failed, then passed on a retry in ${runs.length === 1 ? `run ${runs[0]}` : `${runs.length} runs (last ${runs.at(-1)})`}`,
    }
  }

  // Each order's tally, in the order first seen (a tally per order, not an object per outcome).
  const byKey = new Map<string, { passed: number; failed: number }>()
  for (const x of o) {
    const t = byKey.get(x.order)
    if (t) t[x.state]++
    else byKey.set(x.order, { passed: x.state === 'passed' ? 1 : 0, failed: x.state === 'failed' ? 1 : 0 })
  }
  const tallies = [...byKey.values()]
  const mixed = tallies.filter((t) => t.passed && t.failed)
  if (mixed.length) {
    const t = mixed[0]!
    return { class: 'non-deterministic', reason: `one order failed ${t.failed}× and passed ${t.passed}×` }
  }
  const reproduced = tallies.filter((t) => t.failed >= 2)
  if (reproduced.length) {
    const n = reproduced.length
    return {
      class: 'order-dependent',
      reason: `${n} order${n === 1 ? '' : 's'} failed every time (${reproduced.reduce((s, t) => s + t.failed, 0)}×), others pass`,
    }
  }
  return suspected(f, () => commitWithBoth(o))
}

/**
 * The last words of a classification (shared with src/analysis/packed.ts): suspected, because a
 * bisect found it failing alone, or because some seeds of one commit fail and others pass, or
 * because some orders fail.
 */
export function suspected(f: FindingHint | undefined, commitWithBoth: () => string | null | undefined): { class: FlakyClass; reason: string } {
  if (f?.kind === 'independent') {
    return { class: 'suspected-order-dependent', reason: 'bisect: fails alone, no earlier test involved (seed-dependent data or the environment?)' }
  }
  const commit = commitWithBoth()
  return {
    class: 'suspected-order-dependent',
    reason:
      commit !== undefined
        ? `on ${commit === null ? 'one commit' : shortSha(commit)} some seeds fail, others pass`
        : 'fails under some orders, passes under others',
  }
}

/**
 * A test that failed every recorded run is `broken` only when an order cannot be the cause: at
 * least two outcomes (and `minRuns`, checked before), one of them in its declaration order (the
 * order its authors ran, where a brittle test passes). Failing alone is no such evidence: a test
 * that passes only after another fails alone too, so bisect's `independent` says so and no more.
 * Without it the class is `failing`, and the next command bisect (or, once bisect found it fails
 * alone, the replay that shows it).
 */
function neverPassed(o: readonly RunOutcome[], f: FindingHint | undefined): { class: FlakyClass; reason: string } {
  const runs = `failed ${o.length === 1 ? 'its one recorded run' : `all ${o.length} recorded runs`} under ${plural(new Set(o.map((x) => x.seed)).size, 'seed')}`
  if (o.length >= 2 && o.some((x) => x.declarationOrder)) return { class: 'broken', reason: `${runs}, also in its declaration order` }
  if (f?.kind === 'independent') return { class: 'failing', reason: `${runs}; bisect: fails alone too, never yet run in its declaration order` }
  return { class: 'failing', reason: `${runs}, never yet in its declaration order: an earlier test may be the cause` }
}

/** The class a victim or brittle finding gives: bisect's own word for a brittle test. */
export function fromFinding(f: FindingHint | undefined): { class: FlakyClass; reason: string } | undefined {
  if (f?.kind === 'victim')
    return { class: 'order-dependent', reason: f.polluters.length ? `polluted by ${f.polluters.join(', ')}` : 'bisect found a polluter' }
  if (f?.kind === 'brittle') return { class: 'brittle', reason: `passes only after ${f.stateSetters.join(', ') || 'a state setter'}` }
  return undefined
}

/**
 * The commit a trailing streak of `state` starts at: the first run after the last other outcome
 * that is on another commit than that outcome. It counts when it spans at least two seeds and the
 * test's behaviour before that commit would give such a streak with at most STREAK_CHANCE.
 */
function streak(o: readonly RunOutcome[], is: (x: RunOutcome) => boolean): string | undefined {
  let last = o.length - 1
  while (last >= 0 && is(o[last]!)) last--
  if (last < 0 || last === o.length - 1) return undefined
  const changed = o[last]!.commit
  let start = last + 1
  while (start < o.length && o[start]!.commit === changed) start++
  const tail = o.slice(start)
  if (!tail.length || !changed || tail.some((x) => x.commit === null)) return undefined
  if (new Set(tail.map((x) => x.seed)).size < 2) return undefined
  const q = o.slice(0, start).filter(is).length / start
  return q ** tail.length <= STREAK_CHANCE ? tail[0]!.commit! : undefined
}

/** A commit on which one seed failed and another passed (null: runs outside git). */
function commitWithBoth(o: readonly RunOutcome[]): string | null | undefined {
  const seeds = new Map<string | null, { failed: Set<string>; passed: Set<string> }>()
  for (const x of o) {
    let s = seeds.get(x.commit)
    if (!s) seeds.set(x.commit, (s = { failed: new Set(), passed: new Set() }))
    s[x.state].add(x.seed)
  }
  for (const [commit, s] of seeds) if ([...s.failed].some((seed) => [...s.passed].some((p) => p !== seed))) return commit
  return undefined
}

/** What every command of a row shares: `--db PATH` words (`dbWords`) and how flakeseed runs (`launcherFor`). */
export type CommandOptions = Pick<BaseCommandOptions, 'db' | 'launcher'>

export interface AnalysisOptions extends CommandOptions {
  /** Outcomes a test needs for a rate, and for a class other than `suspected` (default 5 in `analyse`, none in `describe`). */
  minRuns?: number
}

/** What to run next for a row: bisect an order-dependent failure, repeat a non-deterministic one. */
export function nextCommand(row: Pick<FlakyRow, 'test' | 'class' | 'run' | 'finding'>, options: CommandOptions = {}): string {
  const shared: CommandOptions = { db: options.db, launcher: options.launcher }
  switch (row.class) {
    case 'order-dependent':
    case 'brittle':
      if (row.finding?.command) return row.finding.command
      return bisectCommand(row.run, { ...shared, test: row.test })
    case 'suspected-order-dependent':
    case 'failing':
      // Bisect already found no earlier test involved: see it fail alone instead of bisecting again.
      if (row.finding?.kind === 'independent') return replayCommand(row.run, { ...shared, only: [row.test] })
      return bisectCommand(row.run, { ...shared, test: row.test })
    case 'non-deterministic':
      return replayCommand(row.run, { ...shared, only: [row.test], repeat: NOD_REPEAT })
    case 'broken':
      return showCommand(row.run, shared)
    case 'fixed':
    case 'suspected':
      return historyCommand(row.test, shared)
  }
}

/**
 * One row per test with mixed outcomes (a pass after a retry is mixed by itself), most
 * disruptive first (`disruption`, then flip rate); tests with too few outcomes for a rate last.
 */
export function analyse(histories: Iterable<TestHistory>, options: AnalysisOptions = {}): FlakyRow[] {
  const settings = { ...options, minRuns: options.minRuns ?? DEFAULT_MIN_RUNS }
  const rows: FlakyRow[] = []
  for (const h of histories) {
    const full = fullRuns(h)
    const m = metrics(full.outcomes.map(counted))
    if (!m.failures || !full.outcomes.some((o) => o.state === 'passed')) continue
    rows.push(describe(h, m, settings))
  }
  return rows.sort(compareRows)
}

/** `analyse`'s order: rated rows first, most disruptive first, then flip rate, then the id. */
export function compareRows(a: FlakyRow, b: FlakyRow): number {
  return Number(b.rated) - Number(a.rated) || disruption(b) - disruption(a) || b.flipRate - a.flipRate || (a.test < b.test ? -1 : a.test > b.test ? 1 : 0)
}

/**
 * How many of the window's builds a test breaks: its fail rate, except for a `fixed` test, which
 * breaks none any more. Every failure is a red build someone looks at, so a test failing 90 % of
 * runs comes before one failing 20 % that flips more often (a test failing nearly always rarely
 * flips, which put it last when flip rate came first); flip rate only breaks ties.
 */
export function disruption(row: Pick<FlakyRow, 'class' | 'failRate'>): number {
  return row.class === 'fixed' ? 0 : row.failRate
}

/** The row for one history, whatever its outcomes (the end-of-run summary also asks about tests that never passed). */
export function describe(h: TestHistory, m?: Metrics, options: AnalysisOptions = {}): FlakyRow {
  const minRuns = options.minRuns ?? 1
  const full = fullRuns(h)
  m ??= metrics(full.outcomes.map(counted))
  const { class: cls, reason } = classify(full, minRuns)
  // The runs a next command can act on: runs of kind `run` (a replay's id is not one), full ones first.
  const runs = full.outcomes.length ? full.outcomes : h.outcomes.filter((o) => o.evidence !== 'replay')
  // One pass each over the outcomes (a long window gives a row a thousand): sets keep first-seen order.
  let retriedRuns = 0
  let retries = 0
  // A pass after a retry failed under its seed too.
  const failingSeeds = new Set<string>()
  const passingSeeds = new Set<string>()
  const commits = new Set<string>()
  for (const o of full.outcomes) {
    if (o.retried) retriedRuns++
    retries += o.retries ?? 0
    if (counted(o) === 'failed') failingSeeds.add(o.seed)
    if (o.state === 'passed') passingSeeds.add(o.seed)
    if (o.commit !== null) commits.add(o.commit)
  }
  let last: RunOutcome | null = null
  let quarantinedFailures = 0
  // A pass after a retry failed in its run too: the next command acts on that run.
  let acted: RunOutcome | undefined
  for (const o of runs) {
    if (o.state === 'failed') {
      last = o
      if (o.quarantined) quarantinedFailures++
    }
    if (counted(o) === 'failed') acted = o
  }
  const row: FlakyRow = {
    test: h.test,
    ...m,
    rated: m.runs >= minRuns,
    retriedRuns,
    retries,
    quarantinedFailures,
    otherRuns: otherRuns(h.outcomes),
    class: cls,
    reason,
    failingSeeds: [...failingSeeds],
    passingSeeds: [...passingSeeds],
    commits: [...commits],
    lastFailure: last && { run: last.run, seed: last.seed, commit: last.commit, error: last.error ?? null, startedAt: last.startedAt ?? null },
    run: (acted ?? runs.at(-1))?.run ?? 0,
    command: '',
    finding: h.finding ?? null,
  }
  row.command = nextCommand(row, options)
  return row
}
