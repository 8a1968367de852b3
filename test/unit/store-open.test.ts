// Opening a history: what the file is is read before anything is written, so another
// application's database, a newer schema or a damaged file is refused with every byte as it was;
// flakeseed's own files are marked; a WAL history on read-only media is still read; a result is
// never overwritten.
import { createHash } from 'node:crypto'
import { closeSync, existsSync, openSync, readdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, test } from 'vitest'
import { makeParentDirs } from '../../src/store/files.js'
import { type ResultRow, Store } from '../../src/store/index.js'
import { APPLICATION_ID, SCHEMA_VERSION } from '../../src/store/schema.js'
import { whileUnwritable } from '../helpers/files.js'
import { runMeta, tempFolder } from '../helpers/store.js'

const folder = () => tempFolder('flakeseed-open-')

/** Every file of the folder with its content's hash: what a refused open must leave as it was. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {}
  for (const name of readdirSync(dir).sort())
    files[name] = createHash('sha256')
      .update(readFileSync(join(dir, name)))
      .digest('hex')
  return files
}

function sqlite(path: string, setup: (db: Database.Database) => void): string {
  const db = new Database(path)
  setup(db)
  db.close()
  return path
}

const row = (name: string, state: ResultRow['state'] = 'passed'): ResultRow => ({
  project: '',
  file: 'a.test.ts',
  name,
  fileIndex: 0,
  testIndex: 0,
  worker: 1,
  state,
  durationMs: 1,
  retries: 0,
  flaky: false,
  error: null,
})

function history(path: string, results = 1): string {
  const store = Store.open(path)
  const run = store.beginRun(runMeta({ uuid: `u-${Math.random()}`, startedAt: 1 }))
  store.writeResults(
    run,
    Array.from({ length: results }, (_, i) => ({ ...row(`t${i} ${'x'.repeat(200)}`), error: 'e'.repeat(300) })),
  )
  store.close()
  return path
}

/** Like a history file from before the application id, in rollback-journal mode as a copy or a restore gives it. */
function unmarked(path: string): string {
  history(path)
  return sqlite(path, (db) => {
    db.pragma('application_id = 0')
    db.pragma('journal_mode = DELETE')
  })
}

describe('another application, a newer schema, a damaged file: refused, every byte as it was', () => {
  const foreign: Array<[string, (db: Database.Database) => void]> = [
    [
      'tables and a user_version of 2',
      (db) => db.exec(`CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('x'); PRAGMA user_version = 2`),
    ],
    ['a table named runs and no version', (db) => db.exec('CREATE TABLE runs (id INTEGER PRIMARY KEY, what TEXT)')],
    ['its own application id', (db) => db.exec('CREATE TABLE t (x); PRAGMA application_id = 1234; PRAGMA user_version = 1')],
    [
      'flakeseed-like tables but another application id',
      (db) => db.exec(`CREATE TABLE runs (id, uuid, kind, status, started_at, seed); PRAGMA application_id = 77`),
    ],
  ]
  for (const [what, setup] of foreign) {
    test(`another application's database (${what})`, () => {
      const dir = folder()
      const path = sqlite(join(dir, 'other.db'), setup)
      const before = snapshot(dir)
      for (const readonly of [false, true]) {
        expect(() => Store.open(path, { readonly }).close()).toThrow(/other\.db is not a flakeseed history/)
        expect(snapshot(dir)).toEqual(before)
      }
    })
  }

  test('a history of a newer schema', () => {
    const dir = folder()
    const path = sqlite(unmarked(join(dir, 'newer.db')), (db) => db.pragma('user_version = 99'))
    const before = snapshot(dir)
    for (const readonly of [false, true]) {
      expect(() => Store.open(path, { readonly }).close()).toThrow(/newer\.db was written by a newer flakeseed \(schema 99/)
      expect(snapshot(dir)).toEqual(before)
    }
  })

  test('a damaged history is named with how to recover it, and not switched to WAL first', () => {
    const dir = folder()
    const path = sqlite(history(join(dir, 'damaged.db'), 200), (db) => db.pragma('journal_mode = DELETE'))
    // Pages 3–5 overwritten, as a bad disk or a cut copy leaves them.
    const fd = openSync(path, 'r+')
    writeSync(fd, Buffer.alloc(3 * 4096, 0x5a), 0, 3 * 4096, 2 * 4096)
    closeSync(fd)
    const before = snapshot(dir)
    expect(() => Store.open(path).close()).toThrow(/damaged\.db is damaged \(.+\): run `sqlite3 .*damaged\.db \.recover \| sqlite3 recovered\.db`/)
    expect(snapshot(dir)).toEqual(before)
  })

  test('a file that is not SQLite, and a folder', () => {
    const dir = folder()
    const notes = join(dir, 'notes.db')
    writeFileSync(notes, 'my notes, not a database\n'.repeat(100))
    const before = snapshot(dir)
    for (const readonly of [false, true]) {
      expect(() => Store.open(notes, { readonly }).close()).toThrow(/notes\.db is not a SQLite database/)
      expect(() => Store.open(dir, { readonly }).close()).toThrow(/is not a file/)
    }
    expect(snapshot(dir)).toEqual(before)
  })
})

describe("flakeseed's own files", () => {
  test('a new history is marked with the application id, in WAL mode', () => {
    const path = history(join(folder(), 'new.db'))
    const db = new Database(path, { readonly: true })
    expect(db.pragma('application_id', { simple: true })).toBe(APPLICATION_ID)
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    db.close()
  })

  test('a history from before the application id is read as it is, and marked by the next writer', () => {
    const dir = folder()
    const path = unmarked(join(dir, 'old.db'))
    const before = snapshot(dir)
    const read = Store.open(path, { readonly: true })
    expect(read.listRuns(5)).toHaveLength(1)
    read.close()
    expect(snapshot(dir)).toEqual(before)
    Store.open(path).close()
    const db = new Database(path, { readonly: true })
    expect(db.pragma('application_id', { simple: true })).toBe(APPLICATION_ID)
    db.close()
  })

  test('a writable history of an older schema is read as it is, every byte as it was; the next writer migrates it', () => {
    const dir = folder()
    const path = history(join(dir, 'old.db'), 3)
    // The history as the previous schema left it: no packed rows (schema 6), folded into one file.
    sqlite(path, (db) => {
      db.exec('DROP TABLE run_files')
      db.pragma(`user_version = ${SCHEMA_VERSION - 1}`)
      db.pragma('journal_mode = DELETE')
    })
    const before = snapshot(dir)
    const read = Store.open(path, { readonly: true })
    expect(read.results(1)).toHaveLength(3)
    expect(read.listRuns(5).map((r) => r.passed)).toEqual([3])
    read.close()
    expect(snapshot(dir)).toEqual(before)
    Store.open(path).close()
    const db = new Database(path, { readonly: true })
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    db.close()
  })

  test('an empty file becomes a history; the read-only CLI calls it empty', () => {
    const dir = folder()
    const path = join(dir, 'empty.db')
    closeSync(openSync(path, 'w'))
    expect(() => Store.open(path, { readonly: true })).toThrow(/empty\.db holds no flakeseed history/)
    Store.open(path).close()
    expect(Store.open(path, { readonly: true }).listRuns(1)).toEqual([])
  })
})

describe('a WAL history on read-only media', () => {
  test('is read from a copy when SQLite cannot create its shared-memory file, and the folder is left as it was', () => {
    const dir = folder()
    const path = history(join(dir, 'history.db'), 3)
    // A history as CI uploads it: the WAL folded in, no -wal or -shm beside it.
    expect(readdirSync(dir)).toEqual(['history.db'])
    const before = snapshot(dir)
    whileUnwritable(dir, () => {
      // What SQLite does on its own here: it needs to create history.db-shm.
      const direct = new Database(path, { readonly: true })
      expect(() => direct.pragma('user_version')).toThrow(/unable to open database file/)
      direct.close()
      const store = Store.open(path, { readonly: true })
      expect(store.path).toBe(path)
      expect(store.results(1)).toHaveLength(3)
      store.close()
    })
    expect(snapshot(dir)).toEqual(before)
  })
})

describe('results', () => {
  test('a second result for a test of the same run is never written over the first: it is returned as a clash', () => {
    const path = join(folder(), 'h.db')
    history(path, 0)
    const store = Store.open(path)
    const clashes = store.writeResults(1, [row('a', 'failed'), row('b'), row('a', 'passed')])
    expect(clashes).toEqual(['a.test.ts > a'])
    expect(store.results(1).map((r) => [r.name, r.state])).toEqual([
      ['a', 'failed'],
      ['b', 'passed'],
    ])
    // The batch's other rows were written; a later batch is too.
    expect(store.writeResults(1, [row('c')])).toEqual([])
    expect(store.results(1)).toHaveLength(3)
    store.close()
  })
})

describe('folders', () => {
  test('a folder that cannot be created fails at once, without looping (Node 20 loops on /proc with recursive mkdir)', () => {
    expect(() => makeParentDirs('/proc/flakeseed-none/x/h.db')).toThrow(/cannot create the folder \/proc\/flakeseed-none: ENOENT/)
    const dir = folder()
    makeParentDirs(join(dir, 'a/b/c/h.db'))
    expect(existsSync(join(dir, 'a/b/c'))).toBe(true)
    expect(existsSync(join(dir, 'a/b/c/h.db'))).toBe(false)
  })
})
