import { shortSha, visible } from '../src/core/format.js'
import { fileId, testId } from '../src/core/names.js'
import type { RunRow, StoredResult } from '../src/store/index.js'
import { logicalRun } from '../src/store/shards.js'
import { localTime, openStore, printJson, type CommonOptions } from './common.js'

export interface ShownFile {
  /** The run that executed this file: with shards, each file comes from its own shard's run. */
  run?: number
  shard?: string | null
  project: string
  file: string
  index: number
  tests: Array<{
    name: string
    state: string
    index: number
    durationMs: number | null
    error: string | null
    worker: number | null
    /** The quarantine's reason, when the run had the test quarantined (its failure did not fail the run). */
    quarantined?: string
  }>
}

/** Results grouped by file, files and tests in executed order; `quarantine` marks the run's quarantined tests. */
export function groupByFile(results: readonly StoredResult[], quarantine: Readonly<Record<string, string>> | null = null): ShownFile[] {
  const files = new Map<string, ShownFile>()
  for (const r of results) {
    const key = `${r.fileIndex}\u0000${fileId(r.project, r.file)}`
    let entry = files.get(key)
    if (!entry) files.set(key, (entry = { project: r.project, file: r.file, index: r.fileIndex, tests: [] }))
    const quarantined = quarantine?.[testId(r.project, r.file, r.name)]
    entry.tests.push({
      name: r.name,
      state: r.state,
      index: r.testIndex,
      durationMs: r.durationMs,
      error: r.error,
      worker: r.worker,
      ...(quarantined !== undefined ? { quarantined } : {}),
    })
  }
  return [...files.values()]
}

export function runJson(run: RunRow) {
  return {
    id: run.id,
    uuid: run.uuid,
    kind: run.kind,
    seed: run.seed,
    seedSource: run.seedSource,
    status: run.status,
    commit: run.commitSha,
    branch: run.branch,
    dirty: run.dirty,
    ciProvider: run.ciProvider,
    ciUrl: run.ciUrl,
    shard: run.shard,
    pool: run.pool,
    isolate: run.isolate,
    fileParallelism: run.fileParallelism,
    vitestVersion: run.vitestVersion,
    nodeVersion: run.nodeVersion,
    flakeseedVersion: run.flakeseedVersion,
    platform: run.platform,
    argv: run.argv,
    root: run.root,
    config: run.config,
    startedAt: new Date(run.startedAt).toISOString(),
    finishedAt: run.finishedAt === null ? null : new Date(run.finishedAt).toISOString(),
  }
}

export function show(ref: string, options: CommonOptions): number {
  const store = openStore(options)
  try {
    const run = store.resolveRun(ref, ref === 'last' ? ['run', 'replay'] : undefined)
    // A shard shows its whole logical run: every shard's files, shard by shard.
    const shards = logicalRun(store, run)
    const files = shards.flatMap((part) =>
      groupByFile(store.results(part.id), part.quarantine).map((f) => (shards.length > 1 ? { run: part.id, shard: part.shard, ...f } : f)),
    )
    if (options.json) {
      const json = { run: runJson(run), files }
      if (shards.length > 1) Object.assign(json, { shards: shards.map((p) => ({ id: p.id, shard: p.shard, status: p.status })) })
      printJson(json)
      return 0
    }
    const counts = { passed: 0, failed: 0, skipped: 0 } as Record<string, number>
    for (const f of files) for (const t of f.tests) counts[t.state] = (counts[t.state] ?? 0) + 1
    console.log(`run ${run.id} (${run.kind}) · ${run.status} · seed ${visible(run.seed)} (${run.seedSource})`)
    console.log(
      `started ${localTime(new Date(run.startedAt).toISOString())} · commit ${shortSha(run.commitSha)}${run.dirty ? ' (dirty)' : ''} · branch ${visible(run.branch ?? '-')}`,
    )
    const where = [run.ciProvider && `ci ${run.ciProvider}${run.ciUrl ? ` ${run.ciUrl}` : ''}`, run.shard && `shard ${run.shard}`]
    const setup = `vitest ${run.vitestVersion ?? '?'} · node ${run.nodeVersion} · pool ${run.pool ?? '?'} · isolate ${run.isolate} · ${run.platform}`
    console.log([...where.filter(Boolean), setup].join(' · '))
    if (shards.length > 1) console.log(`one logical run of ${shards.length} shards: ${shards.map((p) => `${p.shard} run ${p.id} (${p.status})`).join(', ')}`)
    console.log(`${counts.passed} passed · ${counts.failed} failed · ${counts.skipped} skipped`)
    console.log('')
    console.log('executed order:')
    let shard: string | null | undefined
    for (const f of files) {
      if (f.shard !== shard && f.shard) console.log(`  shard ${(shard = f.shard)} (run ${f.run}):`)
      console.log(`  ${f.index + 1}. ${visible(fileId(f.project, f.file))}`)
      for (const t of f.tests) console.log(`       ${mark(t.state)} ${visible(t.name)}${t.quarantined !== undefined ? ' (quarantined)' : ''}`)
    }
    const failures = files.flatMap((f) => f.tests.filter((t) => t.state === 'failed').map((t) => ({ f, t })))
    if (failures.length) {
      console.log('')
      console.log('failures:')
      for (const { f, t } of failures) {
        const quarantined = t.quarantined !== undefined ? `  (quarantined: ${visible(t.quarantined)}; did not fail the run)` : ''
        console.log(`  ✗ ${visible(testId(f.project, f.file, t.name))}${quarantined}`)
        for (const line of (t.error ?? '').split('\n')) console.log(`      ${line}`)
      }
    }
    return 0
  } finally {
    store.close()
  }
}

function mark(state: string): string {
  return state === 'passed' ? '✓' : state === 'failed' ? '✗' : '↓'
}
