// `flakeseed fix` by kind of leak, end to end: vi.stubEnv (a config remedy served beside the
// original), and one fixture with one remedy per file (a spy, fake timers, an exported object, a
// file left behind); each patch verified without touching the project, applied, and the failing
// seeds pass after it.
import { describe, expect, test } from 'vitest'
import { testId } from '../../src/core/names.js'
import { runsBefore, seedsWhere } from '../helpers/cli.js'
import { treeHash } from '../helpers/files.js'
import { expectApplies, expectSeedsPass, type FixJson, failingRun } from '../helpers/fix.js'
import { config, createProject, type Files } from '../helpers/project.js'
import { PATCHED } from '../fixtures/leaks.mjs'

describe('fix: remedies', () => {
  test('vi.stubEnv: unstubEnvs in the config, verified on a config served beside the original and removed after', async () => {
    const file = 'test/shop.test.ts'
    const { project, seeds } = await failingRun(
      { [file]: PATCHED.stubEnv },
      file,
      'shop > storefront in the euro zone',
      'shop > prices in dollars by default',
      ['shop > lists products'],
      3,
    )
    const before = treeHash(project)
    const json = await project.runCliJson<FixJson>(['fix', 'last', '--seeds', '3'])
    expect(json.unpatched).toEqual([])
    expect(json.patches[0]).toMatchObject({ files: ['vitest.config.ts'], checks: { failsWithout: true, passesWith: true, seeds: 4 } })
    expect(json.patches[0]!.diff).toContain('unstubEnvs: true')
    expect(treeHash(project)).toBe(before)
    expectApplies(project, json.patches[0]!.diff)
    // A passing order too (the victim first), so flaky lists the test: its patch is ready.
    const ids = ['shop > storefront in the euro zone', 'shop > prices in dollars by default', 'shop > lists products'].map((n) => testId('', file, n))
    expect((await project.runVitest([], { FLAKESEED_SEED: seedsWhere(ids, (o) => runsBefore(o, ids[1]!, ids[0]!), 1)[0]! })).code).toBe(0)
    const flaky = await project.runCli(['flaky'])
    expect(flaky.stdout).toMatch(/^ {6}patch ready: npx flakeseed fix \d+ --test 'test\/shop\.test\.ts > shop > prices in dollars by default' --apply$/m)
    // `last` is the passing run now: the failing one by its id.
    const failing = /of run (\d+) /.exec(json.patches[0]!.verified)![1]!
    expect((await project.runCli(['fix', failing, '--apply'])).code).toBe(0)
    expect((await project.runCliJson<Array<{ test: string; patch?: { state: string } }>>(['flaky'])).find((r) => r.test === ids[1])?.patch?.state).toBe(
      'applied',
    )
    await expectSeedsPass(project, seeds)
  })

  test('one fixture, one remedy per file: a spy (restoreMocks), fake timers under globals: true (no import added), an exported object, a file left behind; all verified, applied, and the seeds pass', async () => {
    const victims: Array<[string, string, string, string]> = [
      ['test/spy.test.ts', 'logger', 'silences warnings', 'warns for real'],
      ['test/timers.test.ts', 'clock', 'freezes time', 'runs on real time'],
      ['test/settings.test.ts', 'settings', 'switches to french', 'speaks english by default'],
      ['test/files.test.ts', 'export', 'writes the report', 'starts with no report'],
    ]
    const files: Files = { 'vitest.config.ts': config('', PATCHED.perFile.config), ...PATCHED.perFile.files }
    const project = createProject(files)
    const ids = (f: (typeof victims)[number]) => [f[2], 'idle', f[3]].map((n) => testId('', f[0], `${f[1]} > ${n}`))
    const [seed, ...more] = seedsWhere(victims.flatMap(ids), (o) => victims.every((v) => runsBefore(o, ids(v)[0]!, ids(v)[2]!)), 2)
    const run = await project.runVitest([], { FLAKESEED_SEED: seed! })
    expect(run.code, run.output).toBe(1)
    // What the failing run wrote is not the code under test.
    project.remove('out/report.txt')
    const before = treeHash(project)
    const result = await project.runCli(['fix', 'last', '--seeds', '1', '--json'])
    expect(result.code, result.output).toBe(0)
    const json = JSON.parse(result.stdout) as FixJson
    expect(json.unpatched).toEqual([])
    expect(json.patches.map((p) => [p.victim, p.files])).toEqual(
      [
        [ids(victims[1]!)[2], ['test/timers.test.ts']],
        [ids(victims[0]!)[2], ['vitest.config.ts']],
        [ids(victims[3]!)[2], ['test/files.test.ts']],
        [ids(victims[2]!)[2], ['test/settings.test.ts']],
      ].sort((a, b) => json.patches.findIndex((p) => p.victim === a[0]) - json.patches.findIndex((p) => p.victim === b[0])),
    )
    for (const p of json.patches) {
      expect(p.checks, p.victim).toMatchObject({ failsWithout: true, passesWith: true, seeds: 2 })
      expectApplies(project, p.diff)
    }
    expect(treeHash(project)).toBe(before)
    // globals: true and no import in the file: the patch adds none.
    expect(json.patches.find((p) => p.files[0] === 'test/timers.test.ts')!.diff).not.toMatch(/^\+import/m)
    const applied = await project.runCli(['fix', 'last', '--apply'])
    expect(applied.code, applied.output).toBe(0)
    expect(applied.stdout.split('\n').filter(Boolean).sort()).toEqual(
      ['test/files.test.ts', 'test/settings.test.ts', 'test/timers.test.ts', 'vitest.config.ts'].map((f) => `wrote ${f}`),
    )
    await expectSeedsPass(project, [seed!, ...more])
  }, 300_000)
})
