// On GitHub Actions, every run appends a job summary in markdown: seed, run, each failure with
// its class and error, and the commands. Every test name and error is escaped: nothing in them
// can end a table cell or a code block.
import { appendFileSync } from 'node:fs'
import { causeText, fixText, plural } from '../src/core/format.js'
import type { AutoBisect } from './auto-bisect.js'
import type { QuarantinedOutcome } from './quarantine.js'
import { causeGroups, causeHeader } from '../src/analysis/causes.js'
import type { FailureNote } from '../src/history/failures.js'
import { consoleSummary } from './summary.js'
import { holdsSecret } from '../src/core/secrets.js'

export interface RunFacts {
  runId: number | undefined
  seed: string
  /** Failures that fail the run. */
  failed: number
  quarantinedFailed: number
  status: string
  replay: string
  bisect: string | undefined
}

/** Error lines are cut to this many characters in the table. */
const ERROR_WIDTH = 200

export function markdownSummary(
  facts: RunFacts,
  notes: readonly FailureNote[] | undefined,
  quarantined: readonly QuarantinedOutcome[] = [],
  bisected?: AutoBisect,
): string {
  const title = ['flakeseed', facts.runId !== undefined ? `run ${facts.runId}` : undefined, `seed ${facts.seed}`].filter(Boolean).join(' · ')
  const lines = [`### ${escapeCell(title)}`, '']
  const released = quarantined.filter((q) => q.state === 'failed')
  if (!facts.failed) {
    if (facts.status === 'interrupted') lines.push('Interrupted.')
    else if (released.length) lines.push(`No failure fails the run; ${plural(released.length, 'quarantined test')} failed (below).`)
    else lines.push('All tests passed.')
  } else if (notes?.length) lines.push(`${escapeCell(consoleSummary(notes)[0]!.replace(/^flakeseed /, ''))}.`)
  else lines.push(`${facts.failed} failed.`)
  if (notes?.length) {
    lines.push('', '| test | class | why | error |', '|---|---|---|---|')
    for (const n of notes) {
      const error = n.error ? n.error.split('\n')[0]!.slice(0, ERROR_WIDTH) : ''
      const why = [n.reason, n.leak && `leaked ${n.leak}`, n.fix && `fix: ${n.fix}`].filter(Boolean).join('; ')
      lines.push(`| <code>${escapeCell(n.test)}</code> | ${n.class} | ${escapeCell(why)} | ${escapeCell(error)} |`)
    }
  }
  if (released.length) {
    lines.push(
      '',
      `Quarantined: ${plural(released.length, 'failure')} that did not fail the run.`,
      '',
      '| test | outcome | reason | error |',
      '|---|---|---|---|',
    )
    for (const q of released) {
      lines.push(
        `| <code>${escapeCell(q.test)}</code> | quarantined, failed | ${escapeCell(q.reason)} | ${escapeCell((q.error ?? '').slice(0, ERROR_WIDTH))} |`,
      )
    }
  }
  lines.push('', 'Replay this run:', fence(facts.replay))
  if (facts.bisect) lines.push('Find what makes the failures fail:', fence(facts.bisect))
  const own = notes?.filter((n) => n.command) ?? []
  if (own.length) lines.push('Next step for each known flaky test:', fence(own.map((n) => n.command).join('\n')))
  if (bisected && (bisected.findings.length || bisected.left.length)) lines.push('', ...bisectedSection(bisected))
  return `${lines.join('\n')}\n`
}

/** Appends to the file GitHub gives in `GITHUB_STEP_SUMMARY`. */
/** What the bisect in this job found: class, culprits, leak and fix, the command; and what it left. */
function bisectedSection(bisected: AutoBisect): string[] {
  const lines = ['#### Bisected in this job', '']
  for (const f of bisected.findings) {
    const culprits = f.kind === 'brittle' ? f.stateSetters : f.polluters
    const what = f.kind === 'victim' ? 'polluted by' : f.kind === 'brittle' ? 'passes only after' : f.kind
    const cause = causeText(f.leaks)
    const parts = [
      `<code>${escapeCell(f.victim)}</code>: ${escapeCell(what)}${culprits.length ? ` ${culprits.map((c) => `<code>${escapeCell(c)}</code>`).join(', ')}` : ''}`,
    ]
    if (cause) parts.push(`leaked ${escapeCell(cause)}`)
    if (f.fix) parts.push(`fix: ${escapeCell(fixText(f.fix, f.kind))}`)
    if (f.interrupted) parts.push('cut by the budget: the smallest set found so far')
    if (f.explainedBy)
      parts.push(`checked against the polluters of <code>${escapeCell(f.explainedBy)}</code> (${f.probes} probe${f.probes === 1 ? '' : 's'}), not bisected`)
    lines.push(`- ${parts.join('; ')}`, '', fence(f.command), '')
  }
  // Victims of one polluter share its patch (as `fix` prints it): one diff for all of them.
  const shared = new Map<string, Array<{ victim: string; remedy: string; diff: string; verified: string }>>()
  for (const p of bisected.patches ?? []) shared.set(p.diff, [...(shared.get(p.diff) ?? []), p])
  for (const [p, ...others] of shared.values() as Iterable<
    [{ victim: string; remedy: string; diff: string; verified: string }, ...Array<{ victim: string }>]
  >) {
    // The diff quotes the project's source: not here when it may hold a secret (the command shows it locally).
    const diff = holdsSecret(p.diff) ? ['The diff is not shown here: lines in it look like they hold a secret.'] : [fence(p.diff, 'diff')]
    const more = others.length ? ` (and ${others.map((o) => `<code>${escapeCell(o.victim)}</code>`).join(', ')})` : ''
    lines.push(`Patch for <code>${escapeCell(p.victim)}</code>${more}: ${escapeCell(p.remedy)} (verified: ${escapeCell(p.verified)})`, '', ...diff, '')
  }
  if (bisected.apply) lines.push('Apply it:', fence(bisected.apply), '')
  for (const l of bisected.left) lines.push(`- left unexplained: <code>${escapeCell(l.test)}</code> (${escapeCell(l.why)})`)
  // One cause, many victims: the console's grouping, as a list.
  for (const g of causeGroups(bisected.findings.map((f) => ({ test: f.victim, finding: f })))) {
    lines.push('', `**${escapeCell(causeHeader(g))}**: ${g.polluters.map((p) => `<code>${escapeCell(p)}</code>`).join(', ')}`, '')
    for (const v of g.victims) lines.push(`- <code>${escapeCell(v)}</code>`)
  }
  return lines
}

export function appendStepSummary(path: string, markdown: string): void {
  appendFileSync(path, markdown)
}

/** A fenced block longer than any backtick run inside, so no test name can close it. */
function fence(text: string, language = 'sh'): string {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((m) => m.length))
  const ticks = '`'.repeat(longest + 1)
  return `${ticks}${language}\n${text.replace(/\n$/, '')}\n${ticks}`
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

/** HTML-escaped, and nothing that ends a table cell or starts markdown. */
function escapeCell(text: string): string {
  return escapeHtml(text)
    .replace(/\|/g, '&#124;')
    .replace(/`/g, '&#96;')
    .replace(/[*_[\]\\]/g, (c) => `&#${c.charCodeAt(0)};`)
    .replace(/\r?\n/g, ' ')
}
