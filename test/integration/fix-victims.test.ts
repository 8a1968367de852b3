// Plain `flakeseed fix` of a failing run with three victims of two polluters (the fixture fix-all.test.ts
// fixes with --all): victims of one polluter share its patch, each patch is checked with the others'
// failures left to them, then all are verified together; a victim that no longer runs in the
// replayed order is unpatched with why while the others get their patch. And one polluter whose
// two victims read two different leaks: the shared patch is claimed for the one it fixes; when a bisect
// only checked the second, its why gives the bisect and the fix that lead to its own patch.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { testId } from '../../src/core/names.js'
import { paste, runsBefore, describeSeeds as seedsOf, seedsWhere } from '../helpers/cli.js'
import { treeHash } from '../helpers/files.js'
import { expectApplies, type FixJson } from '../helpers/fix.js'
import { config, createProject, type Project } from '../helpers/project.js'
import { PATCHED, SHOP as FILE } from '../fixtures/leaks.mjs'

/** Seeds under which the fixture's describes run in an order `ok` accepts. */
const describeSeeds = (ok: (order: string[]) => boolean, count: number): string[] => seedsOf(FILE, ['euro zone', 'french', 'shop'], ok, count)

/** PATCHED.twoLeaks recorded under a seed where the polluter runs before both victims (run 1 fails both). */
async function twoLeaksRun(): Promise<{ project: Project; ids: string[] }> {
  const names = ['shop > moves to france', 'shop > prices in dollars by default', 'shop > speaks english by default', 'shop > idle']
  const project = createProject({ 'vitest.config.ts': config('', 'fileParallelism: false'), ...PATCHED.twoLeaks.files })
  const ids = names.map((n) => testId('', FILE, n))
  const [seed] = seedsWhere(ids, (o) => runsBefore(o, ids[0]!, ids[1]!) && runsBefore(o, ids[0]!, ids[2]!), 1)
  expect((await project.runVitest([], { FLAKESEED_SEED: seed! })).code).toBe(1)
  return { project, ids }
}

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

  test('one polluter, two victims of two different leaks: the shared patch fixes one, is claimed for it, and the other says why', async () => {
    const { project, ids } = await twoLeaksRun()
    const before = treeHash(project)
    const result = await project.runCli(['fix', 'last', '--json', '--seeds', '2'])
    expect(result.code, result.output).toBe(1)
    const json = JSON.parse(result.stdout) as FixJson
    // Each victim's own leak: whichever was patched first, its patch undoes only what it needs.
    expect(json.patches).toHaveLength(1)
    const [patch] = json.patches
    const other = patch!.victim === ids[1] ? ids[2]! : ids[1]!
    expect([ids[1], ids[2]]).toContain(patch!.victim)
    expect(patch!.checks).toMatchObject({ failsWithout: true, passesWith: true, seeds: 3 })
    expect(patch!.verified).toMatch(/^the failing order of run \d+ fails without it and passes with it; 1 file × 3 seeds pass$/)
    expect(json.unpatched).toEqual([
      {
        victim: other,
        why: expect.stringMatching(
          new RegExp(
            `^the patch for ${patch!.victim.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, a victim of the same polluters, does not fix it: with the patch, the failing order of ${other} still fails`,
          ),
        ),
      },
    ])
    expect(treeHash(project)).toBe(before)
    expectApplies(project, patch!.diff)
  })

  test('the same after a bisect that only checked the second victim against the first’s polluters: its why gives the bisect that diagnoses its own leak and the fix that then patches it', async () => {
    const { project, ids } = await twoLeaksRun()
    const bisected = await project.runCli(['bisect', 'last', '--repeat', '1'])
    expect(bisected.stdout).toContain('checked, not bisected')
    const result = await project.runCli(['fix', 'last', '--json', '--seeds', '2'])
    expect(result.code, result.output).toBe(1)
    const json = JSON.parse(result.stdout) as FixJson
    expect(json.patches).toHaveLength(1)
    const other = json.patches[0]!.victim === ids[1] ? ids[2]! : ids[1]!
    const why = json.unpatched.find((u) => u.victim === other)?.why ?? ''
    const commands =
      /not bisected: (npx flakeseed bisect 1 --test .+) diagnoses its own leak, then (npx flakeseed fix 1 --test .+) tries a patch of its own$/.exec(why)
    expect(commands, why).not.toBeNull()
    // Pasted as printed: the bisect diagnoses the other leak, and the fix of that victim alone patches it.
    expect(paste(project, commands![1]!).code).toBe(1)
    const own = paste(project, `${commands![2]!} --json --seeds 2`)
    expect(own.code, own.out).toBe(0)
    const patched = JSON.parse(own.out) as FixJson
    expect(patched.patches.map((p) => p.victim)).toEqual([other])
    expect(patched.patches[0]!.verified).toMatch(/^the failing order of run 1 fails without it and passes with it/)
  }, 300_000)
})
