// The end of a run with failures: which failures are known flakes (and why) and which are new,
// from the recorded history.
import { describe as describeHistory, executionKeys, type FlakyClass } from '../src/analysis/flakiness.js'
import { type CommandOptions, flakyCommand } from '../src/core/commands.js'
import { causeText, fixText, visible } from '../src/core/format.js'
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
  /** The leak bisect verified as the cause, and the fix, when it diagnosed this test. */
  leak?: string
  fix?: string
}

/** Failures listed one per line; the rest are counted. */
const LISTED = 10

/** Columns before a failure's leak, fix and next command: two more than its own line. */
const DETAIL_INDENT = 4

/**
 * Every failure of `runId` but the quarantined ones (`except`, listed on their own), classed by
 * its history in the newest runs (this run included; earlier runs where most tests failed left out).
 */
export function classifyFailures(store: Store, runId: number, commands: CommandOptions = {}, except: ReadonlySet<string> = new Set()): FailureNote[] {
  const ids = store.failedTestIds(runId)
  if (!ids.length) return []
  const { histories } = flakyWindow(store, { tests: ids, orderKeys: executionKeys, keepRun: runId })
  return histories
    .filter((h) => !except.has(h.test))
    .map((h): FailureNote => {
      const now = h.outcomes.find((o) => o.run === runId)
      // A failure in a replay is not one of the suite's runs failing.
      const before = h.outcomes.filter((o) => o.run !== runId && o.evidence !== 'replay')
      if (!before.some((o) => o.state === 'failed')) {
        return { test: h.test, class: 'new', reason: 'first failure in the recorded runs', error: now?.error ?? null, command: null }
      }
      const row = describeHistory(h, undefined, commands)
      const note: FailureNote = { test: h.test, class: row.class, reason: row.reason, error: now?.error ?? null, command: row.command }
      const cause = causeText(h.finding?.leaks)
      if (cause) note.leak = cause
      if (h.finding?.fix) note.fix = fixText(h.finding.fix, h.finding.kind)
      return note
    })
    .sort((a, b) => (a.class === 'new' ? 0 : 1) - (b.class === 'new' ? 0 : 1) || (a.test < b.test ? -1 : 1))
}

/** `2 failed: 1 known order-dependent (polluted by …), 1 new`, then one line per failure. */
export function consoleSummary(notes: readonly FailureNote[], commands: CommandOptions = {}): string[] {
  if (!notes.length) return []
  const groups = new Map<string, FailureNote[]>()
  for (const n of notes) groups.set(n.class, [...(groups.get(n.class) ?? []), n])
  const parts = [...groups].map(([cls, list]) => {
    if (cls === 'new') return `${list.length} new`
    return `${list.length} known ${cls}${list.length === 1 ? ` (${visible(list[0]!.reason)})` : ''}`
  })
  // Not `flakeseed:`, which starts warnings and errors: this is the run's own report, like the end line.
  const lines = [`flakeseed ${notes.length} failed: ${parts.join(', ')}`]
  const width = Math.max(...notes.map((n) => label(n).length))
  // What follows a failure is indented a little under it, not under the widest label: a long
  // class name would push every `next:` far right (35 columns with `known suspected-order-dependent`).
  const under = ' '.repeat(DETAIL_INDENT)
  for (const n of notes.slice(0, LISTED)) {
    lines.push(`  ${label(n).padEnd(width)}  ${visible(n.test)}${n.class !== 'new' && groups.get(n.class)!.length > 1 ? ` (${visible(n.reason)})` : ''}`)
    if (n.leak) lines.push(`${under}leaked ${visible(n.leak)}`)
    if (n.fix) lines.push(`${under}fix: ${visible(n.fix)}`)
    if (n.command) lines.push(`${under}next: ${n.command}`)
  }
  if (notes.length > LISTED) lines.push(`  … and ${notes.length - LISTED} more (${flakyCommand(commands)})`)
  return lines
}

function label(n: FailureNote): string {
  return n.class === 'new' ? 'new' : `known ${n.class}`
}
