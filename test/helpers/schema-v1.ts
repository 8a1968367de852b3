// The history schema at version 1 (flakeseed 0.1.0, commit 9681435), frozen: tests build a DB
// of that version with it and open it with the current code, which must migrate it and keep every row.
export const SCHEMA_V1 = `
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
`
