import { describe, expect, test } from 'vitest'
import { disambiguate, orderKey, planTestIds, randomFor, restrictPlan, sortByKey, testId } from '../../src/order.js'

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
    expect(sortByKey(['a', 'b', 'c', 'd', 'e'], '1183', (x) => x)).toEqual(['a', 'b', 'e', 'd', 'c'])
    expect(orderKey('1183', 'test/a.test.ts')).toBeCloseTo(0.256632, 5)
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

  test('every item lands in every position about equally often', () => {
    const n = 8
    const items = Array.from({ length: n }, (_, i) => `t${i}`)
    const seeds = 4000
    const counts = items.map(() => new Array<number>(n).fill(0))
    for (let s = 0; s < seeds; s++) {
      sortByKey(items, String(s), (x) => x).forEach((item, position) => counts[items.indexOf(item)]![position]!++)
    }
    const expected = seeds / n
    // Chi-square over all 64 cells, 49 degrees of freedom: 99.9th percentile is about 85.
    let chi = 0
    for (const row of counts) for (const c of row) chi += (c - expected) ** 2 / expected
    expect(chi).toBeLessThan(85)
    for (const row of counts) for (const c of row) expect(Math.abs(c - expected)).toBeLessThan(expected * 0.25)
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

  test('restricting a plan keeps its order and drops emptied files', () => {
    const plan = {
      files: [
        { project: '', file: 'b.ts', tests: ['x', 'y', 'z'] },
        { project: '', file: 'a.ts', tests: ['q'] },
      ],
    }
    const kept = restrictPlan(plan, (id) => id !== 'b.ts > y' && id !== 'a.ts > q')
    expect(kept).toEqual({ files: [{ project: '', file: 'b.ts', tests: ['x', 'z'] }] })
    expect(planTestIds(plan)).toEqual(['b.ts > x', 'b.ts > y', 'b.ts > z', 'a.ts > q'])
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
