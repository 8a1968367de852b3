// Retention: `flakeseed prune` by count and by age, never a run still being recorded.
import { statSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, test } from 'vitest'
import { shardSuite, tableCounts } from '../helpers/shard-suite.js'

describe('prune', () => {
  const MORE = 300

  test('--keep N keeps the newest N runs, drops their results and unreferenced tests, and shrinks the file', async () => {
    const project = shardSuite(MORE)
    const perRun = 34 + MORE
    for (let i = 1; i <= 4; i++) expect((await project.runVitest([], { FLAKESEED_SEED: String(i) })).code).toBe(1)
    // Tests that only the oldest run knew: renamed since.
    project.write({ 'test/f0.test.ts': project.read('test/f0.test.ts').replace(/'t(\d)'/g, "'renamed $1'") })
    expect((await project.runVitest([], { FLAKESEED_SEED: '5' })).code).toBe(1)
    const db = join(project.dir, '.flakeseed/history.db')
    const before = tableCounts(db)
    expect(before).toMatchObject({ runs: 5, results: 5 * perRun, tests: perRun + 4 })

    type Summary = { runsRemoved: number; resultsRemoved: number; testsRemoved: number; bytesBefore: number; bytesAfter: number }
    // A few runs go row by row; most of a DB goes by copying what stays (src/store/prune.ts).
    expect(await project.runCliJson<Summary>(['prune', '--keep', '4'])).toMatchObject({ runsRemoved: 1, resultsRemoved: perRun, testsRemoved: 0 })
    const first = await project.runCliJson<Summary>(['prune', '--keep', '2'])
    expect(first).toMatchObject({ runsRemoved: 2, resultsRemoved: 2 * perRun, testsRemoved: 0 })
    expect(first.bytesAfter).toBeLessThan(first.bytesBefore)
    expect(statSync(db).size).toBe(first.bytesAfter)
    expect((await project.runCliJson<Array<{ seed: string }>>(['runs'])).map((r) => r.seed)).toEqual(['5', '4'])
    expect(tableCounts(db)).toMatchObject({ runs: 2, results: 2 * perRun })

    // The renamed tests' old names are referenced by no run once their last run goes.
    const result = await project.runCli(['prune', '--keep', '1'])
    expect(result.code, result.output).toBe(0)
    expect(result.stdout).toMatch(new RegExp(`^pruned 1 run \\(${perRun} results, 4 tests, 0 findings\\); 1 run kept$`, 'm'))
    expect(result.stdout).toMatch(/^size [\d.]+ KiB → [\d.]+ KiB$/m)
    expect(tableCounts(db)).toMatchObject({ runs: 1, results: perRun, tests: perRun })

    for (const args of [['prune'], ['prune', '--keep', '0'], ['prune', '--keep', '1', '--db', 'missing.db']]) {
      const bad = await project.runCli(args)
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
    for (let i = 1; i <= 3; i++) expect((await project.runVitest([], { FLAKESEED_SEED: String(i) })).code).toBe(1)
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
      // 0.00001 days is under a second: once the live run is that old, every run qualifies by age,
      // the live one included. (Its start stays as recorded: liveness compares it with the
      // process's own start, so the run cannot be aged like the others.)
      const age = () => {
        const check = new Database(path, { readonly: true })
        try {
          return Date.now() - (check.prepare('SELECT started_at FROM runs WHERE id = 4').pluck().get() as number)
        } finally {
          check.close()
        }
      }
      while (age() <= 0.00001 * 86_400_000) await new Promise((r) => setTimeout(r, 50))
      const result = await project.runCli(['prune', '--older-than', '0.00001'])
      expect(result.code, result.output).toBe(0)
      expect(result.stdout).toMatch(/^pruned 3 runs .*; 1 run kept$/m)
      expect(result.stdout).toMatch(/^kept 1 run still being recorded$/m)
    } finally {
      project.write({ release: '' })
    }
    expect(await liveExit).toBe(1) // f3 fails on purpose
    const runs = await project.runCliJson<Array<{ id: number; status: string; passed: number }>>(['runs'])
    expect(runs.map((r) => [r.id, r.status])).toEqual([[4, 'failed']])
    expect(runs[0]!.passed).toBeGreaterThan(30)
    expect((await project.runCli(['prune', '--older-than', '30'])).stdout).toMatch(/^pruned 0 runs/m)
    const bad = await project.runCli(['prune', '--older-than', '-1'])
    expect(bad.code).toBe(2)
    expect(bad.stderr.trim().split('\n')).toHaveLength(1)
  })
})
