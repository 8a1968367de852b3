// The results of many runs read in bulk, as `flaky` (on a very flaky history) and the suspects
// query need them: one packed blob per run crosses from SQLite into JavaScript (per-row
// crossings are what costs), the run's file blobs (src/store/run-files.ts) concatenated by
// SQLite, then put back in executed order (by file, then position in the file) in typed arrays.
// A history without the blobs (an older schema read as it is) gives one packed string per run
// from its results instead.
import type { Store } from './index.js'
import { hasRunFiles, POSITIONS, UNKNOWN, WORDS, words } from './run-files.js'
import { STATE } from './schema.js'

export { UNKNOWN }

/**
 * One run's results that ran (skips left out), in executed order: `tests[k]` (row id) ran at
 * position `positions[k]` of the run's file `files[k]` (its file_index), in worker `workers[k]`,
 * and failed when `failed[k]` is 1.
 */
export interface RunRows {
  files: Int32Array
  positions: Int32Array
  tests: Int32Array
  workers: Int32Array
  failed: Uint8Array
}

const ROW = `(file_index * ${POSITIONS} + test_index) || ',' || (test_id * 2 + (state = ${STATE.failed})) || ',' || ifnull(worker, ${UNKNOWN})`

/**
 * The rows of the runs `runs` (a SELECT of run ids) that `keep` (an SQL condition on `run_id` and
 * `file_index`) keeps, by run.
 */
export function readRunRows(store: Store, runs: string, keep = '1'): Map<number, RunRows> {
  if (hasRunFiles(store.db)) return readBlobs(store, runs, keep)
  const packed = store.db
    .prepare(
      `SELECT run_id, group_concat(${ROW}, ',') FROM results
       WHERE run_id IN (${runs}) AND state != ${STATE.skipped} AND ${keep}
       GROUP BY run_id`,
    )
    .raw()
    .iterate() as Iterable<[number, string]>
  const rows = new Map<number, RunRows>()
  // JSON's parser reads hundreds of thousands of numbers faster than a loop by hand. One run's
  // string at a time: a thousand runs' strings at once are 50 MB.
  for (const [run, list] of packed) rows.set(run, executedOrder(JSON.parse(`[${list}]`) as number[]))
  return rows
}

/**
 * `readRunRows` from the packed blobs: each run's file blobs joined by SQLite (group_concat keeps
 * a blob's bytes; the total length checks it), else, should a build of SQLite not, one by one.
 */
function readBlobs(store: Store, runs: string, keep: string): Map<number, RunRows> {
  const where = `run_id IN (${runs}) AND ${keep}`
  const joined = store.db
    .prepare(`SELECT run_id, CAST(group_concat(rows, x'') AS BLOB), sum(length(rows)) FROM run_files WHERE ${where} GROUP BY run_id`)
    .raw()
    .iterate() as Iterable<[number, Buffer | null, number]>
  const one = store.db.prepare(`SELECT rows FROM run_files WHERE run_id = ? AND ${where}`).pluck()
  const rows = new Map<number, RunRows>()
  const apart: number[] = []
  for (const [run, blob, bytes] of joined) {
    if (Buffer.isBuffer(blob) && blob.length === bytes) rows.set(run, executedOrder(words(blob)))
    else apart.push(run)
  }
  for (const run of apart) rows.set(run, executedOrder(words(Buffer.concat(one.all(run) as Buffer[]))))
  return rows
}

/** Flat rows of (place, test * 2 + failed, worker) in executed order. */
function executedOrder(v: ArrayLike<number>): RunRows {
  const count = v.length / WORDS
  const inOrder = ascending(v, count)
  if (inOrder) return inOrder
  const files = new Int32Array(count)
  const positions = new Int32Array(count)
  let lastFile = 0
  let lastPosition = 0
  for (let k = 0; k < count; k++) {
    const place = v[3 * k]!
    files[k] = Math.floor(place / POSITIONS)
    positions[k] = place % POSITIONS
    if (files[k]! > lastFile) lastFile = files[k]!
    if (positions[k]! > lastPosition) lastPosition = positions[k]!
  }
  // Two counting sorts, by position, then (stable) by file: no comparisons, a few passes.
  const order = countingSort(files, lastFile, countingSort(positions, lastPosition, identity(count)))
  const rows = newRows(count)
  for (let i = 0; i < count; i++) {
    const k = order[i]!
    const entry = v[3 * k + 1]!
    rows.files[i] = files[k]!
    rows.positions[i] = positions[k]!
    rows.tests[i] = Math.floor(entry / 2)
    rows.failed[i] = entry % 2
    rows.workers[i] = v[3 * k + 2]!
  }
  return rows
}

/**
 * The rows as they come when they are already in executed order (places ascending: the blobs of
 * a run as written, joined in key order), with no sort; undefined at the first row out of order.
 */
function ascending(v: ArrayLike<number>, count: number): RunRows | undefined {
  const rows = newRows(count)
  let previous = -1
  for (let k = 0, i = 0; k < count; k++, i += WORDS) {
    const place = v[i]!
    if (place < previous) return undefined
    previous = place
    const entry = v[i + 1]!
    rows.files[k] = (place / POSITIONS) | 0
    rows.positions[k] = place % POSITIONS
    rows.tests[k] = entry >> 1
    rows.failed[k] = entry & 1
    rows.workers[k] = v[i + 2]!
  }
  return rows
}

function identity(count: number): Int32Array {
  const out = new Int32Array(count)
  for (let k = 0; k < count; k++) out[k] = k
  return out
}

/** The rows `order` lists, stably reordered by `keys` (whole numbers from 0 to `last`). */
function countingSort(keys: Int32Array, last: number, order: Int32Array): Int32Array {
  const next = new Int32Array(last + 2)
  for (let k = 0; k < keys.length; k++) next[keys[k]! + 1]!++
  for (let key = 1; key < next.length; key++) next[key]! += next[key - 1]!
  const out = new Int32Array(order.length)
  for (const k of order) out[next[keys[k]!]!++] = k
  return out
}

/** Room for `count` rows. */
function newRows(count: number): RunRows {
  return {
    files: new Int32Array(count),
    positions: new Int32Array(count),
    tests: new Int32Array(count),
    workers: new Int32Array(count),
    failed: new Uint8Array(count),
  }
}
