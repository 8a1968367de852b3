// The end of a run with failures: which failures are known flakes (and why) and which are new,
// from the recorded history.
import { describe as describeHistory, executionKeys, type FlakyClass } from '../src/analysis/flakiness.js'
import { flakyCommand } from '../src/commands.js'
import { flakyWindow } from '../src/store/flaky.js'
import type { Store } from '../src/store/index.js'

export interface FailureNote {
  test: string
  /** `new`: never failed in the recorded window before this run. */
  class: FlakyClass | 'new'
  reason: string
  error: string | null
  /** What to run for this test (known flakes only; the run's replay/bisect commands cover the rest). */
  command: string | null
}

/** Failures listed one per line; the rest are counted. */
const LISTED = 10

/**
 * Every failure of `runId` but the quarantined ones (`except`, listed on their own), classed by
 * its history in the newest runs (this run included; earlier runs where most tests failed left out).
 */
export function classifyFailures(store: Store, runId: number, db: readonly string[] = [], except: ReadonlySet<string> = new Set()): FailureNote[] {
  const ids = store.failedTestIds(runId)
  if (!ids.length) return []
  const { histories } = flakyWindow(store, { tests: ids, orderKeys: executionKeys, keepRun: runId })
  return histories
    .filter((h) => !except.has(h.test))
    .map((h): FailureNote => {
      const now = h.outcomes.find((o) => o.run === runId)
      const before = h.outcomes.filter((o) => o.run !== runId)
      if (!before.some((o) => o.state === 'failed')) {
        return { test: h.test, class: 'new', reason: 'first failure in the recorded runs', error: now?.error ?? null, command: null }
      }
      const row = describeHistory(h, undefined, { db })
      return { test: h.test, class: row.class, reason: row.reason, error: now?.error ?? null, command: row.command }
    })
    .sort((a, b) => (a.class === 'new' ? 0 : 1) - (b.class === 'new' ? 0 : 1) || (a.test < b.test ? -1 : 1))
}

/** `2 failed: 1 known order-dependent (polluted by …), 1 new`, then one line per failure. */
export function consoleSummary(notes: readonly FailureNote[], db: readonly string[] = []): string[] {
  if (!notes.length) return []
  const groups = new Map<string, FailureNote[]>()
  for (const n of notes) groups.set(n.class, [...(groups.get(n.class) ?? []), n])
  const parts = [...groups].map(([cls, list]) => {
    if (cls === 'new') return `${list.length} new`
    return `${list.length} known ${cls}${list.length === 1 ? ` (${list[0]!.reason})` : ''}`
  })
  // Not `flakeseed:`, which starts warnings and errors: this is the run's own report, like the end line.
  const lines = [`flakeseed ${notes.length} failed: ${parts.join(', ')}`]
  const width = Math.max(...notes.map((n) => label(n).length))
  for (const n of notes.slice(0, LISTED)) {
    lines.push(`  ${label(n).padEnd(width)}  ${n.test}${n.class !== 'new' && groups.get(n.class)!.length > 1 ? ` (${n.reason})` : ''}`)
    if (n.command) lines.push(`  ${' '.repeat(width)}  next: ${n.command}`)
  }
  if (notes.length > LISTED) lines.push(`  … and ${notes.length - LISTED} more (${flakyCommand({ db })})`)
  return lines
}

function label(n: FailureNote): string {
  return n.class === 'new' ? 'new' : `known ${n.class}`
}
