// A run's failures as the recorded history classes them: known flakes (and why) and new ones.
// The reporter prints them at the end of a failing run; `bisect --new` skips the explained ones.
import { describe as describeHistory, executionKeys, type FlakyClass } from '../analysis/flakiness.js'
import type { CommandOptions } from '../core/commands.js'
import { causeText, fixText } from '../core/format.js'
import { flakyWindow } from '../store/flaky.js'
import type { Store } from '../store/index.js'

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
