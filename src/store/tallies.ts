// Per-run aggregates of the results (schema 5): how many of a run's results passed, failed and
// were skipped, how many passed only on a retry, and the retries they took. `flaky`, `runs`, the
// end-of-run summary and the HTML report read a window's counts from here (one row per run)
// instead of counting the window's results (a scan of every result: 2 M rows for the bench's
// 1,000 runs). A window is the runs it holds, so the sum over its rows is exact.
//
// Kept equal to a rebuild from the raw results: the reporter adds each finished file's counts
// inside that file's write transaction, `merge` adds the counts of the runs it copies, `prune`
// deletes the rows of the runs it deletes, and the migration to schema 5 builds them all.
import type Database from 'better-sqlite3'
import { STATE } from './schema.js'

export interface RunTally {
  run: number
  passed: number
  failed: number
  skipped: number
  /** Results that passed only on a retry (`flaky = 1`). */
  retried: number
  /** Vitest retries, summed. */
  retries: number
}

/** The tallies of results, per run (the schema-5 migration in schema.ts counts the same). */
const TALLY = `SELECT run_id, sum(state = ${STATE.passed}), sum(state = ${STATE.failed}), sum(state = ${STATE.skipped}), sum(flaky), sum(retries)
  FROM results`

/** Whether this DB keeps tallies (a read-only copy of an older schema, read as it is, does not). */
export function hasTallies(db: Database.Database): boolean {
  return db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'run_tallies'`).pluck().get() === 1
}

/** The statement that adds counts to a run's tallies. */
export function tallyStatement(db: Database.Database): Database.Statement {
  return db.prepare(
    `INSERT INTO run_tallies (run_id, passed, failed, skipped, retried, retries) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (run_id) DO UPDATE SET passed = passed + excluded.passed, failed = failed + excluded.failed,
       skipped = skipped + excluded.skipped, retried = retried + excluded.retried, retries = retries + excluded.retries`,
  )
}

/** Adds counts to a run's tallies (inside the caller's transaction), through `add` when the writer prepared it once. */
export function addTally(db: Database.Database, t: RunTally, add: Database.Statement = tallyStatement(db)): void {
  add.run(t.run, t.passed, t.failed, t.skipped, t.retried, t.retries)
}

/** Recounts one run's tallies from its results (merge, after copying a run's results). */
export function recountRun(db: Database.Database, run: number): void {
  db.prepare('DELETE FROM run_tallies WHERE run_id = ?').run(run)
  db.prepare(`INSERT INTO run_tallies (run_id, passed, failed, skipped, retried, retries) ${TALLY} WHERE run_id = ? GROUP BY run_id`).run(run)
}

/** Every tally as stored, by run id (tests compare it with `rebuiltTallies`). */
export function storedTallies(db: Database.Database): RunTally[] {
  return toTallies(db.prepare('SELECT run_id, passed, failed, skipped, retried, retries FROM run_tallies ORDER BY run_id').raw().all())
}

/** What a rebuild from the raw results gives, by run id. */
export function rebuiltTallies(db: Database.Database): RunTally[] {
  return toTallies(db.prepare(`${TALLY} GROUP BY run_id ORDER BY run_id`).raw().all())
}

/**
 * The tallies of the given runs (those the temp table or SELECT `runs` lists): from the
 * aggregates when the DB keeps them, else counted from the results (an older schema read as is).
 */
export function talliesOf(db: Database.Database, runs: string): Map<number, RunTally> {
  const sql = hasTallies(db)
    ? `SELECT run_id, passed, failed, skipped, retried, retries FROM run_tallies WHERE run_id IN (${runs})`
    : `${TALLY} WHERE run_id IN (${runs}) GROUP BY run_id`
  return new Map(toTallies(db.prepare(sql).raw().all()).map((t) => [t.run, t]))
}

function toTallies(rows: unknown[]): RunTally[] {
  return (rows as number[][]).map(([run, passed, failed, skipped, retried, retries]) => ({
    run: run!,
    passed: passed ?? 0,
    failed: failed ?? 0,
    skipped: skipped ?? 0,
    retried: retried ?? 0,
    retries: retries ?? 0,
  }))
}
