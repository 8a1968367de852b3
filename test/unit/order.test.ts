import seedrandomTychei from 'seedrandom/lib/tychei.js'
import { describe, expect, test } from 'vitest'
import { orderKey, randomFor, sortByKey } from '../../src/core/order.js'
import { tychei } from '../../src/core/tychei.js'
import { disambiguate, testId } from '../../src/core/names.js'

const ids = Array.from({ length: 50 }, (_, i) => `test/file.test.ts > suite > test ${i}`)
const sorted = (seed: string, items = ids) => sortByKey(items, seed, (x) => x)

describe('orderKey', () => {
  test('depends only on seed and id', () => {
    expect(orderKey('1', 'a')).toBe(orderKey('1', 'a'))
    expect(orderKey('1', 'a')).not.toBe(orderKey('2', 'a'))
    expect(orderKey('1', 'a')).not.toBe(orderKey('1', 'b'))
    expect(orderKey('1', 'a')).toBeGreaterThanOrEqual(0)
    expect(orderKey('1', 'a')).toBeLessThan(1)
  })

  test('is pinned: the same seed gives the same order in every release', () => {
    // If this changes, every recorded seed replays a different order: a breaking change.
    expect(sortByKey(['a', 'b', 'c', 'd', 'e'], '1183', (x) => x)).toEqual(['c', 'd', 'e', 'a', 'b'])
    expect(orderKey('1183', 'test/a.test.ts')).toBeCloseTo(0.935215, 5)
  })
})

describe('tychei', () => {
  /** Random strings of every kind of UTF-16 unit: ASCII, NUL, Latin, CJK, lone and paired surrogates. */
  function strings(count: number): string[] {
    let state = 12345
    const rand = (n: number) => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0
      return state % n
    }
    const units = [() => 32 + rand(95), () => 0, () => 128 + rand(400), () => 0x4e00 + rand(2000), () => 0xd800 + rand(0x800), () => rand(0x10000)]
    const out = ['', 'a', '1183', '1183\u0000test/a.test.ts', `7\u0000random\u0000${'x'.repeat(300)}`]
    while (out.length < count) out.push(String.fromCharCode(...Array.from({ length: rand(120) }, () => units[rand(units.length)]!())))
    return out
  }

  test("draws what seedrandom's Tyche-i draws, seed for seed and draw for draw", () => {
    for (const seed of strings(2000)) {
      const ours = tychei(seed)
      const theirs = seedrandomTychei(seed)
      for (let i = 0; i < 8; i++) expect(ours()).toBe(theirs.double())
    }
  })
})

describe('sortByKey', () => {
  test('is deterministic and independent of the input order', () => {
    expect(sorted('7')).toEqual(sorted('7'))
    expect(sorted('7', [...ids].reverse())).toEqual(sorted('7'))
    expect(sorted('7')).not.toEqual(sorted('8'))
    expect([...sorted('7')].sort()).toEqual([...ids].sort())
  })

  test('subset stability: removing and adding items keeps the others in relative order', () => {
    for (const seed of ['1', '2', 'abc', '99999']) {
      const full = sorted(seed)
      const subset = ids.filter((_, i) => i % 3 !== 0)
      expect(sorted(seed, subset)).toEqual(full.filter((x) => subset.includes(x)))
      const grown = [...ids, 'new one', 'another new one']
      expect(sorted(seed, grown).filter((x) => ids.includes(x))).toEqual(full)
    }
  })

  // Chi-square over every (item, position) cell, df = (n - 1)². Too high: some positions are
  // favoured. Too low: the keys are not independent (a linear generator gives ids that differ in
  // one character keys with a fixed XOR difference, so a few permutations come up evenly).
  // Bounds are the 0.1th and 99.9th percentiles.
  function chiSquare(items: string[], seeds: string[]): { chi: number; worst: number } {
    const n = items.length
    const index = new Map(items.map((x, i) => [x, i]))
    const counts = items.map(() => new Array<number>(n).fill(0))
    for (const seed of seeds) for (const [position, item] of sortByKey(items, seed, (x) => x).entries()) counts[index.get(item)!]![position]!++
    const expected = seeds.length / n
    let chi = 0
    let worst = 0
    for (const row of counts) {
      for (const c of row) {
        chi += (c - expected) ** 2 / expected
        worst = Math.max(worst, Math.abs(c - expected) / expected)
      }
    }
    return { chi, worst }
  }
  const seeds = (from: number, count: number) => Array.from({ length: count }, (_, i) => String(from + i))

  test('every item lands in every position about equally often', () => {
    const items = Array.from({ length: 8 }, (_, i) => `t${i}`)
    const { chi, worst } = chiSquare(items, seeds(0, 4000))
    // 49 degrees of freedom.
    expect(chi).toBeGreaterThan(24)
    expect(chi).toBeLessThan(85)
    expect(worst).toBeLessThan(0.25)
  })

  test('consecutive seeds and ids that differ in one middle character are as good as random', () => {
    const items = Array.from({ length: 8 }, (_, i) => `test/file${i}.test.ts > suite > test`)
    const { chi, worst } = chiSquare(items, seeds(1, 4000))
    expect(chi).toBeGreaterThan(24)
    expect(chi).toBeLessThan(85)
    expect(worst).toBeLessThan(0.25)
  })

  test('a 40-test describe: every test in every position about equally often', () => {
    const items = Array.from({ length: 40 }, (_, i) => `test/f.test.ts > d > test ${i}`)
    // 1,521 degrees of freedom.
    const { chi } = chiSquare(items, seeds(1, 2000))
    expect(chi).toBeGreaterThan(1351)
    expect(chi).toBeLessThan(1691)
  })

  test('two describes of the same size get different permutations (unlike Vitest’s own shuffle)', () => {
    const a = Array.from({ length: 6 }, (_, i) => `f > a > t${i}`)
    const b = Array.from({ length: 6 }, (_, i) => `f > b > t${i}`)
    const perm = (xs: string[]) => sortByKey(xs, '5', (x) => x).map((x) => x.slice(-2))
    expect(perm(a)).not.toEqual(perm(b))
  })
})

describe('names and plans', () => {
  test('repeated names get (2), (3) in declaration order', () => {
    expect(disambiguate(['a', 'b', 'a', 'a', 'b'])).toEqual(['a', 'b', 'a (2)', 'a (3)', 'b (2)'])
  })

  test('test ids carry the project only when it has a name', () => {
    expect(testId('', 'test/a.test.ts', 'd > t')).toBe('test/a.test.ts > d > t')
    expect(testId('web', 'test/a.test.ts', 'd > t')).toBe('web:test/a.test.ts > d > t')
  })

  test('Math.random replacement is pinned: a test draws the same values in every release', () => {
    const r = randomFor('1183', 'test/a.test.ts > d > t')
    expect([r(), r(), r()].map((x) => x.toFixed(6))).toEqual(['0.309752', '0.181781', '0.789082'])
  })

  test('Math.random replacement draws in [0, 1) with 53 random bits, like V8', () => {
    const r = randomFor('7', 'x')
    const draws = Array.from({ length: 2000 }, () => r())
    for (const x of draws) expect(x >= 0 && x < 1).toBe(true)
    // With 32-bit values every draw would be a multiple of 2^-32.
    expect(draws.some((x) => !Number.isInteger(x * 2 ** 32))).toBe(true)
    expect(new Set(draws).size).toBe(draws.length)
  })

  test('Math.random replacement repeats per seed and test', () => {
    const draw = (seed: string, id: string) => {
      const r = randomFor(seed, id)
      return [r(), r(), r()]
    }
    expect(draw('1', 'x')).toEqual(draw('1', 'x'))
    expect(draw('1', 'x')).not.toEqual(draw('2', 'x'))
    expect(draw('1', 'x')).not.toEqual(draw('1', 'y'))
  })
})
