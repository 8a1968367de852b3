// Retention: drop old runs with their results, findings and verified patches, the tests nothing refers to any
// more, then VACUUM so the file actually shrinks (a cached CI history grows with every build).
import { existsSync, statSync } from 'node:fs'
import { DAY_MS } from '../core/defaults.js'
import { FlakeseedError } from '../core/errors.js'
import type { Store } from './index.js'
import { groupShards, shardInfos } from './shards.js'
import { deletePatchesOf } from './patches.js'
import { hasRunFiles } from './run-files.js'
import { hasTallies } from './tallies.js'

export interface PruneOptions {
  /** Keep the newest N logical runs of kind `run` (the shards of one build count as one), and the replays since. */
  keep?: number
  /** Drop runs that started more than this many days ago. */
  olderThanDays?: number
  now?: number
}

export interface PruneSummary {
  runsRemoved: number
  runsKept: number
  resultsRemoved: number
  testsRemoved: number
  findingsRemoved: number
  /** Runs that would have gone but are still being recorded by a live process. */
  runningKept: number
  bytesBefore: number
  bytesAfter: number
}

export function pruneStore(store: Store, options: PruneOptions): PruneSummary {
  const { keep, olderThanDays } = options
  if (keep === undefined && olderThanDays === undefined) throw new FlakeseedError('flakeseed: prune needs --keep N or --older-than DAYS')
  const now = options.now ?? Date.now()
  const bytesBefore = fileBytes(store.path)

  const runs = shardInfos(store)
  const groups = groupShards(runs)
  // Newest logical runs first: a group is as new as its latest shard.
  groups.sort(
    (a, b) =>
      Math.max(...b.map((r) => r.startedAt)) - Math.max(...a.map((r) => r.startedAt)) || Math.max(...b.map((r) => r.id)) - Math.max(...a.map((r) => r.id)),
  )
  const doomed: number[] = []
  let runningKept = 0
  // --keep counts runs of kind `run`; a replay stays as long as a run at least as old as it does.
  let seen = 0
  groups.forEach((group) => {
    const isRun = group[0]!.kind === 'run'
    const beyond = keep !== undefined && (isRun ? ++seen > keep : seen >= keep)
    for (const run of group) {
      const old = olderThanDays !== undefined && run.startedAt < now - olderThanDays * DAY_MS
      if (!beyond && !old) continue
      // A run still being recorded stays: its reporter would write results for a missing run.
      if (run.status === 'running' && store.resolveRun(String(run.id)).status === 'running') runningKept++
      else doomed.push(run.id)
    }
  })

  const ids = JSON.stringify(doomed)
  const removed = store.db
    .transaction(() => {
      const findings = store.db.prepare('DELETE FROM findings WHERE run_id IN (SELECT value FROM json_each(?))').run(ids).changes
      // A patch verified on a run goes with it: `fix --apply` reads it with its run's order.
      deletePatchesOf(store, ids)
      const results = deleteResults(store, ids)
      // The runs' tallies and packed rows go with their results (src/store/tallies.ts, src/store/run-files.ts).
      if (hasTallies(store.db)) store.db.prepare('DELETE FROM run_tallies WHERE run_id IN (SELECT value FROM json_each(?))').run(ids)
      if (hasRunFiles(store.db)) store.db.prepare('DELETE FROM run_files WHERE run_id IN (SELECT value FROM json_each(?))').run(ids)
      const runsRemoved = store.db.prepare('DELETE FROM runs WHERE id IN (SELECT value FROM json_each(?))').run(ids).changes
      const tests = doomed.length
        ? store.db.prepare('DELETE FROM tests WHERE NOT EXISTS (SELECT 1 FROM results WHERE results.test_id = tests.id)').run().changes
        : 0
      return { findings, results, runsRemoved, tests }
    })
    .immediate()

  if (doomed.length) {
    store.db.exec('VACUUM')
    store.db.pragma('wal_checkpoint(TRUNCATE)')
  }
  return {
    runsRemoved: removed.runsRemoved,
    runsKept: runs.length - removed.runsRemoved,
    resultsRemoved: removed.results,
    testsRemoved: removed.tests,
    findingsRemoved: removed.findings,
    runningKept,
    bytesBefore,
    bytesAfter: fileBytes(store.path),
  }
}

/**
 * Deletes the results of these runs. When most rows go (the usual retention case), copying the
 * rows that stay into a fresh table is several times faster than deleting row by row from the
 * clustered table and its index (2 M results: about 1 s instead of 4 s). The table and indexes
 * are re-created from their own stored SQL, so this follows whatever the schema is.
 */
function deleteResults(store: Store, ids: string): number {
  const db = store.db
  const total = db.prepare('SELECT count(*) FROM results').pluck().get() as number
  const doomed = db.prepare('SELECT count(*) FROM results WHERE run_id IN (SELECT value FROM json_each(?))').pluck().get(ids) as number
  if (doomed * 2 < total) return db.prepare('DELETE FROM results WHERE run_id IN (SELECT value FROM json_each(?))').run(ids).changes
  const table = db.prepare(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'results'`).pluck().get() as string
  const indexes = db.prepare(`SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'results' AND sql IS NOT NULL`).pluck().all() as string[]
  // After a rename SQLite stores the name quoted: `CREATE TABLE "results" (…`.
  const kept = table.replace(/^CREATE TABLE\s+(?:"results"|`results`|\[results\]|results\b)/i, 'CREATE TABLE results_kept')
  if (kept === table) throw new Error(`flakeseed: unexpected results table definition: ${table.slice(0, 60)}`)
  db.exec(kept)
  db.prepare('INSERT INTO results_kept SELECT * FROM results WHERE run_id NOT IN (SELECT value FROM json_each(?))').run(ids)
  db.exec('DROP TABLE results')
  db.exec('ALTER TABLE results_kept RENAME TO results')
  for (const sql of indexes) db.exec(sql)
  return doomed
}

/** The DB's size on disk, with its write-ahead log. */
export function fileBytes(path: string): number {
  let bytes = 0
  for (const file of [path, `${path}-wal`]) if (existsSync(file)) bytes += statSync(file).size
  return bytes
}
