// Plain `flakeseed fix` of a failing run with three victims of two polluters (the fixture fix-all.test.ts
// fixes with --all): victims of one polluter share its patch, each patch is checked with the others'
// failures left to them, then all are verified together; a victim that no longer runs in the
// replayed order is unpatched with why while the others get their patch.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { describeSeeds as seedsOf } from '../helpers/cli.js'
import { config, createProject } from '../helpers/project.js'
import { PATCHED, SHOP as FILE } from '../fixtures/leaks.mjs'

/** Seeds under which the fixture's describes run in an order `ok` accepts. */
const describeSeeds = (ok: (order: string[]) => boolean, count: number): string[] => seedsOf(FILE, ['euro zone', 'french', 'shop'], ok, count)

describe('fix of a run with several victims', () => {
  test('plain fix of the same failing run: victims of one polluter share its patch (printed once), each patch checked with the others’ failures left to them, then all verified together; --apply merges them into the file', async () => {
    const project = createProject({ 'vitest.config.ts': config('', 'fileParallelism: false'), ...PATCHED.twoPolluters.files })
    const failing = describeSeeds((o) => o[2] === 'shop', 2)
    expect((await project.runVitest([], { FLAKESEED_SEED: failing[0]! })).code).toBe(1)
    const json = await project.runCliJson<{ patches: Array<{ victim: string; verified: string; files: string[]; diff: string }>; unpatched: unknown[] }>([
      'fix',
      'last',
      '--seeds',
      '1',
    ])
    expect(json.unpatched).toEqual([])
    const byVictim = new Map(json.patches.map((p) => [p.victim.slice(`${FILE} > shop > `.length), p]))
    expect([...byVictim.keys()].sort()).toEqual(['prices in dollars', 'speaks english', 'totals in dollars'])
    // One patch for the currency's two victims, checked on both failing orders.
    expect(byVictim.get('totals in dollars')!.diff).toBe(byVictim.get('prices in dollars')!.diff)
    expect(byVictim.get('speaks english')!.diff).not.toBe(byVictim.get('prices in dollars')!.diff)
    for (const victim of ['prices in dollars', 'totals in dollars'])
      expect(byVictim.get(victim)!.verified).toMatch(
        /^the failing orders of run \d+ of the 2 victims it fixes fail without it and pass with it, and with the run's 1 other patch too; together 1 file × 2 seeds pass$/,
      )
    expect(byVictim.get('speaks english')!.verified).toMatch(
      /^the failing order of run \d+ fails without it and passes with it, and with the run's 1 other patch too; together 1 file × 2 seeds pass$/,
    )
    // Printed once, for both victims (the stored findings spare the bisects).
    const printed = await project.runCli(['fix', 'last', '--seeds', '1'])
    expect(printed.stdout.match(/^patch for /gm)).toHaveLength(2)
    expect(printed.stdout).toMatch(
      /^patch for test\/shop\.test\.ts > shop > (prices|totals) in dollars \(and test\/shop\.test\.ts > shop > (prices|totals) in dollars\): /m,
    )
    const applied = await project.runCli(['fix', 'last', '--apply'])
    expect(applied.code, applied.output).toBe(0)
    expect(applied.stdout).toBe(`wrote ${FILE}\n`)
    for (const seed of failing) expect((await project.runVitest([], { FLAKESEED_SEED: seed })).code).toBe(0)
  }, 300_000)

  test('a failure that no longer runs in the replayed order is unpatched with why; the run’s other failures still get their patch (exit 1)', async () => {
    const files = PATCHED.twoPolluters.files as Record<string, string>
    const project = createProject({ 'vitest.config.ts': config('', 'fileParallelism: false'), ...files })
    const failing = describeSeeds((o) => o[2] === 'shop', 1)
    expect((await project.runVitest([], { FLAKESEED_SEED: failing[0]! })).code).toBe(1)
    // Renamed since the recorded run: its bisect cannot replay it.
    writeFileSync(join(project.dir, FILE), files[FILE]!.replace("test('speaks english'", "test('speaks english still'"))
    const result = await project.runCli(['fix', 'last', '--seeds', '1', '--json'])
    expect(result.code, result.output).toBe(1)
    const json = JSON.parse(result.stdout) as { patches: Array<{ victim: string }>; unpatched: Array<{ victim: string; why: string }> }
    expect(json.unpatched).toEqual([
      {
        victim: `${FILE} > shop > speaks english`,
        why: `not bisected: ${FILE} > shop > speaks english did not run in the replayed order (removed or renamed since the recorded run?)`,
      },
    ])
    expect(json.patches.map((p) => p.victim).sort()).toEqual([`${FILE} > shop > prices in dollars`, `${FILE} > shop > totals in dollars`])
  }, 300_000)
})
