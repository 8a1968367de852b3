// Bisect says what leaked, end to end: one fixture per kind of state a polluter can leave behind.
// Each records a real failing run (a seed that puts the polluter before the victim), runs
// `flakeseed bisect last --json`, and checks the polluter, the leak (kind, what, before → after),
// that it was verified, and the fix and how it was verified.
import { join } from 'node:path'
import { readFileSync } from 'node:fs'
import Database from 'better-sqlite3'
import { describe, expect, test } from 'vitest'
import type { Finding as BisectFinding, Fix, Leak } from '../../src/core/model.js'
import { testId } from '../../src/core/names.js'
import { runsBefore, seedWhere, textOf } from '../helpers/cli.js'
import { config, createProject, type Project } from '../helpers/project.js'
import { type Fixture, LEAKS, QUIET as OTHERS, SECRET, SHOP as FILE } from '../fixtures/leaks.mjs'

type Finding = Omit<BisectFinding, 'interrupted'> & { command: string; leaks: Leak[]; fix?: Fix; noLeak?: string }

const POLLUTER = testId('', FILE, 'shop > storefront in the euro zone')
const VICTIM = testId('', FILE, 'shop > prices in dollars by default')

/** Records one failing run of the fixture (the polluter runs before the victim), then bisects it. */
async function bisectLeak(
  fixture: Fixture,
  args: string[] = [],
  ids = [POLLUTER, VICTIM, ...OTHERS.map((t) => testId('', FILE, `shop > ${t}`))],
): Promise<{ project: Project; finding: Finding; output: string }> {
  const options = ['fileParallelism: false', ...(fixture.config ? [fixture.config] : [])].join(', ')
  const project = createProject({ 'vitest.config.ts': config('', options), ...fixture.files })
  const seed = seedWhere(ids, (o) => runsBefore(o, POLLUTER, VICTIM))
  const run = await project.runVitest([], { FLAKESEED_SEED: seed })
  expect(run.code, run.output).toBe(1)
  const result = await project.runCli(['bisect', 'last', '--repeat', '1', '--json', ...args])
  expect(result.code, result.output).toBe(1)
  return { project, finding: JSON.parse(result.stdout) as Finding, output: result.output }
}

const verifiedLeak = (f: Finding) => f.leaks.find((l) => l.verified)

describe('bisect names what leaked, and a fix it verified', () => {
  test('env: a variable set directly; the fix deletes it after the polluter, verified by undoing it', async () => {
    const { finding } = await bisectLeak(LEAKS.env)
    expect(finding).toMatchObject({ victim: VICTIM, kind: 'victim', polluters: [POLLUTER] })
    expect(verifiedLeak(finding)).toEqual({ kind: 'env', what: 'process.env.SHOP_CURRENCY', before: '(unset)', after: "'EUR'", verified: true, by: POLLUTER })
    expect(finding.fix).toEqual({
      suggestion: "save process.env.SHOP_CURRENCY before each test and put it back after in describe 'shop' of test/shop.test.ts",
      verified: true,
      how: 'undo-rerun',
      remedy: 'restore-env',
    })
    // The diagnosis stays within 3 probes beyond the search when the first leak tried is the cause.
    expect(finding.diagnosisProbes).toBeLessThanOrEqual(3)
  })

  test('the leak and the fix show beside the polluter: in flaky, at the end of the next failing run, in the job summary and the HTML report', async () => {
    const { project } = await bisectLeak(LEAKS.env)
    const ids = [POLLUTER, VICTIM, ...OTHERS.map((t) => testId('', FILE, `shop > ${t}`))]
    // A passing order too, so the test has mixed outcomes (flaky lists only those).
    expect((await project.runVitest([], { FLAKESEED_SEED: seedWhere(ids, (o) => runsBefore(o, VICTIM, POLLUTER)) })).code).toBe(0)
    const summary = join(project.dir, 'summary.md')
    const again = await project.runVitest([], { FLAKESEED_SEED: seedWhere(ids, (o) => runsBefore(o, POLLUTER, VICTIM), 50), GITHUB_STEP_SUMMARY: summary })
    expect(again.code).toBe(1)
    const leaked = "leaked env process.env.SHOP_CURRENCY: (unset) → 'EUR'"
    // What the undo probe verified, and that the code itself is \`flakeseed fix\`'s to verify.
    const fix =
      "fix: save process.env.SHOP_CURRENCY before each test and put it back after in describe 'shop' of test/shop.test.ts; verified by undoing the leak, not by running this code (flakeseed fix checks the code as a patch)"
    expect(again.stdout).toContain(`known order-dependent  ${VICTIM}`)
    expect(again.stdout).toContain(leaked)
    expect(again.stdout).toContain(fix)
    // Escaped for the markdown table (an underscore would start emphasis).
    expect(readFileSync(summary, 'utf8')).toContain("leaked env process.env.SHOP&#95;CURRENCY: (unset) → 'EUR'")
    const flaky = await project.runCli(['flaky'])
    expect(flaky.stdout).toContain(`      ${leaked}`)
    expect(flaky.stdout).toContain(`      ${fix}`)
    expect((await project.runCliJson<Array<{ test: string; fix?: Fix }>>(['flaky'])).find((r) => r.test === VICTIM)?.fix).toMatchObject({ how: 'undo-rerun' })
    expect((await project.runCli(['report', '--html', 'report.html'])).code).toBe(0)
    expect(project.read('report.html')).toContain('process.env.SHOP_CURRENCY: (unset) → &#39;EUR&#39;')
  })

  test('mock: a spy never restored; restoreMocks: true, verified by a rerun with it', async () => {
    const { finding } = await bisectLeak(LEAKS.spy)
    expect(verifiedLeak(finding)).toMatchObject({ kind: 'mock', what: 'Date.now', after: 'a vi.fn() mock' })
    expect(finding.fix).toEqual({
      suggestion: 'restoreMocks: true in the Vitest config (or vi.restoreAllMocks() in an afterEach)',
      config: { restoreMocks: true },
      verified: true,
      how: 'config-rerun',
      remedy: 'restoreMocks-config',
    })
  })

  test('timers: fake timers left on; vi.useRealTimers() after the polluter', async () => {
    const { finding } = await bisectLeak(LEAKS.timers)
    expect(verifiedLeak(finding)).toMatchObject({ kind: 'timers' })
    expect(finding.leaks.map((l) => l.what).sort()).toEqual(['fake timers', 'system time'])
    expect(finding.leaks.find((l) => l.what === 'system time')).toMatchObject({ before: 'real', after: 'faked at 2001-02-03T00:00:00.000Z' })
    expect(finding.fix).toEqual({
      suggestion: "vi.useRealTimers() after each test in describe 'shop' of test/shop.test.ts",
      verified: true,
      how: 'undo-rerun',
      remedy: 'real-timers',
    })
  })

  test('global: vi.stubGlobal never unstubbed; unstubGlobals: true, verified by a rerun with it', async () => {
    const { finding } = await bisectLeak(LEAKS.stubGlobal)
    expect(verifiedLeak(finding)).toMatchObject({ kind: 'mock', what: 'globalThis.fetch', after: 'a vi.fn() mock' })
    expect(finding.fix).toMatchObject({ config: { unstubGlobals: true }, verified: true, how: 'config-rerun' })
  })

  test('module: an exported object mutated in place; the fix restores that property after the polluter', async () => {
    const { finding } = await bisectLeak(LEAKS.module)
    expect(verifiedLeak(finding)).toEqual({
      kind: 'module',
      what: 'src/settings.ts: settings.locale',
      before: "'en-US'",
      after: "'de-DE'",
      verified: true,
      by: POLLUTER,
    })
    expect(finding.fix).toEqual({
      suggestion: "save settings.locale of src/settings.ts before each test and put it back after in describe 'shop' of test/shop.test.ts",
      verified: true,
      how: 'undo-rerun',
      remedy: 'restore-export',
    })
  })

  test('file: a file left on disk; and no probe leaves it behind', async () => {
    const { project, finding } = await bisectLeak(LEAKS.file)
    expect(verifiedLeak(finding)).toMatchObject({ kind: 'file', what: 'out/cart.json', before: '(absent)', after: '3 bytes' })
    expect(finding.fix).toMatchObject({ suggestion: "remove out/cart.json after each test in describe 'shop' of test/shop.test.ts", how: 'undo-rerun' })
    // The recorded run left it (its setup file only cleans at the start); bisect's probes put back what they found.
    expect(project.read('out/cart.json')).toBe('[1]')
  })

  test('dom: a localStorage key left in jsdom', async () => {
    const { finding } = await bisectLeak(LEAKS.dom)
    expect(verifiedLeak(finding)).toEqual({ kind: 'dom', what: "localStorage['cart']", before: '(absent)', after: "'[3]'", verified: true, by: POLLUTER })
    expect(finding.fix).toMatchObject({
      suggestion: "save localStorage['cart'] before each test and put it back after in describe 'shop' of test/shop.test.ts",
      verified: true,
    })
  })

  test('a secret-looking name: that it changed, never its value, in the output or the DB', async () => {
    const secret = SECRET
    const { project, finding, output } = await bisectLeak(LEAKS.secret)
    expect(verifiedLeak(finding)).toMatchObject({ kind: 'env', what: 'process.env.API_TOKEN', before: '(unset)', after: '(hidden)' })
    expect(output).not.toContain(secret)
    const text = await project.runCli(['bisect', 'last', '--repeat', '1'])
    expect(text.stdout).toContain('leaked   env process.env.API_TOKEN: (unset) → (hidden)')
    expect(text.output).not.toContain(secret)
    const db = new Database(join(project.dir, '.flakeseed/history.db'), { readonly: true })
    const findings = JSON.stringify(db.prepare('SELECT * FROM findings').all())
    db.close()
    expect(findings).toContain('API_TOKEN')
    expect(findings).not.toContain(secret)
  })

  test('a module-private counter: no leak visible, said so; a test of the suite that resets it is the fix, with only the failing run recorded', async () => {
    const { finding } = await bisectLeak(
      LEAKS.counter,
      [],
      [POLLUTER, VICTIM, ...[...OTHERS, 'resets the counter'].map((t) => testId('', FILE, `shop > ${t}`))],
    )
    expect(finding.leaks).toEqual([])
    expect(finding.noLeak).toMatch(/^no leak visible: .*module-private variable/)
    expect(finding.cleaners).toEqual([testId('', FILE, 'shop > resets the counter')])
    expect(finding.fix).toMatchObject({ how: 'cleaner', verified: true })
    const text = textOf(finding)
    expect(text).toContain('leaked   nothing visible: the culprits changed state nothing outside their module can see')
    expect(text).toContain(`cleaner  ${testId('', FILE, 'shop > resets the counter')}`)
    expect(text).toMatch(/^fix {6}running 'resets the counter' between them makes it pass/m)
  })

  test('--no-diagnose: the culprits only', async () => {
    const { finding } = await bisectLeak(LEAKS.env, ['--no-diagnose'])
    expect(finding).toMatchObject({ kind: 'victim', polluters: [POLLUTER] })
    expect(finding.leaks).toBeUndefined()
    expect(finding.fix).toBeUndefined()
    expect(finding.probes).toBe(finding.probesToFind ?? finding.probes)
  })
})

describe('across files and for brittle tests', () => {
  test('isolate: false: an env variable one file leaves for the next', async () => {
    const polluter = testId('', 'test/a.test.ts', 'sets the currency')
    const victim = testId('', 'test/b.test.ts', 'prices in dollars')
    const project = createProject({ 'vitest.config.ts': config('', `fileParallelism: false, ${LEAKS.acrossFiles.config}`), ...LEAKS.acrossFiles.files })
    const seed = seedWhere(['test/a.test.ts', 'test/b.test.ts'], (o) => o[0] === 'test/a.test.ts')
    expect((await project.runVitest([], { FLAKESEED_SEED: seed })).code).toBe(1)
    const result = await project.runCli(['bisect', 'last', '--repeat', '1', '--json'])
    expect(result.code, result.output).toBe(1)
    const finding = JSON.parse(result.stdout) as Finding
    expect(finding).toMatchObject({ victim, polluters: [polluter] })
    expect(verifiedLeak(finding)).toMatchObject({ kind: 'env', what: 'process.env.SHOP_CURRENCY', before: '(unset)', after: "'EUR'", by: polluter })
    expect(finding.fix).toMatchObject({ suggestion: 'save process.env.SHOP_CURRENCY before each test and put it back after in test/a.test.ts', verified: true })
  })

  test('brittle: what the state setter sets that the brittle test needs', async () => {
    const setter = testId('', FILE, 'shop > storefront in the euro zone')
    const brittle = testId('', FILE, 'shop > prices in dollars by default')
    const project = createProject({ 'vitest.config.ts': config('', 'fileParallelism: false'), ...LEAKS.brittle.files })
    const ids = [setter, brittle, ...OTHERS.map((t) => testId('', FILE, `shop > ${t}`))]
    expect((await project.runVitest([], { FLAKESEED_SEED: seedWhere(ids, (o) => runsBefore(o, setter, brittle)) })).code).toBe(0)
    expect((await project.runVitest([], { FLAKESEED_SEED: seedWhere(ids, (o) => runsBefore(o, brittle, setter)) })).code).toBe(1)
    const result = await project.runCli(['bisect', 'last', '--repeat', '1', '--json'])
    expect(result.code, result.output).toBe(1)
    const finding = JSON.parse(result.stdout) as Finding
    expect(finding).toMatchObject({ kind: 'brittle', stateSetters: [setter] })
    expect(verifiedLeak(finding)).toMatchObject({ kind: 'env', what: 'process.env.SHOP_LOCALE', before: '(unset)', after: "'de'" })
    expect(finding.fix?.suggestion).toBe(
      "set up process.env.SHOP_LOCALE ('de') before each test, as 'storefront in the euro zone' does, and put it back after in describe 'shop' of test/shop.test.ts",
    )
  })
})
