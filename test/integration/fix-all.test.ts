// `flakeseed fix --all` end to end: a history with two polluters and three victims (two share one
// polluter), every patch in one file, merged by position and verified together: one diff, one
// apply line, nothing written without --apply; after it the failing seed and more pass. Plain
// `fix` of the same fixture's failing run: fix-victims.test.ts.
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { testId } from '../../src/core/names.js'
import { describeSeeds as seedsOf } from '../helpers/cli.js'
import { config, createProject } from '../helpers/project.js'
import { treeHash } from '../helpers/files.js'
import { PATCHED, SHOP as FILE } from '../fixtures/leaks.mjs'

interface AllJson {
  patches: Array<{ victim: string; victims: string[]; polluters: string[]; leak: string | null; files: string[]; diff: string }>
  unpatched: Array<{ victim: string; why: string }>
  combined: { files: string[]; diff: string; verified: string; checks: { failsWithout: boolean; passesWith: boolean; seeds: number; tests: number } } | null
}

/** Seeds under which the fixture's describes run in an order `ok` accepts. */
const describeSeeds = (ok: (order: string[]) => boolean, count: number): string[] => seedsOf(FILE, ['euro zone', 'french', 'shop'], ok, count)

describe('fix --all', () => {
  test('two polluters, three victims: one patch per polluter, merged into one file, verified together, one diff and one apply line; --apply writes it and the seeds pass', async () => {
    const project = createProject({
      'vitest.config.ts': config('', 'fileParallelism: false'),
      ...PATCHED.twoPolluters.files,
      // Tests that pass in any order: a run where three fail is not left out of flaky's window as an outage.
      'test/other.test.ts': `import { expect, test } from 'vitest'\n${[1, 2, 3, 4].map((k) => `test('adds ${k}', () => expect(${k} + 1).toBe(${k + 1}))\n`).join('')}`,
    })
    const failing = describeSeeds((o) => o[2] === 'shop', 3)
    const [passing] = describeSeeds((o) => o[0] === 'shop', 1)
    expect((await project.runVitest([], { FLAKESEED_SEED: passing! })).code).toBe(0)
    const run = await project.runVitest([], { FLAKESEED_SEED: failing[0]! })
    expect(run.code, run.output).toBe(1)
    const before = treeHash(project)

    const result = await project.runCli(['fix', '--all', '--json', '--seeds', '2'])
    expect(result.code, result.output).toBe(0)
    const json = JSON.parse(result.stdout) as AllJson
    expect(json.unpatched).toEqual([])
    const id = (name: string) => testId('', FILE, name)
    const byPolluter = Object.fromEntries(json.patches.map((p) => [p.polluters.join(','), p]))
    expect(Object.keys(byPolluter).sort()).toEqual([id('euro zone > sets the currency'), id('french > switches the locale')])
    expect(byPolluter[id('euro zone > sets the currency')]!.victims.sort()).toEqual([id('shop > prices in dollars'), id('shop > totals in dollars')])
    expect(byPolluter[id('french > switches the locale')]!.victims).toEqual([id('shop > speaks english')])
    expect(json.combined).toMatchObject({ files: [FILE], checks: { failsWithout: true, passesWith: true, seeds: 3, tests: 5 } })
    expect(json.combined!.verified).toMatch(/^the failing orders of 3 victims \(run \d+\) fail without it and pass with it; 1 file × 3 seeds pass$/)
    // Both hooks in one diff of the one file, each in its polluter's describe.
    expect(json.combined!.diff.match(/^--- a\//gm)).toHaveLength(1)
    expect(json.combined!.diff).toContain('SHOP_CURRENCY')
    expect(json.combined!.diff).toContain('settings')
    expect(treeHash(project)).toBe(before)
    const diffPath = join(project.dir, '..', `all-${Date.now()}.diff`)
    writeFileSync(diffPath, json.combined!.diff)
    execFileSync('git', ['apply', '--check', diffPath], { cwd: project.dir, stdio: 'pipe' })

    // The printed form: the patches named, one diff, one apply line.
    const printed = await project.runCli(['fix', '--all', '--seeds', '2'])
    expect(printed.code, printed.output).toBe(0)
    expect(printed.stdout.match(/^--- a\//gm)).toHaveLength(1)
    expect(printed.stdout.match(/^patch for /gm)).toHaveLength(2)
    expect(printed.stdout.match(/^apply: /gm)).toHaveLength(1)
    expect(printed.stdout).toMatch(/^apply: npx flakeseed fix --all --apply$/m)
    expect(printed.stdout).toMatch(/^verified together: the failing orders of 3 victims .* \(\d+\.\d s\)$/m)
    expect(treeHash(project)).toBe(before)

    // The stored combination is written only while what its checks ran holds the same bytes.
    const settings = project.read('src/settings.ts')
    project.write({ 'src/settings.ts': `${settings}// edited\n` })
    const refused = await project.runCli(['fix', '--all', '--apply'])
    expect(refused.code, refused.output).toBe(2)
    expect(refused.stderr).toBe('flakeseed: src/settings.ts changed since the patch was verified (its check ran it); run fix again\n')
    expect(treeHash(project)).not.toBe(before)
    project.write({ 'src/settings.ts': settings })
    expect(treeHash(project)).toBe(before)
    const applied = await project.runCli(['fix', '--all', '--apply'])
    expect(applied.code, applied.output).toBe(0)
    expect(applied.stdout).toBe(`wrote ${FILE}\n`)
    for (const seed of failing) {
      const again = await project.runVitest([], { FLAKESEED_SEED: seed })
      expect(again.code, `seed ${seed}: ${again.output}`).toBe(0)
    }
  }, 300_000)

  test('bad input: a run or --test with --all is one line, exit 2; a history with nothing order-dependent has nothing to fix', async () => {
    const project = createProject({ 'vitest.config.ts': config(), 'a.test.ts': `import { test } from 'vitest'\ntest('a', () => {})\n` })
    expect((await project.runVitest()).code).toBe(0)
    for (const args of [
      ['fix', '1', '--all'],
      ['fix', '--all', '--test', 'a'],
    ]) {
      const r = await project.runCli(args)
      expect(r.code, r.output).toBe(2)
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
      expect(r.stderr).toMatch(/^flakeseed: fix --all takes the history's flaky tests/)
    }
    const none = await project.runCli(['fix', '--all'])
    expect(none.code, none.output).toBe(0)
    expect(none.stdout).toBe('flakeseed: no flaky test of the history is order-dependent: nothing to fix\n')
    expect(await project.runCliJson(['fix', '--all'])).toEqual({ patches: [], unpatched: [], combined: null })
  })
})
