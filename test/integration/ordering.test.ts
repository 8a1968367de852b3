// Seeded ordering, end to end: real Vitest runs fixture projects with the plugin, and the tests
// assert the order the fixture's own tests logged while they ran.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { gitInit } from '../helpers/cli.js'
import { config, createProject, LOG, testFile } from '../helpers/project.js'

const SERIAL = `fileParallelism: false`

/** What seed 1183 runs in the contract fixture below (written down once, never recomputed). */
const PINNED_1183 = [
  'cart > top level',
  'cart > totals',
  'cart > removes',
  'cart > empty > totals zero',
  'cart > empty > is empty',
  'cart > adds',
  'user d1 t1',
  'user d1 t0',
  'user d0 t0',
  'user d0 t1',
  'price d0 t0',
  'price d0 t1',
  'price d0 t2',
]

function suite() {
  return createProject({
    'vitest.config.ts': config(`{ db: false }`, SERIAL),
    'test/a.test.ts': testFile('a', 2, 6),
    'test/b.test.ts': testFile('b', 2, 6),
    'test/c.test.ts': testFile('c', 1, 8),
    'test/d.test.ts': testFile('d', 3, 3),
  })
}

async function ran(project: ReturnType<typeof suite>, seed: string, args: string[] = []) {
  const result = await project.runVitest(args, { FLAKESEED_SEED: seed })
  expect(result.code, result.output).toBe(0)
  return result
}

describe('seeded order', () => {
  // The ordering contract, pinned as pytest-randomly pins its own: for this fixture and seed
  // 1183, exactly this order, on every machine and Vitest version. If this test fails, the rule
  // changed and every recorded seed replays differently: the compatibility note in docs/configuration.md must say so.
  test('the contract: seed 1183 runs this fixture in exactly this order', async () => {
    const project = createProject({
      'vitest.config.ts': config(`{ db: false }`, SERIAL),
      'test/cart.test.ts': [
        `import { describe, test } from 'vitest'`,
        LOG,
        `describe('cart', () => {`,
        `  test('adds', () => log('cart > adds'))`,
        `  test('removes', () => log('cart > removes'))`,
        `  test('totals', () => log('cart > totals'))`,
        `  describe('empty', () => {`,
        `    test('is empty', () => log('cart > empty > is empty'))`,
        `    test('totals zero', () => log('cart > empty > totals zero'))`,
        `  })`,
        `})`,
        `test('top level', () => log('cart > top level'))`,
      ].join('\n'),
      'test/price.test.ts': testFile('price', 1, 3),
      'test/user.test.ts': testFile('user', 2, 2),
    })
    expect((await ran(project, '1183')).log).toEqual(PINNED_1183)
  })

  test('the same seed gives the same order, another seed another order', async () => {
    const project = suite()
    const first = await ran(project, '1183')
    const again = await ran(project, '1183')
    const other = await ran(project, '77')
    expect(first.log).toHaveLength(12 + 12 + 8 + 9)
    expect(again.log).toEqual(first.log)
    // The other seed runs the same tests, each once, in another order: files and tests inside a describe both move.
    expect([...other.log].sort()).toEqual([...first.log].sort())
    const files = (log: string[]) => [...new Set(log.map((l) => l.split(' ')[0]))]
    const inDescribe = (log: string[]) => log.filter((l) => l.startsWith('a d0 '))
    expect(files(other.log)).not.toEqual(files(first.log))
    expect([...files(other.log)].sort()).toEqual(['a', 'b', 'c', 'd'])
    expect(inDescribe(other.log)).not.toEqual(inDescribe(first.log))
    expect([...inDescribe(other.log)].sort()).toEqual(Array.from({ length: 6 }, (_, i) => `a d0 t${i}`))
  })

  test('the seed line is printed at the start, and the declaration order is not what runs', async () => {
    const project = suite()
    const result = await ran(project, 'abc')
    expect(result.stdout).toMatch(/^flakeseed seed abc · 4 files shuffled$/m)
    const declared = ['a', 'b', 'c', 'd'].flatMap((f) => result.log.filter((l) => l.startsWith(`${f} `)).sort())
    // Every declared test ran once, not in the declared order.
    expect([...result.log].sort()).toEqual([...declared].sort())
    expect(declared).toHaveLength(12 + 12 + 8 + 9)
    expect(result.log).not.toEqual(declared)
  })

  test('the order does not depend on the folder the project lives in', async () => {
    const project = suite()
    const copy = project.copy()
    expect(copy.dir).not.toBe(project.dir)
    expect((await ran(copy, '42')).log).toEqual((await ran(project, '42')).log)
  })

  test('removing one test and adding another keeps the relative order of the rest', async () => {
    const project = suite()
    const before = (await ran(project, '9')).log
    project.write({
      'test/a.test.ts': testFile('a', 2, 6).replace(`  test('t3', () => log('a d1 t3'))\n`, ''),
      'test/e.test.ts': testFile('e', 1, 3),
    })
    project.write({ 'test/b.test.ts': testFile('b', 2, 6).replace(`describe('d0', () => {`, `describe('d0', () => {\n  test('new', () => log('b d0 new'))`) })
    const after = (await ran(project, '9')).log
    expect(after).not.toContain('a d1 t3')
    expect(after).toContain('b d0 new')
    expect(after).toContain('e d0 t0')
    const common = (log: string[], other: string[]) => log.filter((l) => other.includes(l))
    expect(common(after, before)).toEqual(common(before, after))
  })

  test('hooks still wrap exactly the tests of their own describe', async () => {
    const hooked = (name: string) => `describe('${name}', () => {
  beforeAll(() => log('beforeAll ${name}'))
  afterAll(() => log('afterAll ${name}'))
  beforeEach((ctx) => log('beforeEach ${name} ' + ctx.task.name))
  afterEach((ctx) => log('afterEach ${name} ' + ctx.task.name))
  test('t0', () => log('test ${name} t0'))
  test('t1', () => log('test ${name} t1'))
  test('t2', () => log('test ${name} t2'))
  describe('inner', () => {
    beforeAll(() => log('beforeAll ${name}/inner'))
    afterAll(() => log('afterAll ${name}/inner'))
    test('i0', () => log('test ${name}/inner i0'))
    test('i1', () => log('test ${name}/inner i1'))
  })
})`
    const project = createProject({
      'vitest.config.ts': config(`{ db: false }`, SERIAL),
      'test/h.test.ts': [`import { afterAll, afterEach, beforeAll, beforeEach, describe, test } from 'vitest'`, LOG, hooked('x'), hooked('y')].join('\n'),
    })
    for (const seed of ['1', '2', '3']) {
      const log = (await ran(project, seed)).log
      for (const block of ['x', 'y']) {
        const start = log.indexOf(`beforeAll ${block}`)
        const end = log.indexOf(`afterAll ${block}`)
        const mine = log.flatMap((line, i) => (line.startsWith(`test ${block} `) || line.startsWith(`test ${block}/`) ? [i] : []))
        expect(mine).toHaveLength(5)
        // Every test of the block runs between its beforeAll and afterAll, nothing of the other block does.
        expect(mine.filter((i) => i <= start || i >= end)).toEqual([])
        const others = log.slice(start, end).filter((l) => l.startsWith('test ') && !l.startsWith(`test ${block} `) && !l.startsWith(`test ${block}/`))
        expect(others).toEqual([])
        // beforeEach/afterEach of the block surround each of its own tests.
        for (const t of ['t0', 't1', 't2']) {
          const at = log.indexOf(`test ${block} ${t}`)
          expect(log[at - 1]).toBe(`beforeEach ${block} ${t}`)
          expect(log[at + 1]).toBe(`afterEach ${block} ${t}`)
        }
        const inner = log.indexOf(`beforeAll ${block}/inner`)
        const innerEnd = log.indexOf(`afterAll ${block}/inner`)
        expect(log.indexOf(`test ${block}/inner i0`)).toBeGreaterThan(inner)
        expect(log.indexOf(`test ${block}/inner i1`)).toBeLessThan(innerEnd)
      }
    }
  })

  test('a describe with shuffle: false keeps its declaration order', async () => {
    const project = createProject({
      'vitest.config.ts': config(`{ db: false }`, SERIAL),
      'test/s.test.ts': [
        `import { describe, test } from 'vitest'`,
        LOG,
        `describe('fixed', { shuffle: false }, () => {`,
        ...Array.from({ length: 8 }, (_, i) => `  test('f${i}', () => log('fixed f${i}'))`),
        `})`,
        `describe('free', () => {`,
        ...Array.from({ length: 8 }, (_, i) => `  test('r${i}', () => log('free r${i}'))`),
        `})`,
      ].join('\n'),
    })
    const orders: string[][] = []
    for (const seed of ['1', '2', '3', '4']) orders.push((await ran(project, seed)).log)
    for (const log of orders) expect(log.filter((l) => l.startsWith('fixed'))).toEqual(Array.from({ length: 8 }, (_, i) => `fixed f${i}`))
    expect(new Set(orders.map((log) => log.filter((l) => l.startsWith('free')).join())).size).toBeGreaterThan(1)
  })

  test("Vitest's own --sequence.shuffle does not reshuffle after flakeseed", async () => {
    const project = suite()
    const plain = (await ran(project, '5')).log
    const withVitestShuffle = (await ran(project, '5', ['--sequence.shuffle', '--sequence.seed', '99'])).log
    expect(withVitestShuffle).toEqual(plain)
  })

  test('--shard 1/2 and 2/2 run every test exactly once, each in seeded order', async () => {
    const project = suite()
    const full = (await ran(project, '31')).log
    const one = (await ran(project, '31', ['--shard', '1/2'])).log
    const two = (await ran(project, '31', ['--shard', '2/2'])).log
    expect([...one, ...two].sort()).toEqual([...full].sort())
    expect(one.length).toBeGreaterThan(0)
    expect(two.length).toBeGreaterThan(0)
    // A shard's order is the full run's order restricted to its tests (subset stability).
    expect(one).toEqual(full.filter((l) => one.includes(l)))
    expect(two).toEqual(full.filter((l) => two.includes(l)))
  })

  test('seed: commit derives the seed from the commit, FLAKESEED_SEED overrides the config', async () => {
    const project = createProject({
      'vitest.config.ts': config(`{ db: false, seed: 'commit' }`, SERIAL),
      'test/a.test.ts': testFile('a', 1, 2),
    })
    const outside = await project.runVitest()
    // The sandbox is not a git repository (a Docker build context, a tarball): the tests still
    // run, under a random seed, and one line says why.
    expect(outside.code, outside.output).toBe(0)
    const warning = outside.output.split('\n').filter((l) => l.includes(`seed 'commit' needs a git commit`))
    expect(warning).toHaveLength(1)
    const random = /using random seed (\d+)$/.exec(warning[0]!.trim())![1]
    expect(outside.stdout).toContain(`flakeseed seed ${random} ·`)
    const sha = gitInit(project)
    const byCommit = await project.runVitest()
    expect(byCommit.stdout).toContain(`flakeseed seed ${sha.slice(0, 12)} ·`)
    expect((await project.runVitest([], { FLAKESEED_SEED: '8' })).stdout).toContain('flakeseed seed 8 ·')
  })
})

describe("the user's own reporters and pool", () => {
  test("task.meta.flakeseed gives their reporter each test's position, seed and worker; threads and the json reporter keep working", async () => {
    const project = createProject({
      'vitest.config.ts': [
        `import { defineConfig } from 'vitest/config'`,
        `import flakeseed from 'flakeseed'`,
        `import { appendFileSync } from 'node:fs'`,
        `const mine = { onTestCaseResult(t) { appendFileSync('meta.log', JSON.stringify({ file: t.module.moduleId.split('/').pop(), ...t.meta().flakeseed }) + '\\n') } }`,
        `export default defineConfig({ plugins: [flakeseed({ db: false })], test: { pool: 'threads', reporters: ['default', 'json', mine], outputFile: { json: 'out.json' } } })`,
      ].join('\n'),
      'test/a.test.ts': testFile('a', 2, 3),
      'test/b.test.ts': testFile('b', 1, 4),
    })
    const result = await project.runVitest([], { FLAKESEED_SEED: '11' })
    expect(result.code, result.output).toBe(0)
    expect(result.stdout).toContain('flakeseed seed 11 · 2 files shuffled')
    const metas = readFileSync(join(project.dir, 'meta.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { file: string; name: string; index: number; seed: string; worker: string })
    expect(metas).toHaveLength(10)
    expect(new Set(metas.map((m) => m.seed))).toEqual(new Set(['11']))
    // A threads pool's worker is a thread: the process and its thread id (a fork is its process alone).
    expect(metas.map((m) => m.worker)).toEqual(metas.map(() => expect.stringMatching(/^\d+\.\d+$/)))
    // Each file's positions are 0…n-1, and match the order its tests logged.
    for (const [file, count] of [
      ['a', 6],
      ['b', 4],
    ] as const) {
      const own = result.log.filter((l) => l.startsWith(`${file} `))
      const positions = own.map((l) => metas.find((m) => m.file === `${file}.test.ts` && l === `${file} ${m.name.replace(' > ', ' ')}`)!.index)
      expect(positions).toEqual(Array.from({ length: count }, (_, i) => i))
    }
    const json = JSON.parse(readFileSync(join(project.dir, 'out.json'), 'utf8')) as { numPassedTests: number }
    expect(json.numPassedTests).toBe(10)
  })
})

describe('Math.random per test', () => {
  const file = [
    `import { afterAll, describe, expect, test } from 'vitest'`,
    LOG,
    `describe('r', () => {`,
    `  test('draws', () => log('draws ' + Math.random() + ' ' + Math.random()))`,
    `  test('throws', () => { Math.random(); throw new Error('boom') })`,
    `  test('other', () => log('other ' + Math.random()))`,
    `  afterAll(() => log('native ' + /\\[native code\\]/.test(Function.prototype.toString.call(Math.random))))`,
    `})`,
  ].join('\n')

  test('is the same under one seed, different under another, and restored after a throwing test', async () => {
    const project = createProject({ 'vitest.config.ts': config(`{ db: false }`), 'test/r.test.ts': file })
    const values = async (seed: string) => {
      const result = await project.runVitest([], { FLAKESEED_SEED: seed })
      expect(result.code).toBe(1) // the throwing test fails; nothing else does
      expect(result.log).toContain('native true')
      return result.log.filter((l) => !l.startsWith('native')).sort()
    }
    const a = await values('1')
    expect(await values('1')).toEqual(a)
    expect(await values('2')).not.toEqual(a)
    const [draw1, draw2] = a
      .find((l) => l.startsWith('draws'))!
      .split(' ')
      .slice(1)
      .map(Number)
    expect(draw1).not.toBe(draw2)
  })

  test('a Math.random the user mocked (setup file, module level, beforeAll) is left to them', async () => {
    const project = createProject({
      'vitest.config.ts': config(`{ db: false }`, `setupFiles: ['./setup.ts']`),
      'setup.ts': `if (process.env.SETUP_MOCK) Math.random = () => 0.25\n`,
      'test/setup.test.ts': [
        `import { expect, test } from 'vitest'`,
        `test('sees the setup file mock', () => { if (process.env.SETUP_MOCK) expect(Math.random()).toBe(0.25) })`,
      ].join('\n'),
      'test/module.test.ts': [
        `import { expect, test, vi } from 'vitest'`,
        `vi.spyOn(Math, 'random').mockReturnValue(0.42)`,
        `test('sees the module-level spy', () => { expect(Math.random()).toBe(0.42) })`,
      ].join('\n'),
      'test/hook.test.ts': [
        `import { afterAll, beforeAll, describe, expect, test } from 'vitest'`,
        LOG,
        `const native = Math.random`,
        `describe('mocked', () => {`,
        `  beforeAll(() => { Math.random = () => 0.7 })`,
        `  afterAll(() => { Math.random = native })`,
        `  test('sees the beforeAll mock', () => { expect(Math.random()).toBe(0.7) })`,
        `})`,
        // After the mock is gone, tests are reseeded again: the same draw under one seed.
        `test('seeded again', () => { log('draw ' + Math.random()) })`,
      ].join('\n'),
    })
    const draws: string[] = []
    for (const [seed, env] of [
      ['3', {}],
      ['3', { SETUP_MOCK: '1' }],
      ['3', {}],
      ['4', {}],
    ] as const) {
      const result = await project.runVitest([], { FLAKESEED_SEED: seed, ...env })
      expect(result.code, result.output).toBe(0)
      expect(result.stdout).toMatch(/Tests\s+4 passed/)
      draws.push(result.log.find((l) => l.startsWith('draw '))!)
    }
    // The setup file's mock is the user's from the start (draw 0.25); without it, seeded draws.
    const [first, , again, other] = draws
    expect(draws[1]).toBe('draw 0.25')
    expect(first).toMatch(/^draw 0\.\d+/)
    expect(again).toBe(first)
    expect(other).not.toBe(first)
  })

  test('reseedRandom: false leaves Math.random alone', async () => {
    const project = createProject({ 'vitest.config.ts': config(`{ db: false, reseedRandom: false }`), 'test/r.test.ts': file })
    const draws = async () => (await project.runVitest([], { FLAKESEED_SEED: '1' })).log.find((l) => l.startsWith('draws'))
    const [first, second] = [await draws(), await draws()]
    expect(first).toMatch(/^draws 0\.\d+ 0\.\d+$/)
    expect(second).toMatch(/^draws 0\.\d+ 0\.\d+$/)
    expect(second).not.toEqual(first)
  })
})

describe('bad options', () => {
  for (const [options, message] of [
    [`{ sead: 1 }`, `flakeseed: unknown option "sead"`],
    [`{ seed: true }`, `flakeseed: option "seed" must be`],
    [`{ reseedRandom: 'yes' }`, `flakeseed: option "reseedRandom" must be true or false`],
    [`{ db: 3 }`, `flakeseed: option "db" must be a file path or false`],
  ] as const) {
    test(`${options} fails at config load naming the option`, async () => {
      const project = createProject({ 'vitest.config.ts': config(options), 'test/a.test.ts': testFile('a', 1, 1) })
      const result = await project.runVitest()
      expect(result.code).not.toBe(0)
      expect(result.output).toContain(message)
      expect(result.log).toEqual([])
    })
  }
})
