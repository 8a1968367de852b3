// The window of history that `flaky`, the end-of-run summary and the HTML report analyse: recent
// runs of kind `run`, and the outcomes of the tests that failed in them. The window counts
// logical runs: the shards of one CI build (src/store/shards.ts) are one run of the suite.
//
// Built for millions of stored results: the one pass over the window's rows (in primary-key
// order, no sort) keeps only tests that failed at least once; only those tests' rows are then
// read, through the (test_id, run_id) index.
//
// Noise: a logical run in which more than `maxRunFailureRate` of its tests failed (an outage, a
// broken install) says nothing about any one test; its outcomes are left out, and the caller is
// told which runs and why. Every run's counts come from its tallies (src/store/tallies.ts), one
// row per run, not from its results.
//
// What makes two outcomes "the same order" is the analysis' business (src/analysis/flakiness.ts,
// `executionKeys`): the caller passes it in as `orderKeys`, and the store only hands it each run's
// facts.
import { DEFAULT_MAX_RUN_FAILURE_RATE, DEFAULT_WINDOW } from '../core/defaults.js'
import type { PackedHistory, PackedRuns, RunFacts } from '../core/model.js'
import { testId } from '../core/names.js'
import { latestFindings, type StoredFinding } from './findings.js'
import { parseQuarantine, type Store } from './index.js'
import { type RunRows, readRunRows } from './run-rows.js'
import { STATE } from './schema.js'
import { groupShards, type ShardInfo, shardInfos, worstStatus } from './shards.js'
import { hasTallies, talliesOf } from './tallies.js'
import { emptyPacked, packWindow } from './flaky-packed.js'
import { fillTemp } from './temp-table.js'

/**
 * Above this share of the suite's tests among the candidates, their outcomes are read by scanning
 * the window's rows rather than through the index (measured on the bench's history: an index
 * lookup costs about three rows scanned).
 */
const SCAN_SHARE = 1 / 3

/**
 * For one run: the order key of the result at (file position, test position); `scope`, when set,
 * says the key depends on less (`RunKeys` in src/analysis/flakiness.ts).
 */
export type OrderKeys = (run: RunFacts) => ((fileIndex: number, testIndex: number) => string) & { scope?: 'run' | 'test-index' }

/** One recorded outcome of a test (skips left out). */
export interface WindowOutcome {
  run: number
  seed: string
  commit: string | null
  /** `orderKeys` of the run at the result's position: equal keys, same tests before it in the same order. */
  order: string
  state: 'passed' | 'failed'
  /** Passed only on a retry: it failed in this run first. */
  retried: boolean
  /** Vitest retries it took in this run. */
  retries: number
  /** The run had it quarantined: its failure did not fail the run. */
  quarantined: boolean
  /**
   * Ran in its declaration order: the only test of its file (so declared first), with no test
   * before it in its process (isolated files, or isolation unknown; without isolation in one
   * worker, the run's first test). Failing there, no order is to blame.
   */
  declarationOrder: boolean
  /**
   * Not a full shuffled run: a replay (`flakeseed replay`, kind `replay`, read for the window's
   * tests alone) or a `partial` run (see `WindowRun.partial`). Evidence of another kind: the
   * analysis leaves it out of rates, classes and seeds and shows it apart.
   */
  evidence?: 'replay' | 'partial'
  error: string | null
  startedAt: number
}

export interface WindowHistory {
  test: string
  /** Oldest first. */
  outcomes: WindowOutcome[]
  /** The newest bisect/replay finding for the test. */
  finding?: Pick<StoredFinding, 'kind' | 'polluters' | 'stateSetters' | 'command' | 'leaks' | 'fix'>
}

export interface WindowOptions {
  orderKeys: OrderKeys
  /** Newest N logical runs (default 100; unlimited when only `since` is given). */
  window?: number
  /** Runs started at or after this time (ms since epoch). */
  since?: number
  branch?: string
  /** Only this run's failing tests (the end-of-run summary). */
  tests?: readonly number[]
  /**
   * Leave out runs in which more than this share of the tests that ran (passed or failed)
   * failed; default 0.5, 1 keeps every run.
   */
  maxRunFailureRate?: number
  /** A run never left out (the end-of-run summary describes the run that just ended). */
  keepRun?: number
  /**
   * Which failures carry their error: `all` (the default), or `last`, each test's last failure
   * among the full runs and among the partial ones, the one its row shows (`describe`'s
   * `lastFailure`): `flaky` reads no other, and the window's errors are most of its text.
   */
  errors?: 'all' | 'last'
}

/** A logical run: one run, or the shards of one build (then `id` is the first shard's). */
export interface WindowRun {
  id: number
  /** The run ids it is made of, by shard index (one id for an unsharded run). */
  runs: number[]
  seed: string
  commit: string | null
  branch: string | null
  status: string
  startedAt: number
  passed: number
  failed: number
  skipped: number
  /** Left out of the histories: more than `maxRunFailureRate` of its tests failed. */
  leftOut: boolean
  /**
   * Ran fewer tests than another unsharded run of the window on the same commit (clean tree):
   * a file filter (`vitest run a.test.ts` under a run's seed), an interrupted run. Its
   * outcomes are evidence apart, not a seed's. Outside git or on a dirty tree, where the suite
   * itself may have changed, no run is called partial.
   */
  partial?: boolean
}

export interface FlakyWindow {
  /** Oldest first, left-out runs included (marked). */
  runs: WindowRun[]
  /** The share of failures above which a run was left out. */
  maxRunFailureRate: number
  /**
   * Tests that failed (or passed only on a retry) at least once in the runs kept, with every
   * non-skipped outcome in those runs.
   */
  histories: WindowHistory[]
  /**
   * The same histories one at a time, each made when it is reached and never kept: what a
   * caller that reduces each history to a row (`flaky`) walks, so that memory holds one test's
   * outcomes at a time rather than the window's (2 M on a long history). One walk: what each
   * history is made from is let go as it is made, so `histories` cannot be asked for after it.
   */
  eachHistory(): Iterable<WindowHistory>
  /**
   * The same histories packed (`PackedHistory`, outcomes as typed arrays), with the runs they point
   * at: what `analysePacked` reads, without an object per outcome. One walk, like `eachHistory`,
   * and a history's arrays are reused for the next: read each one before asking for the next.
   */
  packedHistories(): { runs: PackedRuns; histories: Iterable<PackedHistory> }
  /** Every row of the window's runs in executed order, when they were read (a very flaky history): for `suspectTallies`. */
  rows?: Map<number, RunRows>
}

export interface RunRecord {
  id: number
  seed: string
  commit_sha: string | null
  branch: string | null
  status: string
  started_at: number
  dirty: number | null
  isolate: number | null
  file_parallelism: number | null
  shard: string | null
  quarantine?: string | null
}

export function flakyWindow(store: Store, options: WindowOptions): FlakyWindow {
  const maxRunFailureRate = options.maxRunFailureRate ?? DEFAULT_MAX_RUN_FAILURE_RATE
  const { groups, byId } = windowRecords(store, options)
  if (!groups.length)
    return lazyWindow(
      [],
      maxRunFailureRate,
      () => [],
      () => emptyPacked(),
    )
  const runs = windowRunsOf(store, groups, byId, options.keepRun, maxRunFailureRate)
  const candidates = options.tests ? [...options.tests] : failedInWindow(store)
  if (!candidates.length)
    return lazyWindow(
      runs,
      maxRunFailureRate,
      () => [],
      () => emptyPacked(),
    )
  fillTemp(store, 'flaky_tests', candidates)
  const tests = new Map<number, string>()
  for (const [id, project, file, name] of store.db
    .prepare('SELECT id, project, file, name FROM tests WHERE id IN (SELECT id FROM temp.flaky_tests)')
    .raw()
    .all() as Array<[number, string, string, string]>) {
    tests.set(id, testId(project, file, name))
  }
  const { packed, rows } = readOutcomes(store, candidates)
  const errors = options.errors === 'last' ? lastErrors(store, packed, runs) : failureErrors(store, tests)
  const facts = outcomeFacts(store, options.orderKeys, byId, runs, tests)
  const make = outcomeMaker(facts, byId, errors)
  const replays = replaysOf(store, runs[0]!.startedAt, tests)
  const findings = latestFindings(store)
  function* each(release: boolean): Iterable<WindowHistory> {
    for (const id of candidates) {
      const test = tests.get(id)
      if (test === undefined) continue
      const outcomes: WindowOutcome[] = []
      const v = packed.get(id)
      if (release) packed.delete(id)
      if (v) for (let k = 0; k < v.length; k += 4) outcomes.push(make(id, v[k]!, v[k + 1] === 1, v[k + 2]!, v[k + 3]!))
      outcomes.push(...(replays.get(id) ?? []))
      // group_concat has no defined order: oldest first, as the metrics need.
      outcomes.sort((a, b) => a.run - b.run)
      yield withFinding(test, outcomes, findings.get(test))
    }
  }
  const packedWalk = () => packWindow({ candidates, tests, packed, byId, facts, errors, replays, findings })
  return lazyWindow(runs, maxRunFailureRate, each, packedWalk, rows)
}

/** A window whose histories are made when asked for: all of them, kept (`histories`), or one at a time, once. */
function lazyWindow(
  runs: WindowRun[],
  maxRunFailureRate: number,
  each: (release: boolean) => Iterable<WindowHistory>,
  packed: () => { runs: PackedRuns; histories: Iterable<PackedHistory> },
  rows?: Map<number, RunRows>,
): FlakyWindow {
  let made: WindowHistory[] | undefined
  let walked = false
  const once = (what: string) => {
    if (walked) throw new Error(`flakyWindow: ${what} walks the histories once, and lets them go`)
    walked = true
  }
  return {
    runs,
    maxRunFailureRate,
    get histories() {
      if (walked) throw new Error('flakyWindow: the histories were walked once (eachHistory) and let go')
      made ??= [...each(false)]
      return made
    },
    eachHistory: () => {
      if (made) return made
      once('eachHistory')
      return each(true)
    },
    packedHistories: () => {
      once('packedHistories')
      return packed()
    },
    ...(rows ? { rows } : {}),
  }
}

/**
 * The window's logical runs (each its shards) and their records by id; the run ids are also left
 * in the temp table `flaky_window`, which later statements join, whatever its size.
 */
function windowRecords(store: Store, options: WindowOptions): { groups: ShardInfo[][]; byId: Map<number, RunRecord> } {
  const where = [`kind = 'run'`]
  const params: unknown[] = []
  if (options.since !== undefined) {
    where.push('started_at >= ?')
    params.push(options.since)
  }
  if (options.branch !== undefined) {
    where.push('branch = ?')
    params.push(options.branch)
  }
  const limit = options.window ?? (options.since !== undefined ? -1 : DEFAULT_WINDOW)
  // The runs table is small (one row per run): group all of it, then keep the newest groups.
  const infos = shardInfos(store, `WHERE ${where.join(' AND ')}`, ...params)
  const groups = limit < 0 ? groupShards(infos) : groupShards(infos).slice(-limit)
  const byId = new Map<number, RunRecord>()
  // `*`: a DB of schema 1 or 2, read as it is, has no quarantine column.
  const runStmt = store.db.prepare('SELECT * FROM runs WHERE id = ?')
  for (const group of groups) for (const r of group) byId.set(r.id, runStmt.get(r.id) as RunRecord)
  fillTemp(store, 'flaky_window', [...byId.keys()])
  return { groups, byId }
}

/**
 * The window's logical runs with their counts (from the run tallies: a row per run, not a count
 * of the results), noisy ones marked left out and dropped from `flaky_window`, so that the
 * histories hold the runs kept.
 */
function windowRunsOf(
  store: Store,
  groups: readonly ShardInfo[][],
  byId: ReadonlyMap<number, RunRecord>,
  keepRun: number | undefined,
  maxRunFailureRate: number,
): WindowRun[] {
  const countOf = talliesOf(store.db, 'SELECT id FROM temp.flaky_window')
  const total = (ids: number[], key: 'passed' | 'failed' | 'skipped') => ids.reduce((n, id) => n + (countOf.get(id)?.[key] ?? 0), 0)
  const runs: WindowRun[] = groups.map((group) => {
    const parts = group.map((g) => byId.get(g.id)!)
    const first = parts[0]!
    const ids = parts.map((p) => p.id)
    const passed = total(ids, 'passed')
    const failed = total(ids, 'failed')
    return {
      id: first.id,
      runs: ids,
      seed: first.seed,
      commit: first.commit_sha,
      branch: first.branch,
      status: worstStatus(parts.map((p) => p.status)),
      startedAt: Math.min(...parts.map((p) => p.started_at)),
      passed,
      failed,
      skipped: total(ids, 'skipped'),
      leftOut: !ids.includes(keepRun ?? -1) && passed + failed > 0 && failed / (passed + failed) > maxRunFailureRate,
    }
  })
  markPartial(runs, byId)
  const leftOut = runs.filter((r) => r.leftOut).flatMap((r) => r.runs)
  if (leftOut.length) {
    const drop = store.db.prepare('DELETE FROM temp.flaky_window WHERE id = ?')
    store.db.transaction(() => {
      for (const id of leftOut) drop.run(id)
    })()
  }
  return runs
}

/**
 * The tests that failed, or passed only on a retry, in the runs kept: two partial indexes, one of
 * the failures and one of the passes after a retry; the passes themselves are never read.
 */
function failedInWindow(store: Store): number[] {
  return store.db
    .prepare(
      `SELECT test_id FROM results WHERE run_id IN (SELECT id FROM temp.flaky_window) AND state = ${STATE.failed}
       UNION SELECT test_id FROM results WHERE run_id IN (SELECT id FROM temp.flaky_window) AND flaky = 1`,
    )
    .pluck()
    .all() as number[]
}

/** One outcome of a candidate: (test row id, run id, failed, file position, position in the file). */
type MakeOutcome = (test: number, runId: number, failed: boolean, fileIndex: number, testIndex: number) => WindowOutcome

/** What the outcomes of one run share (order keys, quarantine), and the candidates' few unusual results. */
export interface OutcomeFacts {
  keyOf: Map<number, ReturnType<OrderKeys>>
  retriedIn: ByRun<{ retried: boolean; retries: number }>
  onlyInFile: Set<number>
  quarantinedIn: Map<number, Set<number>>
  partial: Set<number>
}

function outcomeFacts(
  store: Store,
  orderKeys: OrderKeys,
  byId: ReadonlyMap<number, RunRecord>,
  runs: readonly WindowRun[],
  tests: ReadonlyMap<number, string>,
): OutcomeFacts {
  const { retriedIn, onlyInFile } = candidateFacts(store)
  const keyOf = new Map<number, ReturnType<OrderKeys>>()
  for (const run of byId.values()) {
    const key = orderKeys({
      run: run.id,
      commit: run.commit_sha,
      dirty: run.dirty === null ? null : run.dirty === 1,
      seed: run.seed,
      isolate: run.isolate === null ? null : run.isolate === 1,
      fileParallelism: run.file_parallelism === null ? null : run.file_parallelism === 1,
    })
    keyOf.set(run.id, key)
  }
  const quarantinedIn = quarantinedByRun(byId, tests)
  const partial = new Set(runs.filter((r) => r.partial).flatMap((r) => r.runs))
  return { keyOf, retriedIn, onlyInFile, quarantinedIn, partial }
}

/** Ran in its declaration order (`WindowOutcome.declarationOrder`). */
export function declared(facts: OutcomeFacts, run: RunRecord, test: number, fileIndex: number, testIndex: number): boolean {
  return facts.onlyInFile.has(test) && testIndex === 0 && (run.isolate !== 0 || (run.file_parallelism === 0 && fileIndex === 0))
}

/**
 * What turns a candidate's result into its `WindowOutcome`: what every outcome of one run shares
 * (its order keys, its quarantine) is worked out once per run (`outcomeFacts`).
 */
function outcomeMaker(facts: OutcomeFacts, byId: ReadonlyMap<number, RunRecord>, errors: ByRun<string | null>): MakeOutcome {
  const { keyOf, retriedIn, quarantinedIn, partial } = facts
  return (test, runId, failed, fileIndex, testIndex) => {
    const run = byId.get(runId)!
    const retry = retriedIn.get(runId)?.get(test)
    return {
      run: runId,
      seed: run.seed,
      commit: run.commit_sha,
      order: keyOf.get(runId)!(fileIndex, testIndex),
      state: failed ? 'failed' : 'passed',
      retried: !failed && (retry?.retried ?? false),
      retries: retry?.retries ?? 0,
      quarantined: quarantinedIn.get(runId)?.has(test) ?? false,
      declarationOrder: declared(facts, run, test, fileIndex, testIndex),
      ...(partial.has(runId) ? { evidence: 'partial' as const } : {}),
      error: failed ? (errors.get(runId)?.get(test) ?? null) : null,
      startedAt: run.started_at,
    }
  }
}

/** By run, then test row id. */
export type ByRun<T> = Map<number, Map<number, T>>

function setIn<T>(map: ByRun<T>, run: number, test: number, value: T): void {
  let inner = map.get(run)
  if (!inner) map.set(run, (inner = new Map()))
  inner.set(test, value)
}

/** The errors of the candidates' failures in the runs kept, by run and test row id. */
function failureErrors(store: Store, tests: ReadonlyMap<number, string>): ByRun<string | null> {
  const errors: ByRun<string | null> = new Map()
  for (const [test, run, error] of store.db
    .prepare(
      `SELECT test_id, run_id, error FROM results ${indexedBy(store, 'results_failed')}
       WHERE run_id IN (SELECT id FROM temp.flaky_window) AND state = ${STATE.failed}`,
    )
    .raw()
    .iterate() as Iterable<[number, number, string | null]>) {
    if (tests.has(test)) setIn(errors, run, test, error)
  }
  return errors
}

/**
 * The errors of each candidate's last failure among the full runs and among the partial ones
 * (`WindowOptions.errors` `last`), read through the primary key: a few thousand lookups where
 * the window holds tens of thousands of failures.
 */
function lastErrors(store: Store, packed: ReadonlyMap<number, ArrayLike<number>>, runs: readonly WindowRun[]): ByRun<string | null> {
  const partial = new Set(runs.filter((r) => r.partial).flatMap((r) => r.runs))
  const errorOf = store.db.prepare('SELECT error FROM results WHERE run_id = ? AND test_id = ?').pluck()
  const errors: ByRun<string | null> = new Map()
  for (const [test, v] of packed) {
    let full = -1
    let part = -1
    for (let k = 0; k < v.length; k += 4) {
      if (v[k + 1] !== 1) continue
      const run = v[k]!
      if (partial.has(run)) part = Math.max(part, run)
      else full = Math.max(full, run)
    }
    for (const run of [full, part]) if (run >= 0) setIn(errors, run, test, errorOf.get(run, test) as string | null)
  }
  return errors
}

/**
 * What the candidates' few unusual results add: the results that needed retries (the partial
 * index of those that passed on one, and the failures), and which candidates are alone in their
 * file (there, first in the process is the declaration order).
 */
function candidateFacts(store: Store) {
  const db = store.db
  const retriedIn: ByRun<{ retried: boolean; retries: number }> = new Map()
  // Only runs that took any retry can hold one (their tallies say so; counted from the results
  // when the history keeps none).
  const retried = hasTallies(db)
    ? 'SELECT id FROM temp.flaky_window WHERE id IN (SELECT run_id FROM run_tallies WHERE retries > 0)'
    : 'SELECT id FROM temp.flaky_window'
  for (const [index, where] of [
    ['results_retried', 'flaky = 1'],
    ['results_failed', `state = ${STATE.failed} AND retries > 0`],
  ] as const) {
    for (const [test, run, flaky, retries] of db
      .prepare(
        `SELECT test_id, run_id, flaky, retries FROM results ${indexedBy(store, index)}
         WHERE run_id IN (${retried}) AND ${where}`,
      )
      .raw()
      .iterate() as Iterable<[number, number, number, number]>) {
      setIn(retriedIn, run, test, { retried: flaky === 1, retries })
    }
  }
  const onlyInFile = new Set(
    db
      .prepare(
        `SELECT t.id FROM tests t WHERE t.id IN (SELECT id FROM temp.flaky_tests)
           AND (SELECT count(*) FROM tests u WHERE u.project = t.project AND u.file = t.file) = 1`,
      )
      .pluck()
      .all() as number[],
  )
  return { retriedIn, onlyInFile }
}

/** The candidates each run quarantined, by run id (test row ids). */
function quarantinedByRun(byId: ReadonlyMap<number, RunRecord>, tests: ReadonlyMap<number, string>): Map<number, Set<number>> {
  const quarantinedIn = new Map<number, Set<number>>()
  const rowIdOf = new Map([...tests].map(([id, name]) => [name, id]))
  for (const run of byId.values()) {
    const names = Object.keys(parseQuarantine(run.quarantine) ?? {})
    if (names.length) quarantinedIn.set(run.id, new Set(names.map((n) => rowIdOf.get(n) ?? -1)))
  }
  return quarantinedIn
}

/**
 * Every outcome of every candidate in the runs kept, packed per test as (run, failed, file
 * position, position in the file). Read in bulk: crossing from SQLite into JavaScript per row is
 * what costs on a long history, not reading the rows. Each outcome found through the
 * (test_id, run_id) index is a lookup in the table; when the candidates are a large share of the
 * suite (a very flaky history), reading all the window's rows in key order costs less, and those
 * rows are what the suspects of so many tests need too (`rows`).
 */
function readOutcomes(store: Store, candidates: readonly number[]): { packed: Map<number, ArrayLike<number>>; rows?: Map<number, RunRows> } {
  const suite = store.db.prepare('SELECT count(*) FROM tests').pluck().get() as number
  if (candidates.length > SCAN_SHARE * suite) {
    const rows = readRunRows(store, 'SELECT id FROM temp.flaky_window')
    const last = store.db.prepare('SELECT ifnull(max(id), 0) FROM tests').pluck().get() as number
    return { packed: packScanned(rows, candidates, last), rows }
  }
  const lists = store.db
    .prepare(
      `SELECT test_id, group_concat(run_id || ',' || (state = ${STATE.failed}) || ',' || file_index || ',' || test_index, ',')
       FROM results WHERE test_id IN (SELECT id FROM temp.flaky_tests) AND run_id IN (SELECT id FROM temp.flaky_window)
         AND state != ${STATE.skipped}
       GROUP BY test_id`,
    )
    .raw()
    .all() as Array<[number, string]>
  const packed = new Map<number, ArrayLike<number>>()
  // `run,failed,file,test,…`: JSON's parser reads a hundred thousand faster than slicing by hand.
  for (const [test, list] of lists) packed.set(test, JSON.parse(`[${list}]`) as number[])
  return { packed }
}

/**
 * The candidates' outcomes among every row of the window (`last`: the highest test row id): counted
 * first, then filled, one exact typed array per test (2 M outcomes: 32 MB, not 100), each let go
 * as its history is made (views of one shared array would keep all of it while one is held),
 * found by row id in typed arrays and an array made at its full length (a lookup in a sparse
 * array or a Map per row was most of this loop).
 */
function packScanned(rows: ReadonlyMap<number, RunRows>, candidates: readonly number[], last: number): Map<number, ArrayLike<number>> {
  const wanted = new Uint8Array(last + 1)
  for (const id of candidates) if (id <= last) wanted[id] = 1
  const count = new Int32Array(last + 1)
  for (const r of rows.values()) {
    const tests = r.tests
    for (let k = 0; k < tests.length; k++) if (wanted[tests[k]!]) count[tests[k]!]! += 4
  }
  const filled = new Array<Int32Array>(last + 1).fill(EMPTY)
  for (let id = 0; id <= last; id++) if (wanted[id]) filled[id] = new Int32Array(count[id]!)
  const next = new Int32Array(last + 1)
  for (const [runId, r] of rows) {
    const { tests, failed, files, positions } = r
    for (let k = 0; k < tests.length; k++) {
      const test = tests[k]!
      if (!wanted[test]) continue
      const v = filled[test]!
      let n = next[test]!
      v[n++] = runId
      v[n++] = failed[k]!
      v[n++] = files[k]!
      v[n++] = positions[k]!
      next[test] = n
    }
  }
  const packed = new Map<number, ArrayLike<number>>()
  for (const id of candidates) if (id <= last) packed.set(id, filled[id]!)
  return packed
}

const EMPTY = new Int32Array(0)

/** A candidate's history, with its newest bisect/replay finding. */
function withFinding(test: string, outcomes: WindowOutcome[], f: StoredFinding | undefined): WindowHistory {
  const finding = findingHint(f)
  return { test, outcomes, ...(finding ? { finding } : {}) }
}

/** What a history carries of its test's newest finding. */
export function findingHint(f: StoredFinding | undefined): WindowHistory['finding'] {
  return (
    f && {
      kind: f.kind,
      polluters: f.polluters,
      stateSetters: f.stateSetters,
      command: f.command,
      leaks: f.leaks,
      fix: f.fix,
    }
  )
}

/**
 * `INDEXED BY` a partial index of the few results a query wants (failures, passes after a retry),
 * when the history has it (schema 2 and 4). Without statistics SQLite's planner reads every row
 * of the window through the primary key rather than the index when the query also wants a column
 * the index does not hold (EXPLAIN QUERY PLAN; 2 M rows: about half a second a query).
 */
function indexedBy(store: Store, index: 'results_failed' | 'results_retried'): string {
  const exists = store.db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?`).pluck().get(index) === 1
  return exists ? `INDEXED BY ${index}` : ''
}

/**
 * Marks the runs that recorded fewer tests (skipped ones included) than another unsharded run of
 * the window on their commit (`WindowRun.partial`). Skips count: how many tests a run skips varies
 * by a few from run to run on real suites (`skipIf`, retried setups), and a run of some files
 * records none of the others at all. A name filter (`-t`), which records the rest as skipped,
 * is not told apart.
 */
function markPartial(runs: WindowRun[], byId: ReadonlyMap<number, RunRecord>): void {
  const comparable = runs.filter((r) => {
    const record = byId.get(r.id)!
    return r.runs.length === 1 && record.shard === null && r.commit !== null && record.dirty === 0
  })
  const most = new Map<string, number>()
  const total = (r: WindowRun) => r.passed + r.failed + r.skipped
  for (const r of comparable) most.set(r.commit!, Math.max(most.get(r.commit!) ?? 0, total(r)))
  for (const r of comparable) r.partial = total(r) < most.get(r.commit!)!
}

/**
 * The window's tests' outcomes in replays (runs of kind `replay`) started since the window's first
 * run, as evidence of their own, by test row id. Read run by run through the primary key: replays
 * are few and small, so a long history costs nothing here.
 */
function replaysOf(store: Store, since: number, tests: ReadonlyMap<number, string>): Map<number, WindowOutcome[]> {
  const outcomes = new Map<number, WindowOutcome[]>()
  const rows = store.db
    .prepare(
      `SELECT r.test_id, r.run_id, r.state, r.error, runs.seed, runs.commit_sha, runs.started_at
       FROM runs JOIN results r ON r.run_id = runs.id
       WHERE runs.kind = 'replay' AND runs.started_at >= ? AND r.state != ${STATE.skipped}`,
    )
    .raw()
    .all(since) as Array<[number, number, number, string | null, string, string | null, number]>
  for (const [test, run, state, error, seed, commit, startedAt] of rows) {
    if (!tests.has(test)) continue
    let list = outcomes.get(test)
    if (!list) outcomes.set(test, (list = []))
    const failed = state === STATE.failed
    list.push({
      run,
      seed,
      commit,
      order: `replay ${run}`,
      state: failed ? 'failed' : 'passed',
      retried: false,
      retries: 0,
      quarantined: false,
      declarationOrder: false,
      evidence: 'replay',
      error: failed ? error : null,
      startedAt,
    })
  }
  return outcomes
}
