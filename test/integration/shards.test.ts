// Shards recorded into one DB each and merged: the merged run agrees with a full run, and
// replay and bisect work on it. Real Vitest runs the fixture; the tests assert rows, CLI output and order.
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { testId } from '../../src/core/names.js'
import type { RunJson, ShowJson } from '../helpers/cli.js'
import { logEnv, outcomes, SEED, shardSuite, tableCounts } from '../helpers/shard-suite.js'

describe('shards merged into one DB', () => {
  test('four shards merged equal, test for test, one unsharded run of the same seed; merging again adds nothing', async () => {
    const project = shardSuite()
    const env = { FLAKESEED_SEED: SEED }
    const shardLogs: string[][] = []
    for (let i = 1; i <= 4; i++) {
      const result = await project.runVitest([`--shard=${i}/4`], { ...env, FLAKESEED_DB: `shard-${i}.db` })
      expect([0, 1], result.output).toContain(result.code)
      shardLogs.push(result.log)
    }
    const full = await project.runVitest([], { ...env, FLAKESEED_DB: 'full.db' })
    expect(full.code, full.output).toBe(1)

    const merge = await project.runCli(['merge', 'shard-1.db', 'shard-2.db', 'shard-3.db', 'shard-4.db', '--into', 'all.db'])
    expect(merge.code, merge.output).toBe(0)
    expect(merge.stdout).toMatch(/^merged 4 databases into all\.db: 4 runs added, 0 already there, 34 results added$/m)

    // One logical run of four shards.
    const runs = await project.runCliJson<RunJson[]>(['runs', '--db', 'all.db'])
    expect(runs).toHaveLength(1)
    expect(runs[0]).toMatchObject({ shards: 4, shard: '4/4', passed: 32, failed: 1, skipped: 1 })
    expect(runs[0]!.runs).toHaveLength(4)
    expect((await project.runCli(['runs', '--db', 'all.db'])).stdout).toMatch(/\b4\/4\s+32\s+1\s+1\s+failed$/m)

    const merged = await project.runCliJson<ShowJson>(['show', String(runs[0]!.runs[2]), '--db', 'all.db'])
    const single = await project.runCliJson<ShowJson>(['show', 'last', '--db', 'full.db'])
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
    const bisected = await project.runCliJson<{ victim: string; kind: string; command: string }>(
      ['bisect', 'last', '--repeat', '1', '--db', 'all.db'],
      logEnv(project),
    )
    expect(bisected).toMatchObject({ victim: 'test/f3.test.ts > d > fails', kind: 'independent' })
    const shardRun = runs[0]!.runs[Number(failedIn!.split('/')[0]) - 1]
    expect(bisected.command).toBe(`npx flakeseed replay ${shardRun} --only 'test/f3.test.ts > d > fails' --db all.db`)

    // flaky's window counts logical runs too: the four shards and the full run are two runs.
    const withFull = await project.runCli(['merge', 'full.db', '--into', 'all.db'])
    expect(withFull.code, withFull.output).toBe(0)
    expect((await project.runCli(['flaky', '--db', 'all.db'])).stdout).toMatch(/^no flaky tests in the last 2 runs \(runs 1–5\)$/m)
    expect((await project.runCli(['flaky', '--window', '1', '--db', 'all.db'])).stdout).toMatch(/^no flaky tests in the last 1 run \(run 5\)$/m)
    expect((await project.runCli(['report', '--html', 'report.html', '--db', 'all.db'])).code).toBe(0)
    const html = readFileSync(join(project.dir, 'report.html'), 'utf8')
    expect(html.match(/<g class="run">/g)).toHaveLength(2)
    expect(html).toContain(`runs ${runs[0]!.runs.join('+')} (4 shards)`)

    const before = tableCounts(join(project.dir, 'all.db'))
    const again = await project.runCli(['merge', 'shard-1.db', 'shard-3.db', 'shard-2.db', 'shard-4.db', '--into', 'all.db'])
    expect(again.stdout).toMatch(/: 0 runs added, 4 already there, 0 results added$/m)
    expect(tableCounts(join(project.dir, 'all.db'))).toEqual(before)
    expect(before).toMatchObject({ runs: 5, results: 68, tests: 34 })

    // A replay of the logical run takes each test from the shard it ran in.
    const inShard3 = merged.files.find((f) => f.shard === '3/4')!
    const victim = testId('', inShard3.file, inShard3.tests[0]!.name)
    const replay = await project.runCliJson<{ tests: Array<{ test: string }>; missing: string[] }>(
      ['replay', String(runs[0]!.runs[0]), '--only', victim, '--db', 'all.db'],
      logEnv(project),
    )
    expect(replay.tests.map((t) => t.test)).toEqual([victim])
    expect(replay.missing).toEqual([])
    // Replaying the whole logical run runs every shard's tests.
    const all = await project.runCliJson<{ tests: unknown[]; failed: number }>(['replay', String(runs[0]!.runs[1]), '--db', 'all.db'], logEnv(project))
    expect(all).toMatchObject({ failed: 1 })
    expect(all.tests).toHaveLength(33)
  })

  test('merge into a new DB from DBs holding other runs too; bad input is one line and exit 2', async () => {
    const project = shardSuite()
    expect((await project.runVitest([], { FLAKESEED_SEED: '1', FLAKESEED_DB: 'a.db' })).code).toBe(1)
    expect((await project.runVitest([], { FLAKESEED_SEED: '2', FLAKESEED_DB: 'b.db' })).code).toBe(1)
    // b.db also holds a.db's run: the shared run is added once.
    expect((await project.runCli(['merge', 'a.db', '--into', 'b.db'])).stdout).toMatch(/1 run added, 0 already there/)
    const merged = await project.runCli(['merge', 'a.db', 'b.db', '--into', 'out/all.db'])
    expect(merged.stdout).toMatch(/: 2 runs added, 1 already there, 68 results added$/m)
    expect((await project.runCliJson<RunJson[]>(['runs', '--db', 'out/all.db'])).map((r) => r.failed)).toEqual([1, 1])
    // --db names the database to merge into, as it names every other command's.
    expect((await project.runCli(['merge', 'a.db', '--db', 'c.db'])).stdout).toMatch(/^merged 1 database into c\.db: 1 run added, 0 already there/m)

    project.write({ 'junk.db': 'this is not a database, just text that is long enough' })
    for (const [args, message] of [
      [['merge', 'missing.db', '--into', 'x.db'], /^flakeseed: missing\.db does not exist$/],
      [['merge', 'junk.db', '--into', 'x.db'], /^flakeseed: junk\.db is not a SQLite database$/],
      [['merge', 'a.db', 'missing.db', '--into', 'x.db'], /^flakeseed: missing\.db does not exist$/],
      [['merge', 'a.db'], /^flakeseed: .*--into/],
    ] as const) {
      const result = await project.runCli([...args])
      expect(result.code, result.output).toBe(2)
      expect(result.stderr.trim()).toMatch(message)
      expect(result.stderr.trim().split('\n')).toHaveLength(1)
    }
    // Nothing was written for the failed merges.
    expect(() => statSync(join(project.dir, 'x.db'))).toThrow()
  })
})
