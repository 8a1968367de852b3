// The plugin's options as a config file gives them: defaults, validation in one line, and the
// environment variables that override the end-of-run bisect.
import { describe, expect, test } from 'vitest'
import { checkBudget, endOfRunBisect, MAX_BISECT_BUDGET, parseSeconds, resolveOptions } from '../../src/plugin/options.js'

describe('the bisect option', () => {
  test('off by default, 120 s when on; a mistake names the option', () => {
    expect(resolveOptions({}).bisect).toEqual({ onFailure: 'off', budget: 120 })
    expect(resolveOptions({ bisect: { onFailure: 'new', budget: 30 } }).bisect).toEqual({ onFailure: 'new', budget: 30 })
    expect(() => resolveOptions({ bisect: { onFailure: 'all' } })).toThrow(`flakeseed: option "bisect.onFailure" must be 'new' or 'off', got "all"`)
    expect(() => resolveOptions({ bisect: { budget: 0 } })).toThrow('flakeseed: option "bisect.budget" must be a number of seconds above 0, got number 0')
    expect(() => resolveOptions({ bisect: { budjet: 5 } })).toThrow('flakeseed: unknown option "bisect.budjet" (known: onFailure, budget)')
    expect(() => resolveOptions({ bisect: true })).toThrow(/option "bisect" must be an object/)
  })

  test('FLAKESEED_BISECT and FLAKESEED_BISECT_BUDGET override it; a bad value is a warning and changes nothing', () => {
    const off = resolveOptions({}).bisect
    const on = resolveOptions({ bisect: { onFailure: 'new' } }).bisect
    expect(endOfRunBisect(off, {})).toEqual({ budget: undefined })
    expect(endOfRunBisect(on, {})).toEqual({ budget: 120 })
    expect(endOfRunBisect(off, { FLAKESEED_BISECT: 'new', FLAKESEED_BISECT_BUDGET: '45' })).toEqual({ budget: 45 })
    expect(endOfRunBisect(on, { FLAKESEED_BISECT: 'off' })).toEqual({ budget: undefined })
    expect(endOfRunBisect(on, { FLAKESEED_BISECT: 'yes', FLAKESEED_BISECT_BUDGET: 'soon' })).toEqual({
      budget: 120,
      warning: `flakeseed: FLAKESEED_BISECT="yes" is not 'new' or 'off'; FLAKESEED_BISECT_BUDGET="soon" is not a number of seconds above 0: ignored`,
    })
  })

  test('a budget above 24 h (no timer holds 1e9 s) is a warning, and the bisect gets 24 h', () => {
    const on = resolveOptions({ bisect: { onFailure: 'new' } }).bisect
    expect(endOfRunBisect(on, { FLAKESEED_BISECT_BUDGET: '86400' })).toEqual({ budget: MAX_BISECT_BUDGET })
    expect(endOfRunBisect(on, { FLAKESEED_BISECT_BUDGET: '1e3' })).toEqual({ budget: 1000 })
    for (const value of ['1000000000', '1e9', '86400.5']) {
      expect(endOfRunBisect(on, { FLAKESEED_BISECT_BUDGET: value }), value).toEqual({
        budget: 86_400,
        warning: `flakeseed: FLAKESEED_BISECT_BUDGET="${value}" is more than the longest budget, 86400 s (24 h): using 86400 s`,
      })
    }
    const option = resolveOptions({ bisect: { onFailure: 'new', budget: 1e9 } }).bisect
    expect(endOfRunBisect(option, {})).toEqual({
      budget: 86_400,
      warning: 'flakeseed: option "bisect.budget" (1000000000) is more than the longest budget, 86400 s (24 h): using 86400 s',
    })
    // The longest budget, with the grace the run gives the bisect to close, still fits a timer.
    expect(MAX_BISECT_BUDGET * 1000 + 30_000).toBeLessThan(2 ** 31 - 1)
  })

  test('a number of seconds as typed: decimals and exponents are numbers; anything else is not', () => {
    expect(['120', '1.5', '.5', '1e9', '1E3', '2e-1'].map(parseSeconds)).toEqual([120, 1.5, 0.5, 1e9, 1000, 0.2])
    expect(['', 'soon', '-5', '0x10', 'Infinity', '1e', '1,5'].map(parseSeconds)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ])
    expect([1, 86_400, 0, 86_401, 1e9, undefined].map(checkBudget)).toEqual(['ok', 'ok', 'not-seconds', 'too-long', 'too-long', 'not-seconds'])
  })
})
