// What the HTML report shows, gathered from the store: the window's runs with their counts, the
// flaky tests' rows and outcomes, the findings bisect and replay left for them, and for a test
// without one, its suspects from the history.
import { DEFAULT_TOP } from '../core/defaults.js'
import { analyse, type CommandOptions, executionKeys, type FlakyRow, type RunOutcome } from '../analysis/flakiness.js'
import { type Suspect, shownSuspects, wantsSuspects } from '../analysis/suspects.js'
import { latestFindings, type StoredFinding } from '../store/findings.js'
import { flakyWindow, type WindowOptions, type WindowRun } from '../store/flaky.js'
import type { Store } from '../store/index.js'
import { suspectTallies } from '../store/suspects.js'

export interface ReportTest {
  row: FlakyRow
  outcomes: RunOutcome[]
  finding: StoredFinding | null
  /** The best few suspects from the history (statistical), for a test without a finding. */
  suspects: Suspect[]
}

export interface ReportData {
  db: string
  generatedAt: number
  /** Every run of the window, left-out ones marked. */
  runs: WindowRun[]
  /** The failure share above which a run was left out of rates and classes. */
  maxRunFailureRate: number
  /** Every flaky test, most disruptive first. */
  tests: ReportTest[]
  /** How many of them the page shows in full (the rest as a compact list); DEFAULT_TOP when absent. */
  top?: number
}

export function reportData(store: Store, options: Omit<WindowOptions, 'orderKeys'> & CommandOptions & { minRuns?: number; top?: number }): ReportData {
  const top = options.top ?? DEFAULT_TOP
  const window = flakyWindow(store, { ...options, orderKeys: executionKeys })
  const rows = analyse(window.histories, { db: options.db, launcher: options.launcher, minRuns: options.minRuns })
  const byTest = new Map(window.histories.map((h) => [h.test, h]))
  const findings = latestFindings(store)
  const tallies = suspectTallies(
    store,
    // Suspects show in the details, which only the top tests have.
    rows
      .slice(0, top)
      .filter(wantsSuspects)
      .map((row) => row.test),
    window.runs.map((r) => r.runs),
    window.rows,
  )
  const shown = (test: string): Suspect[] => {
    const tally = tallies.get(test)
    return tally ? shownSuspects(tally) : []
  }
  return {
    db: store.path,
    generatedAt: Date.now(),
    runs: window.runs,
    maxRunFailureRate: window.maxRunFailureRate,
    top,
    tests: rows.map((row) => ({
      row,
      outcomes: byTest.get(row.test)?.outcomes ?? [],
      finding: findings.get(row.test) ?? null,
      suspects: shown(row.test),
    })),
  }
}
