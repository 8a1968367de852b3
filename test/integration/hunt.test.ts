// `flakeseed hunt` end to end: fixture git repositories (a base commit on `main`, a change on a
// branch), real Vitest, and what the user sees: the findings, who caused them, the exit code. What
// a hunt runs and records (budgets, the history, inside a run): hunt-runs.test.ts.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { CART, cartTests, envTests, hunt, repo } from '../helpers/hunt.js'
import { REPO } from '../helpers/project.js'

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
  }, 300_000)

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
})
