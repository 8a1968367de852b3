// Test identity: ids are unique within a file whatever the titles are, and a recorded name maps
// back to the names it may have been declared with.
import { describe, expect, test } from 'vitest'
import { declaredNames, disambiguate, isTypecheckProject, testId, typecheckProject } from '../../src/core/names.js'
import { prng } from '../helpers/files.js'

describe('disambiguate', () => {
  test('a repeated name gets the next suffix no real name of the file has', () => {
    expect(disambiguate(['dup', 'dup', 'dup (2)', 'x (2)'])).toEqual(['dup', 'dup (3)', 'dup (2)', 'x (2)'])
    expect(disambiguate(['a', 'a', 'a', 'a (3)'])).toEqual(['a', 'a (2)', 'a (4)', 'a (3)'])
    expect(disambiguate(['a (2)', 'a (2)', 'a', 'a'])).toEqual(['a (2)', 'a (2) (2)', 'a', 'a (3)'])
    // Unchanged where nothing collides: the ids recorded before this rule stay the same.
    expect(disambiguate(['t', 't', 't', 'u'])).toEqual(['t', 't (2)', 't (3)', 'u'])
  })

  test('random titles drawn from a few colliding shapes always give distinct ids', () => {
    const random = prng(16)
    const shapes = ['a', 'a (2)', 'a (3)', 'a (2) (2)', 'b (1)', 'a (02)', 'b']
    for (let round = 0; round < 500; round++) {
      const names = Array.from({ length: 1 + Math.floor(random() * 12) }, () => shapes[Math.floor(random() * shapes.length)]!)
      const ids = disambiguate(names)
      expect(new Set(ids).size, JSON.stringify(names)).toBe(names.length)
      // The first occurrence keeps its name, and every id comes from its own name.
      names.forEach((name, i) => {
        if (names.indexOf(name) === i) expect(ids[i]).toBe(name)
        expect(declaredNames(ids[i]!)).toContain(name)
      })
    }
  })
})

describe('declaredNames', () => {
  test('a name ending in (k) may be a real title or a suffixed repeat', () => {
    expect(declaredNames('x (2)')).toEqual(['x (2)', 'x'])
    expect(declaredNames('a > b (2) (3)')).toEqual(['a > b (2) (3)', 'a > b (2)'])
    expect(declaredNames('x')).toEqual(['x'])
    expect(declaredNames('x (a)')).toEqual(['x (a)'])
  })
})

describe('type checks', () => {
  test("a type check is recorded under its project marked (typecheck), an id apart from the run's test", () => {
    expect(typecheckProject('')).toBe('(typecheck)')
    expect(typecheckProject('zod')).toBe('zod (typecheck)')
    expect(testId(typecheckProject(''), 'a.test.ts', 't')).toBe('(typecheck):a.test.ts > t')
    expect(testId(typecheckProject('zod'), 'a.test.ts', 't')).not.toBe(testId('zod', 'a.test.ts', 't'))
    expect([typecheckProject(''), typecheckProject('zod')].every(isTypecheckProject)).toBe(true)
    expect(['', 'zod', 'typecheck', 'zod(typecheck)'].some(isTypecheckProject)).toBe(false)
  })
})
