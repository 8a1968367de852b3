// Bisect where the failure happens: the `bisect` option bisects a failing run's unexplained
// failures in the same job, within a budget, and `bisect --jobs` runs probes side by side.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, test } from 'vitest'
import { testId } from '../../src/core/names.js'
import { runsBefore, seedWhere } from '../helpers/cli.js'
import { config, createProject, type Files } from '../helpers/project.js'

const FILE = 'test/shop.test.ts'
const POLLUTER = testId('', FILE, 'shop > storefront in the euro zone')
const VICTIM = testId('', FILE, 'shop > prices in dollars by default')
const QUIET = ['lists products', 'adds to cart', 'checks out', 'empties the cart']
const IDS = [POLLUTER, VICTIM, ...QUIET.map((t) => testId('', FILE, `shop > ${t}`))]

function shop(slowMs = 0): Files {
  const wait = slowMs ? `await new Promise((r) => setTimeout(r, ${slowMs}))` : ''
  return {
    [FILE]: [
      `import { describe, expect, test } from 'vitest'`,
      `describe('shop', () => {`,
      `  test('storefront in the euro zone', async () => { ${wait}; process.env.SHOP_CURRENCY = 'EUR' })`,
      ...QUIET.map((t) => `  test('${t}', async () => { ${wait} })`),
      `  test('prices in dollars by default', () => { expect(process.env.SHOP_CURRENCY ?? 'USD').toBe('USD') })`,
      `})`,
    ].join('\n'),
  }
}

const FAILING = seedWhere(IDS, (o) => runsBefore(o, POLLUTER, VICTIM) && o.indexOf(VICTIM) >= 3)

describe('bisect in the failing job (the bisect option)', () => {
  test('a failing run bisects its new failure after the summary, stores the finding, writes the job summary, and still exits 1', async () => {
    const project = createProject({ 'vitest.config.ts': config(`{ bisect: { onFailure: 'new', budget: 120 } }`, 'fileParallelism: false'), ...shop() })
    const summary = join(project.dir, 'summary.md')
    const run = await project.runVitest([], { FLAKESEED_SEED: FAILING, GITHUB_STEP_SUMMARY: summary })
    expect(run.code, run.output).toBe(1)
    const out = run.stdout
    expect(out).toContain('flakeseed bisecting the failures the history does not explain yet, within 120 s (exit code unchanged)')
    // After Vitest's summary and flakeseed's end line.
    expect(out.indexOf('flakeseed bisecting')).toBeGreaterThan(out.indexOf('Tests '))
    expect(out).toContain(`victim   ${VICTIM}`)
    expect(out).toContain(`polluter ${POLLUTER}`)
    expect(out).toContain("leaked   env process.env.SHOP_CURRENCY: (unset) → 'EUR'")
    const db = new Database(join(project.dir, '.flakeseed/history.db'), { readonly: true })
    const findings = db.prepare('SELECT victim, kind, polluters FROM findings').all()
    db.close()
    expect(findings).toEqual([{ victim: VICTIM, kind: 'victim', polluters: JSON.stringify([POLLUTER]) }])
    const md = readFileSync(summary, 'utf8')
    expect(md).toContain('#### Bisected in this job')
    expect(md).toContain('polluted by <code>test/shop.test.ts &gt; shop &gt; storefront in the euro zone</code>')
    // The same failure again: the history explains it now, nothing is bisected.
    const again = await project.runVitest([], { FLAKESEED_SEED: FAILING })
    expect(again.code).toBe(1)
    expect(again.stdout).toContain('flakeseed: nothing to bisect: every failure is explained by the history already')
    expect(again.stdout).toContain(`known order-dependent  ${VICTIM}`)
  })

  test('off by default; FLAKESEED_BISECT=new turns it on; a passing run bisects nothing', async () => {
    const project = createProject({ 'vitest.config.ts': config('', 'fileParallelism: false'), ...shop() })
    expect((await project.runVitest([], { FLAKESEED_SEED: FAILING })).stdout).not.toContain('flakeseed bisecting')
    const on = await project.runVitest([], { FLAKESEED_SEED: FAILING, FLAKESEED_BISECT: 'new', FLAKESEED_BISECT_BUDGET: '60' })
    expect(on.code).toBe(1)
    expect(on.stdout).toContain('within 60 s')
    const passing = seedWhere(IDS, (o) => runsBefore(o, VICTIM, POLLUTER))
    const ok = await project.runVitest([], { FLAKESEED_SEED: passing, FLAKESEED_BISECT: 'new' })
    expect(ok.code).toBe(0)
    expect(ok.stdout).not.toContain('flakeseed bisecting')
  })

  test('a budget too small for the search: the smallest set so far, and one line on what was left and why', async () => {
    const project = createProject({ 'vitest.config.ts': config(`{ bisect: { onFailure: 'new', budget: 2 } }`, 'fileParallelism: false'), ...shop(400) })
    const run = await project.runVitest([], { FLAKESEED_SEED: FAILING })
    expect(run.code, run.output).toBe(1)
    expect(run.stdout).toMatch(new RegExp(`flakeseed: left unexplained: ${VICTIM.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(budget of 2 s used up`))
    // How long that took is the bench's to measure (bench/), not a test's on a loaded machine.
  })
})

describe('bisect --jobs', () => {
  test('--jobs 2 and --jobs 1 give the same finding', async () => {
    const project = createProject({ 'vitest.config.ts': config('', 'fileParallelism: false'), ...shop() })
    expect((await project.runVitest([], { FLAKESEED_SEED: FAILING })).code).toBe(1)
    const one = await project.runCliJson<{ polluters: string[]; kind: string; fix?: unknown }>(['bisect', 'last', '--jobs', '1'])
    const two = await project.runCliJson<{ polluters: string[]; kind: string; fix?: unknown }>(['bisect', 'last', '--jobs', '2'])
    expect(two).toMatchObject({ kind: 'victim', polluters: [POLLUTER] })
    expect(two.polluters).toEqual(one.polluters)
    expect(two.fix).toEqual(one.fix)
  })

  test('probes that write files into the project run one at a time, and it says so', async () => {
    const project = createProject({
      'vitest.config.ts': config('', `fileParallelism: false, setupFiles: ['./clean.ts']`),
      'clean.ts': `import { rmSync } from 'node:fs'\nrmSync('out', { recursive: true, force: true })\n`,
      [FILE]: [
        `import { describe, expect, test } from 'vitest'`,
        `import { existsSync, mkdirSync, writeFileSync } from 'node:fs'`,
        `describe('shop', () => {`,
        `  test('storefront in the euro zone', () => { mkdirSync('out', { recursive: true }); writeFileSync('out/cart.json', '[1]') })`,
        ...QUIET.map((t) => `  test('${t}', () => {})`),
        `  test('prices in dollars by default', () => { expect(existsSync('out/cart.json')).toBe(false) })`,
        `})`,
      ].join('\n'),
    })
    expect((await project.runVitest([], { FLAKESEED_SEED: FAILING })).code).toBe(1)
    const result = await project.runCli(['bisect', 'last', '--jobs', '2'])
    expect(result.code, result.output).toBe(1)
    expect(result.stdout).toContain(`polluter ${POLLUTER}`)
    expect(result.stderr).toMatch(/^flakeseed: probes write files in the project \(\d+\), so they run one at a time \(--jobs 1\)$/m)
  })
})
