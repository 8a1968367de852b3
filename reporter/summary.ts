// The end of a run with failures: which failures are known flakes (and why) and which are new,
// from the recorded history; and, on GitHub Actions, the same as a job summary in markdown.
import { appendFileSync } from 'node:fs'
import { describe as describeHistory, type FlakyClass } from '../src/analysis/flakiness.js'
import type { Store } from '../src/store/index.js'
import { flakyWindow } from '../src/store/flaky.js'
import { STATE } from '../src/store/schema.js'

export interface FailureNote {
  test: string
  /** `new`: never failed in the recorded window before this run. */
  class: FlakyClass | 'new'
  reason: string
  error: string | null
  /** What to run for this test (known flakes only; the run's replay/bisect commands cover the rest). */
  command: string | null
}

export interface RunFacts {
  runId: number | undefined
  seed: string
  failed: number
  status: string
  replay: string
  bisect: string | undefined
}

const LISTED = 10

/** Every failure of `runId`, classed by its history in the newest runs (this run included). */
export function classifyFailures(store: Store, runId: number, extra: readonly string[] = []): FailureNote[] {
  const ids = (store.db.prepare(`SELECT test_id FROM results WHERE run_id = ? AND state = ${STATE.failed}`).all(runId) as Array<{ test_id: number }>).map(
    (r) => r.test_id,
  )
  if (!ids.length) return []
  const { histories } = flakyWindow(store, { tests: ids })
  return histories
    .map((h): FailureNote => {
      const now = h.outcomes.find((o) => o.run === runId)
      const before = h.outcomes.filter((o) => o.run !== runId)
      if (!before.some((o) => o.state === 'failed')) {
        return { test: h.test, class: 'new', reason: 'first failure in the recorded runs', error: now?.error ?? null, command: null }
      }
      const row = describeHistory(h, undefined, { extra })
      return { test: h.test, class: row.class, reason: row.reason, error: now?.error ?? null, command: row.command }
    })
    .sort((a, b) => (a.class === 'new' ? 0 : 1) - (b.class === 'new' ? 0 : 1) || (a.test < b.test ? -1 : 1))
}

/** `2 failed: 1 known order-dependent (polluted by …), 1 new`, then one line per failure. */
export function consoleSummary(notes: readonly FailureNote[]): string[] {
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
  if (notes.length > LISTED) lines.push(`  … and ${notes.length - LISTED} more (npx flakeseed flaky)`)
  return lines
}

function label(n: FailureNote): string {
  return n.class === 'new' ? 'new' : `known ${n.class}`
}

/** The job summary: seed, run, failures with their class, the commands. */
export function markdownSummary(facts: RunFacts, notes: readonly FailureNote[] | undefined): string {
  const title = [`flakeseed`, facts.runId !== undefined ? `run ${facts.runId}` : undefined, `seed ${facts.seed}`].filter(Boolean).join(' · ')
  const lines = [`### ${escapeMd(title)}`, '']
  if (!facts.failed) lines.push(facts.status === 'interrupted' ? 'Interrupted.' : 'All tests passed.')
  else if (notes?.length) lines.push(escapeMd(consoleSummary(notes)[0]!.replace(/^flakeseed /, '')) + '.')
  else lines.push(`${facts.failed} failed.`)
  if (notes?.length) {
    lines.push('', '| test | class | why | error |', '|---|---|---|---|')
    for (const n of notes) {
      const error = n.error ? n.error.split('\n')[0]!.slice(0, 200) : ''
      lines.push(`| <code>${escapeCell(n.test)}</code> | ${n.class} | ${escapeCell(n.reason)} | ${escapeCell(error)} |`)
    }
  }
  lines.push('', 'Replay this run:', fence(facts.replay))
  if (facts.bisect) lines.push('Find what makes the failures fail:', fence(facts.bisect))
  const own = notes?.filter((n) => n.command) ?? []
  if (own.length) lines.push('Next step for each known flaky test:', fence(own.map((n) => n.command).join('\n')))
  return `${lines.join('\n')}\n`
}

export function appendStepSummary(path: string, markdown: string): void {
  appendFileSync(path, markdown)
}

/** A fenced block longer than any backtick run inside, so no test name can close it. */
function fence(text: string): string {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((m) => m.length))
  const ticks = '`'.repeat(longest + 1)
  return `${ticks}sh\n${text}\n${ticks}`
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

/** Table cells: HTML-escaped, and nothing that ends the cell or starts markdown. */
function escapeCell(text: string): string {
  return escapeHtml(text).replace(/\|/g, '&#124;').replace(/`/g, '&#96;').replace(/[*_[\]\\]/g, (c) => `&#${c.charCodeAt(0)};`).replace(/\r?\n/g, ' ')
}

function escapeMd(text: string): string {
  return escapeCell(text)
}
