// CI at scale, end to end: shards recorded into one DB each and merged, a DB from an older
// flakeseed migrated, Vitest projects in one DB, retention. Real Vitest runs fixture projects;
// the tests assert the rows, the CLI output and the order that ran.
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, test } from 'vitest'
import { sortByKey } from '../../src/core/order.js'
import { testId } from '../../src/core/names.js'
import type { RunJson, ShowJson } from '../helpers/cli.js'
import { whileUnwritable } from '../helpers/files.js'
import { SCHEMA_V1 } from '../helpers/schema-v1.js'
import { config, createProject, LOG, REPO, type Project } from '../helpers/project.js'

const SERIAL = `fileParallelism: false`
const SEED = '2024'
const vitestVersion = (JSON.parse(readFileSync(join(REPO, 'node_modules/vitest/package.json'), 'utf8')) as { version: string }).version

// ---- fixture -------------------------------------------------------------------------------

/**
 * Eight files, each a describe of four tests logging `<file> <test>`, one failing and one skipped
 * test; `more` quiet tests in f7 make a DB big enough for VACUUM to show.
 */
function shardSuite(more = 0): Project {
  const files: Record<string, string> = { 'vitest.config.ts': config('', SERIAL) }
  for (let f = 0; f < 8; f++) {
    const lines = [`import { describe, test } from 'vitest'`, LOG, `describe('d', () => {`]
    for (let t = 0; t < 4; t++) lines.push(`  test('t${t}', () => log('f${f} t${t}'))`)
    if (f === 3) lines.push(`  test('fails', () => { log('f3 fails'); throw new Error('fails on purpose') })`)
    if (f === 5) lines.push(`  test.skip('skipped', () => log('never'))`)
    if (f === 7 && more) lines.push(`  test.each(Array.from({ length: ${more} }, (_, i) => i))('more %i', () => {})`)
    lines.push('})')
    files[`test/f${f}.test.ts`] = lines.join('\n')
  }
  return createProject(files)
}

/** Per test: outcome and position in its file, the things a shard run must agree on with a full run. */
function outcomes(show: ShowJson): Map<string, { state: string; index: number }> {
  const map = new Map<string, { state: string; index: number }>()
  for (const f of show.files) for (const t of f.tests) map.set(testId(f.project, f.file, t.name), { state: t.state, index: t.index })
  return map
}

/** Fixture tests log what ran; replay and bisect run them too. */
function logEnv(project: Project): NodeJS.ProcessEnv {
  return { ORDER_LOG: join(project.dir, 'cli-order.log') }
}

function tableCounts(path: string): Record<string, number> {
  const db = new Database(path, { readonly: true })
  try {
    return Object.fromEntries(['runs', 'tests', 'results', 'findings'].map((t) => [t, db.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number]))
  } finally {
    db.close()
  }
}

// ---- shards and merge --------------------------------------------------------------------------

describe('shards merged into one DB', () => {
  test('four shards merged equal, test for test, one unsharded run of the same seed; merging again adds nothing', () => {
    const project = shardSuite()
    const env = { FLAKESEED_SEED: SEED }
    const shardLogs: string[][] = []
    for (let i = 1; i <= 4; i++) {
      const result = project.vitest([`--shard=${i}/4`], { ...env, FLAKESEED_DB: `shard-${i}.db` })
      expect([0, 1], result.output).toContain(result.code)
      shardLogs.push(result.log)
    }
    const full = project.vitest([], { ...env, FLAKESEED_DB: 'full.db' })
    expect(full.code, full.output).toBe(1)

    const merge = project.cli(['merge', 'shard-1.db', 'shard-2.db', 'shard-3.db', 'shard-4.db', '--into', 'all.db'])
    expect(merge.code, merge.output).toBe(0)
    expect(merge.stdout).toMatch(/^merged 4 databases into all\.db: 4 runs added, 0 already there, 34 results added$/m)

    // One logical run of four shards.
    const runs = project.cliJson<RunJson[]>(['runs', '--db', 'all.db'])
    expect(runs).toHaveLength(1)
    expect(runs[0]).toMatchObject({ shards: 4, shard: '4/4', passed: 32, failed: 1, skipped: 1 })
    expect(runs[0]!.runs).toHaveLength(4)
    expect(project.cli(['runs', '--db', 'all.db']).stdout).toMatch(/\b4\/4\s+32\s+1\s+1\s+failed$/m)

    const merged = project.cliJson<ShowJson>(['show', String(runs[0]!.runs[2]), '--db', 'all.db'])
    const single = project.cliJson<ShowJson>(['show', 'last', '--db', 'full.db'])
    expect(merged.shards?.map((s) => s.shard)).toEqual(['1/4', '2/4', '3/4', '4/4'])
    expect(outcomes(merged).size).toBe(34)
    expect(outcomes(merged)).toEqual(outcomes(single))
    // Every file ran in exactly one shard, and a shard's files keep the full run's relative order.
    expect(merged.files.map((f) => f.file).sort()).toEqual(single.files.map((f) => f.file).sort())
    const fullOrder = single.files.map((f) => f.file)
    for (const shard of ['1/4', '2/4', '3/4', '4/4']) {
      const files = merged.files.filter((f) => f.shard === shard).map((f) => f.file)
      expect(files).toEqual(fullOrder.filter((f) => files.includes(f)))
    }
    // What the tests logged agrees: each shard ran its files' tests in the full run's order.
    expect(shardLogs.flat().sort()).toEqual([...full.log].sort())

    // bisect of the logical run finds the failure in whichever shard it ran (`last` is shard 4).
    const failedIn = merged.files.find((f) => f.file === 'test/f3.test.ts')!.shard
    expect(failedIn).not.toBe('4/4')
    const bisected = project.cliJson<{ victim: string; kind: string; command: string }>(['bisect', 'last', '--repeat', '1', '--db', 'all.db'], logEnv(project))
    expect(bisected).toMatchObject({ victim: 'test/f3.test.ts > d > fails', kind: 'independent' })
    const shardRun = runs[0]!.runs[Number(failedIn!.split('/')[0]) - 1]
    expect(bisected.command).toBe(`npx flakeseed replay ${shardRun} --only 'test/f3.test.ts > d > fails' --db all.db`)

    // flaky's window counts logical runs too: the four shards and the full run are two runs.
    const withFull = project.cli(['merge', 'full.db', '--into', 'all.db'])
    expect(withFull.code, withFull.output).toBe(0)
    expect(project.cli(['flaky', '--db', 'all.db']).stdout).toMatch(/^no flaky tests in the last 2 runs \(runs 1–5\)$/m)
    expect(project.cli(['flaky', '--window', '1', '--db', 'all.db']).stdout).toMatch(/^no flaky tests in the last 1 run \(run 5\)$/m)
    expect(project.cli(['report', '--html', 'report.html', '--db', 'all.db']).code).toBe(0)
    const html = readFileSync(join(project.dir, 'report.html'), 'utf8')
    expect(html.match(/<g class="run">/g)).toHaveLength(2)
    expect(html).toContain(`runs ${runs[0]!.runs.join('+')} (4 shards)`)

    const before = tableCounts(join(project.dir, 'all.db'))
    const again = project.cli(['merge', 'shard-1.db', 'shard-3.db', 'shard-2.db', 'shard-4.db', '--into', 'all.db'])
    expect(again.stdout).toMatch(/: 0 runs added, 4 already there, 0 results added$/m)
    expect(tableCounts(join(project.dir, 'all.db'))).toEqual(before)
    expect(before).toMatchObject({ runs: 5, results: 68, tests: 34 })

    // A replay of the logical run takes each test from the shard it ran in.
    const inShard3 = merged.files.find((f) => f.shard === '3/4')!
    const victim = testId('', inShard3.file, inShard3.tests[0]!.name)
    const replay = project.cliJson<{ tests: Array<{ test: string }>; missing: string[] }>(
      ['replay', String(runs[0]!.runs[0]), '--only', victim, '--db', 'all.db'],
      logEnv(project),
    )
    expect(replay.tests.map((t) => t.test)).toEqual([victim])
    expect(replay.missing).toEqual([])
    // Replaying the whole logical run runs every shard's tests.
    const all = project.cliJson<{ tests: unknown[]; failed: number }>(['replay', String(runs[0]!.runs[1]), '--db', 'all.db'], logEnv(project))
    expect(all).toMatchObject({ failed: 1 })
    expect(all.tests).toHaveLength(33)
  })

  test('merge into a new DB from DBs holding other runs too; bad input is one line and exit 2', () => {
    const project = shardSuite()
    expect(project.vitest([], { FLAKESEED_SEED: '1', FLAKESEED_DB: 'a.db' }).code).toBe(1)
    expect(project.vitest([], { FLAKESEED_SEED: '2', FLAKESEED_DB: 'b.db' }).code).toBe(1)
    // b.db also holds a.db's run: the shared run is added once.
    expect(project.cli(['merge', 'a.db', '--into', 'b.db']).stdout).toMatch(/1 run added, 0 already there/)
    const merged = project.cli(['merge', 'a.db', 'b.db', '--into', 'out/all.db'])
    expect(merged.stdout).toMatch(/: 2 runs added, 1 already there, 68 results added$/m)
    expect(project.cliJson<RunJson[]>(['runs', '--db', 'out/all.db']).map((r) => r.failed)).toEqual([1, 1])
    // --db names the database to merge into, as it names every other command's.
    expect(project.cli(['merge', 'a.db', '--db', 'c.db']).stdout).toMatch(/^merged 1 database into c\.db: 1 run added, 0 already there/m)

    project.write({ 'junk.db': 'this is not a database, just text that is long enough' })
    for (const [args, message] of [
      [['merge', 'missing.db', '--into', 'x.db'], /^flakeseed: missing\.db does not exist$/],
      [['merge', 'junk.db', '--into', 'x.db'], /^flakeseed: junk\.db is not a SQLite database$/],
      [['merge', 'a.db', 'missing.db', '--into', 'x.db'], /^flakeseed: missing\.db does not exist$/],
      [['merge', 'a.db'], /^flakeseed: .*--into/],
    ] as const) {
      const result = project.cli([...args])
      expect(result.code, result.output).toBe(2)
      expect(result.stderr.trim()).toMatch(message)
      expect(result.stderr.trim().split('\n')).toHaveLength(1)
    }
    // Nothing was written for the failed merges.
    expect(() => statSync(join(project.dir, 'x.db'))).toThrow()
  })
})

// ---- an older schema ---------------------------------------------------------------------------

describe('a DB from schema version 1', () => {
  function v1Database(path: string): Record<string, unknown[]> {
    const db = new Database(path)
    db.exec(SCHEMA_V1)
    const run = db.prepare(
      `INSERT INTO runs (uuid, kind, status, started_at, finished_at, seed, seed_source, commit_sha, branch, shard, node_version, flakeseed_version, platform, argv, root)
       VALUES (?, 'run', ?, ?, ?, ?, 'env', 'abc123', 'main', ?, 'v20.0.0', '0.1.0', 'linux-x64', '[]', '/nowhere')`,
    )
    run.run('uuid-1', 'failed', 1_700_000_000_000, 1_700_000_001_000, '7', null)
    run.run('uuid-2', 'passed', 1_700_000_100_000, 1_700_000_101_000, '8', '1/2')
    const test = db.prepare('INSERT INTO tests (project, file, name) VALUES (?, ?, ?)')
    test.run('', 'test/a.test.ts', 'd > t0')
    test.run('web', 'test/a.test.ts', 'd > t0')
    test.run('', 'test/b.test.ts', 'fails')
    const result = db.prepare(
      'INSERT INTO results (run_id, test_id, file_index, test_index, worker, state, duration_ms, error) VALUES (?, ?, ?, ?, 1, ?, 3, ?)',
    )
    result.run(1, 1, 0, 0, 0, null)
    result.run(1, 2, 1, 0, 0, null)
    result.run(1, 3, 2, 0, 1, 'Error: boom')
    result.run(2, 1, 0, 0, 0, null)
    result.run(2, 3, 1, 0, 0, null)
    db.prepare(
      `INSERT INTO findings (run_id, victim, kind, polluters, probes, command, created_at) VALUES (1, 'test/b.test.ts > fails', 'victim', '["test/a.test.ts > d > t0"]', 4, 'npx flakeseed replay 1', 1_700_000_002_000)`,
    ).run()
    db.pragma('user_version = 1')
    const rows = snapshot(db)
    db.close()
    return rows
  }

  /** Every row of the version-1 columns, so a migration that drops or changes one is caught. */
  function snapshot(db: Database.Database): Record<string, unknown[]> {
    const v1 = new Database(':memory:')
    v1.exec(SCHEMA_V1)
    const tables: Record<string, unknown[]> = {}
    for (const table of ['runs', 'tests', 'results', 'findings']) {
      const cols = (v1.pragma(`table_info(${table})`) as Array<{ name: string }>).map((c) => c.name).join(', ')
      tables[table] = db.prepare(`SELECT ${cols} FROM ${table} ORDER BY 1, 2`).all()
    }
    v1.close()
    return tables
  }

  test('opens with the current code, migrates to the current version, and keeps every row', async () => {
    const { SCHEMA_VERSION } = await import('../../src/store/schema.js')
    const project = createProject({})
    const before = v1Database(join(project.dir, 'old.db'))
    const before2 = v1Database(join(project.dir, 'old-copy.db'))
    expect(before2).toEqual(before)

    const runs = project.cliJson<Array<{ seed: string; status: string; failed: number }>>(['runs', '--db', 'old.db'])
    expect(runs.map((r) => [r.seed, r.status, r.failed])).toEqual([
      ['8', 'passed', 0],
      ['7', 'failed', 1],
    ])
    const history = project.cliJson<unknown[]>(['history', 'fails', '--db', 'old.db'])
    expect(history).toHaveLength(2)

    const db = new Database(join(project.dir, 'old.db'), { readonly: true })
    expect(SCHEMA_VERSION).toBeGreaterThan(1)
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    expect(snapshot(db)).toEqual(before)
    // What version 2 added is there, and used: the failures of a window without its passes.
    expect(db.prepare(`SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'results_failed'`).pluck().get()).toBe(1)
    const plan = db.prepare(`EXPLAIN QUERY PLAN SELECT DISTINCT test_id FROM results WHERE run_id IN (1, 2) AND state = 1`).all() as Array<{ detail: string }>
    expect(plan.map((p) => p.detail).join(' ')).toContain('results_failed')
    db.close()
    const flaky = project.cli(['flaky', '--db', 'old.db'])
    expect(flaky.code, flaky.output).toBe(0)
    expect(flaky.stdout).toMatch(/^1 flaky test in the last 2 runs/m)

    // merge reads an old source without changing it, and migrates a copy.
    const merged = project.cli(['merge', 'old-copy.db', '--into', 'new.db'])
    expect(merged.stdout).toMatch(/: 2 runs added, 0 already there, 5 results added, 1 finding added$/m)
    const source = new Database(join(project.dir, 'old-copy.db'), { readonly: true })
    expect(source.pragma('user_version', { simple: true })).toBe(1)
    source.close()
    const target = new Database(join(project.dir, 'new.db'), { readonly: true })
    // Every row as it was; a finding's command now names the DB it is in.
    const findings = before.findings!.map((f) => ({ ...(f as object), command: 'npx flakeseed replay 1 --db new.db' }))
    expect(snapshot(target)).toEqual({ ...before, findings })
    target.close()
  })

  test('a read-only DB of version 1 is read as it is, not migrated', () => {
    const project = createProject({})
    const path = join(project.dir, 'artifact.db')
    const before = v1Database(path)
    whileUnwritable(path, () => {
      const runs = project.cliJson<Array<{ seed: string }>>(['runs', '--db', 'artifact.db'])
      expect(runs.map((r) => r.seed)).toEqual(['8', '7'])
      expect(project.cli(['flaky', '--db', 'artifact.db']).code).toBe(0)
      const db = new Database(path, { readonly: true })
      expect(db.pragma('user_version', { simple: true })).toBe(1)
      expect(snapshot(db)).toEqual(before)
      db.close()
    })
  })
})

// ---- projects ------------------------------------------------------------------------------------

describe('two Vitest projects in one DB', () => {
  /** The same files in two inline projects: every file name collides. */
  function projectsSuite(): Project {
    const file = (name: string) =>
      [
        `import { describe, test, expect } from 'vitest'`,
        LOG,
        `describe('d', () => {`,
        ...['t0', 't1', 't2', 't3', 't4'].map((t) => `  test('${t}', () => log(process.env.PROJ + ' ${name} ${t}'))`),
        // Fails in project "web" only, and only after t0 of the same file (module state).
        `  test('victim', () => { log(process.env.PROJ + ' ${name} victim'); expect(process.env.PROJ === 'web' && (globalThis as any).polluted).toBeFalsy() })`,
        `  test('polluter', () => { log(process.env.PROJ + ' ${name} polluter'); (globalThis as any).polluted = true })`,
        `})`,
      ].join('\n')
    const projects = `projects: [
      { extends: true, test: { name: 'node', env: { PROJ: 'node' } } },
      { extends: true, test: { name: 'web', env: { PROJ: 'web' } } },
    ], ${SERIAL}`
    return createProject({ 'vitest.config.ts': config('', projects), 'test/a.test.ts': file('a'), 'test/b.test.ts': file('b') })
  }

  const NAMES = ['t0', 't1', 't2', 't3', 't4', 'victim', 'polluter'].map((t) => `d > ${t}`)

  test('both projects recorded and shuffled by their own ids; replay and bisect run the right project', () => {
    const project = projectsSuite()
    // A seed where web's b.test.ts runs the polluter before the victim, so the run fails there.
    const seed = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'].find((s) => {
      const order = sortByKey(NAMES, s, (n) => testId('web', 'test/b.test.ts', n))
      return order.indexOf('d > polluter') < order.indexOf('d > victim')
    })!
    const result = project.vitest([], { FLAKESEED_SEED: seed })
    expect(result.stdout).toMatch(new RegExp(`^flakeseed seed ${seed} · run 1 · 2 projects · 4 files shuffled · replay: npx flakeseed replay 1$`, 'm'))
    const show = project.cliJson<ShowJson>(['show', 'last'])
    const ids = [...outcomes(show).keys()]
    expect(ids).toHaveLength(28)
    expect(new Set(ids).size).toBe(28)
    for (const p of ['node', 'web']) {
      for (const file of ['test/a.test.ts', 'test/b.test.ts']) {
        // Each project's tests ran in the order its own ids give.
        const expected = sortByKey(NAMES, seed, (n) => testId(p, file, n)).map((n) => `${p} ${file.slice(5, 6)} ${n.slice(4)}`)
        expect(result.log.filter((l) => l.startsWith(`${p} ${file.slice(5, 6)} `))).toEqual(expected)
        const shown = show.files.find((f) => f.project === p && f.file === file)!
        expect(shown.tests.map((t) => t.name)).toEqual(sortByKey(NAMES, seed, (n) => testId(p, file, n)))
      }
    }
    const failed = [...outcomes(show)].filter(([, o]) => o.state === 'failed').map(([id]) => id)
    expect(failed).toContain('web:test/b.test.ts > d > victim')
    expect(failed.every((id) => id.startsWith('web:'))).toBe(true)

    // Replaying only web's victim and polluter runs them in project web, and fails again there.
    const replay = project.cliJson<{ tests: Array<{ test: string; failures: number }> }>(
      ['replay', 'last', '--only', 'web:test/b.test.ts > d > polluter', 'web:test/b.test.ts > d > victim'],
      logEnv(project),
    )
    expect([...replay.tests].sort((a, b) => a.test.localeCompare(b.test))).toEqual([
      { test: 'web:test/b.test.ts > d > polluter', runs: 1, failures: 0, verdict: 'passed' },
      { test: 'web:test/b.test.ts > d > victim', runs: 1, failures: 1, verdict: 'failed' },
    ])
    const bisect = project.cliJson<{ victim: string; kind: string; polluters: string[] }>(
      ['bisect', '1', '--test', 'web:test/b.test.ts > d > victim', '--repeat', '1'],
      logEnv(project),
    )
    expect(bisect).toMatchObject({ victim: 'web:test/b.test.ts > d > victim', kind: 'victim', polluters: ['web:test/b.test.ts > d > polluter'] })
  })
})

// ---- the order across Vitest majors -------------------------------------------------------------

describe(`seeded order on vitest ${vitestVersion}`, () => {
  test('a fixed seed gives the order src/core/order.ts computes, on every Vitest major CI runs', () => {
    const names = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta']
    const files = ['test/one.test.ts', 'test/two.test.ts', 'test/three.test.ts']
    const fixture: Record<string, string> = { 'vitest.config.ts': config('{ db: false }', SERIAL) }
    for (const file of files) {
      const short = file.split('/')[1]!.split('.')[0]
      fixture[file] = [`import { test } from 'vitest'`, LOG, ...names.map((n) => `test('${n}', () => log('${short} ${n}'))`)].join('\n')
    }
    const project = createProject(fixture)
    const result = project.vitest([], { FLAKESEED_SEED: 'across-majors' })
    expect(result.code, result.output).toBe(0)
    const expected = sortByKey(files, 'across-majors', (f) => f).flatMap((file) =>
      sortByKey(names, 'across-majors', (n) => testId('', file, n)).map((n) => `${file.split('/')[1]!.split('.')[0]} ${n}`),
    )
    expect(result.log).toEqual(expected)
  })
})

// ---- retention -----------------------------------------------------------------------------------

describe('prune', () => {
  const MORE = 300

  test('--keep N keeps the newest N runs, drops their results and unreferenced tests, and shrinks the file', () => {
    const project = shardSuite(MORE)
    const perRun = 34 + MORE
    for (let i = 1; i <= 4; i++) expect(project.vitest([], { FLAKESEED_SEED: String(i) }).code).toBe(1)
    // Tests that only the oldest run knew: renamed since.
    project.write({ 'test/f0.test.ts': project.read('test/f0.test.ts').replace(/'t(\d)'/g, "'renamed $1'") })
    expect(project.vitest([], { FLAKESEED_SEED: '5' }).code).toBe(1)
    const db = join(project.dir, '.flakeseed/history.db')
    const before = tableCounts(db)
    expect(before).toMatchObject({ runs: 5, results: 5 * perRun, tests: perRun + 4 })

    type Summary = { runsRemoved: number; resultsRemoved: number; testsRemoved: number; bytesBefore: number; bytesAfter: number }
    // A few runs go row by row; most of a DB goes by copying what stays (src/store/prune.ts).
    expect(project.cliJson<Summary>(['prune', '--keep', '4'])).toMatchObject({ runsRemoved: 1, resultsRemoved: perRun, testsRemoved: 0 })
    const first = project.cliJson<Summary>(['prune', '--keep', '2'])
    expect(first).toMatchObject({ runsRemoved: 2, resultsRemoved: 2 * perRun, testsRemoved: 0 })
    expect(first.bytesAfter).toBeLessThan(first.bytesBefore)
    expect(statSync(db).size).toBe(first.bytesAfter)
    expect(project.cliJson<Array<{ seed: string }>>(['runs']).map((r) => r.seed)).toEqual(['5', '4'])
    expect(tableCounts(db)).toMatchObject({ runs: 2, results: 2 * perRun })

    // The renamed tests' old names are referenced by no run once their last run goes.
    const result = project.cli(['prune', '--keep', '1'])
    expect(result.code, result.output).toBe(0)
    expect(result.stdout).toMatch(new RegExp(`^pruned 1 run \\(${perRun} results, 4 tests, 0 findings\\); 1 run kept$`, 'm'))
    expect(result.stdout).toMatch(/^size [\d.]+ KiB → [\d.]+ KiB$/m)
    expect(tableCounts(db)).toMatchObject({ runs: 1, results: perRun, tests: perRun })

    for (const args of [['prune'], ['prune', '--keep', '0'], ['prune', '--keep', '1', '--db', 'missing.db']]) {
      const bad = project.cli(args)
      expect(bad.code, bad.output).toBe(2)
      expect(bad.stderr.trim().split('\n')).toHaveLength(1)
    }
  })

  test('--older-than DAYS drops old runs and never a run a live process is still recording', async () => {
    const project = shardSuite()
    project.write({
      // Holds its run open until the test writes `release`.
      'test/wait.test.ts': [
        `import { existsSync } from 'node:fs'`,
        `import { test } from 'vitest'`,
        `test('waits', async () => { while (process.env.WAIT && !existsSync('release')) await new Promise((r) => setTimeout(r, 50)) }, 120_000)`,
      ].join('\n'),
    })
    for (let i = 1; i <= 3; i++) expect(project.vitest([], { FLAKESEED_SEED: String(i) }).code).toBe(1)
    const path = join(project.dir, '.flakeseed/history.db')
    const db = new Database(path)
    // Age the finished runs by ten days; run 3 looks unfinished, its pid now this test's
    // worker, a process that started long after the run: the recorder is gone (a reused pid).
    db.prepare('UPDATE runs SET started_at = started_at - 10 * 86400000').run()
    db.prepare(`UPDATE runs SET status = 'running', pid = ? WHERE id = 3`).run(process.pid)
    db.close()

    // Run 4 is being recorded right now.
    const live = project.spawnVitest([], { FLAKESEED_SEED: '4', WAIT: '1' })
    const liveExit = new Promise<number | null>((done) => live.on('exit', (code) => done(code)))
    try {
      const started = Date.now()
      const running = () => {
        const check = new Database(path, { readonly: true })
        try {
          return check.prepare(`SELECT count(*) FROM runs WHERE id = 4 AND status = 'running'`).pluck().get() === 1
        } finally {
          check.close()
        }
      }
      while (!running() && Date.now() - started < 60_000) await new Promise((r) => setTimeout(r, 100))
      expect(running()).toBe(true)
      await new Promise((r) => setTimeout(r, 1500))
      // 0.00001 days is under a second: every run qualifies by age, the live one included.
      const result = project.cli(['prune', '--older-than', '0.00001'])
      expect(result.code, result.output).toBe(0)
      expect(result.stdout).toMatch(/^pruned 3 runs .*; 1 run kept$/m)
      expect(result.stdout).toMatch(/^kept 1 run still being recorded$/m)
    } finally {
      project.write({ release: '' })
    }
    expect(await liveExit).toBe(1) // f3 fails on purpose
    const runs = project.cliJson<Array<{ id: number; status: string; passed: number }>>(['runs'])
    expect(runs.map((r) => [r.id, r.status])).toEqual([[4, 'failed']])
    expect(runs[0]!.passed).toBeGreaterThan(30)
    expect(project.cli(['prune', '--older-than', '30']).stdout).toMatch(/^pruned 0 runs/m)
    const bad = project.cli(['prune', '--older-than', '-1'])
    expect(bad.code).toBe(2)
    expect(bad.stderr.trim().split('\n')).toHaveLength(1)
  })
})

// ---- watch mode -----------------------------------------------------------------------------------

describe('watch mode', () => {
  test('reruns keep the seed and record nothing', async () => {
    const project = shardSuite()
    const child = project.spawnVitest(['--watch'], { FLAKESEED_SEED: '77' })
    let output = ''
    const ends = () => output.match(/^flakeseed · seed 77 · .*$/gm) ?? []
    const waitFor = (count: number) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no rerun seen:\n${output}`)), 90_000)
        const check = () => {
          if (ends().length < count) return
          clearTimeout(timer)
          resolve()
        }
        child.stdout.on('data', check)
        check()
      })
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    try {
      await waitFor(1)
      project.write({ 'test/f1.test.ts': `${project.read('test/f1.test.ts')}\n// edited\n` })
      await waitFor(2)
    } finally {
      child.kill('SIGTERM')
      await new Promise((resolve) => child.once('exit', resolve))
    }
    expect(output.match(/^flakeseed seed 77 · \d+ files? shuffled$/gm), output).toHaveLength(2)
    expect(output.match(/flakeseed: watch mode: same seed on every rerun, nothing recorded/g)).toHaveLength(1)
    expect(ends()[1]).toMatch(/replay: FLAKESEED_SEED=77 npx vitest run$/)
    expect(existsSync(join(project.dir, '.flakeseed/history.db'))).toBe(false)
  })
})
