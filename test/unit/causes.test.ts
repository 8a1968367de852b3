import { describe, expect, test } from 'vitest'
import { causeGroups, causeHeader } from '../../src/analysis/causes.js'

const victim = (test: string, polluters: string[]) => ({ test, finding: { kind: 'victim', polluters } })

describe('causeGroups', () => {
  test('victims of the same polluters (in any order) are one group, in the order given; a lone victim is no group', () => {
    const groups = causeGroups([
      victim('v1', ['p']),
      { test: 'b', finding: { kind: 'brittle', polluters: [] } },
      victim('w1', ['q', 'r']),
      { test: 'none', finding: null },
      victim('v2', ['p']),
      victim('w2', ['r', 'q']),
      victim('alone', ['s']),
      { test: 'indep', finding: { kind: 'independent', polluters: ['p'] } },
    ])
    expect(groups).toEqual([
      { polluters: ['p'], victims: ['v1', 'v2'] },
      { polluters: ['q', 'r'], victims: ['w1', 'w2'] },
    ])
  })

  test('the header says how many polluters and victims', () => {
    expect(causeHeader({ polluters: ['p'], victims: ['a', 'b', 'c'] })).toBe('1 polluter, 3 victims: fix once')
    expect(causeHeader({ polluters: ['p', 'q'], victims: ['a', 'b'] })).toBe('2 polluters together, 2 victims: fix once')
  })
})
