// The plugin's options as a config file gives them: defaults, validation in one line, and the
// environment variables that override the end-of-run bisect.
import { describe, expect, test } from 'vitest'
import { endOfRunBisect, resolveOptions } from '../../src/options.js'

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
})
