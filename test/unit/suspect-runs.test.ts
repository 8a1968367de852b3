// What the store hands the suspects ranking, on histories written through the Store API into a
// real SQLite file: the tests that shared a test's process before it, run by run, under isolated
// files, shared workers, shards, skips and replays; and the counts `flaky` reads for many tests
// at once agreeing with the lists, on both of the store's read paths.
import { describe, expect, test } from 'vitest'
import { executionKeys } from '../../src/analysis/flakiness.js'
import { tallySuspects } from '../../src/analysis/suspects.js'
import type { RecordedTest, TestState } from '../../src/core/model.js'
import { testId } from '../../src/core/names.js'
import { flakyWindow } from '../../src/store/flaky.js'
import type { Store } from '../../src/store/index.js'
import { suspectRuns, suspectRunsOf, suspectTallies, windowRuns } from '../../src/store/suspects.js'
import { prng } from '../helpers/files.js'
import { runMeta, tempStore as store } from '../helpers/store.js'

let started = 1_000_000

interface RunSpec {
  kind?: string
  isolate?: boolean | null
  shard?: string | null
  seed?: string
  /** [file, name, worker, state] in executed order; files numbered by first appearance. */
  tests: Array<[string, string, number | null, TestState]>
}

/** Writes one finished run; its id. Each test's position counts within its file, in the order given. */
function add(s: Store, spec: RunSpec): number {
  started += 1000
  const id = s.beginRun(
    runMeta({
      uuid: `run-${started}`,
      kind: spec.kind ?? 'run',
      startedAt: started,
      seed: spec.seed ?? String(started),
      commitSha: 'c',
      dirty: false,
      shard: spec.shard ?? null,
      pool: 'forks',
      isolate: spec.isolate === undefined ? true : spec.isolate,
      fileParallelism: false,
    }),
  )
  const files: string[] = []
  const positions = new Map<string, number>()
  const rows = spec.tests.map(([file, name, worker, state]): RecordedTest & { durationMs: number; retries: number; flaky: boolean; error: null } => {
    if (!files.includes(file)) files.push(file)
    const testIndex = positions.get(file) ?? 0
    positions.set(file, testIndex + 1)
    return { project: '', file, name, fileIndex: files.indexOf(file), testIndex, worker, state, durationMs: 1, retries: 0, flaky: false, error: null }
  })
  // Written in another order than they ran: the store must sort them back.
  s.writeResults(id, [...rows].reverse())
  s.finishRun(id, spec.tests.some((t) => t[3] === 'failed') ? 'failed' : 'passed')
  return id
}

const A = (name: string) => testId('', 'a.test.ts', name)
const B = (name: string) => testId('', 'b.test.ts', name)

describe('suspectRuns', () => {
  test('isolated files: the earlier tests of its own file that ran, in executed order', () => {
    const s = store()
    const r1 = add(s, {
      tests: [
        ['b.test.ts', 'x', 1, 'passed'],
        ['a.test.ts', 'p', 1, 'passed'],
        ['a.test.ts', 'skipped', 1, 'skipped'],
        ['a.test.ts', 'q', 1, 'passed'],
        ['a.test.ts', 'v', 1, 'failed'],
        ['a.test.ts', 'after', 1, 'passed'],
      ],
    })
    // A replay, and a run where the victim was skipped, are not runs of the suite to learn from.
    add(s, { kind: 'replay', tests: [['a.test.ts', 'v', 1, 'passed']] })
    add(s, {
      tests: [
        ['a.test.ts', 'p', 1, 'passed'],
        ['a.test.ts', 'v', 1, 'skipped'],
      ],
    })
    // isolate unknown (an old run) counts as isolated, Vitest's default.
    const r4 = add(s, {
      isolate: null,
      tests: [
        ['b.test.ts', 'x', 1, 'passed'],
        ['a.test.ts', 'v', 1, 'passed'],
        ['a.test.ts', 'p', 1, 'passed'],
      ],
    })
    expect(suspectRuns(s, A('v'))).toEqual([
      { run: r1, state: 'failed', before: [A('p'), A('q')] },
      { run: r4, state: 'passed', before: [] },
    ])
    // The exact id only: a part of one names nothing here (the CLI resolves parts).
    expect(suspectRuns(s, 'a.test.ts > v'.slice(0, 8))).toEqual([])
    s.close()
  })

  test('without isolation: the earlier tests of its worker across files; an unknown worker may have been any', () => {
    const s = store()
    const run = add(s, {
      isolate: false,
      tests: [
        ['b.test.ts', 'w1', 1, 'passed'],
        ['b.test.ts', 'w2', 2, 'passed'],
        ['b.test.ts', 'unknown', null, 'passed'],
        ['a.test.ts', 'p', 1, 'passed'],
        ['a.test.ts', 'v', 1, 'failed'],
        ['a.test.ts', 'later', 1, 'passed'],
      ],
    })
    expect(suspectRuns(s, A('v'))).toEqual([{ run, state: 'failed', before: [B('w1'), B('unknown'), A('p')] }])
    s.close()
  })

  test('the shards of one build are one run in the window, each with its own order', () => {
    const s = store()
    const old = add(s, {
      tests: [
        ['a.test.ts', 'p', 1, 'passed'],
        ['a.test.ts', 'v', 1, 'passed'],
      ],
    })
    // One build in two shards (same commit, seed and count): the victim ran in shard 2.
    const one = add(s, { seed: 'S', shard: '1/2', tests: [['b.test.ts', 'x', 1, 'passed']] })
    const two = add(s, {
      seed: 'S',
      shard: '2/2',
      tests: [
        ['a.test.ts', 'q', 1, 'passed'],
        ['a.test.ts', 'v', 1, 'failed'],
      ],
    })
    expect(windowRuns(s)).toEqual([[old], [one, two]])
    expect(suspectRuns(s, A('v'))).toEqual([
      { run: old, state: 'passed', before: [A('p')] },
      { run: two, state: 'failed', before: [A('q')] },
    ])
    // The newest logical run is both shards.
    expect(suspectRuns(s, A('v'), { window: 1 })).toEqual([{ run: two, state: 'failed', before: [A('q')] }])
    s.close()
  })
})

describe('suspectTallies', () => {
  test('count what the lists say, for few tests and for most of the suite, across isolation, workers and shards, and from the rows flaky read', () => {
    const s = store()
    const random = prng(9)
    const files = ['a.test.ts', 'b.test.ts', 'c.test.ts', 'd.test.ts']
    const suite = files.flatMap((file) => Array.from({ length: 6 }, (_, i) => [file, `t${i}`] as const))
    const states: TestState[] = ['passed', 'passed', 'passed', 'failed', 'skipped']
    const shared = new Set<number>()
    for (let r = 0; r < 30; r++) {
      const isolate = r % 3 === 0 ? false : r % 7 === 0 ? null : true
      // Files shuffled, then each file's tests; every fifth run is a build in two shards.
      const order = [...files].sort(() => random() - 0.5).flatMap((file) => suite.filter((t) => t[0] === file).sort(() => random() - 0.5))
      const tests = order.map(([file, name]): [string, string, number | null, TestState] => [
        file,
        name,
        random() < 0.1 ? null : 1 + Math.floor(random() * 2),
        states[Math.floor(random() * states.length)]!,
      ])
      const ids =
        r % 5 === 4
          ? [
              add(s, { isolate, seed: `s${r}`, shard: '1/2', tests: tests.filter((t) => files.slice(0, 2).includes(t[0])) }),
              add(s, { isolate, seed: `s${r}`, shard: '2/2', tests: tests.filter((t) => !files.slice(0, 2).includes(t[0])) }),
            ]
          : [add(s, { isolate, tests })]
      if (isolate === false) for (const id of ids) shared.add(id)
    }
    const runs = windowRuns(s)
    expect(runs.length).toBe(30)
    const all = suite.map(([file, name]) => testId('', file, name))
    // One test (its file and runs only), and all of them (the whole window).
    for (const tests of [[all[3]!], all]) {
      const lists = suspectRunsOf(s, tests, runs)
      const tallies = suspectTallies(s, tests, runs)
      expect([...tallies.keys()].sort()).toEqual([...lists.keys()].sort())
      expect(tallies.size).toBe(tests.length)
      for (const test of tests) {
        const expected = tallySuspects(lists.get(test)!)
        const actual = tallies.get(test)!
        expect(actual.runs).toEqual(expected.runs)
        expect(new Map([...actual.before].sort())).toEqual(new Map([...expected.before].sort()))
        expect(Array.from(actual.preceding.failing).sort()).toEqual(Array.from(expected.preceding.failing).sort())
        expect(Array.from(actual.preceding.passing).sort()).toEqual(Array.from(expected.preceding.passing).sort())
      }
      // Other files' tests come before it only in runs without isolation, and there they do.
      const file = (id: string) => id.slice(0, id.indexOf(' > '))
      const crossing = [...lists].flatMap(([test, list]) => list.filter((r) => r.before.some((b) => file(b) !== file(test))))
      expect(crossing.length).toBeGreaterThan(0)
      expect(crossing.every((r) => shared.has(r.run))).toBe(true)
    }
    // flaky reads so flaky a history in key order (every test failed somewhere) and hands its rows on.
    const window = flakyWindow(s, { orderKeys: executionKeys })
    expect(window.histories.length).toBe(all.length)
    expect(window.rows?.size).toBe(runs.flat().length)
    const fromWindow = suspectTallies(s, all, runs, window.rows)
    expect(fromWindow).toEqual(suspectTallies(s, all, runs))
    // The same outcomes as one test's, read through the index.
    const one = s.db.prepare('SELECT id FROM tests WHERE file = ? AND name = ?').pluck().get('b.test.ts', 't2') as number
    const alone = flakyWindow(s, { orderKeys: executionKeys, tests: [one] })
    expect(alone.rows).toBeUndefined()
    expect(alone.histories).toEqual(window.histories.filter((h) => h.test === B('t2')))
    s.close()
  })
})
