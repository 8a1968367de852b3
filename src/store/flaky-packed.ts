// The window's histories packed (`PackedHistory`: typed arrays, no object per outcome), for
// `analysePacked`: field by field what `flakyWindow`'s `eachHistory` makes as `WindowOutcome`s
// (test/unit/flaky-packed.test.ts compares the rows both give on stored histories).
import { FLAG, type PackedHistory, type PackedRuns } from '../core/model.js'
import type { StoredFinding } from './findings.js'
import { type ByRun, declared, findingHint, type OutcomeFacts, type RunRecord, type WindowOutcome } from './flaky.js'

/** What `flakyWindow` read: the candidates' packed outcomes (run, failed, file position, position), the rest as `eachHistory` uses it. */
export interface PackInput {
  candidates: readonly number[]
  tests: ReadonlyMap<number, string>
  packed: Map<number, ArrayLike<number>>
  byId: ReadonlyMap<number, RunRecord>
  facts: OutcomeFacts
  errors: ByRun<string | null>
  replays: ReadonlyMap<number, WindowOutcome[]>
  findings: ReadonlyMap<string, StoredFinding>
}

export function emptyPacked(): { runs: PackedRuns; histories: Iterable<PackedHistory> } {
  return { runs: runTable([]).runs, histories: [] }
}

/** The window's runs, then the replays' runs, each once; equal seeds and commits numbered alike. */
function runTable(list: ReadonlyArray<{ id: number; seed: string; commit: string | null; startedAt: number | null }>) {
  const seedNo = new Map<string, number>()
  const commitNo = new Map<string | null, number>()
  const number = <K>(map: Map<K, number>, key: K) => map.get(key) ?? map.set(key, map.size).get(key)!
  const orderNo = new Map<string, number>()
  const runs: PackedRuns = {
    id: Int32Array.from(list, (r) => r.id),
    seed: list.map((r) => r.seed),
    commit: list.map((r) => r.commit),
    startedAt: list.map((r) => r.startedAt),
    seedNo: Int32Array.from(list, (r) => number(seedNo, r.seed)),
    seeds: seedNo.size,
    commitNo: Int32Array.from(list, (r) => number(commitNo, r.commit)),
    commits: commitNo.size,
    // Numbered as the histories are made: read when each one is.
    get orders() {
      return orderNo.size
    },
  }
  return { runs, orderOf: (key: string) => number(orderNo, key) }
}

/** What the outcomes of one run share, by the run's index in the table (`packWindow`). */
interface RunSide {
  keys: Array<ReturnType<OutcomeFacts['keyOf']['get']>>
  /** Order numbers already asked for: per run (`scope` run) or per position in a file (`test-index`). */
  orders: Array<Int32Array | undefined>
  retried: Array<Map<number, { retried: boolean; retries: number }> | undefined>
  quarantined: Array<Set<number> | undefined>
  partial: Uint8Array
  records: Array<RunRecord | undefined>
}

/**
 * The arrays of the history being made, reused from one history to the next: a walk makes a
 * history when the one before is done with (`analysePacked` reads each whole before the next),
 * so a long window allocates a few buffers, not four arrays a test (their memory is freed late).
 */
class Buffers {
  private size = 0
  private run = new Int32Array(0)
  private flags = new Uint8Array(0)
  private retries = new Int32Array(0)
  private order = new Int32Array(0)
  fit(n: number): { run: Int32Array; flags: Uint8Array; retries: Int32Array; order: Int32Array } {
    if (n > this.size) {
      this.size = Math.max(n, this.size * 2)
      this.run = new Int32Array(this.size)
      this.flags = new Uint8Array(this.size)
      this.retries = new Int32Array(this.size)
      this.order = new Int32Array(this.size)
    }
    return { run: this.run.subarray(0, n), flags: this.flags.subarray(0, n), retries: this.retries.subarray(0, n), order: this.order.subarray(0, n) }
  }
}

/**
 * One walk over the candidates, each history made when reached and its packed outcomes let go. A
 * history's arrays are valid until the next one is made (`Buffers`).
 */
export function packWindow(w: PackInput): { runs: PackedRuns; histories: Iterable<PackedHistory> } {
  const list: Array<{ id: number; seed: string; commit: string | null; startedAt: number | null }> = []
  for (const r of w.byId.values()) list.push({ id: r.id, seed: r.seed, commit: r.commit_sha, startedAt: r.started_at })
  const inWindow = new Set(list.map((r) => r.id))
  for (const outcomes of w.replays.values()) {
    for (const o of outcomes) {
      if (inWindow.has(o.run)) continue
      inWindow.add(o.run)
      list.push({ id: o.run, seed: o.seed, commit: o.commit, startedAt: o.startedAt })
    }
  }
  const { runs, orderOf } = runTable(list)
  // By run id, the run's index in the table (run ids are small: one per recorded run).
  const at = new Int32Array(list.reduce((max, r) => Math.max(max, r.id), 0) + 1)
  list.forEach((r, i) => {
    at[r.id] = i
  })
  const { keyOf, retriedIn, quarantinedIn, partial } = w.facts
  const side: RunSide = {
    keys: list.map((r) => keyOf.get(r.id)),
    orders: list.map((r) => {
      const scope = keyOf.get(r.id)?.scope
      return scope === 'run' ? new Int32Array(1).fill(-1) : scope === 'test-index' ? new Int32Array(64).fill(-1) : undefined
    }),
    retried: list.map((r) => retriedIn.get(r.id)),
    quarantined: list.map((r) => quarantinedIn.get(r.id)),
    partial: Uint8Array.from(list, (r) => (partial.has(r.id) ? 1 : 0)),
    records: list.map((r) => w.byId.get(r.id)),
  }
  const buffers = new Buffers()
  function* histories(): Iterable<PackedHistory> {
    for (const id of w.candidates) {
      const test = w.tests.get(id)
      if (test === undefined) continue
      const v = w.packed.get(id)
      w.packed.delete(id)
      yield packOne(w, id, test, v ?? [], w.replays.get(id) ?? [], at, runs.id as Int32Array, side, orderOf, buffers)
    }
  }
  return { runs, histories: histories() }
}

/** The order number of the result at (file position, test position) of run r, its key made once per what it depends on. */
function orderAt(side: RunSide, r: number, fileIndex: number, testIndex: number, orderOf: (key: string) => number): number {
  let cache = side.orders[r]
  if (!cache) return orderOf(side.keys[r]!(fileIndex, testIndex))
  const slot = cache.length === 1 ? 0 : testIndex
  if (slot >= cache.length) {
    const grown = new Int32Array(Math.max(slot + 1, cache.length * 2)).fill(-1)
    grown.set(cache)
    side.orders[r] = cache = grown
  }
  if (cache[slot]! < 0) cache[slot] = orderOf(side.keys[r]!(fileIndex, testIndex))
  return cache[slot]!
}

/** One test's outcomes: its rows in the window (`v`, 4 numbers each) and its replays, by run id. */
function packOne(
  w: PackInput,
  id: number,
  test: string,
  v: ArrayLike<number>,
  replays: readonly WindowOutcome[],
  at: Int32Array,
  ids: Int32Array,
  side: RunSide,
  orderOf: (key: string) => number,
  buffers: Buffers,
): PackedHistory {
  const onlyInFile = w.facts.onlyInFile.has(id)
  const rows = v.length / 4
  const n = rows + replays.length
  // The run's index in the table (its id is `ids[run[i]]`).
  const { run, flags, retries, order } = buffers.fit(n)
  for (let i = 0, k = 0; i < rows; i++, k += 4) {
    const r = at[v[k]!]!
    const failed = v[k + 1] === 1
    const fileIndex = v[k + 2]!
    const testIndex = v[k + 3]!
    const retry = side.retried[r]?.get(id)
    run[i] = r
    flags[i] =
      (failed ? FLAG.failed : retry?.retried ? FLAG.retried : 0) |
      (side.quarantined[r]?.has(id) ? FLAG.quarantined : 0) |
      (onlyInFile && testIndex === 0 && declared(w.facts, side.records[r]!, id, fileIndex, testIndex) ? FLAG.declarationOrder : 0) |
      (side.partial[r] ? FLAG.partial : 0)
    retries[i] = retry?.retries ?? 0
    order[i] = orderAt(side, r, fileIndex, testIndex, orderOf)
  }
  const replayError = new Map<number, string | null>()
  replays.forEach((o, j) => {
    const i = rows + j
    run[i] = at[o.run]!
    flags[i] =
      (o.state === 'failed' ? FLAG.failed : 0) |
      (o.retried ? FLAG.retried : 0) |
      (o.quarantined ? FLAG.quarantined : 0) |
      (o.declarationOrder ? FLAG.declarationOrder : 0) |
      FLAG.replay
    retries[i] = o.retries
    order[i] = orderOf(o.order)
    replayError.set(o.run, o.error)
  })
  sortByRun(ids, run, flags, retries, order)
  const finding = findingHint(w.findings.get(test))
  return {
    test,
    length: n,
    run,
    flags,
    retries,
    order,
    error: (k) => {
      const r = ids[run[k]!]!
      if (flags[k]! & FLAG.replay) return replayError.get(r) ?? null
      return flags[k]! & FLAG.failed ? (w.errors.get(r)?.get(id) ?? null) : null
    },
    ...(finding ? { finding } : {}),
  }
}

/** Oldest first, as the metrics need (the rows come in no defined order; a test has one outcome a run). */
function sortByRun(ids: Int32Array, run: Int32Array, flags: Uint8Array, retries: Int32Array, order: Int32Array): void {
  let sorted = true
  for (let i = 1; i < run.length && sorted; i++) if (ids[run[i]!]! < ids[run[i - 1]!]!) sorted = false
  if (sorted) return
  const by = Array.from(run.keys()).sort((a, b) => ids[run[a]!]! - ids[run[b]!]!)
  const copy = <T extends Int32Array | Uint8Array>(a: T) => {
    const old = a.slice()
    by.forEach((from, to) => {
      a[to] = old[from]!
    })
  }
  copy(run)
  copy(flags)
  copy(retries)
  copy(order)
}
