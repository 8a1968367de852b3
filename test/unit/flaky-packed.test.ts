// `flakyWindow`'s packed histories (src/store/flaky-packed.ts) must say what its `WindowOutcome`s
// say: on random stored histories (seeded, so a failure replays) with shards, replays, runs of part
// of the suite, isolated and shared processes, a dirty tree, retries, quarantines and findings,
// `analysePacked` over the packed walk gives exactly the rows `analyse` gives over `histories`.
import { describe, expect, test } from 'vitest'
import { analyse, executionKeys } from '../../src/analysis/flakiness.js'
import { analysePacked } from '../../src/analysis/packed.js'
import { saveFinding } from '../../src/store/findings.js'
import { flakyWindow, type WindowOptions } from '../../src/store/flaky.js'
import type { ResultRow, Store } from '../../src/store/index.js'
import { prng } from '../helpers/files.js'
import { runMeta, tempStore } from '../helpers/store.js'

const FILES = 5
const TESTS = 4

/** One run's results: every test of `files`, a few skipped; failures at each test's own rate. */
function results(random: () => number, rates: number[], files: number): ResultRow[] {
  const rows: ResultRow[] = []
  // A shuffled order of files and of the tests inside each: positions change run to run.
  const order = (n: number) => Array.from({ length: n }, (_, i) => i).sort(() => random() - 0.5)
  for (const [fileIndex, f] of order(files).entries()) {
    // The last file holds one test: its first place is its declaration order.
    const tests = f === FILES - 1 ? [0] : order(TESTS)
    for (const [testIndex, t] of tests.entries()) {
      const state = random() < 0.03 ? 'skipped' : random() < rates[f * TESTS + t]! ? 'failed' : 'passed'
      const retried = state === 'passed' && random() < 0.05
      rows.push({
        project: '',
        file: `f${f}.test.ts`,
        name: `t${t}`,
        fileIndex,
        testIndex,
        worker: 1 + Math.floor(random() * 2),
        state,
        durationMs: 1,
        retries: retried ? 1 : state === 'failed' && random() < 0.1 ? 2 : 0,
        flaky: retried,
        error: state === 'failed' ? `Error ${Math.floor(random() * 3)}` : null,
      })
    }
  }
  return rows
}

function randomHistory(store: Store, random: () => number): void {
  const rates = Array.from({ length: FILES * TESTS }, () => [0, 0.05, 0.3, 0.6, 1][Math.floor(random() * 5)]!)
  let commit = 'c0'
  for (let i = 0; i < 30; i++) {
    if (random() < 0.2) commit = `c${i}`
    const kind = random() < 0.1 ? 'replay' : 'run'
    const shards = kind === 'run' && random() < 0.15 ? 2 : 1
    const seed = String(Math.floor(random() * 6))
    const isolate = random() < 0.7 ? true : random() < 0.5 ? false : null
    const common = {
      kind,
      seed,
      commitSha: random() < 0.1 ? null : commit,
      dirty: random() < 0.1,
      isolate,
      fileParallelism: isolate === false ? random() < 0.5 : null,
      startedAt: 1000 + i * 10,
    } as const
    for (let s = 1; s <= shards; s++) {
      const id = store.beginRun(runMeta({ ...common, uuid: `r${i}-${s}`, shard: shards > 1 ? `${s}/${shards}` : null }))
      // A run of part of the suite now and then: fewer files.
      const rows = results(random, rates, random() < 0.1 ? FILES - 2 : FILES).filter((_, k) => shards === 1 || k % shards === s - 1)
      store.writeResults(id, rows)
      if (random() < 0.2) store.setQuarantine(id, { 'f0.test.ts > t1': 'ticket', 'f2.test.ts > t3': 'flaky' })
      store.finishRun(id, rows.some((r) => r.state === 'failed') ? 'failed' : 'passed', common.startedAt + 1)
      if (random() < 0.1) {
        const kinds = ['victim', 'brittle', 'nod', 'not-reproduced', 'independent'] as const
        saveFinding(
          store,
          id,
          {
            victim: `f${Math.floor(random() * FILES)}.test.ts > t${Math.floor(random() * TESTS)}`,
            kind: kinds[Math.floor(random() * kinds.length)]!,
            polluters: ['f0.test.ts > t0'],
            stateSetters: [],
            cleaners: [],
            probes: 3,
          },
          'npx flakeseed bisect 1',
        )
      }
    }
  }
}

describe('flakyWindow packed', () => {
  test('analysePacked over packedHistories gives the rows analyse gives over histories, on 15 random stored histories', () => {
    let rows = 0
    for (let trial = 0; trial < 15; trial++) {
      const store = tempStore()
      try {
        randomHistory(store, prng(trial))
        const windows: Array<Omit<WindowOptions, 'orderKeys'>> = [
          {},
          { window: 7 },
          { maxRunFailureRate: 0.2 },
          { errors: 'last' },
          { window: 12, errors: 'last', maxRunFailureRate: 1 },
        ]
        for (const options of windows) {
          const minRuns = 1 + (trial % 6)
          const expected = analyse(flakyWindow(store, { ...options, orderKeys: executionKeys }).histories, { minRuns })
          const packed = flakyWindow(store, { ...options, orderKeys: executionKeys }).packedHistories()
          expect(analysePacked(packed.histories, packed.runs, { minRuns }), `trial ${trial} ${JSON.stringify(options)}`).toEqual(expected)
          rows += expected.length
        }
      } finally {
        store.close()
      }
    }
    expect(rows).toBeGreaterThan(150)
  })

  test('the packed walk is one walk', () => {
    const store = tempStore()
    try {
      randomHistory(store, prng(3))
      const window = flakyWindow(store, { orderKeys: executionKeys })
      expect([...window.packedHistories().histories].length).toBeGreaterThan(0)
      expect(() => window.packedHistories()).toThrow(/once/)
      expect(() => window.eachHistory()).toThrow(/once/)
    } finally {
      store.close()
    }
  })
})
