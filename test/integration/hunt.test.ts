// `flakeseed hunt` end to end: fixture git repositories (a base commit on `main`, a change on a
// branch), real Vitest, and what the user sees: the findings, who caused them, the exit code.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import type { HuntFinding } from '../../src/hunt/hunt.js'
import { git, gitCommit, gitInit, paste, seedWhere } from '../helpers/cli.js'
import { config, createProject, type Files, type Project, REPO } from '../helpers/project.js'

interface HuntJson {
  base: string
  affected: { files: string[]; tests: string[] }
  runs: number
  passedRuns: number
  findings: HuntFinding[]
  unblamed: Array<{ test: string; why: string }>
  recorded: number[]
  probes: number
  cut?: string
  seedsHeld?: string
  seconds: number
}

/** A repository whose `main` holds `base`, checked out on a branch `change` holding `change` on top. */
function repo(base: Files, change: Files, test = ''): Project {
  const project = createProject({ 'vitest.config.ts': config('', test), '.gitignore': '.flakeseed\n', ...base })
  gitInit(project)
  git(project, 'checkout', '-qb', 'change')
  project.write(change)
  gitCommit(project, 'the change')
  return project
}

async function hunt(project: Project, args: string[] = []): Promise<{ code: number | null; json: HuntJson; output: string }> {
  const result = await project.runCli(['hunt', '--base', 'main', '--json', ...args])
  if (result.code !== 0 && result.code !== 1) throw new Error(`hunt exited ${result.code}:\n${result.output}`)
  return { code: result.code, json: JSON.parse(result.stdout) as HuntJson, output: result.output }
}

const CART = `export const cart = { items: [] as string[] }\n`

/** A cart test file: two tests that clear the cart around one that needs it empty. */
const cartTests = (extra = '') =>
  [
    `import { expect, test } from 'vitest'`,
    `import { cart } from '../src/cart'`,
    `test('clears', () => { cart.items.length = 0; expect(cart.items).toEqual([]) })`,
    `test('starts empty', () => { expect(cart.items).toEqual([]) })`,
    `test('clears again', () => { cart.items.length = 0; expect(cart.items).toEqual([]) })`,
    extra,
  ].join('\n')

/** An environment dependency that was there before the change: the victim runs first in declaration order. */
const envTests = (extra = '') =>
  [
    `import { expect, test } from 'vitest'`,
    `test('no mode by default', () => { expect(process.env.HUNT_MODE).toBeUndefined() })`,
    `test('sets the mode', () => { process.env.HUNT_MODE = 'fast'; expect(process.env.HUNT_MODE).toBe('fast') })`,
    extra,
  ].join('\n')

/** A counter nothing exports: no snapshot sees what a test leaves in it. */
const TALLY = `let n = 0\nexport const bump = () => { n++ }\nexport const count = () => n\nexport const reset = () => { n = 0 }\n`

/** The tally behind a module of its own: the test file imports the counter, which imports the tally. */
const COUNTER = `import { bump as up, count as read, reset as zero } from './tally'\nexport const bump = () => up()\nexport const count = () => read()\nexport const reset = () => zero()\n`

/** Two tests that reset the tally around one that needs it at zero. */
const tallyTests = (extra = '') =>
  [
    `import { expect, test } from 'vitest'`,
    `import { bump, count, reset } from '../src/counter'`,
    `test('resets', () => { reset(); expect(count()).toBe(0) })`,
    `test('starts at zero', () => { expect(count()).toBe(0) })`,
    `test('resets again', () => { reset(); expect(count()).toBe(0) })`,
    extra,
  ].join('\n')

const SETUP = [
  `import { expect, test } from 'vitest'`,
  `let db: string[] | undefined`,
  `test('opens', () => { db = [] })`,
  `test('counts', () => { expect(1 + 1).toBe(2) })`,
].join('\n')

describe('flakeseed hunt', () => {
  test('a new polluter hidden by a clearing test, a new brittle test, a random one and a pre-existing dependency', async () => {
    const project = repo(
      {
        'src/cart.ts': CART,
        'test/cart.test.ts': cartTests(),
        'test/setup.test.ts': SETUP,
        'test/env.test.ts': envTests(),
        'src/tally.ts': TALLY,
        'src/counter.ts': COUNTER,
        'test/tally.test.ts': tallyTests(),
      },
      {
        'test/cart.test.ts': cartTests(`test('adds a book', () => { cart.items.push('book'); expect(cart.items).toContain('book') })`),
        'test/tally.test.ts': tallyTests(`test('counts one', () => { bump(); expect(count()).toBe(1) })`),
        'test/setup.test.ts': `${SETUP}\ntest('writes', () => { db!.push('x'); expect(db).toEqual(['x']) })\n`,
        'test/env.test.ts': envTests(`test('adds', () => { expect(2 + 2).toBe(4) })`),
        'test/coin.test.ts': `import { expect, test } from 'vitest'\nimport { randomInt } from 'node:crypto'\ntest('coin', () => { expect(randomInt(2)).toBe(0) })\n`,
      },
    )
    const { code, json, output } = await hunt(project)
    expect(code, output).toBe(1)
    expect(json.affected.files.sort()).toEqual(['test/cart.test.ts', 'test/coin.test.ts', 'test/env.test.ts', 'test/setup.test.ts', 'test/tally.test.ts'])
    expect(json.affected.tests.sort()).toEqual([
      'test/cart.test.ts > adds a book',
      'test/coin.test.ts > coin',
      'test/env.test.ts > adds',
      'test/setup.test.ts > writes',
      'test/tally.test.ts > counts one',
    ])
    const by = (victim: string) => json.findings.find((f) => f.victim === victim)
    // Both whole-file orders have a clearing test between: only the pair shows it.
    expect(by('test/cart.test.ts > starts empty'), output).toMatchObject({
      kind: 'victim',
      polluters: ['test/cart.test.ts > adds a book'],
      introduced: true,
      order: 'pair',
    })
    // The new test leaves nothing a snapshot sees (a counter a module its file's import imports keeps private): paired all the same.
    expect(by('test/tally.test.ts > starts at zero'), output).toMatchObject({
      kind: 'victim',
      polluters: ['test/tally.test.ts > counts one'],
      introduced: true,
      order: 'pair',
    })
    expect(by('test/setup.test.ts > writes'), output).toMatchObject({ kind: 'brittle', stateSetters: ['test/setup.test.ts > opens'], introduced: true })
    expect(by('test/env.test.ts > no mode by default'), output).toMatchObject({
      kind: 'victim',
      polluters: ['test/env.test.ts > sets the mode'],
      introduced: false,
      order: 'reverse',
    })
    // The coin fails at random: nobody is blamed for it.
    expect(json.findings.filter((f) => f.victim.includes('coin') || f.polluters.some((p) => p.includes('coin')))).toEqual([])
    expect(json.findings).toHaveLength(4)
  })

  test('examples/shop: a new test that fills the cart is a second polluter of the test an older one pollutes: introduced, exit 1', async () => {
    const shop = (path: string) => readFileSync(join(REPO, 'examples/shop', path), 'utf8')
    const cartTest = shop('test/cart.test.ts')
    // Right after the victim: the reverse order runs it right before the victim, after the older polluter.
    const fills = `  test('fills the cart', () => {\n    add({ sku: 'lamp', price: 4000 })\n    expect(contents().length).toBeGreaterThan(0)\n  })\n\n  test('adds a book'`
    const project = repo(
      {
        'src/cart.ts': shop('src/cart.ts'),
        'src/price.ts': shop('src/price.ts'),
        'test/cart.test.ts': cartTest,
        'test/price.test.ts': shop('test/price.test.ts'),
      },
      { 'test/cart.test.ts': cartTest.replace("  test('adds a book'", fills) },
    )
    const { code, json, output } = await hunt(project, ['--seeds', '0'])
    expect(code, output).toBe(1)
    expect(json.affected).toEqual({ files: ['test/cart.test.ts'], tests: ['test/cart.test.ts > cart > fills the cart'] })
    // The bisect's minimal polluter is the older test; the new one, run alone right before the victim, fails it too.
    expect(json.findings, output).toMatchObject([
      {
        victim: 'test/cart.test.ts > cart > a new cart is empty',
        polluters: ['test/cart.test.ts > cart > adds a book'],
        introduced: true,
        order: 'reverse',
      },
    ])
    expect(json.findings[0]!.why).toBe(
      'test/cart.test.ts > cart > fills the cart is new or changed in this change and makes it fail when run right before it alone (confirmed); the older test/cart.test.ts > cart > adds a book does too',
    )
  })

  test('a clean change: every run passes, nothing found, exit 0', async () => {
    const project = repo(
      { 'src/cart.ts': CART, 'test/cart.test.ts': cartTests() },
      { 'test/cart.test.ts': cartTests(`test('sums', () => { expect(1 + 2).toBe(3) })`) },
    )
    const { code, json, output } = await hunt(project)
    expect(code, output).toBe(0)
    expect(json.findings).toEqual([])
    expect(json.unblamed).toEqual([])
    expect(json.affected.tests).toEqual(['test/cart.test.ts > sums'])
    // plain, reverse, the new test on its own, then seeds while the hunt stays within 3× a plain run:
    // the ones it held back, it says so.
    expect(json.runs).toBeGreaterThanOrEqual(3)
    expect(json.runs).toBeLessThanOrEqual(7)
    if (json.runs < 7)
      expect(json.seedsHeld).toBe(`${json.runs - 3} of 4 seeded orders: one more would take the hunt past 3× a plain run of the affected files`)
    else expect(json.seedsHeld).toBeUndefined()
    expect(json.passedRuns).toBe(json.runs)
    // Seeds asked for run as the budget allows: 4 of them.
    const asked = await hunt(project, ['--seeds', '4'])
    expect(asked.json.runs, asked.output).toBe(7)
    expect(asked.json.passedRuns).toBe(7)
    // The hunt is in the history as one passed run of kind `hunt` (its plain order), out of flaky's counts.
    expect(json.recorded).toHaveLength(1)
    expect((await project.runCli(['runs'])).stdout).toMatch(new RegExp(`^\\s*${json.recorded[0]}\\b.*passed \\(hunt\\)`, 'm'))
  })

  test('a change to a file that already had an order dependency: reported pre-existing, exit 0', async () => {
    const project = repo({ 'test/env.test.ts': envTests() }, { 'test/env.test.ts': envTests(`test('adds', () => { expect(2 + 2).toBe(4) })`) })
    const { code, json, output } = await hunt(project, ['--seeds', '0'])
    expect(code, output).toBe(0)
    expect(json.findings).toMatchObject([
      { victim: 'test/env.test.ts > no mode by default', polluters: ['test/env.test.ts > sets the mode'], introduced: false },
    ])
    // The finding's failing order is in the history as a run of kind `hunt`, with `fix`'s verified patch.
    const patch = json.findings[0]!.patch
    expect(patch?.diff, output).toContain('HUNT_MODE')
    const run = /fix (\d+) --test 'test\/env\.test\.ts > no mode by default' --apply$/.exec(patch!.apply)?.[1]
    expect(run, patch!.apply).toBeDefined()
    expect(json.recorded).toEqual([Number(run)])
    expect(output).not.toContain('could not record')
    // The reproduce command replays the recorded failing order, not the whole hunt: pasted, the victim fails.
    expect(json.findings[0]!.command).toBe(
      `npx flakeseed replay ${run} --only 'test/env.test.ts > sets the mode' --only 'test/env.test.ts > no mode by default'`,
    )
    const reproduced = paste(project, json.findings[0]!.command)
    expect(reproduced.code, reproduced.out).toBe(1)
    expect(reproduced.out).toContain('flakeseed replay of run')
    expect((await project.runCli(['runs'])).stdout).toMatch(new RegExp(`^\\s*${run}\\b.*failed \\(hunt\\)`, 'm'))
    // Not mixed into flakiness counts: the only runs are the hunt's, and flaky's window has none.
    expect((await project.runCli(['flaky'])).stdout).toContain('no runs in the window')
    expect((await project.runCli(['hunt', '--base', 'main', '--seeds', '0', '--repeat', '1'])).stdout).toContain('0 introduced by this change, 1 pre-existing')
    // Recorded like any run: the Vitest version and pool it ran on.
    const shown = await project.runCliJson<{ run: { vitestVersion: string | null; pool: string | null } }>(['show', run!])
    expect(shown.run.vitestVersion).toMatch(/^\d+\.\d+\.\d+/)
    expect(shown.run.pool).toBe('forks')
    // The budget is a deadline: a bisect whose checks need 200 runs each stops when it passes, says so, and claims no minimal set.
    // (12 s: enough for the targeted runs under load; the bisect alone would need 400 runs.)
    const cut = await project.runCli(['hunt', '--base', 'main', '--seeds', '0', '--repeat', '200', '--budget', '12'])
    expect(cut.code, cut.output).toBe(0)
    expect(cut.stdout).toContain('(budget of 12 s used up: the bisect of test/env.test.ts > no mode by default stopped there)')
    expect(cut.stdout).not.toContain('victim ')
    const probes = /\+ (\d+) bisect probes? in [\d.]+ s · no order dependency found before the budget ran out$/m.exec(cut.stdout)?.[1]
    expect(Number(probes), cut.stdout).toBeLessThan(200)
    // The printed command writes the verified patch.
    const before = readFileSync(join(project.dir, 'test/env.test.ts'), 'utf8')
    const applied = await project.runCli(['fix', run!, '--test', 'test/env.test.ts > no mode by default', '--apply'])
    expect(applied.code, applied.output).toBe(0)
    expect(readFileSync(join(project.dir, 'test/env.test.ts'), 'utf8')).not.toBe(before)
  })

  test('the budget is a deadline for the run in flight too: it stops, is left out, and the hunt ends soon after', async () => {
    const slow = (name: string) => `test('${name}', async () => { await new Promise((r) => setTimeout(r, 1500)); expect(1).toBe(1) })`
    const file = (extra = '') => [`import { expect, test } from 'vitest'`, ...['one', 'two', 'three', 'four'].map(slow), extra].join('\n')
    const project = repo({ 'test/slow.test.ts': file() }, { 'test/slow.test.ts': file(slow('five')) })
    const began = Date.now()
    expect((await project.runVitest(['test/slow.test.ts'])).code).toBe(0)
    const plain = (Date.now() - began) / 1000
    const budget = 2
    const { code, json, output } = await hunt(project, ['--seeds', '0', '--budget', String(budget)])
    expect(code, output).toBe(0)
    expect(json.findings).toEqual([])
    expect(json.cut, output).toMatch(/^budget of 2 s used up: .*the run in flight was stopped and left out$/)
    // Each whole-file order takes most of a plain run: finishing the one in flight, or starting the next, overshoots by that much.
    expect(json.seconds, output).toBeLessThan(budget + plain / 2)
  })

  test('a source-only change makes an unchanged test file order-dependent through a module-private variable', async () => {
    const project = repo(
      {
        'src/cache.ts': `export function remember(key: string): boolean {\n  return key.length > 0\n}\n`,
        'test/cache.test.ts': [
          `import { expect, test } from 'vitest'`,
          `import { remember } from '../src/cache'`,
          `test('first sight', () => { expect(remember('a')).toBe(true) })`,
          `test('counts', () => { expect(1).toBe(1) })`,
          `test('seen again is new here', () => { expect(remember('a')).toBe(true) })`,
        ].join('\n'),
        'test/other.test.ts': `import { expect, test } from 'vitest'\ntest('other', () => { expect(1).toBe(1) })\n`,
      },
      {
        'src/cache.ts': `const seen = new Set<string>()\nexport function remember(key: string): boolean {\n  if (seen.has(key)) return false\n  seen.add(key)\n  return true\n}\n`,
      },
    )
    const { code, json, output } = await hunt(project, ['--seeds', '0'])
    expect(code, output).toBe(1)
    // Through the module graph: the test file did not change, the source it imports did.
    expect(json.affected).toEqual({ files: ['test/cache.test.ts'], tests: [] })
    expect(json.findings.map((f) => [f.victim, f.polluters, f.introduced]).sort()).toEqual([
      ['test/cache.test.ts > first sight', ['test/cache.test.ts > seen again is new here'], true],
      ['test/cache.test.ts > seen again is new here', ['test/cache.test.ts > first sight'], true],
    ])
    expect(json.findings[0]!.why).toContain('src/cache.ts')
  })

  test('isolate: false: a new test polluted by a test of another file', async () => {
    const project = repo(
      {
        'test/a.test.ts': `import { test } from 'vitest'\ntest('sets the flag', () => { (globalThis as { huntFlag?: boolean }).huntFlag = true })\n`,
        'test/b.test.ts': `import { expect, test } from 'vitest'\ntest('b one', () => { expect(1).toBe(1) })\n`,
      },
      {
        'test/b.test.ts': `import { expect, test } from 'vitest'\ntest('b one', () => { expect(1).toBe(1) })\ntest('no flag', () => { expect((globalThis as { huntFlag?: boolean }).huntFlag).toBeUndefined() })\n`,
      },
      'isolate: false, fileParallelism: false',
    )
    const { code, json, output } = await hunt(project, ['--seeds', '0'])
    expect(code, output).toBe(1)
    expect(json.affected.files).toEqual(['test/b.test.ts'])
    expect(json.findings).toMatchObject([{ victim: 'test/b.test.ts > no flag', polluters: ['test/a.test.ts > sets the flag'], introduced: true }])
  })

  test('no base to compare with: one line, nothing hunted; a --base that does not exist: exit 2', async () => {
    const project = createProject({ 'vitest.config.ts': config(), 'test/a.test.ts': `import { test } from 'vitest'\ntest('a', () => {})\n` })
    gitInit(project)
    const none = await project.runCli(['hunt'])
    expect(none.code, none.output).toBe(0)
    expect(none.stdout.trim()).toBe('flakeseed hunt: no base to compare with (origin/HEAD not found; pass --base REF); nothing hunted')
    const bad = await project.runCli(['hunt', '--base', 'nope'])
    expect(bad.code).toBe(2)
    expect(bad.stderr.trim()).toBe('flakeseed: --base nope is not a commit that shares history with HEAD here')
  })

  test('inside the run: FLAKESEED_HUNT fails the run on an introduced dependency; hunt.fail: false only reports it', async () => {
    const victim = `test('no mode by default', () => { expect(process.env.HUNT_MODE).toBeUndefined() })`
    const polluter = `test('sets the mode', () => { process.env.HUNT_MODE = 'fast' })`
    const project = repo(
      { 'test/env.test.ts': `import { expect, test } from 'vitest'\n${victim}\n` },
      { 'test/env.test.ts': `import { expect, test } from 'vitest'\n${victim}\n${polluter}\n` },
    )
    // A seed under which the run itself passes: the victim first.
    const seed = seedWhere(['test/env.test.ts > no mode by default', 'test/env.test.ts > sets the mode'], (o) => o[0]!.endsWith('default'))
    const summary = join(project.dir, 'summary.md')
    const failing = await project.runVitest([], { FLAKESEED_SEED: seed, FLAKESEED_HUNT: 'main', FLAKESEED_HUNT_BUDGET: '60', GITHUB_STEP_SUMMARY: summary })
    expect(failing.code, failing.output).toBe(1)
    expect(failing.stdout).toContain('polluter test/env.test.ts > sets the mode')
    expect(failing.stdout).toContain('cause    introduced by this change: test/env.test.ts > sets the mode is new or changed in this change')
    expect(failing.stdout).toContain(
      'flakeseed hunt failed this run: this change introduced an order dependency (hunt: { fail: false } reports without failing)',
    )
    expect(readFileSync(summary, 'utf8')).toContain('### flakeseed hunt: 1 order dependency introduced by this change')
    // The run's own history holds the hunt (kind `hunt`); the summary shows the verified patch's apply command.
    const recorded = /history: run (\d+) \(hunt; not counted by flaky\)/.exec(failing.stdout)?.[1]
    expect(recorded, failing.output).toBeDefined()
    expect(readFileSync(summary, 'utf8')).toMatch(new RegExp(`apply: .*fix ${recorded} --test`))
    expect((await project.runCli(['runs'])).stdout).toMatch(new RegExp(`^\\s*${recorded}\\b.*\\(hunt\\)`, 'm'))
    project.write({ 'vitest.config.ts': config(`{ hunt: { base: 'main', fail: false } }`) })
    const reporting = await project.runVitest([], { FLAKESEED_SEED: seed })
    expect(reporting.code, reporting.output).toBe(0)
    expect(reporting.stdout).toContain('1 introduced by this change, 0 pre-existing')
    expect(reporting.stdout).not.toContain('flakeseed hunt failed this run')
  })
})
