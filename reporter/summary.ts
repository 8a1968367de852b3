// The end of a run with failures, in the console: which failures are known flakes (and why) and
// which are new (classed by src/history/failures.ts).
import { type CommandOptions, flakyCommand } from '../src/core/commands.js'
import { visible } from '../src/core/format.js'
import type { FailureNote } from '../src/history/failures.js'

/** Failures listed one per line; the rest are counted. */
const LISTED = 10

/** Columns before a failure's leak, fix and next command: two more than its own line. */
const DETAIL_INDENT = 4

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
