// The window of history that `flaky`, the end-of-run summary and the HTML report analyse: recent
// runs of kind `run`, and the outcomes of the tests that failed in them.
//
// Built for millions of stored results: the one pass over the window's rows (in primary-key
// order, no sort) keeps only tests that failed at least once; only those tests' rows are then
// read, through the (test_id, run_id) index.
import { executionKey, type FindingHint, type Outcome, type TestHistory } from '../analysis/flakiness.js'
import { FlakeseedError } from '../options.js'
import { testId } from '../order.js'
import { latestFindings } from './findings.js'
import type { Store } from './index.js'
import { STATE } from './schema.js'

export interface WindowOptions {
  /** Newest N runs (default 100; unlimited when only `since` is given). */
  window?: number
  /** Runs started at or after this time (ms since epoch). */
  since?: number
  branch?: string
  /** Only this run's failing tests (the end-of-run summary). */
  tests?: readonly number[]
  /** Count passed/failed/skipped per run (the HTML report's health chart): one more pass over the rows. */
  counts?: boolean
}

export interface WindowRun {
  id: number
  seed: string
  commit: string | null
  branch: string | null
  status: string
  startedAt: number
  /** Counts are 0 unless asked for (`counts`). */
  passed: number
  failed: number
  skipped: number
}

export interface FlakyWindow {
  /** Oldest first. */
  runs: WindowRun[]
  /** Tests that failed at least once in the window, with every non-skipped outcome in it. */
  histories: TestHistory[]
}

export const DEFAULT_WINDOW = 100

/** A `--since` value (a date or date-time) as ms since epoch; a user error otherwise. */
export function parseSince(value: string): number {
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value)
  if (Number.isNaN(ms)) throw new FlakeseedError(`flakeseed: --since "${value}" is not a date (use YYYY-MM-DD or an ISO date-time)`)
  return ms
}

interface RunRecord {
  id: number
  seed: string
  commit_sha: string | null
  branch: string | null
  status: string
  started_at: number
  dirty: number | null
  isolate: number | null
  file_parallelism: number | null
}

export function flakyWindow(store: Store, options: WindowOptions = {}): FlakyWindow {
  const db = store.db
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
  const runRows = db
    .prepare(
      `SELECT id, seed, commit_sha, branch, status, started_at, dirty, isolate, file_parallelism
       FROM runs WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`,
    )
    .all(...params, limit) as RunRecord[]
  runRows.reverse()
  if (!runRows.length) return { runs: [], histories: [] }
  const byId = new Map(runRows.map((r) => [r.id, r]))

  // A temp table of the window keeps every later statement a plain join, whatever its size.
  db.exec('CREATE TEMP TABLE IF NOT EXISTS flaky_window (id INTEGER PRIMARY KEY)')
  db.exec('DELETE FROM temp.flaky_window')
  const insert = db.prepare('INSERT INTO temp.flaky_window (id) VALUES (?)')
  db.transaction(() => {
    for (const r of runRows) insert.run(r.id)
  })()

  const counts = !options.counts
    ? []
    : (db
    .prepare(
      `SELECT run_id AS run, sum(state = ${STATE.passed}) AS passed, sum(state = ${STATE.failed}) AS failed,
         sum(state = ${STATE.skipped}) AS skipped
       FROM results WHERE run_id IN (SELECT id FROM temp.flaky_window) GROUP BY run_id`,
    )
    .all() as Array<{ run: number; passed: number; failed: number; skipped: number }>)
  const countOf = new Map(counts.map((c) => [c.run, c]))
  const runs: WindowRun[] = runRows.map((r) => ({
    id: r.id,
    seed: r.seed,
    commit: r.commit_sha,
    branch: r.branch,
    status: r.status,
    startedAt: r.started_at,
    passed: countOf.get(r.id)?.passed ?? 0,
    failed: countOf.get(r.id)?.failed ?? 0,
    skipped: countOf.get(r.id)?.skipped ?? 0,
  }))

  let candidates: number[]
  if (options.tests) {
    candidates = [...options.tests]
  } else {
    candidates = (
      db
        .prepare(`SELECT DISTINCT test_id FROM results WHERE run_id IN (SELECT id FROM temp.flaky_window) AND state = ${STATE.failed}`)
        .all() as Array<{ test_id: number }>
    ).map((r) => r.test_id)
  }
  if (!candidates.length) return { runs, histories: [] }

  const tests = new Map<number, string>()
  const outcomes = new Map<number, Outcome[]>()
  const testStmt = db.prepare('SELECT project, file, name FROM tests WHERE id = ?')
  const rowsStmt = db.prepare(
    `SELECT run_id, file_index, test_index, state, CASE WHEN state = ${STATE.failed} THEN error END AS error
     FROM results WHERE test_id = ? AND run_id IN (SELECT id FROM temp.flaky_window) AND state != ${STATE.skipped}
     ORDER BY run_id`,
  )
  for (const id of candidates) {
    const t = testStmt.get(id) as { project: string; file: string; name: string } | undefined
    if (!t) continue
    tests.set(id, testId(t.project, t.file, t.name))
    const list: Outcome[] = []
    for (const r of rowsStmt.iterate(id) as Iterable<{ run_id: number; file_index: number; test_index: number; state: number; error: string | null }>) {
      const run = byId.get(r.run_id)!
      list.push({
        run: r.run_id,
        seed: run.seed,
        commit: run.commit_sha,
        order: executionKey({
          run: r.run_id,
          commit: run.commit_sha,
          dirty: run.dirty === null ? null : run.dirty === 1,
          seed: run.seed,
          isolate: run.isolate === null ? null : run.isolate === 1,
          fileParallelism: run.file_parallelism === null ? null : run.file_parallelism === 1,
          fileIndex: r.file_index,
          testIndex: r.test_index,
        }),
        state: r.state === STATE.failed ? 'failed' : 'passed',
        error: r.error,
        startedAt: run.started_at,
      })
    }
    outcomes.set(id, list)
  }

  const findings = latestFindings(store)
  const histories: TestHistory[] = []
  for (const [id, test] of tests) {
    const f = findings.get(test)
    const finding: FindingHint | undefined = f && { kind: f.kind, polluters: f.polluters, stateSetters: f.stateSetters, command: f.command }
    histories.push({ test, outcomes: outcomes.get(id) ?? [], ...(finding ? { finding } : {}) })
  }
  return { runs, histories }
}
