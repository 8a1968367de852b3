// Rules written once and used in several places: the decimal options, the left-out-runs
// sentence, an error's first line.
import { describe, expect, test } from 'vitest'
import { positiveDays, percentage } from '../../cli/common.js'
import { firstLine } from '../../src/core/errors.js'
import { leftOutRuns, parseDecimal } from '../../src/core/format.js'
import { parseSeconds } from '../../src/plugin/options.js'

describe('parseDecimal', () => {
  test('takes what a user types for a number, and nothing else', () => {
    expect(['120', '1.5', '.5', '5.', '1e3', '2E-1', '0'].map(parseDecimal)).toEqual([120, 1.5, 0.5, 5, 1000, 0.2, 0])
    for (const bad of ['', ' 1', '-1', '+1', '1,5', '0x10', 'Infinity', 'NaN', '1e', '.', '1.2.3', 'soon']) expect(parseDecimal(bad), bad).toBeUndefined()
  })

  test('seconds, days and percentages read numbers by that one rule', () => {
    expect(parseSeconds('1e3')).toBe(1000)
    expect(positiveDays('.5')).toBe(0.5)
    expect(percentage('12.5%')).toBe(0.125)
    expect(percentage(' 50 ')).toBe(0.5)
    expect(() => positiveDays('0')).toThrow('must be a number of days above 0')
    expect(() => percentage('50%%')).toThrow('must be a percentage above 0 and at most 100')
    expect(() => percentage('101')).toThrow('must be a percentage above 0 and at most 100')
  })
})

describe('leftOutRuns', () => {
  test('one run and several, with the scope after "left out" and the note after the ids', () => {
    expect(leftOutRuns(['4 (80%)'], 0.5, { note: '--max-run-failure-rate 100 keeps them' })).toBe(
      '1 run left out: more than 50% of its tests failed (run 4 (80%); --max-run-failure-rate 100 keeps them)',
    )
    expect(leftOutRuns(['4 (80%)', '7 (100%)'], 0.5, { scope: ' of rates and classes' })).toBe(
      '2 runs left out of rates and classes: more than 50% of their tests failed (runs 4 (80%), 7 (100%))',
    )
  })
})

describe('firstLine', () => {
  test("an error's message, a string, or anything thrown, to its first line", () => {
    expect(firstLine(new Error('database is locked\n    at Database.prepare'))).toBe('database is locked')
    expect(firstLine('one\ntwo')).toBe('one')
    expect(firstLine({ message: 'shaped like an error\nmore' })).toBe('shaped like an error')
    expect(firstLine(null)).toBe('null')
    expect(firstLine(42)).toBe('42')
  })
})
