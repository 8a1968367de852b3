// The run tallies (src/store/tallies.ts) are a cache of sums over the raw results, and the packed
// rows (src/store/run-files.ts) a cache of the results that ran: whatever writes, merges and
// prunes a history went through, in whatever order, they must equal a rebuild from the results. Randomized (seeded, so a failure replays) over histories written in
// batches with clashes, retries and passes after a retry, merged into each other and pruned.
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { type ResultRow, Store } from '../../src/store/index.js'
import { mergeDatabases } from '../../src/store/merge.js'
import { pruneStore } from '../../src/store/prune.js'
import { readRunRows } from '../../src/store/run-rows.js'
import { rebuiltRunFiles, storedRunFiles } from '../../src/store/run-files.js'
import { SCHEMA_VERSION } from '../../src/store/schema.js'
import { rebuiltTallies, storedTallies } from '../../src/store/tallies.js'
import { runMeta, tempFolder } from '../helpers/store.js'
import { prng } from '../helpers/files.js'

const STATES = ['passed', 'failed', 'skipped'] as const

/** Random results of one run over a suite of `files` × 4 tests, some written twice (a clash). */
function randomRows(random: () => number, files: number): ResultRow[] {
  const rows: ResultRow[] = []
  for (let f = 0; f < files; f++) {
    for (let t = 0; t < 4; t++) {
      if (random() < 0.2) continue
      const state = STATES[Math.floor(random() * (random() < 0.7 ? 1 : 3))]!
      const retries = random() < 0.2 ? 1 + Math.floor(random() * 3) : 0
      rows.push({
        project: random() < 0.1 ? 'web' : '',
        file: `f${f}.test.ts`,
        name: `t${t}`,
        fileIndex: f,
        testIndex: t,
        worker: random() < 0.1 ? null : 1 + Math.floor(random() * 3),
        state,
        durationMs: 1,
        retries,
        flaky: state === 'passed' && retries > 0,
        error: state === 'failed' ? 'boom' : null,
      })
    }
  }
  return rows
}

/** Writes a finished run in one to three batches (as a reporter writes files), a row or two again. */
function writeRun(store: Store, random: () => number, uuid: string, startedAt: number): ResultRow[] {
  const id = store.beginRun(runMeta({ uuid, startedAt, commitSha: 'c', shard: random() < 0.2 ? `${1 + Math.floor(random() * 2)}/2` : null }))
  const rows = randomRows(random, 1 + Math.floor(random() * 4))
  const cut = Math.floor(random() * rows.length)
  store.writeResults(id, rows.slice(0, cut))
  store.writeResults(id, rows.slice(cut))
  if (rows.length && random() < 0.3) store.writeResults(id, [rows[0]!])
  store.finishRun(id, 'passed', startedAt + 1)
  return rows
}

function expectEqualToRebuild(path: string): void {
  const store = Store.open(path)
  try {
    expect(storedTallies(store.db)).toEqual(rebuiltTallies(store.db))
    expect(storedRunFiles(store.db)).toEqual(rebuiltRunFiles(store.db))
  } finally {
    store.close()
  }
}

describe('run tallies', () => {
  test('count what was written: a run written in batches, a row written twice counted once', () => {
    const random = prng(1)
    const store = Store.open(join(tempFolder(), 'h.db'))
    const rows = writeRun(store, random, 'one', 1000)
    const count = (state: string) => rows.filter((r) => r.state === state).length
    const [tally] = storedTallies(store.db)
    expect(tally).toEqual({
      run: 1,
      passed: count('passed'),
      failed: count('failed'),
      skipped: count('skipped'),
      retried: rows.filter((r) => r.flaky).length,
      retries: rows.reduce((n, r) => n + r.retries, 0),
    })
    expect(tally!.passed + tally!.failed + tally!.skipped).toBeGreaterThan(0)
    store.close()
  })

  test('a history of schema 4 gets them from its results when it is opened', () => {
    const path = join(tempFolder(), 'old.db')
    const store = Store.open(path)
    const random = prng(2)
    for (let r = 0; r < 5; r++) writeRun(store, random, `old-${r}`, 1000 + r)
    const before = storedTallies(store.db)
    store.db.exec('DROP TABLE run_tallies')
    store.db.exec('DROP TABLE run_files')
    store.db.pragma('user_version = 4')
    store.close()
    const reopened = Store.open(path)
    expect(reopened.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    expect(storedTallies(reopened.db)).toEqual(before)
    expect(before).toHaveLength(5)
    reopened.close()
  })

  test('a history of schema 5 gets its packed rows from its results, and reads the same rows through them', () => {
    const path = join(tempFolder(), 'old.db')
    const store = Store.open(path)
    const random = prng(3)
    for (let r = 0; r < 5; r++) writeRun(store, random, `old-${r}`, 1000 + r)
    const before = storedRunFiles(store.db)
    const read = readRunRows(store, 'SELECT id FROM runs')
    store.db.exec('DROP TABLE run_files')
    store.db.pragma('user_version = 5')
    // Without the table (an older schema read as it is) the rows come from the results: the same.
    expect(readRunRows(store, 'SELECT id FROM runs')).toEqual(read)
    store.close()
    const reopened = Store.open(path)
    expect(reopened.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    expect(storedRunFiles(reopened.db)).toEqual(before)
    expect(Object.keys(before)).toHaveLength(5)
    expect(readRunRows(reopened, 'SELECT id FROM runs')).toEqual(read)
    reopened.close()
  })

  test('are read in executed order, whether they were written in it or not', () => {
    const store = Store.open(join(tempFolder(), 'order.db'))
    const random = prng(4)
    const written: Array<'in order' | 'shuffled'> = ['in order', 'shuffled', 'in order', 'shuffled']
    for (const [r, how] of written.entries()) {
      const id = store.beginRun(runMeta({ uuid: `order-${r}`, startedAt: 1000 + r, commitSha: 'c' }))
      const rows = randomRows(random, 4)
      // Shuffled: files and positions arrive in any order, a file across batches (blobs appended).
      if (how === 'shuffled') rows.sort(() => random() - 0.5)
      for (let k = 0; k < rows.length; k += 3) store.writeResults(id, rows.slice(k, k + 3))
      store.finishRun(id, 'passed', 1001 + r)
    }
    const read = readRunRows(store, 'SELECT id FROM runs')
    expect(read.size).toBe(written.length)
    for (const rows of read.values()) {
      const places = [...rows.files].map((file, k) => file * 1000 + rows.positions[k]!)
      expect(places).toEqual([...places].sort((a, b) => a - b))
      expect(places.length).toBeGreaterThan(3)
    }
    // The same rows from the results alone (sorted there by the reader, from key order).
    store.db.exec('DROP TABLE run_files')
    expect(readRunRows(store, 'SELECT id FROM runs')).toEqual(read)
    store.close()
  })

  test.each([11, 12, 13, 14, 15, 16, 17, 18])('equal a rebuild after random writes, merges and prunes (seed %i)', (seed) => {
    const random = prng(seed)
    const dir = tempFolder()
    const paths = [0, 1, 2].map((i) => join(dir, `source-${i}.db`))
    const target = join(dir, 'target.db')
    let clock = 1000
    const uuids: string[] = []
    // Sources that share some runs (a shard's DB copied twice): merge must not count them twice.
    for (const path of paths) {
      const store = Store.open(path)
      for (let r = 0; r < 3 + Math.floor(random() * 4); r++) {
        const shared = uuids.length && random() < 0.3
        const uuid = shared ? uuids[Math.floor(random() * uuids.length)]! : `run-${clock}`
        if (!shared) uuids.push(uuid)
        if (store.db.prepare('SELECT 1 FROM runs WHERE uuid = ?').get(uuid)) continue
        writeRun(store, random, uuid, clock++)
      }
      store.close()
      expectEqualToRebuild(path)
    }
    for (let step = 0; step < 8; step++) {
      const op = random()
      if (op < 0.45) {
        const chosen = paths.filter(() => random() < 0.6)
        mergeDatabases(chosen.length ? chosen : [paths[0]!], target)
      } else if (op < 0.7) {
        const store = Store.open(target)
        pruneStore(store, random() < 0.5 ? { keep: 1 + Math.floor(random() * 6) } : { olderThanDays: 0, now: clock - Math.floor(random() * 10) })
        store.close()
      } else {
        const store = Store.open(target)
        writeRun(store, random, `local-${clock}`, clock++)
        store.close()
      }
      expectEqualToRebuild(target)
    }
  })
})
