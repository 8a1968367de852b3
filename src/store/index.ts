// The history store: one SQLite file (WAL, busy timeout, marked with flakeseed's application id),
// written by the reporter one finished test file per transaction, read by the CLI.
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { FlakeseedError } from '../core/errors.js'
import { testId } from '../core/names.js'
import { asStoreError, damaged, NotWritableError } from './errors.js'
import { hasSqliteHeader, makeParentDirs } from './files.js'
import { isAlive } from './liveness.js'
import type { HistoryRow, LeftFile, OpenOptions, ResultRow, RunMeta, RunRow, RunStatus, RunSummary, StoredResult } from './rows.js'
import { checkIdentity, type Identity, identify, migrate, READABLE_FROM, SCHEMA_VERSION, STATE, STATE_NAME } from './schema.js'
import { appendRunFiles, appendStatement, type PackedResult } from './run-files.js'
import { addTally, hasTallies, type RunTally, tallyStatement } from './tallies.js'

export { asStoreError, isStoreError } from './errors.js'

export { STATE, STATE_NAME, SCHEMA_VERSION, type TestState } from './schema.js'

export type { HistoryRow, LeftFile, OpenOptions, ResultRow, RunMeta, RunRow, RunStatus, RunSummary, StoredResult } from './rows.js'

/** How long a write waits for another process's lock, unless `FLAKESEED_DB_TIMEOUT` says otherwise. */
export const DEFAULT_BUSY_TIMEOUT = 5000

/** The busy timeout the environment asks for (`FLAKESEED_DB_TIMEOUT` ms, default 5 s): what callers pass to `Store.open`. */
export function busyTimeout(env: NodeJS.ProcessEnv): number {
  const value = env.FLAKESEED_DB_TIMEOUT?.trim()
  if (value && /^\d+$/.test(value)) return Number(value)
  return DEFAULT_BUSY_TIMEOUT
}

export class Store {
  private readonly testIds = new Map<string, number>()

  private constructor(
    readonly db: Database.Database,
    readonly path: string,
    /** A temp folder holding the copy this store reads (see `openCopy`), removed on close. */
    private readonly temp?: string,
  ) {}

  /**
   * Opens a history, checking what the file is before anything writes to it: another
   * application's database, a newer schema or a damaged file is refused untouched. A writable
   * open creates the file (and its folders) when missing, switches it to WAL and migrates it.
   */
  static open(path: string, options: OpenOptions = {}): Store {
    const timeout = options.timeout ?? DEFAULT_BUSY_TIMEOUT
    if (!options.readonly) return new Store(openWritable(path, timeout), path)
    const { db, temp } = openReadonly(path, timeout, options.untouched ?? false)
    return new Store(db, path, temp)
  }

  close(): void {
    this.db.close()
    if (this.temp) rmSync(this.temp, { recursive: true, force: true })
  }

  // ---- writes (reporter) ----

  beginRun(meta: RunMeta): number {
    const info = this.db
      .prepare(
        `INSERT INTO runs (uuid, kind, status, started_at, seed, seed_source, commit_sha, branch, dirty,
           ci_provider, ci_url, shard, pool, isolate, file_parallelism, vitest_version, node_version,
           flakeseed_version, platform, argv, root, config, host, pid)
         VALUES (@uuid, @kind, 'running', @startedAt, @seed, @seedSource, @commitSha, @branch, @dirty,
           @ciProvider, @ciUrl, @shard, @pool, @isolate, @fileParallelism, @vitestVersion, @nodeVersion,
           @flakeseedVersion, @platform, @argv, @root, @config, @host, @pid)`,
      )
      .run({
        ...meta,
        dirty: bool(meta.dirty),
        isolate: bool(meta.isolate),
        fileParallelism: bool(meta.fileParallelism),
        host: hostname(),
        pid: process.pid,
      })
    return Number(info.lastInsertRowid)
  }

  /**
   * One finished test file (or any batch) in one transaction: a killed run keeps what finished.
   * A result is never overwritten: a second result for a test the run already has is a bug
   * (test ids are unique within a file), kept out and returned by id so the caller can say so;
   * the batch's other results are written.
   */
  writeResults(runId: number, rows: readonly ResultRow[]): string[] {
    if (!rows.length) return []
    const sql = this.writeStatements()
    const clashes: string[] = []
    const tally: RunTally = { run: runId, passed: 0, failed: 0, skipped: 0, retried: 0, retries: 0 }
    const written: PackedResult[] = []
    this.db
      .transaction(() => {
        for (const r of rows) {
          const key = testId(r.project, r.file, r.name)
          let id = this.testIds.get(key)
          if (id === undefined) {
            // Nearly every test is already known: look it up before inserting, as an upsert
            // would rewrite the row (and its page) every time.
            id = (sql.findTest.get(r.project, r.file, r.name) as number | undefined) ?? Number(sql.insertTest.run(r.project, r.file, r.name).lastInsertRowid)
            this.testIds.set(key, id)
          }
          try {
            sql.insertResult.run(runId, id, r.fileIndex, r.testIndex, r.worker, STATE[r.state], r.durationMs, r.retries, r.flaky ? 1 : 0, r.error)
          } catch (error) {
            if ((error as { code?: string }).code !== 'SQLITE_CONSTRAINT_PRIMARYKEY') throw error
            clashes.push(key)
            continue
          }
          tally[r.state]++
          tally.retried += r.flaky ? 1 : 0
          tally.retries += r.retries
          written.push({ fileIndex: r.fileIndex, testIndex: r.testIndex, testId: id, state: STATE[r.state], worker: r.worker })
        }
        // The run's tallies and packed rows move with its results, in the same transaction
        // (src/store/tallies.ts, src/store/run-files.ts).
        addTally(this.db, tally, sql.addTally)
        appendRunFiles(this.db, runId, written, sql.appendRows)
      })
      .immediate()
    return clashes
  }

  private statements: ReturnType<Store['prepareWrites']> | undefined

  /** Prepared once per store: the reporter writes every test file of a run through them. */
  private writeStatements() {
    return (this.statements ??= this.prepareWrites())
  }

  private prepareWrites() {
    return {
      findTest: this.db.prepare('SELECT id FROM tests WHERE project = ? AND file = ? AND name = ?').pluck(),
      insertTest: this.db.prepare('INSERT INTO tests (project, file, name) VALUES (?, ?, ?)'),
      appendRows: appendStatement(this.db),
      addTally: tallyStatement(this.db),
      insertResult: this.db.prepare(
        `INSERT INTO results (run_id, test_id, file_index, test_index, worker, state, duration_ms, retries, flaky, error)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
    }
  }

  /** The tests a run quarantined so far (test id → reason): `show`, `flaky` and the report mark their failures. */
  setQuarantine(runId: number, tests: Readonly<Record<string, string>>): void {
    const json = Object.keys(tests).length ? JSON.stringify(tests) : null
    this.db.prepare('UPDATE runs SET quarantine = ? WHERE id = ?').run(json, runId)
  }

  /** The files the run's tests created and left in the project (schema 7). */
  setLeftFiles(runId: number, files: readonly LeftFile[]): void {
    this.db.prepare('UPDATE runs SET left_files = ? WHERE id = ?').run(files.length ? JSON.stringify(files) : null, runId)
  }

  /** What `setLeftFiles` stored; none for a run recorded before schema 7 or a value this code cannot read. */
  leftFiles(runId: number): LeftFile[] {
    const has = this.db.prepare(`SELECT 1 FROM pragma_table_info('runs') WHERE name = 'left_files'`).pluck().get()
    if (!has) return []
    return parseLeftFiles(this.db.prepare('SELECT left_files FROM runs WHERE id = ?').pluck().get(runId))
  }

  /**
   * What `setLeftFiles` stored for every run of this project root from `fromRun` on (oldest
   * first), in one query: a later run (a replay, a CI run) may have rewritten what an earlier left.
   */
  leftFilesSince(root: string, fromRun: number): Array<{ run: number; files: LeftFile[] }> {
    const has = this.db.prepare(`SELECT 1 FROM pragma_table_info('runs') WHERE name = 'left_files'`).pluck().get()
    if (!has) return []
    const rows = this.db
      .prepare('SELECT id, left_files FROM runs WHERE id >= ? AND root = ? AND left_files IS NOT NULL ORDER BY id')
      .all(fromRun, root) as Array<{ id: number; left_files: unknown }>
    return rows.map((row) => ({ run: row.id, files: parseLeftFiles(row.left_files) })).filter((r) => r.files.length)
  }

  /** The newest run's id; 0 when none. */
  lastRunId(): number {
    return (this.db.prepare('SELECT MAX(id) FROM runs').pluck().get() as number | null) ?? 0
  }

  finishRun(runId: number, status: Exclude<RunStatus, 'running' | 'crashed'>, finishedAt = Date.now()): void {
    this.db.prepare('UPDATE runs SET status = ?, finished_at = ? WHERE id = ?').run(status, finishedAt, runId)
  }

  // ---- reads (CLI) ----

  /** `last` (the newest run of kind `run`, or of any kind), or a run id. */
  resolveRun(ref: string, kinds: readonly string[] = ['run']): RunRow {
    let row: Record<string, unknown> | undefined
    if (ref === 'last') {
      row = this.db.prepare(`SELECT * FROM runs WHERE kind IN (${kinds.map(() => '?').join(',')}) ORDER BY id DESC LIMIT 1`).get(...kinds) as
        | Record<string, unknown>
        | undefined
      if (!row) throw new FlakeseedError(`flakeseed: ${this.path} has no recorded runs yet`)
    } else {
      if (!/^\d+$/.test(ref)) throw new FlakeseedError(`flakeseed: "${ref}" is not a run id (use a number from \`flakeseed runs\`, or last)`)
      row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(Number(ref)) as Record<string, unknown> | undefined
      if (!row) throw new FlakeseedError(`flakeseed: no run ${ref} in ${this.path}`)
    }
    return toRun(row)
  }

  listRuns(limit: number): RunSummary[] {
    return this.summaries('ORDER BY r.id DESC LIMIT ?', limit)
  }

  /** Summaries of these runs (any order). */
  listRunsById(ids: readonly number[]): RunSummary[] {
    return this.summaries('WHERE r.id IN (SELECT value FROM json_each(?))', JSON.stringify(ids))
  }

  private summaries(clause: string, ...params: unknown[]): RunSummary[] {
    const rows = this.db
      .prepare(
        hasTallies(this.db)
          ? `SELECT r.*, ifnull(t.passed, 0) AS passed, ifnull(t.failed, 0) AS failed, ifnull(t.skipped, 0) AS skipped
             FROM runs r LEFT JOIN run_tallies t ON t.run_id = r.id ${clause}`
          : `SELECT r.*,
               (SELECT count(*) FROM results WHERE run_id = r.id AND state = ${STATE.passed}) AS passed,
               (SELECT count(*) FROM results WHERE run_id = r.id AND state = ${STATE.failed}) AS failed,
               (SELECT count(*) FROM results WHERE run_id = r.id AND state = ${STATE.skipped}) AS skipped
             FROM runs r ${clause}`,
      )
      .all(...params) as Record<string, unknown>[]
    return rows.map((row) => {
      const run = toRun(row)
      return {
        id: run.id,
        uuid: run.uuid,
        seed: run.seed,
        commit: run.commitSha,
        branch: run.branch,
        status: run.status,
        kind: run.kind,
        passed: Number(row.passed),
        failed: Number(row.failed),
        skipped: Number(row.skipped),
        startedAt: new Date(run.startedAt).toISOString(),
      }
    })
  }

  /** A run's results in executed order: files by index, tests by position in their file. */
  results(runId: number): StoredResult[] {
    const rows = this.db
      .prepare(
        `SELECT t.id AS testId, t.project, t.file, t.name, r.file_index AS fileIndex, r.test_index AS testIndex,
           r.worker, r.state, r.duration_ms AS durationMs, r.retries, r.flaky, r.error
         FROM results r JOIN tests t ON t.id = r.test_id
         WHERE r.run_id = ? ORDER BY r.file_index, r.test_index`,
      )
      .all(runId) as Array<Record<string, unknown>>
    return rows.map((r) => ({
      ...(r as unknown as StoredResult),
      state: STATE_NAME[r.state as number]!,
      flaky: r.flaky === 1,
    }))
  }

  /** Row ids of the tests that failed in a run. */
  failedTestIds(runId: number): number[] {
    return this.db.prepare(`SELECT test_id FROM results WHERE run_id = ? AND state = ${STATE.failed}`).pluck().all(runId) as number[]
  }

  /** Tests whose id is `query` exactly, else those whose id contains it. */
  findTests(query: string): Array<{ id: number; project: string; file: string; name: string }> {
    const all = this.db.prepare('SELECT id, project, file, name FROM tests').all() as Array<{
      id: number
      project: string
      file: string
      name: string
    }>
    const exact = all.filter((t) => testId(t.project, t.file, t.name) === query)
    return exact.length ? exact : all.filter((t) => testId(t.project, t.file, t.name).includes(query))
  }

  history(testIds: readonly number[], limit = 1000): HistoryRow[] {
    if (!testIds.length) return []
    const rows = this.db
      .prepare(
        `SELECT r.run_id AS run, runs.seed, runs.commit_sha AS "commit", runs.branch, runs.kind, r.state,
           t.file, t.name, t.project, r.file_index AS fileIndex, r.test_index AS testIndex, r.error, r.flaky,
           runs.started_at AS startedAt
         FROM results r JOIN runs ON runs.id = r.run_id JOIN tests t ON t.id = r.test_id
         WHERE r.test_id IN (${testIds.map(() => '?').join(',')})
         ORDER BY r.run_id DESC, t.file, t.name LIMIT ?`,
      )
      .all(...testIds, limit) as Array<Record<string, unknown>>
    return rows.map(({ flaky, ...r }) => ({
      ...(r as unknown as HistoryRow),
      state: STATE_NAME[r.state as number]!,
      retried: flaky === 1,
      startedAt: new Date(r.startedAt as number).toISOString(),
    }))
  }
}

/** A file at `path` that SQLite may open: a regular file holding SQLite's header, or an empty one. */
function checkFile(path: string): void {
  const stat = statSync(path)
  if (!stat.isFile()) throw new FlakeseedError(`flakeseed: ${path} is not a file`)
  if (stat.size > 0 && !hasSqliteHeader(path)) throw new FlakeseedError(`flakeseed: ${path} is not a SQLite database`)
}

function openWritable(path: string, timeout: number): Database.Database {
  let db: Database.Database | undefined
  try {
    if (existsSync(path)) checkFile(path)
    else makeParentDirs(path)
    db = new Database(path, { timeout })
    // Everything up to here only read: a file that is refused is left as it was.
    const identity = identify(db)
    checkIdentity(identity, path)
    const wal = db.pragma('journal_mode', { simple: true }) === 'wal'
    // Switching to WAL and migrating are the first writes to a file flakeseed had not written
    // yet in this form; a damaged one is named now, not half converted.
    if (identity.kind === 'flakeseed' && (!wal || identity.version < SCHEMA_VERSION)) quickCheck(db, path)
    if (!wal) db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    migrate(db, path)
    return db
  } catch (error) {
    db?.close()
    // An existing history whose folder takes no new file (SQLite's -wal and -shm): read-only media.
    if ((error as { code?: string }).code === 'SQLITE_CANTOPEN' && existsSync(path)) throw new NotWritableError(path)
    throw asStoreError(error, path)
  }
}

/** A read-only handle on the history, or on a copy of it in `temp`. */
function openReadonly(path: string, timeout: number, untouched: boolean): { db: Database.Database; temp?: string } {
  if (!existsSync(path)) throw new FlakeseedError(`flakeseed: no history at ${path} (run vitest with the flakeseed plugin first, or pass --db)`)
  let db: Database.Database | undefined
  try {
    checkFile(path)
    let identity: Identity
    try {
      db = new Database(path, { readonly: true, timeout })
      identity = identify(db)
    } catch (error) {
      // A WAL history in a folder that cannot be written (read-only media, a read-only mount):
      // SQLite cannot create the shared-memory file it needs to read one. Read a copy.
      if ((error as { code?: string }).code !== 'SQLITE_CANTOPEN') throw error
      db?.close()
      db = undefined
      return openCopy(path, timeout)
    }
    if (identity.kind === 'empty') throw new FlakeseedError(`flakeseed: ${path} holds no flakeseed history`)
    checkIdentity(identity, path)
    // A read never writes the history: an older schema this code reads is read as it is (its
    // next writer, a recorded run, merge or prune, migrates it); one it cannot read, and a merge
    // source, which wants every table, from a migrated temp copy.
    if (identity.kind === 'flakeseed' && identity.version !== SCHEMA_VERSION && (untouched || identity.version < READABLE_FROM)) {
      return openCopy(path, timeout, db)
    }
    return { db }
  } catch (error) {
    db?.close()
    throw asStoreError(error, path)
  }
}

/**
 * Reads a copy of the history in a temp folder, migrated there when it is older: the original
 * is only read. Through `source` (a read-only handle, closed here) the copy is a consistent
 * snapshot (`VACUUM INTO`); without one, the file and its write-ahead log are copied as they are.
 */
function openCopy(path: string, timeout: number, source?: Database.Database): { db: Database.Database; temp: string } {
  const temp = mkdtempSync(join(tmpdir(), 'flakeseed-copy-'))
  try {
    const copy = join(temp, 'history.db')
    if (source) source.prepare('VACUUM INTO ?').run(copy)
    else {
      copyFileSync(path, copy)
      if (existsSync(`${path}-wal`)) copyFileSync(`${path}-wal`, `${copy}-wal`)
    }
    source?.close()
    const probe = new Database(copy, { readonly: true, timeout })
    let identity: Identity
    try {
      identity = identify(probe)
    } finally {
      probe.close()
    }
    if (identity.kind === 'empty') throw new FlakeseedError(`flakeseed: ${path} holds no flakeseed history`)
    checkIdentity(identity, path)
    if (identity.kind === 'flakeseed' && identity.version !== SCHEMA_VERSION) openWritable(copy, timeout).close()
    return { db: new Database(copy, { readonly: true, timeout }), temp }
  } catch (error) {
    source?.close()
    rmSync(temp, { recursive: true, force: true })
    throw asStoreError(error, path)
  }
}

/** SQLite's quick integrity check; a damaged file is refused with how to recover it. */
export function quickCheck(db: Database.Database, path: string): void {
  const rows = (db.pragma('quick_check(4)') as Array<Record<string, string>>).map((row) => Object.values(row)[0]!)
  // The first row of a failed check only says which database (`*** in database main ***`).
  if (rows[0] !== 'ok') throw damaged(path, rows.find((row) => !row.startsWith('***')) ?? 'failed the integrity check')
}

/** `runs.quarantine` (absent before schema 4); a value this code cannot read counts as none. */
export function parseQuarantine(value: unknown): Record<string, string> | null {
  if (typeof value !== 'string') return null
  try {
    const parsed = JSON.parse(value) as unknown
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, string>) : null
  } catch {
    return null
  }
}

/** A stored `left_files` value; none for one this code cannot read. */
function parseLeftFiles(value: unknown): LeftFile[] {
  if (typeof value !== 'string') return []
  try {
    const parsed = JSON.parse(value) as unknown
    return Array.isArray(parsed) ? parsed.filter(isLeftFile) : []
  } catch {
    return []
  }
}

function isLeftFile(value: unknown): value is LeftFile {
  const file = value as Partial<LeftFile> | null
  return typeof file?.path === 'string' && typeof file.size === 'number' && typeof file.mtimeMs === 'number'
}

function bool(value: boolean | null): number | null {
  return value === null ? null : value ? 1 : 0
}

function toRun(row: Record<string, unknown>): RunRow {
  const run: RunRow = {
    id: row.id as number,
    uuid: row.uuid as string,
    kind: row.kind as string,
    status: row.status as RunStatus,
    startedAt: row.started_at as number,
    finishedAt: (row.finished_at as number | null) ?? null,
    seed: row.seed as string,
    seedSource: row.seed_source as string,
    commitSha: row.commit_sha as string | null,
    branch: row.branch as string | null,
    dirty: row.dirty === null ? null : row.dirty === 1,
    ciProvider: row.ci_provider as string | null,
    ciUrl: row.ci_url as string | null,
    shard: row.shard as string | null,
    pool: row.pool as string | null,
    isolate: row.isolate === null ? null : row.isolate === 1,
    fileParallelism: row.file_parallelism === null ? null : row.file_parallelism === 1,
    vitestVersion: row.vitest_version as string | null,
    nodeVersion: row.node_version as string,
    flakeseedVersion: row.flakeseed_version as string,
    platform: row.platform as string,
    argv: row.argv as string,
    root: row.root as string,
    config: row.config as string | null,
    host: row.host as string | null,
    pid: row.pid as number | null,
    quarantine: parseQuarantine(row.quarantine),
  }
  if (run.status === 'running' && !isAlive(run)) run.status = 'crashed'
  return run
}
