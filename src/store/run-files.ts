// Per run and test file, the results that ran, packed (schema 6): what a window's read of every
// row needs (`flaky` on a long or very flaky history, the suspects of many tests, the report), as
// one small blob per (run, file) instead of one row per result. Decoding 2 M results' columns from
// `results` costs SQLite about a second before any of them reaches JavaScript; the same rows as
// blobs, concatenated per run by SQLite, arrive in a fifth of that, already as numbers.
//
// A cache of the results, kept equal to a rebuild from them (like the run tallies,
// src/store/tallies.ts): `writeResults` appends each batch's rows in that batch's transaction,
// `merge` rebuilds each run it copies, `prune` deletes the rows of the runs it deletes, the
// migration to schema 6 builds them from the results; `test/unit/aggregates.test.ts` checks it on
// random histories merged and pruned in random orders. A history without the table (a read-only
// DB of an older schema, read as it is) is read from its results (src/store/run-rows.ts).
//
// Each result that ran (skips left out) is three little-endian int32: its place (file index ×
// POSITIONS + position in the file), its test row id × 2 + failed, and its worker (UNKNOWN when
// none was recorded). Rows of one file follow in the order they were written; readers sort.
import { endianness } from 'node:os'
import type Database from 'better-sqlite3'
import { STATE } from './schema.js'

/** Where a row ran, packed in one number: its file's index in the run, then its position in the file. */
export const POSITIONS = 1048576
/** No worker recorded (workers are numbered from 1). */
export const UNKNOWN = -1
/** int32 words per result. */
export const WORDS = 3

/** One result as the blobs hold it. */
export interface PackedResult {
  fileIndex: number
  testIndex: number
  testId: number
  state: number
  worker: number | null
}

/** Whether this DB keeps the packed rows (a read-only DB of an older schema, read as it is, does not). */
export function hasRunFiles(db: Database.Database): boolean {
  return db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'run_files'`).pluck().get() === 1
}

/** The results that ran, packed per file index. */
export function packByFile(results: Iterable<PackedResult>): Map<number, Buffer> {
  const words = new Map<number, number[]>()
  for (const r of results) {
    if (r.state === STATE.skipped) continue
    let list = words.get(r.fileIndex)
    if (!list) words.set(r.fileIndex, (list = []))
    list.push(r.fileIndex * POSITIONS + r.testIndex, r.testId * 2 + (r.state === STATE.failed ? 1 : 0), r.worker ?? UNKNOWN)
  }
  const out = new Map<number, Buffer>()
  for (const [file, list] of words) {
    const buffer = Buffer.alloc(list.length * 4)
    for (let k = 0; k < list.length; k++) buffer.writeInt32LE(list[k]!, 4 * k)
    out.set(file, buffer)
  }
  return out
}

/** The statement that appends to a file's blob (`||` gives text: cast back). */
export function appendStatement(db: Database.Database): Database.Statement {
  return db.prepare(
    `INSERT INTO run_files (run_id, file_index, rows) VALUES (?, ?, ?)
     ON CONFLICT (run_id, file_index) DO UPDATE SET rows = CAST(rows || excluded.rows AS BLOB)`,
  )
}

/**
 * Appends a run's newly written results to its files' blobs (inside the caller's transaction),
 * through `append` (`appendStatement`, prepared once by a writer that appends every file).
 */
export function appendRunFiles(db: Database.Database, run: number, results: Iterable<PackedResult>, append: Database.Statement = appendStatement(db)): void {
  for (const [file, rows] of packByFile(results)) append.run(run, file, rows)
}

/** Builds one run's blobs again from its results (merge, after copying a run; the migration). */
export function rebuildRunFiles(db: Database.Database, run: number): void {
  db.prepare('DELETE FROM run_files WHERE run_id = ?').run(run)
  const results = db
    .prepare(`SELECT file_index, test_index, test_id, state, worker FROM results WHERE run_id = ? AND state != ${STATE.skipped}`)
    .raw()
    .all(run) as Array<[number, number, number, number, number | null]>
  appendRunFiles(
    db,
    run,
    results.map(([fileIndex, testIndex, testId, state, worker]) => ({ fileIndex, testIndex, testId, state, worker })),
  )
}

/** Builds every run's blobs from the results (the migration to schema 6). */
export function buildRunFiles(db: Database.Database): void {
  for (const run of db.prepare('SELECT DISTINCT run_id FROM results').pluck().all() as number[]) rebuildRunFiles(db, run)
}

/** A blob's words (a copy when the buffer is not aligned for an int32 view, or on a big-endian machine). */
export function words(blob: Buffer): Int32Array {
  if (endianness() === 'LE' && blob.byteOffset % 4 === 0) return new Int32Array(blob.buffer, blob.byteOffset, blob.byteLength / 4)
  const out = new Int32Array(blob.byteLength / 4)
  for (let k = 0; k < out.length; k++) out[k] = blob.readInt32LE(4 * k)
  return out
}

/**
 * Every run's packed rows as a canonical list of `place,entry,worker` strings, sorted (stored
 * blobs keep the order of the writes): what tests compare with `rebuiltRunFiles`.
 */
export function storedRunFiles(db: Database.Database): Record<number, string[]> {
  const out: Record<number, string[]> = {}
  for (const [run, file, blob] of db.prepare('SELECT run_id, file_index, rows FROM run_files ORDER BY run_id, file_index').raw().all() as Array<
    [number, number, Buffer]
  >) {
    const w = words(blob)
    for (let k = 0; k < w.length; k += WORDS) {
      if (Math.floor(w[k]! / POSITIONS) !== file) throw new Error(`run_files: run ${run} file ${file} holds a row of file ${Math.floor(w[k]! / POSITIONS)}`)
      ;(out[run] ??= []).push(`${w[k]},${w[k + 1]},${w[k + 2]}`)
    }
  }
  for (const list of Object.values(out)) list.sort()
  return out
}

/** What a rebuild from the raw results gives, in `storedRunFiles`' form. */
export function rebuiltRunFiles(db: Database.Database): Record<number, string[]> {
  const out: Record<number, string[]> = {}
  for (const [run, place, entry, worker] of db
    .prepare(
      `SELECT run_id, file_index * ${POSITIONS} + test_index, test_id * 2 + (state = ${STATE.failed}), ifnull(worker, ${UNKNOWN})
       FROM results WHERE state != ${STATE.skipped}`,
    )
    .raw()
    .all() as Array<[number, number, number, number]>) {
    ;(out[run] ??= []).push(`${place},${entry},${worker}`)
  }
  for (const list of Object.values(out)) list.sort()
  return out
}
