import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, test } from 'vitest'
import { whileUnwritableAsync } from '../helpers/files.js'
import { SCHEMA_V1 } from '../helpers/schema-v1.js'
import { createProject } from '../helpers/project.js'

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

  test('is read as it is by the read commands, migrated by the next writer, and keeps every row', async () => {
    const { SCHEMA_VERSION } = await import('../../src/store/schema.js')
    const project = createProject({})
    const before = v1Database(join(project.dir, 'old.db'))
    const before2 = v1Database(join(project.dir, 'old-copy.db'))
    expect(before2).toEqual(before)

    const runs = await project.runCliJson<Array<{ seed: string; status: string; failed: number }>>(['runs', '--db', 'old.db'])
    expect(runs.map((r) => [r.seed, r.status, r.failed])).toEqual([
      ['8', 'passed', 0],
      ['7', 'failed', 1],
    ])
    const history = await project.runCliJson<unknown[]>(['history', 'fails', '--db', 'old.db'])
    expect(history).toHaveLength(2)
    // A read never writes the history, not even to migrate it.
    const read = new Database(join(project.dir, 'old.db'), { readonly: true })
    expect(read.pragma('user_version', { simple: true })).toBe(1)
    expect(snapshot(read)).toEqual(before)
    read.close()
    // A writer migrates it: here prune, which keeps both runs.
    const pruned = await project.runCli(['prune', '--keep', '10', '--db', 'old.db'])
    expect(pruned.code, pruned.output).toBe(0)

    const db = new Database(join(project.dir, 'old.db'), { readonly: true })
    expect(SCHEMA_VERSION).toBeGreaterThan(1)
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    expect(snapshot(db)).toEqual(before)
    // What version 2 added is there, and used: the failures of a window without its passes.
    expect(db.prepare(`SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'results_failed'`).pluck().get()).toBe(1)
    const plan = db.prepare(`EXPLAIN QUERY PLAN SELECT DISTINCT test_id FROM results WHERE run_id IN (1, 2) AND state = 1`).all() as Array<{ detail: string }>
    expect(plan.map((p) => p.detail).join(' ')).toContain('results_failed')
    db.close()
    const flaky = await project.runCli(['flaky', '--db', 'old.db'])
    expect(flaky.code, flaky.output).toBe(0)
    expect(flaky.stdout).toMatch(/^1 flaky test in the last 2 runs/m)

    // merge reads an old source without changing it, and migrates a copy.
    const merged = await project.runCli(['merge', 'old-copy.db', '--into', 'new.db'])
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

  test('a read-only DB of version 1 is read as it is, not migrated', async () => {
    const project = createProject({})
    const path = join(project.dir, 'artifact.db')
    const before = v1Database(path)
    await whileUnwritableAsync(path, async () => {
      const runs = await project.runCliJson<Array<{ seed: string }>>(['runs', '--db', 'artifact.db'])
      expect(runs.map((r) => r.seed)).toEqual(['8', '7'])
      expect((await project.runCli(['flaky', '--db', 'artifact.db'])).code).toBe(0)
      const db = new Database(path, { readonly: true })
      expect(db.pragma('user_version', { simple: true })).toBe(1)
      expect(snapshot(db)).toEqual(before)
      db.close()
    })
  })
})
