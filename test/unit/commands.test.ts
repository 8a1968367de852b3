// Printed commands: one builder, one quoting rule, one --db rule, and the shell words they are
// written in read back exactly (merging DBs rewrites stored commands).
import { describe, expect, test } from 'vitest'
import {
  allowBuildCommand,
  bisectCommand,
  dbWords,
  flakyCommand,
  historyCommand,
  launcherFor,
  rebuildCommand,
  replayCommand,
  retargetCommand,
  seedCommand,
  showCommand,
} from '../../src/core/commands.js'
import { shellCommand, shellWords } from '../../src/core/quote.js'

describe('shell words', () => {
  test('shellWords reads back what shellCommand wrote, whatever the words hold', () => {
    const words = ['npx', 'flakeseed', "it's", '$(rm -rf x)', '`id`', 'a > b', '', "''", "'\\''", 'tab\there', 'new\nline', '-dash', 'x (2)']
    expect(shellWords(shellCommand(words))).toEqual(words)
  })
})

describe('the --db rule', () => {
  test('the default DB is never named; another is, relative to where the command runs', () => {
    expect(dbWords(undefined, '/repo')).toEqual([])
    expect(dbWords('.flakeseed/history.db', '/repo')).toEqual([])
    expect(dbWords('/repo/.flakeseed/history.db', '/repo')).toEqual([])
    expect(dbWords('ci.db', '/repo')).toEqual(['--db', 'ci.db'])
    expect(dbWords('/repo/out/ci.db', '/repo')).toEqual(['--db', 'out/ci.db'])
    expect(dbWords('/elsewhere/ci.db', '/repo')).toEqual(['--db', '/elsewhere/ci.db'])
  })
})

describe('builders', () => {
  test('every command is quoted and carries the DB and config it was given', () => {
    const db = ['--db', 'ci db.db']
    expect(replayCommand(3, { only: ['a > b', "it's"], repeat: 20, db, config: 'vitest.ci.ts' })).toBe(
      `npx flakeseed replay 3 --only 'a > b' --only 'it'\\''s' --repeat 20 --db 'ci db.db' --config vitest.ci.ts`,
    )
    expect(replayCommand(3, { repeat: 1 })).toBe('npx flakeseed replay 3')
    expect(bisectCommand(9, { test: 'a > b', db })).toBe(`npx flakeseed bisect 9 --test 'a > b' --db 'ci db.db'`)
    expect(showCommand(9)).toBe('npx flakeseed show 9')
    expect(historyCommand('a > $(x)')).toBe(`npx flakeseed history 'a > $(x)'`)
    expect(seedCommand('12 3', ['--project', 'web'])).toBe(`FLAKESEED_SEED='12 3' npx vitest run --project web`)
  })

  test('an id that starts with `-` is never read as an option', () => {
    // Each --only takes exactly one value, so a value that looks like an option is still a test.
    expect(replayCommand(3, { only: ['-dash.test.ts > p', '--db'] })).toBe(`npx flakeseed replay 3 --only '-dash.test.ts > p' --only --db`)
    expect(bisectCommand(3, { test: '-dash.test.ts > v' })).toBe(`npx flakeseed bisect 3 --test '-dash.test.ts > v'`)
    // An argument comes after `--`, and the options before it.
    expect(historyCommand('-dash.test.ts > v', { db: ['--db', 'ci.db'] })).toBe(`npx flakeseed history --db ci.db -- '-dash.test.ts > v'`)
    expect(historyCommand('a', { db: ['--db', 'ci.db'] })).toBe(`npx flakeseed history --db ci.db a`)
  })

  test("a stored command gets the run's id in the merged DB and the merged DB's path", () => {
    const cmd = `npx flakeseed replay 3 --only 'a.test.ts > it'\\''s --db x' --only 'a.test.ts > victim' --db shard-2.db --config vitest.ci.ts`
    expect(retargetCommand(cmd, 41, dbWords('all.db'))).toBe(
      `npx flakeseed replay 41 --only 'a.test.ts > it'\\''s --db x' --only 'a.test.ts > victim' --config vitest.ci.ts --db all.db`,
    )
    expect(retargetCommand('npx flakeseed replay 3 --only t --repeat 20', 7, dbWords('.flakeseed/history.db'))).toBe(
      'npx flakeseed replay 7 --only t --repeat 20',
    )
    expect(retargetCommand('npx flakeseed replay 3 --only t', 7, dbWords('out/my db.db'))).toBe(`npx flakeseed replay 7 --only t --db 'out/my db.db'`)
    expect(retargetCommand('something else', 7, ['--db', 'all.db'])).toBe('something else')
    // A test whose id reads `--db` is a test, not the DB option.
    expect(retargetCommand('npx flakeseed replay 3 --only --db --db old.db', 7, ['--db', 'all.db'])).toBe('npx flakeseed replay 7 --only --db --db all.db')
    // Commands stored before each id had its own --only still read right.
    expect(retargetCommand(`npx flakeseed replay 3 --only a 'b c' --db old.db`, 7, [])).toBe(`npx flakeseed replay 7 --only a 'b c'`)
  })

  test("under Yarn Plug'n'Play every command runs through yarn (npx finds no bin there); elsewhere through npx", () => {
    const launcher = launcherFor({ pnp: true })
    expect(launcher).toBe('yarn')
    expect(launcherFor({ pnp: false })).toBe('npx')
    expect(replayCommand(3, { only: ['a > b'], launcher })).toBe(`yarn flakeseed replay 3 --only 'a > b'`)
    expect(bisectCommand(9, { launcher, db: ['--db', 'ci.db'] })).toBe('yarn flakeseed bisect 9 --db ci.db')
    expect(showCommand(9, { launcher })).toBe('yarn flakeseed show 9')
    expect(historyCommand('t', { launcher })).toBe('yarn flakeseed history t')
    expect(flakyCommand({ launcher })).toBe('yarn flakeseed flaky')
    expect(seedCommand('7', ['--project', 'web'], launcher)).toBe('FLAKESEED_SEED=7 yarn vitest run --project web')
    expect(retargetCommand('yarn flakeseed replay 3 --only t --db a.db', 8, ['--db', 'all.db'])).toBe('yarn flakeseed replay 8 --only t --db all.db')
  })

  test('the rebuild and the approval of better-sqlite3, per package manager', () => {
    expect(rebuildCommand({ name: 'npm' })).toBe('npm rebuild better-sqlite3')
    expect(rebuildCommand({ name: 'pnpm' })).toBe('pnpm rebuild better-sqlite3')
    expect(rebuildCommand({ name: 'yarn' })).toBe('yarn rebuild better-sqlite3')
    expect(rebuildCommand({ name: 'yarn-classic' })).toBe('npm rebuild better-sqlite3')
    expect(allowBuildCommand({ name: 'npm' })).toBe('npm install-scripts approve better-sqlite3')
    expect(allowBuildCommand({ name: 'pnpm' })).toBe('pnpm approve-builds')
    expect(allowBuildCommand({ name: 'yarn' })).toBe('npm pkg set dependenciesMeta.better-sqlite3.built=true --json')
    expect(allowBuildCommand({ name: 'yarn-classic' })).toBeUndefined()
  })
})
