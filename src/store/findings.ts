// What replay and bisect established, and the recorded orders bisect draws on.
import { PASSING_RUNS_SEARCHED } from '../core/defaults.js'
import type { Finding, FindingKind, Fix, Leak } from '../core/model.js'
import { testId } from '../core/names.js'
import type { Store } from './index.js'
import { STATE } from './schema.js'

export function saveFinding(store: Store, runId: number, finding: Finding, command: string): void {
  store.db
    .prepare(
      `INSERT INTO findings (run_id, victim, kind, polluters, state_setters, cleaners, probes, command, created_at, leaks, fix)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      runId,
      finding.victim,
      finding.kind,
      JSON.stringify(finding.describe ? [finding.describe] : finding.polluters),
      JSON.stringify(finding.stateSetters),
      JSON.stringify(finding.cleaners),
      finding.probes,
      command,
      Date.now(),
      finding.leaks ? JSON.stringify(finding.leaks) : null,
      finding.fix ? JSON.stringify(finding.fix) : null,
    )
}

/** A finding as stored: the bisect's result, the run it was about, and its reproduce command. */
export interface StoredFinding extends Pick<Finding, 'victim' | 'kind' | 'polluters' | 'stateSetters' | 'cleaners' | 'probes'> {
  runId: number | null
  command: string | null
  /** What the culprits left behind (schema 3; absent for older findings). */
  leaks?: Leak[]
  fix?: Fix
  createdAt: number
}

/** The newest finding per victim. */
export function latestFindings(store: Store): Map<string, StoredFinding> {
  const rows = store.db
    .prepare(
      `SELECT f.* FROM findings f
       JOIN (SELECT victim, max(id) AS id FROM findings GROUP BY victim) latest ON latest.id = f.id`,
    )
    .all() as Array<Record<string, unknown>>
  const map = new Map<string, StoredFinding>()
  for (const r of rows) {
    const finding: StoredFinding = {
      runId: r.run_id as number | null,
      victim: r.victim as string,
      kind: r.kind as FindingKind,
      polluters: JSON.parse(r.polluters as string),
      stateSetters: JSON.parse(r.state_setters as string),
      cleaners: JSON.parse(r.cleaners as string),
      probes: r.probes as number,
      command: r.command as string | null,
      createdAt: r.created_at as number,
    }
    // Columns of schema 3: a read-only DB of an older schema has none.
    if (typeof r.leaks === 'string') finding.leaks = JSON.parse(r.leaks)
    if (typeof r.fix === 'string') finding.fix = JSON.parse(r.fix)
    map.set(finding.victim, finding)
  }
  return map
}

/** Newest runs (other than `exceptRun`) in which the test with this id passed. */
export function runsWhereTestPassed(store: Store, id: string, exceptRun: number, limit = PASSING_RUNS_SEARCHED): number[] {
  const test = store.findTests(id).find((t) => testId(t.project, t.file, t.name) === id)
  if (!test) return []
  const rows = store.db
    .prepare(`SELECT run_id FROM results WHERE test_id = ? AND state = ? AND run_id != ? ORDER BY run_id DESC LIMIT ?`)
    .all(test.id, STATE.passed, exceptRun, limit) as Array<{ run_id: number }>
  return rows.map((r) => r.run_id)
}
