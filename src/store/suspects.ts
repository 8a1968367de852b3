// What the suspects ranking (src/analysis/suspects.ts) reads: for a test, each recorded run in the
// window where it passed or failed, with the tests that shared its process before it. That is
// the rule bisect confirms a failure with (`earlierTests` in src/bisect/coordinator.ts): its own
// file's earlier tests when files were isolated (Vitest's default; `isolate` true or unknown),
// its worker's earlier tests across files otherwise.
//
// Built for one test (`suspects`) and for `flaky` on a big history, where many tests want theirs:
// - for a few tests, where they ran comes through the (test_id, run_id) index, and then only the
//   rows of those files (or of those runs, without isolation) are read;
// - for tests spread over much of the suite, every row of the window is read once instead, in
//   primary-key order, and where they ran is found among them;
// - each run's rows are read in bulk (src/store/run-rows.ts), or taken from `flaky`'s own read of
//   the window when it made one;
// - many tests get counts (`suspectTallies`), not lists: how often each earlier test preceded
//   them, summed where they are read, without a list per run.
import { DEFAULT_WINDOW } from '../core/defaults.js'
import type { SuspectRun, SuspectTally } from '../core/model.js'
import { fileId, testId } from '../core/names.js'
import type { Store } from './index.js'
import { type RunRows, readRunRows, UNKNOWN } from './run-rows.js'
import { STATE } from './schema.js'
import { groupShards, shardInfos } from './shards.js'
import { fillTemp } from './temp-table.js'

/** Above this share of the suite's files, reading the whole window beats the index. */
const WHOLE_WINDOW_SHARE = 0.25

/** What was read for a set of tests over a window. */
interface WindowRows {
  /** Test ids by row id. */
  names: string[]
  /** By row id: the test's file (an index into `files`) and its index among that file's tests. */
  fileOf: Int32Array
  local: Int32Array
  /** Each file's tests (row ids), by `local`. */
  files: number[][]
  wanted: Uint8Array
  /** The logical run (index into the window) of each run id. */
  logical: Map<number, number>
  /** Multi-shard logical runs, where one test could show up twice. */
  sharded: Set<number>
  isolated: Map<number, boolean>
  rows: ReadonlyMap<number, RunRows>
}

/** For one test (exact id), every recorded run of kind `run` in the window where it passed or failed, with the tests that shared its process before it: same file (and project) when files were isolated (runs.isolate true or null), the same worker's earlier tests otherwise. Shards of one build are one logical run, but a test runs in one shard: keep each shard's own order/process boundaries. */
export function suspectRuns(store: Store, test: string, options: { window?: number } = {}): SuspectRun[] {
  return suspectRunsOf(store, [test], windowRuns(store, options.window ?? DEFAULT_WINDOW)).get(test) ?? []
}

/** The newest `window` logical runs of kind `run`, oldest first, each as its run ids by shard index (as `flaky` counts them). */
export function windowRuns(store: Store, window: number = DEFAULT_WINDOW): number[][] {
  return groupShards(shardInfos(store, `WHERE kind = 'run'`))
    .slice(-window)
    .map((group) => group.map((r) => r.id))
}

/**
 * `suspectRuns` for several tests over given logical runs (each its run ids, as `flakyWindow`'s
 * `runs[].runs`). A test missing from the history, or that never passed or failed in those runs,
 * has no entry.
 */
export function suspectRunsOf(store: Store, tests: readonly string[], runs: ReadonlyArray<readonly number[]>): Map<string, SuspectRun[]> {
  const out = new Map<string, SuspectRun[]>()
  const w = readWindow(store, tests, runs)
  if (!w) return out
  const found = new Map<number, SuspectRun[]>()
  // The names of a file's tests in executed order, made once per file and sliced per test.
  let named: { rows: RunRows; start: number; names: string[] } | undefined
  eachPlace(w, (test, run, r, k, start) => {
    let before: string[]
    if (start >= 0) {
      if (named?.rows !== r || named.start !== start) {
        const names: string[] = []
        for (let j = start; j < r.tests.length && r.files[j] === r.files[start]; j++) names.push(w.names[r.tests[j]!]!)
        named = { rows: r, start, names }
      }
      before = named.names.slice(0, k - start)
    } else {
      before = []
      for (let j = 0; j < k; j++) if (sameWorker(r, j, k)) before.push(w.names[r.tests[j]!]!)
    }
    let list = found.get(test)
    if (!list) found.set(test, (list = []))
    list.push({ run, state: r.failed[k] ? 'failed' : 'passed', before })
  })
  for (const [test, list] of found) {
    out.set(
      w.names[test]!,
      list.sort((a, b) => a.run - b.run),
    )
  }
  return out
}

/**
 * What `tallySuspects(suspectRunsOf(…))` gives for each test, counted as the rows are read: for
 * `flaky` and the HTML report, which want the suspects of every row they show.
 */
export function suspectTallies(
  store: Store,
  tests: readonly string[],
  runs: ReadonlyArray<readonly number[]>,
  /** Every row of those runs, when already read (`flakyWindow`'s `rows`). */
  rows?: ReadonlyMap<number, RunRows>,
): Map<string, SuspectTally> {
  const out = new Map<string, SuspectTally>()
  const w = readWindow(store, tests, runs, rows)
  if (!w) return out
  const c = countPlaces(w)
  for (const test of c.reached) {
    const before = new Map<string, { failing: number; passing: number }>()
    const own = w.files[w.fileOf[test]!]!
    const base = c.base[test]!
    for (let i = 0; i < own.length; i++) {
      const failing = c.file[base + 2 * i]!
      const passing = c.file[base + 2 * i + 1]!
      if (failing || passing) before.set(w.names[own[i]!]!, { failing, passing })
    }
    for (const [other, o] of c.other.get(test) ?? []) before.set(w.names[other]!, o)
    const preceding = { failing: c.preceding[2 * test]!, passing: c.preceding[2 * test + 1]! }
    out.set(w.names[test]!, { runs: { failing: preceding.failing.length, passing: preceding.passing.length }, preceding, before })
  }
  return out
}

/** What `suspectTallies` counts for the wanted tests, by test row id. */
interface PlaceCounts {
  /** The wanted tests in the order first reached. */
  reached: number[]
  /** Where a test's own file's counts start in `file`. */
  base: Int32Array
  /** [failing, passing] per test of its own file (by `local`), after `base`. */
  file: Int32Array
  /** How many tests preceded it, per failing run (at 2 × id) and per passing run (2 × id + 1). */
  preceding: Int32Array[]
  /** Tests of other files (runs without isolation), by row id. */
  other: Map<number, Map<number, { failing: number; passing: number }>>
}

/**
 * Counts as the rows are read, in flat arrays made at their final size: a sizing walk first,
 * then the counting one. On a long window (2 M places, 24 M earlier tests counted) an object per
 * test, arrays grown a push at a time and a sparse array of tests were most of the time.
 */
function countPlaces(w: WindowRows): PlaceCounts {
  const size = w.names.length
  const places = new Int32Array(2 * size)
  const reached: number[] = []
  eachPlace(w, (test, _run, r, k) => {
    if (!places[2 * test] && !places[2 * test + 1]) reached.push(test)
    places[2 * test + (r.failed[k] ? 0 : 1)]!++
  })
  const base = new Int32Array(size)
  let total = 0
  for (const test of reached) {
    base[test] = total
    total += 2 * w.files[w.fileOf[test]!]!.length
  }
  const file = new Int32Array(total)
  // One typed array for all the places, a view of it per test and outcome: off the collected heap
  // (a number per place, 2 M on a long window), and exactly as long as the first walk counted.
  const all = new Int32Array(places.reduce((n, k) => n + k, 0))
  const preceding: Int32Array[] = new Array(2 * size)
  let from = 0
  for (const test of reached) {
    for (const slot of [0, 1]) {
      const n = places[2 * test + slot]!
      preceding[2 * test + slot] = all.subarray(from, from + n)
      from += n
    }
  }
  const filled = new Int32Array(2 * size)
  const other = new Map<number, Map<number, { failing: number; passing: number }>>()
  const local = w.local
  eachPlace(w, (test, _run, r, k, start) => {
    const slot = r.failed[k] ? 0 : 1
    const at = base[test]! + slot
    const tests = r.tests
    const list = 2 * test + slot
    if (start >= 0) {
      for (let j = start; j < k; j++) file[at + 2 * local[tests[j]!]!]!++
      preceding[list]![filled[list]!++] = k - start
      return
    }
    let count = 0
    for (let j = 0; j < k; j++) {
      if (!sameWorker(r, j, k)) continue
      count++
      const earlier = tests[j]!
      if (r.files[j] === r.files[k]) file[at + 2 * local[earlier]!]!++
      else {
        let mine = other.get(test)
        if (!mine) other.set(test, (mine = new Map()))
        let o = mine.get(earlier)
        if (!o) mine.set(earlier, (o = { failing: 0, passing: 0 }))
        if (slot === 0) o.failing++
        else o.passing++
      }
    }
    preceding[list]![filled[list]!++] = count
  })
  return { reached, base, file, preceding, other }
}

/** Without isolation, row j ran in row k's process: the same worker, or one of them unknown (it may have been any). */
function sameWorker(r: RunRows, j: number, k: number): boolean {
  return r.workers[k] === UNKNOWN || r.workers[j] === UNKNOWN || r.workers[j] === r.workers[k]
}

/**
 * Calls `visit` once per wanted test and logical run it passed or failed in, with the run's rows
 * and its index k there; `start` is where its file's rows start in an isolated run (its process
 * held only them), -1 when the run did not isolate files. In a logical run where a test shows
 * up in two shards, the failing one (else the first) counts.
 */
function eachPlace(w: WindowRows, visit: (test: number, run: number, rows: RunRows, k: number, start: number) => void): void {
  const chosen = new Map<string, { run: number; failed: number }>()
  for (const [run, r] of w.rows) {
    if (!w.sharded.has(w.logical.get(run)!)) continue
    for (let k = 0; k < r.tests.length; k++) {
      if (!w.wanted[r.tests[k]!]) continue
      const key = `${r.tests[k]} ${w.logical.get(run)}`
      const had = chosen.get(key)
      if (!had || (r.failed[k]! && !had.failed)) chosen.set(key, { run, failed: r.failed[k]! })
    }
  }
  for (const [run, r] of w.rows) {
    const sharded = w.sharded.has(w.logical.get(run)!)
    const isolate = w.isolated.get(run) ?? true
    let start = 0
    for (let k = 0; k < r.tests.length; k++) {
      if (k > 0 && r.files[k] !== r.files[k - 1]) start = k
      const test = r.tests[k]!
      if (!w.wanted[test]) continue
      if (sharded && chosen.get(`${test} ${w.logical.get(run)}`)?.run !== run) continue
      visit(test, run, r, k, isolate ? start : -1)
    }
  }
}

function readWindow(
  store: Store,
  tests: readonly string[],
  runs: ReadonlyArray<readonly number[]>,
  read?: ReadonlyMap<number, RunRows>,
): WindowRows | undefined {
  if (!tests.length || !runs.length) return undefined
  const db = store.db
  const all = db.prepare('SELECT id, project, file, name FROM tests').raw().all() as Array<[number, string, string, string]>
  const size = all.reduce((max, [id]) => Math.max(max, id + 1), 0)
  const names: string[] = new Array(size)
  const fileOf = new Int32Array(size)
  const local = new Int32Array(size)
  const files: number[][] = []
  const fileNumbers = new Map<string, number>()
  const ids = new Map<string, number>()
  for (const [id, project, file, name] of all) {
    const text = testId(project, file, name)
    names[id] = text
    ids.set(text, id)
    const key = fileId(project, file)
    let n = fileNumbers.get(key)
    if (n === undefined) {
      fileNumbers.set(key, (n = files.length))
      files.push([])
    }
    fileOf[id] = n
    local[id] = files[n]!.length
    files[n]!.push(id)
  }
  const wanted = new Uint8Array(size)
  const wantedIds: number[] = []
  const wantedFiles = new Set<number>()
  for (const t of tests) {
    const id = ids.get(t)
    if (id === undefined || wanted[id]) continue
    wanted[id] = 1
    wantedIds.push(id)
    wantedFiles.add(fileOf[id]!)
  }
  if (!wantedIds.length) return undefined

  const logical = new Map<number, number>()
  const sharded = new Set<number>()
  runs.forEach((group, i) => {
    for (const id of group) logical.set(id, i)
    if (group.length > 1) sharded.add(i)
  })
  fillTemp(store, 'suspect_window', [...logical.keys()])
  const isolated = new Map<number, boolean>()
  for (const [id, isolate] of db.prepare('SELECT id, isolate FROM runs WHERE id IN (SELECT id FROM temp.suspect_window)').raw().all() as Array<
    [number, number | null]
  >) {
    isolated.set(id, isolate !== 0)
  }
  const shared = [...isolated].filter(([, isolate]) => !isolate).map(([id]) => id)
  let rows: ReadonlyMap<number, RunRows>
  if (wantedFiles.size <= WHOLE_WINDOW_SHARE * files.length) rows = windowRowsOf(store, wantedIds, new Set(shared))
  else rows = read && [...logical.keys()].every((run) => read.has(run)) ? read : readRunRows(store, 'SELECT id FROM temp.suspect_window')
  return { names, fileOf, local, files, wanted, logical, sharded, isolated, rows }
}

/** The rows the wanted tests' runs need: their files in isolated runs, the whole run otherwise. */
function windowRowsOf(store: Store, wanted: readonly number[], shared: ReadonlySet<number>): Map<number, RunRows> {
  const db = store.db
  fillTemp(store, 'suspect_tests', wanted)
  const where = db
    .prepare(
      `SELECT run_id, file_index FROM results
       WHERE test_id IN (SELECT id FROM temp.suspect_tests) AND run_id IN (SELECT id FROM temp.suspect_window) AND state != ${STATE.skipped}`,
    )
    .raw()
    .all() as Array<[number, number]>
  db.exec('CREATE TEMP TABLE IF NOT EXISTS suspect_files (run_id INTEGER, file_index INTEGER, PRIMARY KEY (run_id, file_index)) WITHOUT ROWID')
  db.exec('DELETE FROM temp.suspect_files')
  const insertFile = db.prepare('INSERT OR IGNORE INTO temp.suspect_files (run_id, file_index) VALUES (?, ?)')
  const whole = new Set<number>()
  db.transaction(() => {
    for (const [run, file] of where) {
      if (shared.has(run)) whole.add(run)
      else insertFile.run(run, file)
    }
  })()
  fillTemp(store, 'suspect_shared', [...whole])
  return readRunRows(
    store,
    'SELECT run_id FROM temp.suspect_files UNION SELECT id FROM temp.suspect_shared',
    '((run_id, file_index) IN (SELECT run_id, file_index FROM temp.suspect_files) OR run_id IN (SELECT id FROM temp.suspect_shared))',
  )
}
