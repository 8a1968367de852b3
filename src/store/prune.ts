// Retention: drop old runs with their results and findings, the tests nothing refers to any
// more, then VACUUM so the file actually shrinks (a cached CI history grows with every build).
import { existsSync, statSync } from 'node:fs'
import { FlakeseedError } from '../options.js'
import type { Store } from './index.js'
import { groupShards, type ShardInfo } from './shards.js'

export interface PruneOptions {
  /** Keep the newest N logical runs (the shards of one build count as one). */
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

  const runs = store.db
    .prepare('SELECT id, kind, status, commit_sha AS commitSha, seed, shard, started_at AS startedAt FROM runs')
    .all() as Array<ShardInfo & { status: string }>
  const groups = groupShards(runs)
  // Newest logical runs first: a group is as new as its latest shard.
  groups.sort((a, b) => Math.max(...b.map((r) => r.startedAt)) - Math.max(...a.map((r) => r.startedAt)) || Math.max(...b.map((r) => r.id)) - Math.max(...a.map((r) => r.id)))
  const doomed: number[] = []
  let runningKept = 0
  groups.forEach((group, i) => {
    for (const run of group) {
      const old = olderThanDays !== undefined && run.startedAt < now - olderThanDays * 86_400_000
      if (!(keep !== undefined && i >= keep) && !old) continue
      // A run still being recorded stays: its reporter would write results for a missing run.
      if (run.status === 'running' && store.resolveRun(String(run.id)).status === 'running') runningKept++
      else doomed.push(run.id)
    }
  })

  const ids = JSON.stringify(doomed)
  const removed = store.db.transaction(() => {
    const findings = store.db.prepare('DELETE FROM findings WHERE run_id IN (SELECT value FROM json_each(?))').run(ids).changes
    const results = store.db.prepare('DELETE FROM results WHERE run_id IN (SELECT value FROM json_each(?))').run(ids).changes
    const runsRemoved = store.db.prepare('DELETE FROM runs WHERE id IN (SELECT value FROM json_each(?))').run(ids).changes
    const tests = doomed.length
      ? store.db.prepare('DELETE FROM tests WHERE NOT EXISTS (SELECT 1 FROM results WHERE results.test_id = tests.id)').run().changes
      : 0
    return { findings, results, runsRemoved, tests }
  }).immediate()

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

/** The DB's size on disk, with its write-ahead log. */
export function fileBytes(path: string): number {
  let bytes = 0
  for (const file of [path, `${path}-wal`]) if (existsSync(file)) bytes += statSync(file).size
  return bytes
}
