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
// - each run's rows cross from SQLite into JavaScript as one packed string (per-row crossings
//   are what costs), sorted into executed order in typed arrays;
// - many tests get counts (`suspectTallies`), not lists: how often each earlier test preceded
//   them, summed where they are read, without a list per run.
import { DEFAULT_WINDOW } from '../defaults.js'
import type { SuspectRun, SuspectTally } from '../model.js'
import { fileId, testId } from '../names.js'
import type { Store } from './index.js'
import { STATE } from './schema.js'
import { groupShards, shardInfos } from './shards.js'

/** No worker recorded (workers are numbered from 1). */
const UNKNOWN = -1

/** Above this share of the suite's files, reading the whole window beats the index. */
const WHOLE_WINDOW_SHARE = 0.25

/**
 * The rows of one run that were read, in executed order (by file, then position in the file):
 * `tests[k]` ran in file `files[k]` of the run, in worker `workers[k]`, and failed when `failed[k]`.
 */
interface RunRows {
  files: Int32Array
  tests: Int32Array
  workers: Int32Array
  failed: Uint8Array
}

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
  rows: Map<number, RunRows>
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
export function suspectTallies(store: Store, tests: readonly string[], runs: ReadonlyArray<readonly number[]>): Map<string, SuspectTally> {
  const out = new Map<string, SuspectTally>()
  const w = readWindow(store, tests, runs)
  if (!w) return out
  interface Counts {
    failing: number
    passing: number
    /** How many tests preceded it, per failing and per passing run. */
    preceding: { failing: number[]; passing: number[] }
    /** [failing, passing] per test of its own file, by `local`. */
    file: Int32Array
    /** Tests of other files (runs without isolation), by row id. */
    other: Map<number, { failing: number; passing: number }>
  }
  const counts = new Map<number, Counts>()
  eachPlace(w, (test, _run, r, k, start) => {
    let c = counts.get(test)
    if (!c) {
      const file = new Int32Array(2 * w.files[w.fileOf[test]!]!.length)
      counts.set(test, (c = { failing: 0, passing: 0, preceding: { failing: [], passing: [] }, file, other: new Map() }))
    }
    const failed = r.failed[k]!
    if (failed) c.failing++
    else c.passing++
    const slot = failed ? 0 : 1
    const preceding = failed ? c.preceding.failing : c.preceding.passing
    if (start >= 0) {
      for (let j = start; j < k; j++) c.file[2 * w.local[r.tests[j]!]! + slot]!++
      preceding.push(k - start)
      return
    }
    let count = 0
    for (let j = 0; j < k; j++) {
      if (!sameWorker(r, j, k)) continue
      count++
      const other = r.tests[j]!
      if (r.files[j] === r.files[k]) c.file[2 * w.local[other]! + slot]!++
      else {
        let o = c.other.get(other)
        if (!o) c.other.set(other, (o = { failing: 0, passing: 0 }))
        if (failed) o.failing++
        else o.passing++
      }
    }
    preceding.push(count)
  })
  for (const [test, c] of counts) {
    const before = new Map<string, { failing: number; passing: number }>()
    const own = w.files[w.fileOf[test]!]!
    for (let i = 0; i < own.length; i++) {
      if (c.file[2 * i] || c.file[2 * i + 1]) before.set(w.names[own[i]!]!, { failing: c.file[2 * i]!, passing: c.file[2 * i + 1]! })
    }
    for (const [other, o] of c.other) before.set(w.names[other]!, o)
    out.set(w.names[test]!, { runs: { failing: c.failing, passing: c.passing }, preceding: c.preceding, before })
  }
  return out
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

function readWindow(store: Store, tests: readonly string[], runs: ReadonlyArray<readonly number[]>): WindowRows | undefined {
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
  fill(store, 'suspect_window', [...logical.keys()])
  const isolated = new Map<number, boolean>()
  for (const [id, isolate] of db.prepare('SELECT id, isolate FROM runs WHERE id IN (SELECT id FROM temp.suspect_window)').raw().all() as Array<
    [number, number | null]
  >) {
    isolated.set(id, isolate !== 0)
  }
  const shared = [...isolated].filter(([, isolate]) => !isolate).map(([id]) => id)
  const rows = wantedFiles.size > WHOLE_WINDOW_SHARE * files.length ? wholeWindow(store, shared) : windowRowsOf(store, wantedIds, new Set(shared))
  return { names, fileOf, local, files, wanted, logical, sharded, isolated, rows }
}

/** Where a row ran, packed in one number: its file's index in the run, then its position in the file. */
const PLACE = '(file_index * 1048576 + test_index)'
const POSITIONS = 1048576

/** A row as read: its place, then its test and outcome packed (`test_id * 2 + failed`), and its worker when files were not isolated. */
function row(worker: boolean): string {
  return `${PLACE} || ',' || (test_id * 2 + (state = ${STATE.failed}))${worker ? ` || ',' || ifnull(worker, ${UNKNOWN})` : ''}`
}

/** Every row of the window's runs. */
function wholeWindow(store: Store, shared: readonly number[]): Map<number, RunRows> {
  fill(store, 'suspect_shared', shared)
  return read(store, 'SELECT id FROM temp.suspect_window WHERE id NOT IN (SELECT id FROM temp.suspect_shared)', '1', 'SELECT id FROM temp.suspect_shared')
}

/** The rows the wanted tests' runs need: their files in isolated runs, the whole run otherwise. */
function windowRowsOf(store: Store, wanted: readonly number[], shared: ReadonlySet<number>): Map<number, RunRows> {
  const db = store.db
  fill(store, 'suspect_tests', wanted)
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
  fill(store, 'suspect_shared', [...whole])
  return read(
    store,
    'SELECT DISTINCT run_id FROM temp.suspect_files',
    '(run_id, file_index) IN (SELECT run_id, file_index FROM temp.suspect_files)',
    'SELECT id FROM temp.suspect_shared',
  )
}

/**
 * The rows of the `isolated` runs that `keep` keeps, and every row of the `shared` runs (with
 * their workers), by run, in executed order. One packed string per run, read in key order.
 */
function read(store: Store, isolated: string, keep: string, shared: string): Map<number, RunRows> {
  const rows = new Map<number, RunRows>()
  for (const worker of [false, true]) {
    const packed = store.db
      .prepare(
        `SELECT run_id, group_concat(${row(worker)}, ',') FROM results
         WHERE run_id IN (${worker ? shared : isolated}) AND state != ${STATE.skipped}${worker ? '' : ` AND ${keep}`}
         GROUP BY run_id`,
      )
      .raw()
      .all() as Array<[number, string]>
    for (const [run, list] of packed) rows.set(run, executedOrder(numbers(list), worker ? 3 : 2))
  }
  return rows
}

/** Flat rows of (place, test * 2 + failed[, worker]) in executed order: by file, then position in it. */
function executedOrder(v: Float64Array, width: number): RunRows {
  const count = v.length / width
  const fileOf = (k: number) => Math.floor(v[width * k]! / POSITIONS)
  // A counting sort by file (a run has many rows, a file few), then each file's rows by position.
  let last = 0
  for (let k = 0; k < count; k++) last = Math.max(last, fileOf(k))
  const next = new Int32Array(last + 2)
  for (let k = 0; k < count; k++) next[fileOf(k) + 1]!++
  for (let f = 1; f < next.length; f++) next[f]! += next[f - 1]!
  const order = new Int32Array(count)
  for (let k = 0; k < count; k++) order[next[fileOf(k)]!++] = k
  const rows: RunRows = { files: new Int32Array(count), tests: new Int32Array(count), workers: new Int32Array(count), failed: new Uint8Array(count) }
  const places = new Float64Array(count)
  for (let i = 0; i < count; i++) {
    const k = order[i]!
    const place = v[width * k]!
    // Insertion into the sorted part of its own file (a place orders by file, then position).
    let j = i
    while (j > 0 && places[j - 1]! > place && rows.files[j - 1] === Math.floor(place / POSITIONS)) {
      places[j] = places[j - 1]!
      rows.files[j] = rows.files[j - 1]!
      rows.tests[j] = rows.tests[j - 1]!
      rows.workers[j] = rows.workers[j - 1]!
      rows.failed[j] = rows.failed[j - 1]!
      j--
    }
    const entry = v[width * k + 1]!
    places[j] = place
    rows.files[j] = Math.floor(place / POSITIONS)
    rows.tests[j] = Math.floor(entry / 2)
    rows.failed[j] = entry % 2
    rows.workers[j] = width > 2 ? v[width * k + 2]! : UNKNOWN
  }
  return rows
}

/** `1,2,-1,4,…` as numbers, parsed by hand: a window holds hundreds of thousands. */
function numbers(list: string): Float64Array {
  let count = 1
  for (let i = 0; i < list.length; i++) if (list.charCodeAt(i) === 44) count++
  const out = new Float64Array(count)
  let at = 0
  let n = 0
  let negative = false
  for (let i = 0; i <= list.length; i++) {
    const c = i < list.length ? list.charCodeAt(i) : 44
    if (c === 44) {
      out[at++] = negative ? -n : n
      n = 0
      negative = false
    } else if (c === 45) negative = true
    else n = n * 10 + c - 48
  }
  return out
}

/** A temp table `name (id)` holding exactly `ids`: later statements join it, whatever its size. */
function fill(store: Store, name: string, ids: readonly number[]): void {
  const db = store.db
  db.exec(`CREATE TEMP TABLE IF NOT EXISTS ${name} (id INTEGER PRIMARY KEY)`)
  db.exec(`DELETE FROM temp.${name}`)
  const insert = db.prepare(`INSERT OR IGNORE INTO temp.${name} (id) VALUES (?)`)
  db.transaction(() => {
    for (const id of ids) insert.run(id)
  })()
}
