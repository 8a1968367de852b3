// The pure parts of hunt: the targeted orders and who caused a finding.
import { describe, expect, test } from 'vitest'
import { changedTests, introduced, newBeforeVictim } from '../../src/hunt/attribution.js'
import { newTestRuns, pairs, reverseOrder, seedOrder } from '../../src/hunt/orders.js'
import { reachedPrivateState } from '../../src/hunt/private-state.js'
import { idOf } from '../../src/core/names.js'
import { checkHunt, endOfRunHunt } from '../../src/plugin/hunt-option.js'

const t = (name: string, file = 'a.test.ts') => ({ project: '', file, name })
const names = (tests: ReadonlyArray<{ name: string }>) => tests.map((x) => x.name)

describe('orders', () => {
  const file = [t('d > one'), t('d > two'), t('d > inner > three'), t('d > inner > four'), t('five')]

  test('reverse: every pair of tests the other way round, describes kept together', () => {
    expect(names(reverseOrder(file))).toEqual(['five', 'd > inner > four', 'd > inner > three', 'd > two', 'd > one'])
    const plain = file.map(idOf)
    const reversed = reverseOrder(file).map(idOf)
    for (const a of plain) for (const b of plain) if (a !== b) expect(plain.indexOf(a) < plain.indexOf(b)).not.toBe(reversed.indexOf(a) < reversed.indexOf(b))
  })

  test('a seed keeps every describe together and gives one order per seed', () => {
    for (const seed of ['1', '2', '3', '4']) {
      const order = names(seedOrder(file, seed))
      expect(order).toEqual(names(seedOrder(file, seed)))
      expect([...order].sort()).toEqual([...names(file)].sort())
      const inD = order.map((n, i) => (n.startsWith('d > ') ? i : -1)).filter((i) => i >= 0)
      expect(inD.at(-1)! - inD[0]!).toBe(3)
      const inner = order.map((n, i) => (n.startsWith('d > inner') ? i : -1)).filter((i) => i >= 0)
      expect(inner[1]! - inner[0]!).toBe(1)
    }
    const orders = new Set(['1', '2', '3', '4', '5', '6', '7', '8'].map((s) => names(seedOrder(file, s)).join('|')))
    expect(orders.size).toBeGreaterThan(2)
  })

  test('pairs: each new test before each older test of its own file', () => {
    const other = t('x', 'b.test.ts')
    const fresh = new Set([idOf(file[1]!), idOf(file[4]!)])
    expect(pairs([...file, other], fresh).map(([a, b]) => `${a.name}→${b.name}`)).toEqual([
      'd > two→d > one',
      'd > two→d > inner > three',
      'd > two→d > inner > four',
      'five→d > one',
      'five→d > inner > three',
      'five→d > inner > four',
    ])
  })

  test('the new tests on their own, forward and backward, each file followed by an older test of it', () => {
    const other = [t('old', 'b.test.ts'), t('new', 'b.test.ts')]
    const fresh = new Set([idOf(file[1]!), idOf(file[4]!), idOf(other[1]!)])
    const runs = newTestRuns([...file, ...other], fresh)
    expect(runs.forward.map(idOf)).toEqual(['a.test.ts > d > two', 'a.test.ts > five', 'a.test.ts > d > one', 'b.test.ts > new', 'b.test.ts > old'])
    expect(runs.backward.map(idOf)).toEqual(['a.test.ts > five', 'a.test.ts > d > two', 'a.test.ts > d > one', 'b.test.ts > new', 'b.test.ts > old'])
  })
})

describe('who caused it', () => {
  const facts = { fresh: new Set(['a.test.ts > new']), sources: ['src/cart.ts'], reachingSources: new Map([['c.test.ts', ['src/cache.ts']]]) }
  const finding = (over: Partial<Parameters<typeof introduced>[0]>) => ({ victim: 'a.test.ts > old', polluters: [], stateSetters: [], ...over })

  test('a new or changed test in the finding', () => {
    expect(introduced(finding({ polluters: ['a.test.ts > new'] }), facts).introduced).toBe(true)
    expect(introduced(finding({ victim: 'a.test.ts > new', stateSetters: ['a.test.ts > old'] }), facts).introduced).toBe(true)
  })

  test('the leaked state lives in a changed source file', () => {
    const leak = { kind: 'module' as const, what: 'src/cart.ts: cart.items', before: '[]', after: '["x"]', verified: true, by: 'a.test.ts > p' }
    expect(introduced(finding({ polluters: ['a.test.ts > p'], leaks: [leak] }), facts)).toMatchObject({ introduced: true })
    expect(introduced(finding({ polluters: ['a.test.ts > p'], leaks: [{ ...leak, what: 'src/other.ts: x' }] }), facts)).toMatchObject({ introduced: false })
  })

  test('nothing visible, and the victim’s file reaches a changed source: introduced; otherwise pre-existing', () => {
    expect(introduced(finding({ victim: 'c.test.ts > v', polluters: ['c.test.ts > p'] }), facts)).toEqual({
      introduced: true,
      why: 'no state outside a module shows, and c.test.ts imports src/cache.ts, which this change touched',
    })
    expect(introduced(finding({ polluters: ['a.test.ts > p'] }), facts).introduced).toBe(false)
  })

  test('an older minimal polluter, and a new test confirmed to pollute the victim on its own: introduced', () => {
    expect(introduced(finding({ polluters: ['a.test.ts > p'] }), facts, ['a.test.ts > new'])).toEqual({
      introduced: true,
      why: 'a.test.ts > new is new or changed in this change and makes it fail when run right before it alone (confirmed); the older a.test.ts > p does too',
    })
  })

  test('a new test right before the victim with no older polluter between: a candidate polluter of its own', () => {
    const fresh = new Set(['a > new', 'a > new 2', 'b > new'])
    const sameFile = (id: string) => id.startsWith('a >')
    // The older polluter first, then the new test, then the victim: the new test is asked about.
    expect(newBeforeVictim(['a > old', 'a > new', 'a > victim'], 'a > victim', ['a > old'], fresh, sameFile)).toEqual(['a > new'])
    // The older polluter between them: it is what the order shows, not the new test.
    expect(newBeforeVictim(['a > new', 'a > old', 'a > victim'], 'a > victim', ['a > old'], fresh, sameFile)).toEqual([])
    // Closest first; a new test of a file the victim does not share state with is not asked about.
    expect(newBeforeVictim(['b > new', 'a > new 2', 'a > x', 'a > new', 'a > victim'], 'a > victim', ['a > old'], fresh, sameFile)).toEqual([
      'a > new',
      'a > new 2',
    ])
    expect(newBeforeVictim(['a > victim', 'a > new'], 'a > victim', [], fresh, sameFile)).toEqual([])
  })

  test('new and changed tests from the base’s source', () => {
    const head = [
      { name: 'same', text: "test('same', () => {\n  a()\n})" },
      { name: 'edited', text: "test('edited', () => b())" },
      { name: 'added', text: "test('added', () => c())" },
    ]
    const base = [
      { name: 'same', text: "test('same', () => {  a() })" },
      { name: 'edited', text: "test('edited', () => a())" },
    ]
    expect(changedTests(head, base)).toEqual({ added: ['added'], changed: ['edited'] })
    expect(changedTests(head, undefined)).toEqual({ added: ['same', 'edited', 'added'], changed: [] })
  })
})

describe('module-private state a test file reaches', () => {
  const files: Record<string, string> = {
    '/p/test/a.test.ts': `import { total } from '../src/api'\nimport { x } from 'pkg'\n`,
    '/p/src/api.ts': `import { bump } from './tally.js'\nexport * from './deep/index'\nexport const total = () => bump()\n`,
    '/p/src/tally.ts': `let n = 0\nexport const bump = () => ++n\n`,
    '/p/src/deep/index.ts': `export { known } from './seen'\n`,
    '/p/src/deep/seen.ts': `const seen = new Set<string>()\nexport const known = (k: string) => seen.has(k)\nimport '../../../outside'\n`,
    '/outside.ts': `let outside = 1\n`,
  }
  const read = (path: string) => files[path]

  test('through imports and re-exports, a few levels down, inside the project only', () => {
    expect(reachedPrivateState('/p/test/a.test.ts', '/p', read).sort()).toEqual(['`const seen` of src/deep/seen.ts', '`let n` of src/tally.ts'])
    // Two levels: the test file's imports, and theirs.
    expect(reachedPrivateState('/p/test/a.test.ts', '/p', read, 2)).toEqual(['`let n` of src/tally.ts'])
    expect(reachedPrivateState('/p/test/a.test.ts', '/p', read, 1)).toEqual([])
  })
})

describe('the hunt option', () => {
  test('off unless asked for; the option, then FLAKESEED_HUNT and FLAKESEED_HUNT_BUDGET', () => {
    expect(endOfRunHunt(checkHunt(undefined), {})).toEqual({})
    expect(endOfRunHunt(checkHunt({ base: 'origin/main', budget: 30 }), {})).toEqual({ hunt: { base: 'origin/main', budget: 30, fail: true } })
    expect(endOfRunHunt(checkHunt(undefined), { FLAKESEED_HUNT: 'origin/dev' })).toEqual({ hunt: { base: 'origin/dev', budget: 120, fail: true } })
    expect(endOfRunHunt(checkHunt({ fail: false }), { FLAKESEED_HUNT: '1', FLAKESEED_HUNT_BUDGET: '45' })).toEqual({
      hunt: { base: undefined, budget: 45, fail: false },
    })
    expect(endOfRunHunt(checkHunt(true), { FLAKESEED_HUNT: 'off' })).toEqual({})
    expect(endOfRunHunt(checkHunt(true), { FLAKESEED_HUNT_BUDGET: 'soon' })).toMatchObject({
      hunt: { budget: 120 },
      warning: expect.stringContaining('FLAKESEED_HUNT_BUDGET="soon"'),
    })
  })

  test('a wrong option is one line naming it', () => {
    expect(() => checkHunt({ bse: 'x' })).toThrow('flakeseed: unknown option "hunt.bse" (known: base, budget, fail)')
    expect(() => checkHunt({ budget: -1 })).toThrow('option "hunt.budget" must be a number of seconds above 0')
    expect(() => checkHunt({ fail: 'no' })).toThrow('flakeseed: option "hunt.fail" must be true or false, got "no"')
    expect(() => checkHunt('main')).toThrow('option "hunt" must be an object')
  })
})
