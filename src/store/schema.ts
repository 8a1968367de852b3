// The history schema and its migrations. `PRAGMA user_version` is the schema version: each
// migration moves the DB one version up inside a transaction, so an old DB is upgraded in place
// and a DB written by a newer flakeseed is refused instead of misread.
import type Database from 'better-sqlite3'
import { FlakeseedError } from '../errors.js'
import type { TestState } from '../model.js'

export type { TestState }

/** results.state codes: integers keep a stored result within the 40-byte budget. */
export const STATE: Readonly<Record<TestState, number>> = { passed: 0, failed: 1, skipped: 2 }
export const STATE_NAME: readonly TestState[] = ['passed', 'failed', 'skipped']

const MIGRATIONS: readonly string[] = [
  // 1: runs, tests, results, findings.
  `
  CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL DEFAULT 'run',
    status TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    seed TEXT NOT NULL,
    seed_source TEXT,
    commit_sha TEXT,
    branch TEXT,
    dirty INTEGER,
    ci_provider TEXT,
    ci_url TEXT,
    shard TEXT,
    pool TEXT,
    isolate INTEGER,
    file_parallelism INTEGER,
    vitest_version TEXT,
    node_version TEXT,
    flakeseed_version TEXT,
    platform TEXT,
    argv TEXT,
    root TEXT,
    config TEXT,
    host TEXT,
    pid INTEGER
  );
  CREATE TABLE tests (
    id INTEGER PRIMARY KEY,
    project TEXT NOT NULL,
    file TEXT NOT NULL,
    name TEXT NOT NULL,
    UNIQUE (project, file, name)
  );
  CREATE TABLE results (
    run_id INTEGER NOT NULL,
    test_id INTEGER NOT NULL,
    file_index INTEGER NOT NULL,
    test_index INTEGER NOT NULL,
    worker INTEGER,
    state INTEGER NOT NULL,
    duration_ms INTEGER,
    retries INTEGER NOT NULL DEFAULT 0,
    flaky INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    PRIMARY KEY (run_id, test_id)
  ) WITHOUT ROWID;
  CREATE INDEX results_by_test ON results (test_id, run_id);
  CREATE TABLE findings (
    id INTEGER PRIMARY KEY,
    run_id INTEGER,
    victim TEXT NOT NULL,
    kind TEXT NOT NULL,
    polluters TEXT NOT NULL DEFAULT '[]',
    state_setters TEXT NOT NULL DEFAULT '[]',
    cleaners TEXT NOT NULL DEFAULT '[]',
    probes INTEGER NOT NULL DEFAULT 0,
    command TEXT,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX findings_by_victim ON findings (victim);
  `,
  // 2: the failures of a run. `flaky`, the end-of-run summary and the HTML report look for the
  // tests that failed in a window of runs; a few per cent of the results, found without reading
  // the passes (about 0.3 B per stored result).
  `
  CREATE INDEX results_failed ON results (run_id, test_id) WHERE state = ${STATE.failed};
  `,
  // 3: the tests a run quarantined (JSON: test id → reason; null when none), and the results that
  // passed only on a retry, which `flaky` looks for beside the failures (an index of the few).
  `
  ALTER TABLE runs ADD COLUMN quarantine TEXT;
  CREATE INDEX results_retried ON results (run_id, test_id) WHERE flaky = 1;
  `,
]

export const SCHEMA_VERSION = MIGRATIONS.length

/**
 * The oldest schema this code reads correctly as it is: the migrations after it only add
 * indexes and nullable columns that every reader takes as absent (`runs.quarantine`: read
 * through `SELECT *`). A read-only copy of such a DB (a downloaded artifact, a read-only mount) is read
 * without migrating; an older one must be migrated first.
 */
export const READABLE_FROM = 1

export function migrate(db: Database.Database, path: string): void {
  const version = db.pragma('user_version', { simple: true }) as number
  if (version > SCHEMA_VERSION) {
    throw new FlakeseedError(`flakeseed: ${path} was written by a newer flakeseed (schema ${version}, this one knows ${SCHEMA_VERSION}); upgrade flakeseed`)
  }
  for (let v = version; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      // Another process may have migrated while we waited for the write lock.
      if ((db.pragma('user_version', { simple: true }) as number) > v) return
      db.exec(MIGRATIONS[v]!)
      db.pragma(`user_version = ${v + 1}`)
    }).immediate()
  }
}
