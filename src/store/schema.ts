// The history schema and its migrations. `PRAGMA user_version` is the schema version: each
// migration moves the DB one version up inside a transaction, so an old DB is upgraded in place
// and a DB written by a newer flakeseed is refused instead of misread. `PRAGMA application_id`
// marks the file as flakeseed's, so another application's SQLite file is recognised (and left
// alone) before anything writes to it.
import type Database from 'better-sqlite3'
import { FlakeseedError } from '../core/errors.js'
import type { TestState } from '../core/model.js'
import { buildRunFiles } from './run-files.js'

export type { TestState }

/** results.state codes: integers keep a stored result within the 40-byte budget. */
export const STATE: Readonly<Record<TestState, number>> = { passed: 0, failed: 1, skipped: 2 }
export const STATE_NAME: readonly TestState[] = ['passed', 'failed', 'skipped']

/** A migration: SQL, or code for what SQL cannot build (it runs inside the migration's transaction). */
type Migration = string | ((db: Database.Database) => void)

const MIGRATIONS: readonly Migration[] = [
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
  // 3: what a finding's culprits left behind and the fix bisect verified (JSON).
  `
  ALTER TABLE findings ADD COLUMN leaks TEXT;
  ALTER TABLE findings ADD COLUMN fix TEXT;
  `,
  // 4: the tests a run quarantined (JSON: test id → reason; null when none), and the results that
  // passed only on a retry, which `flaky` looks for beside the failures (an index of the few).
  `
  ALTER TABLE runs ADD COLUMN quarantine TEXT;
  CREATE INDEX results_retried ON results (run_id, test_id) WHERE flaky = 1;
  `,
  // 5: per-run tallies of the results (src/store/tallies.ts): a window's counts are a read of its
  // runs' rows, not a count of their results. Built here from the results already recorded.
  `
  CREATE TABLE run_tallies (
    run_id INTEGER PRIMARY KEY,
    passed INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0,
    retried INTEGER NOT NULL DEFAULT 0,
    retries INTEGER NOT NULL DEFAULT 0
  );
  INSERT INTO run_tallies (run_id, passed, failed, skipped, retried, retries)
    SELECT run_id, sum(state = ${STATE.passed}), sum(state = ${STATE.failed}), sum(state = ${STATE.skipped}), sum(flaky), sum(retries)
    FROM results GROUP BY run_id;
  `,
  // 6: per run and test file, the results that ran, packed in one blob (src/store/run-files.ts):
  // a window's read of every row is a read of its runs' blobs. Built here from the results.
  (db) => {
    db.exec(`
      CREATE TABLE run_files (
        run_id INTEGER NOT NULL,
        file_index INTEGER NOT NULL,
        rows BLOB NOT NULL,
        PRIMARY KEY (run_id, file_index)
      ) WITHOUT ROWID;
    `)
    buildRunFiles(db)
  },
  // 7: the files a run's tests created and left in the project (JSON: [{ path, size, mtimeMs }];
  // null when none): probes move them aside while they run (src/run/leftovers.ts). Added only
  // when missing: a history written at 7 and marked older (the schema tests do) has it already.
  (db) => {
    const has = db.prepare(`SELECT 1 FROM pragma_table_info('runs') WHERE name = 'left_files'`).pluck().get()
    if (!has) db.exec('ALTER TABLE runs ADD COLUMN left_files TEXT')
  },
]

export const SCHEMA_VERSION = MIGRATIONS.length

/**
 * The oldest schema this code reads correctly as it is: the migrations after it only add
 * indexes and nullable columns that every reader takes as absent (findings' leaks and fix;
 * `runs.quarantine`, read through `SELECT *`), the run tallies of schema 5, which readers
 * count from the results when the table is missing (src/store/tallies.ts, `talliesOf`), and the
 * packed rows of schema 6, read from the results when missing (src/store/run-rows.ts). A read-only copy of such a DB (a downloaded
 * artifact, a read-only mount) is read without migrating; an older one must be migrated first.
 */
export const READABLE_FROM = 1

/** `flks`: what `PRAGMA application_id` (bytes 68–71 of the header) holds in a flakeseed history. */
export const APPLICATION_ID = 0x666c6b73

/**
 * What a history written before the application id existed holds: these tables with at least
 * these columns. Another application's file rarely has all four.
 */
const FLAKESEED_TABLES: Readonly<Record<string, readonly string[]>> = {
  runs: ['id', 'uuid', 'kind', 'status', 'started_at', 'seed'],
  tests: ['id', 'project', 'file', 'name'],
  results: ['run_id', 'test_id', 'file_index', 'test_index', 'state'],
  findings: ['id', 'run_id', 'victim', 'kind'],
}

/** What a SQLite file is, as far as flakeseed is concerned. */
export type Identity =
  /** No tables and no version: a new file, flakeseed may make it a history. */
  | { kind: 'empty' }
  /** A history; `marked` when it carries the application id (earlier versions did not). */
  | { kind: 'flakeseed'; version: number; marked: boolean }
  /** Another application's database. */
  | { kind: 'foreign' }

/** Reads (and never writes) what the file is. */
export function identify(db: Database.Database): Identity {
  const applicationId = db.pragma('application_id', { simple: true }) as number
  const version = db.pragma('user_version', { simple: true }) as number
  if (applicationId === APPLICATION_ID) return { kind: 'flakeseed', version, marked: true }
  if (applicationId !== 0) return { kind: 'foreign' }
  const tables = new Set(db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all() as string[])
  if (!tables.size && version === 0) return { kind: 'empty' }
  const isHistory = Object.entries(FLAKESEED_TABLES).every(([table, required]) => {
    if (!tables.has(table)) return false
    const columns = new Set((db.pragma(`table_info(${table})`) as Array<{ name: string }>).map((c) => c.name))
    return required.every((c) => columns.has(c))
  })
  return version >= 1 && isHistory ? { kind: 'flakeseed', version, marked: false } : { kind: 'foreign' }
}

/** Refuses what flakeseed must not read or write: another application's file, a newer schema. */
export function checkIdentity(identity: Identity, path: string): void {
  if (identity.kind === 'foreign') throw new FlakeseedError(`flakeseed: ${path} is not a flakeseed history (it is another application's SQLite database)`)
  if (identity.kind === 'flakeseed' && identity.version > SCHEMA_VERSION) {
    throw new FlakeseedError(
      `flakeseed: ${path} was written by a newer flakeseed (schema ${identity.version}, this one knows ${SCHEMA_VERSION}); upgrade flakeseed`,
    )
  }
}

/** Brings a history (or an empty file) to the current schema and marks it as flakeseed's. */
export function migrate(db: Database.Database, path: string): void {
  const version = db.pragma('user_version', { simple: true }) as number
  if (version > SCHEMA_VERSION) checkIdentity({ kind: 'flakeseed', version, marked: true }, path)
  for (let v = version; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      // Another process may have migrated while we waited for the write lock.
      if ((db.pragma('user_version', { simple: true }) as number) > v) return
      const migration = MIGRATIONS[v]!
      if (typeof migration === 'string') db.exec(migration)
      else migration(db)
      db.pragma(`user_version = ${v + 1}`)
      db.pragma(`application_id = ${APPLICATION_ID}`)
    }).immediate()
  }
  if ((db.pragma('application_id', { simple: true }) as number) !== APPLICATION_ID) {
    db.transaction(() => db.pragma(`application_id = ${APPLICATION_ID}`)).immediate()
  }
}
