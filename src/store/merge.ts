// Merging history DBs from CI shards and jobs into one. SQLite files are the unit of exchange:
// a run is identified by its uuid, so merging the same DB twice (or a DB that already holds some
// of the runs) adds only what is new. Test ids are local to a DB and are remapped by
// (project, file, name).
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import type Database from 'better-sqlite3'
import { dbWords, retargetCommand } from '../core/commands.js'
import { FlakeseedError } from '../core/errors.js'
import { asStoreError, quickCheck, Store } from './index.js'
import { rebuildRunFiles } from './run-files.js'
import { recountRun } from './tallies.js'

export interface MergeSummary {
  sources: number
  runsAdded: number
  runsSkipped: number
  resultsAdded: number
  findingsAdded: number
}

/**
 * Merges every source into `target` (created when missing). Sources are only read; one older
 * than this flakeseed's schema is migrated in a temp copy first. Every source is read whole
 * (a flakeseed history, not damaged) and the target identified before anything is written, so
 * bad input leaves every file untouched.
 */
export function mergeDatabases(sources: readonly string[], target: string, timeout?: number): MergeSummary {
  if (!sources.length) throw new FlakeseedError('flakeseed: merge needs at least one database to merge')
  const targetPath = resolve(target)
  const opened: Store[] = []
  const summary: MergeSummary = { sources: sources.length, runsAdded: 0, runsSkipped: 0, resultsAdded: 0, findingsAdded: 0 }
  try {
    for (const source of sources) {
      if (resolve(source) === targetPath) throw new FlakeseedError(`flakeseed: ${source} is the merge target itself`)
      opened.push(openSource(source, timeout))
    }
    const store = Store.open(target, { timeout })
    try {
      for (const source of opened) {
        const added = store.db.transaction(() => mergeOne(store.db, source.db, target)).immediate()
        summary.runsAdded += added.runsAdded
        summary.runsSkipped += added.runsSkipped
        summary.resultsAdded += added.resultsAdded
        summary.findingsAdded += added.findingsAdded
      }
    } catch (error) {
      // The sources were read whole before: what fails now is the target.
      throw asStoreError(error, target, 'cannot merge into')
    } finally {
      store.close()
    }
    return summary
  } finally {
    for (const source of opened) source.close()
  }
}

/** A source, read-only at the current schema (the file itself, or a migrated temp copy), checked whole. */
function openSource(path: string, timeout: number | undefined): Store {
  if (!existsSync(path)) throw new FlakeseedError(`flakeseed: ${path} does not exist`)
  const store = Store.open(path, { readonly: true, untouched: true, timeout })
  try {
    // Read whole now, so that a damaged source is named as such, not the target it is merged into.
    quickCheck(store.db, path)
    return store
  } catch (error) {
    store.close()
    throw asStoreError(error, path)
  }
}

/** Column names of a table, so that copying follows the schema rather than a hand-kept list. */
function columns(db: Database.Database, table: string): string[] {
  return (db.pragma(`table_info(${table})`) as Array<{ name: string }>).map((c) => c.name)
}

/** A copied run's tallies and packed rows, from what it now holds (src/store/tallies.ts, src/store/run-files.ts). */
function aggregate(target: Database.Database, runId: number): void {
  recountRun(target, runId)
  rebuildRunFiles(target, runId)
}

function mergeOne(target: Database.Database, source: Database.Database, targetArg: string): Omit<MergeSummary, 'sources'> {
  const added = { runsAdded: 0, runsSkipped: 0, resultsAdded: 0, findingsAdded: 0 }
  const sourceRunColumns = new Set(columns(source, 'runs'))
  const runColumns = columns(target, 'runs').filter((c) => c !== 'id' && sourceRunColumns.has(c))
  const sourceResultColumns = new Set(columns(source, 'results'))
  const resultColumns = columns(target, 'results').filter((c) => c !== 'run_id' && c !== 'test_id' && sourceResultColumns.has(c))
  const sourceFindingColumns = new Set(columns(source, 'findings'))
  const findingColumns = columns(target, 'findings').filter((c) => c !== 'id' && c !== 'run_id' && sourceFindingColumns.has(c))

  const hasRun = target.prepare('SELECT id FROM runs WHERE uuid = ?').pluck()
  const insertRun = target.prepare(`INSERT INTO runs (${runColumns.join(', ')}) VALUES (${runColumns.map((c) => `@${c}`).join(', ')})`)
  const upsertTest = target
    .prepare(
      `INSERT INTO tests (project, file, name) VALUES (?, ?, ?)
     ON CONFLICT (project, file, name) DO UPDATE SET name = excluded.name RETURNING id`,
    )
    .pluck()
  const insertResult = target.prepare(
    `INSERT OR IGNORE INTO results (run_id, test_id, ${resultColumns.join(', ')})
     VALUES (?, ?, ${resultColumns.map(() => '?').join(', ')})`,
  )
  const sameFinding = target
    .prepare(`SELECT 1 FROM findings WHERE victim = @victim AND kind = @kind AND created_at = @created_at AND polluters = @polluters`)
    .pluck()
  const insertFinding = target.prepare(
    `INSERT INTO findings (run_id, ${findingColumns.join(', ')}) VALUES (@run_id, ${findingColumns.map((c) => `@${c}`).join(', ')})`,
  )

  // Run ids of the source mapped to the target's: added runs to their new id, known runs to the
  // id they already have (findings of a known run still attach to it).
  const runIds = new Map<number, number>()
  const addedRuns: number[] = []
  for (const run of source.prepare('SELECT * FROM runs ORDER BY started_at, id').iterate() as Iterable<Record<string, unknown>>) {
    const existing = hasRun.get(run.uuid) as number | undefined
    if (existing !== undefined) {
      runIds.set(run.id as number, existing)
      added.runsSkipped++
      continue
    }
    const row: Record<string, unknown> = {}
    for (const c of runColumns) row[c] = run[c]
    const id = Number(insertRun.run(row).lastInsertRowid)
    runIds.set(run.id as number, id)
    addedRuns.push(run.id as number)
    added.runsAdded++
  }

  const testIds = new Map<number, number>()
  const testOf = source.prepare('SELECT project, file, name FROM tests WHERE id = ?')
  const mapTest = (id: number): number => {
    let mapped = testIds.get(id)
    if (mapped === undefined) {
      const t = testOf.get(id) as { project: string; file: string; name: string }
      mapped = upsertTest.get(t.project, t.file, t.name) as number
      testIds.set(id, mapped)
    }
    return mapped
  }
  const resultsOf = source.prepare(`SELECT test_id, ${resultColumns.join(', ')} FROM results WHERE run_id = ?`).raw()
  for (const sourceRun of addedRuns) {
    const runId = runIds.get(sourceRun)!
    for (const [testId, ...rest] of resultsOf.iterate(sourceRun) as Iterable<unknown[]>) {
      added.resultsAdded += insertResult.run(runId, mapTest(testId as number), ...rest).changes
    }
    aggregate(target, runId)
  }

  // Findings have no uuid of their own: one is the same finding when it names the same victim,
  // kind, polluters and creation time.
  for (const finding of source.prepare('SELECT * FROM findings ORDER BY id').iterate() as Iterable<Record<string, unknown>>) {
    if (sameFinding.get({ victim: finding.victim, kind: finding.kind, created_at: finding.created_at, polluters: finding.polluters })) continue
    const row: Record<string, unknown> = { run_id: finding.run_id === null ? null : (runIds.get(finding.run_id as number) ?? null) }
    for (const c of findingColumns) row[c] = finding[c]
    if (typeof row.command === 'string') row.command = retargetCommand(row.command, row.run_id as number | null, dbWords(targetArg))
    insertFinding.run(row)
    added.findingsAdded++
  }
  return added
}
