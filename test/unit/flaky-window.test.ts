// What the window hands the analysis besides outcomes (src/store/flaky.ts): runs of part of the
// suite and replays marked as evidence apart, and outcomes in a test's declaration order.
import { describe, expect, test } from 'vitest'
import { analyse, executionKeys } from '../../src/analysis/flakiness.js'
import type { TestState } from '../../src/core/model.js'
import { flakyWindow } from '../../src/store/flaky.js'
import type { Store } from '../../src/store/index.js'
import { runMeta, tempStore } from '../helpers/store.js'

let started = 1_000_000

/** One finished run on commit c: [file, name, state, error?] in executed order. */
function add(s: Store, seed: string, tests: Array<[string, string, TestState, string?]>, kind = 'run'): number {
  started += 1000
  const id = s.beginRun(runMeta({ uuid: `run-${started}`, kind, startedAt: started, seed, commitSha: 'c', dirty: false, isolate: true }))
  const files: string[] = []
  const positions = new Map<string, number>()
  s.writeResults(
    id,
    tests.map(([file, name, state, error]) => {
      if (!files.includes(file)) files.push(file)
      const testIndex = positions.get(file) ?? 0
      positions.set(file, testIndex + 1)
      return {
        project: '',
        file,
        name,
        fileIndex: files.indexOf(file),
        testIndex,
        worker: 1,
        state,
        durationMs: 1,
        retries: 0,
        flaky: false,
        error: error ?? null,
      }
    }),
  )
  s.finishRun(id, tests.some((t) => t[2] === 'failed') ? 'failed' : 'passed')
  return id
}

describe('flakyWindow', () => {
  test('a run that recorded fewer tests than another on its commit (a file filter) and a replay are evidence apart', () => {
    const s = tempStore()
    add(s, '1', [
      ['a.test.ts', 'x', 'passed'],
      ['a.test.ts', 'v', 'failed'],
      ['b.test.ts', 'only', 'passed'],
    ])
    add(s, '2', [
      ['a.test.ts', 'v', 'passed'],
      ['a.test.ts', 'x', 'passed'],
      ['b.test.ts', 'only', 'passed'],
    ])
    // `vitest run a.test.ts` under seed 1: b.test.ts is not recorded at all.
    add(s, '1', [
      ['a.test.ts', 'x', 'passed'],
      ['a.test.ts', 'v', 'passed'],
    ])
    // Skips vary a little from run to run: one more skipped test is still a full run.
    add(s, '3', [
      ['a.test.ts', 'v', 'passed'],
      ['a.test.ts', 'x', 'skipped'],
      ['b.test.ts', 'only', 'passed'],
    ])
    add(s, '1', [['a.test.ts', 'v', 'passed']], 'replay')
    const w = flakyWindow(s, { orderKeys: executionKeys })
    expect(w.runs.map((r) => r.partial)).toEqual([false, false, true, false])
    const v = w.histories.find((h) => h.test === 'a.test.ts > v')!
    expect(v.outcomes.map((o) => [o.seed, o.state, o.evidence ?? 'run'])).toEqual([
      ['1', 'failed', 'run'],
      ['2', 'passed', 'run'],
      ['1', 'passed', 'partial'],
      ['3', 'passed', 'run'],
      ['1', 'passed', 'replay'],
    ])
    s.close()
  })

  test("errors: 'last' reads only each test's last failure, among full runs and among partial ones: the rows are the same", () => {
    const s = tempStore()
    add(s, '1', [
      ['a.test.ts', 'x', 'passed'],
      ['a.test.ts', 'v', 'failed', 'v in run 1'],
      ['b.test.ts', 'only', 'passed'],
    ])
    add(s, '2', [
      ['a.test.ts', 'v', 'failed', 'v in run 2'],
      ['a.test.ts', 'x', 'failed', 'x in run 2'],
      ['b.test.ts', 'only', 'passed'],
    ])
    // A run of part of the suite, newer than every full failure.
    add(s, '1', [
      ['a.test.ts', 'x', 'passed'],
      ['a.test.ts', 'v', 'failed', 'v in part of the suite'],
    ])
    add(s, '3', [
      ['a.test.ts', 'v', 'passed'],
      ['a.test.ts', 'x', 'passed'],
      ['b.test.ts', 'only', 'passed'],
    ])
    const all = flakyWindow(s, { orderKeys: executionKeys, maxRunFailureRate: 1 })
    const allRows = analyse(all.histories, { minRuns: 1 })
    const last = flakyWindow(s, { orderKeys: executionKeys, maxRunFailureRate: 1, errors: 'last' })
    const errors = (w: typeof last) =>
      w.histories
        .map((h) => [h.test, h.outcomes.filter((o) => o.state === 'failed').map((o) => [o.run, o.error])] as const)
        .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    expect(errors(all)).toEqual([
      [
        'a.test.ts > v',
        [
          [1, 'v in run 1'],
          [2, 'v in run 2'],
          [3, 'v in part of the suite'],
        ],
      ],
      ['a.test.ts > x', [[2, 'x in run 2']]],
    ])
    expect(errors(last)).toEqual([
      [
        'a.test.ts > v',
        [
          [1, null],
          [2, 'v in run 2'],
          [3, 'v in part of the suite'],
        ],
      ],
      ['a.test.ts > x', [[2, 'x in run 2']]],
    ])
    expect(analyse(last.histories, { minRuns: 1 })).toEqual(allRows)
    expect(allRows.map((r) => r.lastFailure?.error)).toEqual(['v in run 2', 'x in run 2'])
    s.close()
  })

  test('an outcome is in its declaration order when the test is alone in its file and nothing ran before it', () => {
    const s = tempStore()
    add(s, '1', [
      ['a.test.ts', 'x', 'passed'],
      ['a.test.ts', 'v', 'failed'],
      ['b.test.ts', 'only', 'failed'],
    ])
    add(s, '2', [
      ['a.test.ts', 'v', 'failed'],
      ['a.test.ts', 'x', 'passed'],
      ['b.test.ts', 'only', 'failed'],
    ])
    const w = flakyWindow(s, { orderKeys: executionKeys, maxRunFailureRate: 1 })
    const first = (test: string) => w.histories.find((h) => h.test === test)!.outcomes.map((o) => o.declarationOrder)
    expect(first('b.test.ts > only')).toEqual([true, true])
    // First in its file in run 2, but not alone there: its declaration order is unknown.
    expect(first('a.test.ts > v')).toEqual([false, false])
    s.close()
  })

  test('walked one history at a time, the histories are the ones it keeps; one walk only', () => {
    const s = tempStore()
    add(s, '1', [
      ['a.test.ts', 'x', 'failed'],
      ['a.test.ts', 'v', 'failed'],
      ['b.test.ts', 'only', 'passed'],
    ])
    add(s, '2', [
      ['a.test.ts', 'v', 'passed'],
      ['a.test.ts', 'x', 'passed'],
      ['b.test.ts', 'only', 'failed'],
    ])
    add(s, '1', [['a.test.ts', 'v', 'passed']], 'replay')
    const kept = flakyWindow(s, { orderKeys: executionKeys, maxRunFailureRate: 1 }).histories
    expect(kept.map((h) => [h.test, h.outcomes.length])).toEqual([
      ['a.test.ts > x', 2],
      ['a.test.ts > v', 3],
      ['b.test.ts > only', 2],
    ])
    const w = flakyWindow(s, { orderKeys: executionKeys, maxRunFailureRate: 1 })
    expect([...w.eachHistory()]).toEqual(kept)
    expect(() => w.eachHistory()).toThrow(/once/)
    expect(() => w.histories).toThrow(/walked once/)
    s.close()
  })
})
