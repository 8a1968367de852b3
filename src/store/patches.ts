// Verified patches (`flakeseed fix`): what was verified, onto which bytes, so `fix --apply` writes
// exactly that and `flaky` and the HTML report can say "patch ready". A table of its own, created
// when missing (no schema version of its own: an older flakeseed ignores it).
import { holdsSecret } from '../core/secrets.js'
import type { Store } from './index.js'

/** The victim a `fix --all` combination is stored under: no test id has no ` > `. */
export const ALL_VICTIMS = '(all)'

/** A patch as stored: the edits hold the bytes it was verified on (`before`) and writes (`after`). */
export interface StoredPatch {
  runId: number
  victim: string
  summary: string
  diff: string
  verified: string
  edits: Array<{ path: string; before: string; after: string }>
  /**
   * sha256 of every other file the verification ran (relative path → hex): test files, config, the
   * project files they import. Absent for a patch stored before they were kept.
   */
  inputs?: Record<string, string>
  createdAt: number
}

/** A patch not stored because its text may hold a secret: only that it was verified (the `withheld` column). */
const WITHHELD = { diff: '', edits: '[]' }

const TABLE = `CREATE TABLE IF NOT EXISTS patches (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL,
  victim TEXT NOT NULL,
  summary TEXT NOT NULL,
  diff TEXT NOT NULL,
  verified TEXT NOT NULL,
  edits TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  inputs TEXT,
  withheld INTEGER
)`

/** The table, and the columns a table created before them lacks (`inputs`, `withheld`). */
function ensureTable(store: Store): void {
  store.db.exec(TABLE)
  const columns = store.db.prepare('PRAGMA table_info(patches)').all() as Array<{ name: string }>
  if (!columns.some((c) => c.name === 'inputs')) store.db.exec('ALTER TABLE patches ADD COLUMN inputs TEXT')
  if (!columns.some((c) => c.name === 'withheld')) store.db.exec('ALTER TABLE patches ADD COLUMN withheld INTEGER')
}

/**
 * Stores a verified patch. One whose text may hold a secret (the files as patched are stored
 * whole) is stored as withheld, without its text: false then, and `fix --apply` says so and
 * verifies it again rather than read it from the history.
 */
export function savePatch(store: Store, patch: Omit<StoredPatch, 'createdAt'>): boolean {
  const secret = [patch.diff, ...patch.edits.flatMap((e) => [e.before, e.after])].some(holdsSecret)
  ensureTable(store)
  store.db
    .prepare('INSERT INTO patches (run_id, victim, summary, diff, verified, edits, created_at, inputs, withheld) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
    .run(
      patch.runId,
      patch.victim,
      holdsSecret(patch.summary) ? '' : patch.summary,
      secret ? WITHHELD.diff : patch.diff,
      patch.verified,
      secret ? WITHHELD.edits : JSON.stringify(patch.edits),
      Date.now(),
      patch.inputs && !secret ? JSON.stringify(patch.inputs) : null,
      secret ? 1 : null,
    )
  return !secret
}

/** The newest patch row per victim of `runId` (every run when undefined); none in a DB without the table. */
function latestRows(store: Store, runId?: number): Array<Record<string, unknown>> {
  const exists = store.db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'patches'`).get()
  if (!exists) return []
  return store.db
    .prepare(
      `SELECT p.* FROM patches p JOIN (SELECT victim, max(id) AS id FROM patches ${runId === undefined ? '' : 'WHERE run_id = ?'} GROUP BY victim) latest
       ON latest.id = p.id`,
    )
    .all(...(runId === undefined ? [] : [runId])) as Array<Record<string, unknown>>
}

/** The victims of `runId` (every run when undefined) whose newest verified patch was withheld (its text may hold a secret). */
export function withheldPatches(store: Store, runId?: number): Set<string> {
  return new Set(
    latestRows(store, runId)
      .filter((r) => r.withheld)
      .map((r) => r.victim as string),
  )
}

/** The newest verified patch per victim of `runId` (every run when undefined), when its text was stored. */
export function latestPatches(store: Store, runId?: number): Map<string, StoredPatch> {
  const rows = latestRows(store, runId).filter((r) => !r.withheld)
  return new Map(
    rows.map((r) => [
      r.victim as string,
      {
        runId: r.run_id as number,
        victim: r.victim as string,
        summary: r.summary as string,
        diff: r.diff as string,
        verified: r.verified as string,
        edits: JSON.parse(r.edits as string),
        ...(typeof r.inputs === 'string' ? { inputs: JSON.parse(r.inputs) } : {}),
        createdAt: r.created_at as number,
      },
    ]),
  )
}

/** Deletes the patches verified on these runs (`prune`, inside its transaction; `ids` a JSON array). */
export function deletePatchesOf(store: Store, ids: string): number {
  const exists = store.db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'patches'`).get()
  if (!exists) return 0
  return store.db.prepare('DELETE FROM patches WHERE run_id IN (SELECT value FROM json_each(?))').run(ids).changes
}
