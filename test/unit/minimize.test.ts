import { describe, test, expect } from 'vitest'
import { minimize, type BisectEvent, type ProbeOutcome, type Probe } from '../../src/core/minimize.js'
import { prng } from '../helpers/files.js'

// Candidates are their own original positions, so "kept in original relative order" is simply
// "ascending" and a culprit set is a sorted list of indices.
const range = (n: number) => Array.from({ length: n }, (_, i) => i)
const opposite = (outcome: ProbeOutcome): ProbeOutcome => (outcome === 'fail' ? 'pass' : 'fail')
const bound = (n: number) => Math.ceil(Math.log2(n)) + 3

/**
 * The victim shows `target` when every culprit ran before it, like rspec's fake runner. Also
 * records each call and checks the search only ever asks for order-preserving subsets.
 */
function fakeProbe(culprits: readonly number[], target: ProbeOutcome = 'fail') {
  const calls: number[][] = []
  const probe: Probe<number> = async (candidates) => {
    if (candidates.some((c, i) => i > 0 && c <= (candidates[i - 1] as number))) {
      throw new Error(`probe got candidates out of order: ${candidates}`)
    }
    calls.push([...candidates])
    return culprits.every((c) => candidates.includes(c)) ? target : opposite(target)
  }
  return { probe, calls }
}

async function search(n: number, culprits: readonly number[], target: ProbeOutcome = 'fail') {
  const { probe, calls } = fakeProbe(culprits, target)
  const result = await minimize(range(n), probe, target)
  expect(result.probes).toBe(calls.length)
  return result
}

describe('minimize: one culprit', () => {
  // Exact counts so a change in the search shows up here, not only as a broken bound.
  test.each([
    [1, 0, 0],
    [7, 0, 2],
    [7, 3, 4],
    [7, 6, 4],
    [100, 0, 6],
    [100, 49, 8],
    [100, 99, 8],
    [2000, 0, 10],
    [2000, 999, 12],
    [2000, 1999, 12],
  ])('n=%i, culprit at %i: %i probes', async (n, culprit, probes) => {
    const result = await search(n, [culprit])
    expect(result).toEqual({ minimal: [culprit], probes, aborted: false })
    expect(probes).toBeLessThanOrEqual(bound(n))
  })

  test('stays within ⌈log₂ n⌉ + 1 probes at every position, n ≤ 130', async () => {
    for (let n = 1; n <= 130; n++) {
      for (let culprit = 0; culprit < n; culprit++) {
        const result = await search(n, [culprit])
        expect(result.minimal).toEqual([culprit])
        expect(result.probes).toBeLessThanOrEqual(Math.ceil(Math.log2(n)) + 1)
      }
    }
  })

  test('first probe is the first half alone', async () => {
    const { probe, calls } = fakeProbe([2])
    await minimize(range(10), probe, 'fail')
    expect(calls[0]).toEqual([0, 1, 2, 3, 4])
  })
})

describe('minimize: culprits that only act together', () => {
  test.each([
    ['split across halves', 16, [3, 12], 10],
    ['adjacent in one half', 16, [5, 6], 10],
    ['adjacent across the middle', 16, [7, 8], 10],
    ['first and last', 16, [0, 15], 9],
    ['far apart in a large set', 2000, [17, 1500], 23],
    ['a triple', 16, [2, 9, 14], 16],
    ['an adjacent triple', 16, [4, 5, 6], 15],
  ])('%s: n=%i %j in %i probes', async (_, n, culprits, probes) => {
    expect(await search(n, culprits)).toEqual({ minimal: culprits, probes, aborted: false })
  })

  test('exact for random culprit sets (200 seeded cases, n ≤ 64, 1–3 culprits)', async () => {
    const random = prng(20261101)
    for (let i = 0; i < 200; i++) {
      const n = 1 + Math.floor(random() * 64)
      const count = Math.min(n, 1 + Math.floor(random() * 3))
      const culprits = new Set<number>()
      while (culprits.size < count) culprits.add(Math.floor(random() * n))
      const expected = [...culprits].sort((a, b) => a - b)
      const result = await search(n, expected)
      expect(result.minimal, `n=${n} culprits=${expected}`).toEqual(expected)
      // Per culprit: one binary search over at most n and one confirming probe.
      expect(result.probes).toBeLessThanOrEqual(count * (Math.ceil(Math.log2(n)) + 2))
    }
  })

  test('drops a pin that later pins make redundant (non-monotone probe)', async () => {
    // 2 pollutes, 1 cleans up after it, 6 pollutes again only alongside 2. Searching prefixes
    // pins 6 first, then 2; {2} alone reproduces, so 6 is not part of a 1-minimal set.
    const calls: number[][] = []
    const probe: Probe<number> = async (set) => {
      calls.push([...set])
      return set.includes(2) && (!set.includes(1) || set.includes(6)) ? 'fail' : 'pass'
    }
    const result = await minimize(range(8), probe, 'fail')
    expect(result).toEqual({ minimal: [2], probes: 9, aborted: false })
    expect(calls.at(-1)).toEqual([2])
  })
})

describe('minimize: target pass (state-setters, cleaners)', () => {
  test('finds the state-setter a brittle victim needs', async () => {
    expect(await search(100, [37], 'pass')).toEqual({ minimal: [37], probes: 7, aborted: false })
  })

  test('finds two setters needed together', async () => {
    expect(await search(30, [4, 21], 'pass')).toEqual({ minimal: [4, 21], probes: 13, aborted: false })
  })
})

describe('minimize: flaky victim', () => {
  // The culprit's effect shows only 70 % of the time; without it the target never shows (the
  // caller has checked that the victim alone is steady, otherwise it is NOD, not bisected).
  function flakyProbe(culprit: number, seed: number) {
    const random = prng(seed)
    const probe: Probe<number> = async (set) => (set.includes(culprit) && random() < 0.7 ? 'fail' : 'pass')
    return probe
  }
  const seeds = range(20).map((i) => 1000 + i)

  test('with repeat=3 the search returns the true culprit for every seed', async () => {
    for (const seed of seeds) {
      const result = await minimize(range(64), flakyProbe(41, seed), 'fail', { repeat: 3 })
      expect(result.minimal, `seed ${seed}`).toEqual([41])
    }
  })

  test('with repeat=1 the same noise misleads the search (the test above is not vacuous)', async () => {
    let wrong = 0
    for (const seed of seeds) {
      const result = await minimize(range(64), flakyProbe(41, seed), 'fail')
      if (result.minimal.join() !== '41') wrong++
    }
    expect(wrong).toBeGreaterThan(0)
  })

  test('stops repeating as soon as the target shows, counts every run', async () => {
    // Culprit present: fails on the 2nd run. Culprit absent: passes 3 times.
    const outcomes = new Map<string, ProbeOutcome[]>()
    const probe: Probe<number> = async (set) => {
      const key = set.join()
      const seen = outcomes.get(key) ?? []
      const outcome: ProbeOutcome = set.includes(1) && seen.length === 1 ? 'fail' : 'pass'
      outcomes.set(key, [...seen, outcome])
      return outcome
    }
    const events: BisectEvent<number>[] = []
    const result = await minimize(range(4), probe, 'fail', { repeat: 3, onEvent: (e) => events.push(e) })
    expect(result).toEqual({ minimal: [1], probes: 7, aborted: false })
    expect(Object.fromEntries(outcomes)).toEqual({
      '0,1': ['pass', 'fail'],
      '0': ['pass', 'pass', 'pass'],
      '1': ['pass', 'fail'],
    })
    expect(events.filter((e) => e.type === 'probe').map((e) => e.attempt)).toEqual([1, 2, 1, 2, 3, 1, 2])
  })

  test('rejects a repeat that is not a positive integer', async () => {
    const { probe } = fakeProbe([0])
    await expect(minimize(range(4), probe, 'fail', { repeat: 0 })).rejects.toThrow(RangeError)
    await expect(minimize(range(4), probe, 'fail', { repeat: 1.5 })).rejects.toThrow(RangeError)
  })
})

describe('minimize: abort', () => {
  test('stops before the next probe and returns the smallest set seen to reproduce', async () => {
    const { probe, calls } = fakeProbe([70])
    const controller = new AbortController()
    const result = await minimize(range(100), probe, 'fail', {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'probe' && e.index === 3) controller.abort()
      },
    })
    // Probes: [0,50) pass, [0,75) fail, [0,62) pass; the best is the 75-test prefix.
    expect(calls.map((c) => c.length)).toEqual([50, 75, 62])
    expect(result).toEqual({ minimal: range(75), probes: 3, aborted: true })
  })

  test('returns all candidates when aborted before any probe reproduced', async () => {
    const { probe, calls } = fakeProbe([5])
    const controller = new AbortController()
    controller.abort()
    expect(await minimize(range(8), probe, 'fail', { signal: controller.signal })).toEqual({
      minimal: range(8),
      probes: 0,
      aborted: true,
    })
    expect(calls).toEqual([])
  })

  test('ignores the outcome of a probe cut short by the abort', async () => {
    const controller = new AbortController()
    // Killing the victim's run makes it look like a failure, which must not become "best".
    const probe: Probe<number> = async () => {
      controller.abort()
      return 'fail'
    }
    expect(await minimize(range(8), probe, 'fail', { signal: controller.signal })).toEqual({
      minimal: range(8),
      probes: 1,
      aborted: true,
    })
  })

  test('swallows a probe that rejects because of the abort, rethrows any other error', async () => {
    const controller = new AbortController()
    const aborting: Probe<number> = async () => {
      controller.abort()
      throw new Error('vitest run cancelled')
    }
    expect(await minimize(range(8), aborting, 'fail', { signal: controller.signal })).toMatchObject({
      aborted: true,
    })
    const broken: Probe<number> = async () => {
      throw new Error('worker crashed')
    }
    await expect(minimize(range(8), broken, 'fail')).rejects.toThrow('worker crashed')
  })
})

describe('minimize: events', () => {
  test('numbers every probe and reports the narrowing window and best set', async () => {
    const events: BisectEvent<number>[] = []
    const result = await minimize(range(8), fakeProbe([5]).probe, 'fail', {
      onEvent: (e) => events.push(e),
    })
    expect(result).toEqual({ minimal: [5], probes: 4, aborted: false })
    expect(events).toEqual([
      { type: 'probe', index: 1, attempt: 1, candidates: [0, 1, 2, 3], outcome: 'pass' },
      { type: 'progress', remaining: [4, 5, 6, 7], found: [], best: range(8) },
      { type: 'probe', index: 2, attempt: 1, candidates: [0, 1, 2, 3, 4, 5], outcome: 'fail' },
      { type: 'progress', remaining: [4, 5], found: [], best: range(6) },
      { type: 'probe', index: 3, attempt: 1, candidates: [0, 1, 2, 3, 4], outcome: 'pass' },
      { type: 'progress', remaining: [5], found: [], best: range(6) },
      { type: 'probe', index: 4, attempt: 1, candidates: [5], outcome: 'fail' },
    ])
  })

  test('never calls the probe when there is one candidate (the caller already ran it)', async () => {
    expect(await search(1, [0])).toEqual({ minimal: [0], probes: 0, aborted: false })
  })
})

describe('minimize: probes side by side (--jobs)', () => {
  /** A fake probe that counts rounds: probes started while another is running share a round. */
  function roundProbe(culprits: readonly number[]) {
    let running = 0
    let rounds = 0
    const probe: Probe<number> = async (candidates) => {
      if (running++ === 0) rounds++
      await new Promise((r) => setTimeout(r, 1))
      running--
      return culprits.every((c) => candidates.includes(c)) ? 'fail' : 'pass'
    }
    return { probe, rounds: () => rounds }
  }

  test('the same culprits as one by one, for random culprit sets (200 seeded cases)', async () => {
    const random = prng(1202)
    for (let i = 0; i < 200; i++) {
      const n = 1 + Math.floor(random() * 300)
      const count = Math.min(n, 1 + Math.floor(random() * 3))
      const culprits = new Set<number>()
      while (culprits.size < count) culprits.add(Math.floor(random() * n))
      const expected = [...culprits].sort((a, b) => a - b)
      const result = await minimize(range(n), fakeProbe(expected).probe, 'fail', { parallel: 2 })
      expect(result.minimal, `n=${n} culprits=${expected}`).toEqual(expected)
    }
  })

  test('one culprit among n in about ⌈log₃ n⌉ rounds with 2 at once, against ⌈log₂ n⌉ one by one', async () => {
    for (const n of [9, 100, 1883]) {
      for (const culprit of [0, Math.floor(n / 3), n - 1]) {
        const two = roundProbe([culprit])
        expect((await minimize(range(n), two.probe, 'fail', { parallel: 2 })).minimal).toEqual([culprit])
        const one = roundProbe([culprit])
        await minimize(range(n), one.probe, 'fail')
        expect(two.rounds(), `n=${n} culprit=${culprit}`).toBeLessThanOrEqual(Math.ceil(Math.log(n) / Math.log(3)) + 1)
        expect(two.rounds()).toBeLessThan(one.rounds() + (n < 10 ? 1 : 0))
      }
    }
  })

  test('cut points split a range into equal parts, distinct and inside it', async () => {
    const { cutPoints } = await import('../../src/core/minimize.js')
    expect(cutPoints(0, 9, 2)).toEqual([3, 6])
    expect(cutPoints(0, 2, 2)).toEqual([1])
    expect(cutPoints(5, 6, 2)).toEqual([])
  })
})
