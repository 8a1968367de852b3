// Shards of one CI build as one logical run. Vitest's `--shard i/n` makes n separate runs (one
// per job, often one DB per job, merged later); users think of them as one run of the suite.
//
// The grouping rule, from what every shard records without any coordination between jobs:
// runs of kind `run` with a shard `i/n` belong together when they share the commit, the seed and
// the shard count n, started within GROUP_WINDOW of the group's first shard, and no shard index
// repeats (a rerun of shard 2 on the same commit and seed starts a new logical run). The CI build
// URL is not part of the key: GitLab and CircleCI give each shard job its own URL.
import { HOUR_MS } from '../core/defaults.js'
import type { RunRow, RunStatus, RunSummary, Store } from './index.js'

/** Shards of one build start within this much of each other (queues on busy CI can be long). */
export const GROUP_WINDOW = 6 * HOUR_MS

export interface ShardInfo {
  id: number
  kind: string
  commitSha: string | null
  seed: string
  shard: string | null
  startedAt: number
}

export function parseShard(shard: string | null): { index: number; count: number } | undefined {
  const match = shard ? /^(\d+)\/(\d+)$/.exec(shard) : null
  return match ? { index: Number(match[1]), count: Number(match[2]) } : undefined
}

/** Runs (in any order) grouped into logical runs; each group sorted by shard index, groups by first id. */
export function groupShards<T extends ShardInfo>(runs: readonly T[]): T[][] {
  const groups: T[][] = []
  const open = new Map<string, Array<{ first: number; indexes: Set<number>; runs: T[] }>>()
  const sorted = [...runs].sort((a, b) => a.startedAt - b.startedAt || a.id - b.id)
  for (const run of sorted) {
    const shard = parseShard(run.shard)
    if (run.kind !== 'run' || !shard || shard.count < 2) {
      groups.push([run])
      continue
    }
    const key = JSON.stringify([run.commitSha, run.seed, shard.count])
    const candidates = open.get(key) ?? []
    open.set(key, candidates)
    let group = candidates.find((g) => !g.indexes.has(shard.index) && run.startedAt - g.first <= GROUP_WINDOW)
    if (!group) {
      group = { first: run.startedAt, indexes: new Set(), runs: [] }
      candidates.push(group)
      groups.push(group.runs)
    }
    group.indexes.add(shard.index)
    group.runs.push(run)
  }
  for (const g of groups) g.sort((a, b) => (parseShard(a.shard)?.index ?? 0) - (parseShard(b.shard)?.index ?? 0) || a.id - b.id)
  return groups.sort((a, b) => Math.min(...a.map((r) => r.id)) - Math.min(...b.map((r) => r.id)))
}

/** The grouping facts of the runs `where` selects (all runs without it). */
export function shardInfos(store: Store, where = '', ...params: unknown[]): Array<ShardInfo & { status: string }> {
  return store.db.prepare(`SELECT id, kind, status, commit_sha AS commitSha, seed, shard, started_at AS startedAt FROM runs ${where}`).all(...params) as Array<
    ShardInfo & { status: string }
  >
}

/** The runs of the logical run `run` belongs to, by shard index (just `run` when it is not sharded). */
export function logicalRun(store: Store, run: RunRow): RunRow[] {
  const shard = parseShard(run.shard)
  if (run.kind !== 'run' || !shard || shard.count < 2) return [run]
  const candidates = shardInfos(
    store,
    `WHERE kind = 'run' AND seed = ? AND commit_sha IS ? AND shard LIKE ? AND started_at BETWEEN ? AND ?`,
    run.seed,
    run.commitSha,
    `%/${shard.count}`,
    run.startedAt - GROUP_WINDOW,
    run.startedAt + GROUP_WINDOW,
  )
  const group = groupShards(candidates).find((g) => g.some((r) => r.id === run.id)) ?? [run]
  return group.map((r) => (r.id === run.id ? run : store.resolveRun(String(r.id))))
}

export interface LogicalRunSummary extends RunSummary {
  /** Run ids of the shards, by shard index (one id for an unsharded run). */
  runs: number[]
  /** `i/n` of a lone shard, `k/n` shards present for a group, null when not sharded. */
  shard: string | null
  shards: number
}

const STATUS_RANK: readonly RunStatus[] = ['running', 'crashed', 'interrupted', 'failed', 'passed']

/** The status a group of shards shows: its worst shard's. */
export function worstStatus(statuses: readonly string[]): RunStatus {
  return STATUS_RANK.find((s) => statuses.includes(s)) ?? (statuses[0] as RunStatus)
}

/** The newest `limit` logical runs, newest first, with outcome counts summed over their shards. */
export function listLogicalRuns(store: Store, limit: number): LogicalRunSummary[] {
  const groups = groupShards(shardInfos(store)).slice(-limit).reverse()
  const ids = groups.flat().map((r) => r.id)
  const byId = new Map(store.listRunsById(ids).map((r) => [r.id, r]))
  return groups.map((group) => {
    const parts = group.map((r) => byId.get(r.id)!)
    const first = parts[0]!
    const shard = parseShard(group[0]!.shard)
    const status = worstStatus(parts.map((p) => p.status))
    return {
      ...first,
      status,
      passed: sum(parts, 'passed'),
      failed: sum(parts, 'failed'),
      skipped: sum(parts, 'skipped'),
      runs: parts.map((p) => p.id),
      shard: !shard ? null : parts.length === 1 ? group[0]!.shard : `${parts.length}/${shard.count}`,
      shards: shard ? parts.length : 0,
    }
  })
}

function sum(parts: RunSummary[], key: 'passed' | 'failed' | 'skipped'): number {
  return parts.reduce((n, p) => n + p[key], 0)
}
