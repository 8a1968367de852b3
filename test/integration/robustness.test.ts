// Every command against malformed input: another application's database, a newer schema, a
// damaged file, text, an empty file, a folder, a missing file, an unreachable path, and each bad
// argument found by trying to break the CLI. Each must exit 2 with exactly one `flakeseed: …`
// line on stderr and no stack, and leave every byte of every file as it was.
import { createHash } from 'node:crypto'
import { closeSync, copyFileSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs'
import { join, relative } from 'node:path'
import Database from 'better-sqlite3'
import { beforeAll, describe, expect, test } from 'vitest'
import { expectOneLineError } from '../helpers/cli.js'
import { config, createProject, type Project } from '../helpers/project.js'

const FILES = {
  'vitest.config.ts': config('', 'fileParallelism: false'),
  'test/a.test.ts': [
    `import { test } from 'vitest'`,
    `test('a one', () => {})`,
    `test('a fails', () => { if (process.env.FAIL) throw new Error('fails on purpose') })`,
  ].join('\n'),
  '-dash.test.ts': `import { test } from 'vitest'\ntest('victim', () => {})\n`,
}
const GOOD = '.flakeseed/history.db'

/** Every file under the project (not the linked node_modules) with its content's hash. */
function snapshot(project: Project): Map<string, string> {
  const files = new Map<string, string>()
  for (const entry of readdirSync(project.dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name)
    const rel = relative(project.dir, path)
    if (rel.startsWith('node_modules') || !entry.isFile()) continue
    files.set(rel, createHash('sha256').update(readFileSync(path)).digest('hex'))
  }
  return files
}

/** A database in WAL mode (header bytes 18–19): SQLite creates its -wal and -shm beside it to read it. */
function isWal(path: string): boolean {
  try {
    return readFileSync(path)
      .subarray(18, 20)
      .equals(Buffer.from([2, 2]))
  } catch {
    return false
  }
}

/**
 * No file changed. SQLite's -wal and -shm beside a WAL database come and go with its
 * connections (a read creates them, the last writer to close removes them): they are not
 * compared, the database itself is. Any other new file is a write.
 */
function expectUntouched(project: Project, before: Map<string, string>, what: string): void {
  const after = snapshot(project)
  const transient = (file: string) => {
    const companion = /^(.*)-(wal|shm)$/.exec(file)
    return Boolean(companion && isWal(join(project.dir, companion[1]!)))
  }
  for (const [file, hash] of before) if (!transient(file)) expect(after.get(file), `${what}: ${file} changed`).toBe(hash)
  for (const file of after.keys()) if (!before.has(file)) expect(transient(file), `${what}: ${file} was created`).toBe(true)
}

function sqlite(path: string, setup: (db: Database.Database) => void): void {
  const db = new Database(path)
  setup(db)
  db.close()
}

/** The files a command may be pointed at, each broken in its own way. */
const BROKEN: Array<{ db: string; message: RegExp; readMessage?: RegExp; mergeSource?: RegExp; mergeTarget?: RegExp | false }> = [
  { db: 'other.db', message: /other\.db is not a flakeseed history/ },
  { db: 'other-runs.db', message: /other-runs\.db is not a flakeseed history/ },
  { db: 'newer.db', message: /newer\.db was written by a newer flakeseed \(schema 99, .*upgrade flakeseed/ },
  { db: 'damaged.db', message: /damaged\.db is damaged \(.+\): run `sqlite3 .*damaged\.db \.recover \| sqlite3 recovered\.db`/ },
  { db: 'notes.db', message: /notes\.db is not a SQLite database/ },
  { db: 'empty.db', message: /empty\.db holds no flakeseed history/, mergeTarget: false },
  { db: 'folder.db', message: /folder\.db is not a file/ },
  { db: 'missing.db', message: /no history at .*missing\.db/, mergeSource: /missing\.db does not exist/, mergeTarget: false },
  {
    db: '/proc/flakeseed-none/h.db',
    message: /no history at \/proc\/flakeseed-none\/h\.db/,
    mergeSource: /does not exist/,
    mergeTarget: /cannot create the folder \/proc\/flakeseed-none/,
  },
]

/** Every command that reads a history, as a user runs it; `--db` comes last. */
const COMMANDS: string[][] = [
  ['runs'],
  ['show', 'last'],
  ['history', 'a one'],
  ['flaky'],
  ['report', '--html', 'report.html'],
  ['prune', '--keep', '1'],
  ['replay', 'last'],
  ['bisect', 'last'],
]

describe('every command × every broken database', () => {
  let project: Project
  beforeAll(async () => {
    project = createProject(FILES)
    for (const seed of ['1', '2']) expect((await project.runVitest([], { FLAKESEED_SEED: seed, FAIL: '1' })).code).toBe(1)
    const good = join(project.dir, GOOD)
    // Another application's files, in rollback-journal mode as most are.
    sqlite(join(project.dir, 'other.db'), (db) =>
      db.exec(`CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('mine'); PRAGMA user_version = 2`),
    )
    sqlite(join(project.dir, 'other-runs.db'), (db) => db.exec(`CREATE TABLE runs (id INTEGER PRIMARY KEY, what TEXT); PRAGMA user_version = 2`))
    // Copies of the history: a newer schema (rollback mode, as a restored backup), and one whose
    // every page after the first is garbage, as a cut download leaves it.
    sqlite(good, (db) => db.pragma('wal_checkpoint(TRUNCATE)'))
    copyFileSync(good, join(project.dir, 'newer.db'))
    sqlite(join(project.dir, 'newer.db'), (db) => db.exec('PRAGMA journal_mode = DELETE; PRAGMA user_version = 99'))
    copyFileSync(good, join(project.dir, 'damaged.db'))
    const size = statSync(join(project.dir, 'damaged.db')).size
    const fd = openSync(join(project.dir, 'damaged.db'), 'r+')
    writeSync(fd, Buffer.alloc(size - 4096, 0x5a), 0, size - 4096, 4096)
    closeSync(fd)
    writeFileSync(join(project.dir, 'notes.db'), 'these are my notes, not a database\n'.repeat(100))
    writeFileSync(join(project.dir, 'empty.db'), '')
    mkdirSync(join(project.dir, 'folder.db'))
  })

  for (const broken of BROKEN) {
    for (const command of COMMANDS) {
      test(`${command.join(' ')} --db ${broken.db}`, async () => {
        const before = snapshot(project)
        expectOneLineError(await project.runCli([...command, '--db', broken.db]), broken.message)
        expectUntouched(project, before, command[0]!)
      })
    }
    test(`merge ${broken.db} --into new.db`, async () => {
      const before = snapshot(project)
      expectOneLineError(await project.runCli(['merge', broken.db, '--into', 'new.db']), broken.mergeSource ?? broken.message)
      expectUntouched(project, before, 'merge')
      expect(snapshot(project).has('new.db')).toBe(false)
    })
    const target = broken.mergeTarget
    if (target !== false) {
      test(`merge ${GOOD} --into ${broken.db}`, async () => {
        const before = snapshot(project)
        expectOneLineError(await project.runCli(['merge', GOOD, '--into', broken.db]), target ?? broken.message)
        expectUntouched(project, before, 'merge')
      })
    }
  }

  test('--json changes nothing: still one line on stderr and nothing on stdout', async () => {
    for (const command of COMMANDS) expectOneLineError(await project.runCli([...command, '--db', 'other.db', '--json']), /is not a flakeseed history/)
  })
})

describe('bad arguments', () => {
  let project: Project
  /** A second project whose test files were all deleted after its run was recorded. */
  let gone: Project
  /** And one whose tests were all renamed: their files are there, none of the tests. */
  let renamed: Project
  beforeAll(async () => {
    project = createProject(FILES)
    expect((await project.runVitest([], { FLAKESEED_SEED: '1', FAIL: '1' })).code).toBe(1)
    sqlite(join(project.dir, 'other.db'), (db) => db.exec(`CREATE TABLE notes (id INTEGER PRIMARY KEY); PRAGMA user_version = 2`))
    gone = createProject(FILES)
    expect((await gone.runVitest([], { FLAKESEED_SEED: '1' })).code).toBe(0)
    gone.remove('test/a.test.ts').remove('-dash.test.ts')
    renamed = createProject(FILES)
    expect((await renamed.runVitest([], { FLAKESEED_SEED: '1' })).code).toBe(0)
    for (const file of ['test/a.test.ts', '-dash.test.ts']) renamed.write({ [file]: renamed.read(file).replace(/test\('/g, "test('renamed ") })
  })

  const cases: Array<[string, string[], RegExp]> = [
    // The report never replaces a database, and never hangs on a path it cannot create.
    ['the report onto the history', ['report', '--html', GOOD], /--html .*history\.db is the history database/],
    ['the report onto its write-ahead log', ['report', '--html', `${GOOD}-wal`], /is the history database/],
    ['the report onto its shared memory, through another path', ['report', '--html', `./test/../${GOOD}-shm`], /is the history database/],
    ['the report onto another SQLite database', ['report', '--html', 'other.db'], /--html other\.db is a SQLite database: not overwriting it/],
    ['the report onto a folder', ['report', '--html', 'test'], /--html test is a folder/],
    ['the report where no folder can be made', ['report', '--html', '/proc/flakeseed-none/r.html'], /cannot create the folder \/proc\/flakeseed-none/],
    // Dates and seeds.
    ['an impossible date for flaky', ['flaky', '--since', '2024-02-30'], /--since "2024-02-30" is not a date/],
    ['an impossible date for the report', ['report', '--html', 'r.html', '--since', '2023-02-29'], /--since "2023-02-29" is not a date/],
    ['a report with no test in full', ['report', '--html', 'r.html', '--top', '0'], /--top.*at least 1/],
    ['an empty seed', ['replay', '--seed', ''], /--seed.*must not be empty/],
    ['a blank seed', ['replay', 'last', '--seed', '  '], /--seed.*must not be empty/],
    // Bisect of a test that did not fail stores nothing and names the ones that did.
    ['bisect of a test that passed', ['bisect', '1', '--test', 'a one'], /"a one" did not fail in run 1; its failing tests: test\/a\.test\.ts > a fails$/],
    ['bisect of a test that is not in the run', ['bisect', '1', '--test', 'nope'], /no test of the run matches "nope"/],
    // merge names the file that is wrong, and takes --db like every command.
    ['merge of another application into the history', ['merge', 'other.db', '--into', GOOD], /^flakeseed: other\.db is not a flakeseed history/],
    ['merge of the history into another application', ['merge', GOOD, '--into', 'other.db'], /^flakeseed: other\.db is not a flakeseed history/],
    ['merge into two databases', ['merge', GOOD, '--into', 'x.db', '--db', 'y.db'], /merge got --into x\.db and --db y\.db/],
    ['merge into nothing', ['merge', GOOD], /merge needs the database to merge into: --into PATH \(or --db PATH\)/],
    ['merge of the target into itself', ['merge', GOOD, '--db', GOOD], /is the merge target itself/],
    // Options and arguments.
    ['an unknown option next to a test', ['history', 'a one', '--limt', '2'], /unknown option '--limt'/],
    ['a test that starts with - and matches nothing', ['history', '-nope'], /no recorded test matches "-nope"/],
    ['prune without a rule', ['prune'], /prune needs --keep N or --older-than DAYS/],
    ['replay of a run that is not a number', ['replay', 'x'], /"x" is not a run id/],
    ['replay --only that matches nothing', ['replay', '1', '--only', 'nope'], /no test of the run matches "nope"/],
    ['replay --repeat 0', ['replay', '1', '--repeat', '0'], /--repeat.*at least 1/],
    ['show without a run', ['show'], /missing required argument/],
  ]
  for (const [what, args, message] of cases) {
    test(`${what}: ${args.join(' ')}`, async () => {
      const before = snapshot(project)
      expectOneLineError(await project.runCli(args), message)
      expectUntouched(project, before, args[0]!)
    })
  }

  test('replay when every recorded test file is gone: nothing ran, exit 2, nothing recorded', async () => {
    const before = snapshot(gone)
    expectOneLineError(await gone.runCli(['replay', '1']), /nothing ran: the 3 tests of run 1 no longer exist \(.*victim.*\)$/)
    expectOneLineError(await gone.runCli(['replay', '1', '--json']), /nothing ran/)
    expectUntouched(gone, before, 'replay')
  })

  test('replay when every recorded test was renamed: Vitest ran, nothing of the run did, exit 2', async () => {
    expectOneLineError(await renamed.runCli(['replay', '1', '--json']), /nothing ran: the 3 tests of run 1 no longer exist/)
    // Without --json Vitest's own report is on stdout (every test skipped); flakeseed's verdict is the one line on stderr.
    const shown = await renamed.runCli(['replay', '1'])
    expect(shown.code, shown.output).toBe(2)
    expect(shown.stdout).toMatch(/Tests {2}3 skipped \(3\)/)
    expect(shown.stderr.trim()).toMatch(/^flakeseed: nothing ran: the 3 tests of run 1 no longer exist \([^\n]*\)$/)
  })

  test('a test whose file starts with - is found as typed, after --, and with options after it', async () => {
    const id = '-dash.test.ts > victim'
    for (const args of [
      ['history', id],
      ['history', '--', id],
      ['history', id, '--limit', '5'],
    ]) {
      const result = await project.runCli(args)
      expect(result.code, result.output).toBe(0)
      expect(result.stdout.split('\n')[0]).toBe(id)
    }
  })
})
