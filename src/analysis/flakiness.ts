// Flakiness metrics and classes over plain outcome sequences. Pure: the store query feeds it, the
// `flaky` command, the end-of-run summary and the HTML report read it, and unit tests pin its
// numbers by hand.
//
// "The same exact order" is an execution key (see `executionKey`): the same code (commit, clean
// tree), the same seed (Math.random is seeded from it) and the same position in a process whose
// earlier tests are fixed by those two. Two runs with equal keys ran the same tests before the
// test, in the same order, on the same code: a different outcome there is non-determinism.
import { bisectCommand, type CommandOptions as BaseCommandOptions, historyCommand, NOD_REPEAT, replayCommand, showCommand } from '../commands.js'
import { shortSha, unique } from '../format.js'
import type { FindingKind, Fix, Leak, RunFacts } from '../model.js'

export type FlakyClass = 'order-dependent' | 'suspected-order-dependent' | 'non-deterministic' | 'broken' | 'fixed'

/** One recorded outcome of a test in a run of kind `run` (skips left out). */
export interface RunOutcome {
  run: number
  seed: string
  commit: string | null
  /** Execution key: equal keys mean the same tests ran before it in the same order on the same code. */
  order: string
  state: 'passed' | 'failed'
  error?: string | null
  startedAt?: number | null
}

/** The newest bisect/replay finding for a test (see src/store/findings.ts). */
export interface FindingHint {
  kind: FindingKind
  /** What the culprits left behind, and the verified fix (when bisect diagnosed it). */
  leaks?: Leak[]
  fix?: Fix
  polluters: string[]
  stateSetters: string[]
  command: string | null
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

/** A streak since a commit counts as broken/fixed only if the earlier behaviour explains it with at most this chance. */
export const STREAK_CHANCE = 0.01

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
export function executionKeys(f: RunFacts): (fileIndex: number, testIndex: number) => string {
  if (f.dirty || (f.isolate === false && f.fileParallelism !== false)) {
    const key = `run ${f.run}`
    return () => key
  }
  const prefix = `${f.commit ?? '-'} ${JSON.stringify(f.seed)} `
  return f.isolate === false ? (fileIndex, testIndex) => `${prefix}${fileIndex}.${testIndex}` : (_, testIndex) => `${prefix}${testIndex}`
}

/**
 * The class of a test's history, and why. A history without any pass is `broken`, unless bisect
 * saw the test pass alone (or after its state setter): then every recorded order failed it.
 */
export function classify(history: TestHistory): { class: FlakyClass; reason: string } {
  const o = history.outcomes
  const f = history.finding
  const known = fromFinding(f)
  if (!o.some((x) => x.state === 'passed')) return known ?? { class: 'broken', reason: 'failed every recorded run' }
  if (!o.some((x) => x.state === 'failed')) return { class: 'fixed', reason: 'passed every recorded run' }

  const broken = streak(o, 'failed')
  if (broken) return { class: 'broken', reason: `fails every run since ${shortSha(broken)}` }
  const fixed = streak(o, 'passed')
  if (fixed) return { class: 'fixed', reason: `no failure since ${shortSha(fixed)}` }

  if (known) return known
  if (f?.kind === 'nod') return { class: 'non-deterministic', reason: 'replay: the same order passed and failed' }
  if (f?.kind === 'not-reproduced') return { class: 'non-deterministic', reason: 'bisect: the failing order passed when run again' }

  const byKey = new Map<string, { passed: number; failed: number }>()
  for (const x of o) {
    const t = byKey.get(x.order) ?? { passed: 0, failed: 0 }
    t[x.state]++
    byKey.set(x.order, t)
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
  if (f?.kind === 'independent') {
    return { class: 'suspected-order-dependent', reason: 'bisect: fails alone, no earlier test involved (seed-dependent data or the environment?)' }
  }
  const commit = commitWithBoth(o)
  return {
    class: 'suspected-order-dependent',
    reason:
      commit !== undefined
        ? `on ${commit === null ? 'one commit' : shortSha(commit)} some seeds fail, others pass`
        : 'fails under some orders, passes under others',
  }
}

/** The class a victim or brittle finding gives. */
function fromFinding(f: FindingHint | undefined): { class: FlakyClass; reason: string } | undefined {
  if (f?.kind === 'victim')
    return { class: 'order-dependent', reason: f.polluters.length ? `polluted by ${f.polluters.join(', ')}` : 'bisect found a polluter' }
  if (f?.kind === 'brittle') return { class: 'order-dependent', reason: `passes only after ${f.stateSetters.join(', ') || 'a state setter'}` }
  return undefined
}

/**
 * The commit a trailing streak of `state` starts at: the first run after the last other outcome
 * that is on another commit than that outcome. It counts when it spans at least two seeds and the
 * test's behaviour before that commit would give such a streak with at most STREAK_CHANCE.
 */
function streak(o: readonly RunOutcome[], state: 'passed' | 'failed'): string | undefined {
  let last = o.length - 1
  while (last >= 0 && o[last]!.state === state) last--
  if (last < 0 || last === o.length - 1) return undefined
  const changed = o[last]!.commit
  let start = last + 1
  while (start < o.length && o[start]!.commit === changed) start++
  const tail = o.slice(start)
  if (!tail.length || !changed || tail.some((x) => x.commit === null)) return undefined
  if (new Set(tail.map((x) => x.seed)).size < 2) return undefined
  const q = o.slice(0, start).filter((x) => x.state === state).length / start
  return q ** tail.length <= STREAK_CHANCE ? tail[0]!.commit! : undefined
}

/** A commit on which one seed failed and another passed (null: runs outside git). */
function commitWithBoth(o: readonly RunOutcome[]): string | null | undefined {
  const seeds = new Map<string | null, { failed: Set<string>; passed: Set<string> }>()
  for (const x of o) {
    const s = seeds.get(x.commit) ?? { failed: new Set(), passed: new Set() }
    s[x.state].add(x.seed)
    seeds.set(x.commit, s)
  }
  for (const [commit, s] of seeds) if ([...s.failed].some((seed) => [...s.passed].some((p) => p !== seed))) return commit
  return undefined
}

/** What every command of a row shares: `--db PATH` words (`dbWords`) and how flakeseed runs (`launcherFor`). */
export type CommandOptions = Pick<BaseCommandOptions, 'db' | 'launcher'>

/** What to run next for a row: bisect an order-dependent failure, repeat a non-deterministic one. */
export function nextCommand(row: Pick<FlakyRow, 'test' | 'class' | 'run' | 'finding'>, options: CommandOptions = {}): string {
  const shared: CommandOptions = { db: options.db, launcher: options.launcher }
  switch (row.class) {
    case 'order-dependent':
      if (row.finding?.command) return row.finding.command
      return bisectCommand(row.run, { ...shared, test: row.test })
    case 'suspected-order-dependent':
      // Bisect already found no earlier test involved: see it fail alone instead of bisecting again.
      if (row.finding?.kind === 'independent') return replayCommand(row.run, { ...shared, only: [row.test] })
      return bisectCommand(row.run, { ...shared, test: row.test })
    case 'non-deterministic':
      return replayCommand(row.run, { ...shared, only: [row.test], repeat: NOD_REPEAT })
    case 'broken':
      return showCommand(row.run, shared)
    case 'fixed':
      return historyCommand(row.test, shared)
  }
}

/** One row per test with mixed outcomes, most disruptive first (flip rate, then fail rate). */
export function analyse(histories: readonly TestHistory[], options: CommandOptions = {}): FlakyRow[] {
  const rows: FlakyRow[] = []
  for (const h of histories) {
    const m = metrics(h.outcomes.map((o) => o.state))
    if (!m.failures || m.failures === m.runs) continue
    rows.push(describe(h, m, options))
  }
  return rows.sort((a, b) => b.flipRate - a.flipRate || b.failRate - a.failRate || (a.test < b.test ? -1 : a.test > b.test ? 1 : 0))
}

/** The row for one history, whatever its outcomes (the end-of-run summary also asks about tests that never passed). */
export function describe(h: TestHistory, m: Metrics = metrics(h.outcomes.map((o) => o.state)), options: CommandOptions = {}): FlakyRow {
  const { class: cls, reason } = classify(h)
  const failing = h.outcomes.filter((o) => o.state === 'failed')
  const last = failing.at(-1) ?? null
  const row: FlakyRow = {
    test: h.test,
    ...m,
    class: cls,
    reason,
    failingSeeds: unique(failing.map((o) => o.seed)),
    passingSeeds: unique(h.outcomes.filter((o) => o.state === 'passed').map((o) => o.seed)),
    commits: unique(h.outcomes.map((o) => o.commit).filter((c): c is string => c !== null)),
    lastFailure: last && { run: last.run, seed: last.seed, commit: last.commit, error: last.error ?? null, startedAt: last.startedAt ?? null },
    run: (last ?? h.outcomes.at(-1))?.run ?? 0,
    command: '',
    finding: h.finding ?? null,
  }
  row.command = nextCommand(row, options)
  return row
}
